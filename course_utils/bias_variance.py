"""Polynomial curve fitting and the bias-variance decomposition (notebook 01).

All functions are pure: same arguments, same numbers, same figure.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate
from course_utils.datasets import make_regression_1d, true_function_1d
from course_utils.losses import mse

MAX_DEGREE = 20


def design_matrix(x, degree: int) -> np.ndarray:
    """Columns ``1, x, x**2, ..., x**degree`` of a 1-D input ``x: (n,)``."""
    x = _validate.array("x", x, ndim=1)
    degree = _validate.integer("degree", degree, low=0, high=MAX_DEGREE)
    return x[:, None] ** np.arange(degree + 1)


def fit_polynomial(x, y, degree: int) -> np.ndarray:
    """Least-squares polynomial coefficients ``(degree + 1,)``, lowest power first."""
    A = design_matrix(x, degree)
    y = _validate.array("y", y, ndim=1)
    if len(y) != len(A):
        raise ValueError(f"x and y must have the same length, got {len(A)} and {len(y)}")
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef


def predict_polynomial(coef, x) -> np.ndarray:
    """Evaluate a polynomial with coefficients ``coef`` (lowest power first) at ``x``."""
    coef = _validate.array("coef", coef, ndim=1)
    return design_matrix(x, len(coef) - 1) @ coef


def errors_by_degree(x_train, y_train, x_val, y_val, degrees) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation MSE of a least-squares polynomial of each degree."""
    train, val = [], []
    for d in degrees:
        coef = fit_polynomial(x_train, y_train, d)
        train.append(mse(predict_polynomial(coef, x_train), y_train))
        val.append(mse(predict_polynomial(coef, x_val), y_val))
    return np.array(train), np.array(val)


def bias_variance(
    degree: int,
    *,
    n_train: int = 30,
    n_sets: int = 500,
    noise: float = 0.3,
    seed: int = 0,
    n_test: int = 200,
) -> dict[str, float]:
    """Estimate bias², variance and expected error of a polynomial fit by resampling.

    The textbook setting: every training set has the same ``n_train`` inputs, evenly
    spread over [-1, 1]; only the noise on the labels is drawn afresh, ``n_sets`` times.
    Each set is fitted and predicts at ``n_test`` test inputs evenly spread over
    [-1, 1]. With ``f`` the true function:

    * bias² = mean over x of ``(average prediction - f(x))**2``
    * variance = mean over x of the variance of the predictions across sets
    * noise = ``noise**2``, the error no model can remove
    * expected_error = mean squared error against fresh noisy labels, measured directly
    * noise_added = expected_error - bias² - variance, and noise_se, its standard error

    By algebra, bias² + variance is exactly the mean squared distance between the
    predictions and ``f``. A fresh label is ``f`` plus independent noise, so on average it
    adds ``noise**2`` to that distance: noise_added equals ``noise**2`` up to sampling
    error (a few ``noise_se``). That is a check of the arithmetic, not a finding.
    The average over ``n_sets`` is itself noisy: about ``variance / n_sets`` leaks into
    the bias² estimate, which is all that is left once the true bias is near 0.
    :func:`exact_bias_variance` gives the values these estimates converge to.
    """
    degree = _validate.integer("degree", degree, low=0, high=MAX_DEGREE)
    n_train = _validate.integer("n_train", n_train, low=degree + 1)
    n_sets = _validate.integer("n_sets", n_sets, low=2)
    noise = _validate.number("noise", noise, low=0)
    rng = _validate.generator(seed)
    x_train = np.linspace(-1, 1, n_train)
    f_train = true_function_1d(x_train)
    x_test = np.linspace(-1, 1, _validate.integer("n_test", n_test, low=1))
    f_test = true_function_1d(x_test)
    A = design_matrix(x_train, degree)
    labels = f_train + noise * rng.standard_normal((n_sets, n_train))
    coefs, *_ = np.linalg.lstsq(A, labels.T, rcond=None)  # every set in one solve
    preds = (design_matrix(x_test, degree) @ coefs).T  # (n_sets, n_test)
    y_fresh = f_test + noise * rng.standard_normal(preds.shape)
    bias2 = float(np.mean((preds.mean(axis=0) - f_test) ** 2))
    variance = float(np.mean(preds.var(axis=0)))
    expected_error = float(np.mean((preds - y_fresh) ** 2))
    # what each fresh label adds to the squared distance from the truth; mean noise**2
    added = (preds - y_fresh) ** 2 - (preds - f_test) ** 2
    return {
        "bias2": bias2,
        "variance": variance,
        "noise": noise**2,
        "expected_error": expected_error,
        "sum": bias2 + variance + noise**2,
        "noise_added": expected_error - bias2 - variance,
        "noise_se": float(added.std() / np.sqrt(added.size)),
    }


def exact_bias_variance(
    degree: int, *, n_train: int = 30, noise: float = 0.3, n_test: int = 200
) -> dict[str, np.ndarray | float]:
    """The exact bias², variance and expected error of :func:`bias_variance`'s setting.

    With the inputs fixed, least squares is linear in the labels: the predictions at the
    test inputs are ``H @ y`` with ``H = A_test @ pinv(A_train)``, shape
    ``(n_test, n_train)``. A label is ``f + noise``, so averaged over infinitely many
    training sets the prediction is ``H @ f`` (no resampling needed), and its variance at
    test input ``i`` is ``noise**2 * sum_j H[i, j]**2``. On the training inputs
    themselves ``H`` is a projection onto ``degree + 1`` dimensions, so the variance
    averaged over them is exactly ``noise**2 * (degree + 1) / n_train``.

    Returns:
        A dict: ``bias2``, ``variance`` and ``expected_error`` (floats, averaged over the
        test inputs), ``variance_at_train`` (float, averaged over the training inputs),
        ``x_test`` and ``variance_by_x`` (arrays ``(n_test,)``).
    """
    degree = _validate.integer("degree", degree, low=0, high=MAX_DEGREE)
    n_train = _validate.integer("n_train", n_train, low=degree + 1)
    noise = _validate.number("noise", noise, low=0)
    x_train = np.linspace(-1, 1, n_train)
    x_test = np.linspace(-1, 1, _validate.integer("n_test", n_test, low=1))
    pinv = np.linalg.pinv(design_matrix(x_train, degree))  # (degree + 1, n_train)
    H = design_matrix(x_test, degree) @ pinv  # (n_test, n_train)
    H_train = design_matrix(x_train, degree) @ pinv  # (n_train, n_train), a projection
    variance_by_x = noise**2 * np.sum(H**2, axis=1)
    bias2 = float(np.mean((H @ true_function_1d(x_train) - true_function_1d(x_test)) ** 2))
    variance = float(np.mean(variance_by_x))
    return {
        "bias2": bias2,
        "variance": variance,
        "expected_error": bias2 + variance + noise**2,
        "variance_at_train": float(noise**2 * np.sum(H_train**2) / n_train),
        "x_test": x_test,
        "variance_by_x": variance_by_x,
    }


def learning_curve(
    degree: int, sizes, *, noise: float = 0.3, n_val: int = 200, repeats: int = 20, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation MSE against training-set size, for every draw.

    For each size, ``repeats`` training sets are drawn (inputs and noise both fresh) and
    fitted; all are scored on one validation set of ``n_val`` points. One high-degree
    fit on a small set can miss by a factor of 10,000, so a mean over draws follows its
    worst draw: summarise the rows with a median and quartiles instead.

    Returns:
        ``(train_mse, val_mse)``, arrays of shape ``(repeats, len(sizes))``.
    """
    degree = _validate.integer("degree", degree, low=0, high=MAX_DEGREE)
    sizes = [_validate.integer("size", n, low=degree + 1) for n in sizes]
    repeats = _validate.integer("repeats", repeats, low=1)
    rng = _validate.generator(seed)
    x_val, y_val = make_regression_1d(n_val, noise, rng)
    A_val = design_matrix(x_val, degree)  # the same for every draw: build it once
    train, val = np.zeros((repeats, len(sizes))), np.zeros((repeats, len(sizes)))
    for i, n in enumerate(sizes):
        for r in range(repeats):
            x, y = make_regression_1d(n, noise, rng)
            A = design_matrix(x, degree)
            coef, *_ = np.linalg.lstsq(A, y, rcond=None)  # what fit_polynomial does
            train[r, i] = mse(A @ coef, y)
            val[r, i] = mse(A_val @ coef, y_val)
    return train, val


def polynomial_fit_errors(
    degree: int = 3, n_train: int = 20, *, noise: float = 0.3, seed: int = 0
) -> tuple[float, float]:
    """Training and validation MSE of the fit that :func:`polynomial_fit_figure` draws."""
    x, y, x_val, y_val = _try_it_data(n_train, noise, seed)
    coef = fit_polynomial(x, y, _validate.integer("degree", degree, low=0, high=MAX_DEGREE))
    return mse(predict_polynomial(coef, x), y), mse(predict_polynomial(coef, x_val), y_val)


def _try_it_data(n_train: int, noise: float, seed: int):
    n_train = _validate.integer("n_train", n_train, low=2)
    rng = _validate.generator(seed)
    x, y = make_regression_1d(n_train, noise, rng)
    x_val, y_val = make_regression_1d(100, noise, rng)
    return x, y, x_val, y_val


def polynomial_fit_figure(degree: int = 3, n_train: int = 20, *, noise: float = 0.3, seed: int = 0):
    """The "Try it" figure of notebook 01: one polynomial fit, its data, its errors."""
    from course_utils.plotting import plot_fit_1d

    degree = _validate.integer("degree", degree, low=0, high=MAX_DEGREE)
    x, y, _, _ = _try_it_data(n_train, noise, seed)
    coef = fit_polynomial(x, y, degree)
    grid = np.linspace(-1, 1, 300)
    train_err, val_err = polynomial_fit_errors(degree, n_train, noise=noise, seed=seed)
    return plot_fit_1d(
        x,
        y,
        {f"degree {degree}": (grid, predict_polynomial(coef, grid))},
        truth=(grid, true_function_1d(grid)),
        title=(
            f"degree {degree}, {n_train} points: "
            f"train MSE {train_err:.3f}, validation MSE {val_err:.3f}"
        ),
    )
