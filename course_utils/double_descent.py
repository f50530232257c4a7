"""Double descent with a random-features model, and the regularization of gradient descent
from zero (notebook 07).

The model: fixed random ReLU features ``F = relu(X @ W)`` (``W`` drawn once, never
trained) and a trained linear read-out ``F @ a``, with no bias anywhere, so a model has
exactly ``p`` trained parameters for ``p`` features. With ``p`` at least the number of
training points ``n``, some read-out fits the training labels exactly; the fit used
here is the one of smallest norm, ``a = pinv(F) @ y``.

The ridge read-out minimises ``mean((F @ a - y)**2) + lam / 2 * sum(a**2)``: notebook
02's textbook L2 penalty (:func:`course_utils.l1_l2.l2_penalty`). With the singular
values ``s`` of ``F = U diag(s) V.T`` its solution is ``V @ (s / (s**2 + n lam / 2) *
(U.T @ y))``; ``lam = 0`` gives the minimum-norm fit.

The data are notebook 02's linear generator (:func:`course_utils.datasets.make_sparse_linear`)
with every input informative: ``y = X @ coef + noise * N(0, 1)``, ``X`` standard normal.
All functions are pure: same arguments, same numbers, same figure.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_utils import _validate, datasets
from course_utils.l1_l2 import _lam, l2_gradient, mse

#: Training points, inputs and label noise of the notebook's problem.
N_TRAIN = 30
N_INPUTS = 10
NOISE = 1.0
N_VAL = 200
N_TEST = 500
#: Feature counts of the curves: far below, around and far above ``N_TRAIN``.
FEATURE_COUNTS = (1, 2, 5, 10, 15, 20, 25, 28, 29, 30, 31, 32, 35, 40, 60, 120, 300, 1000)
#: The figures draw a fit along the line ``t * u + SLICE_OFFSET * v``: ``u`` the direction
#: of the true weights, ``v`` a unit vector at right angles to it. The true function is
#: ``t * ||coef||`` on the whole line; the offset keeps it off the origin, where every
#: fit (ReLU features without bias) would be a bent line with its kink at 0.
SLICE_OFFSET = 1.0
#: Ridge strengths among which validation data choose, per draw and feature count.
LAMS = tuple(float(v) for v in np.logspace(-7, 1, 17))

__all__ = [
    "FEATURE_COUNTS",
    "LAMS",
    "NOISE",
    "N_INPUTS",
    "N_TEST",
    "N_TRAIN",
    "N_VAL",
    "SLICE_OFFSET",
    "Problem",
    "curve_figure",
    "double_descent",
    "fit_readout",
    "fits_figure",
    "gradient_descent",
    "gradient_descent_limit",
    "learning_rate_for",
    "make_problem",
    "random_weights",
    "relu_features",
    "ridge_path",
    "single_fit",
    "stopped_descent",
    "try_it_figure",
]


class Problem(NamedTuple):
    """One draw of the data: training, validation and test sets, and the true weights."""

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    coef: np.ndarray


def make_problem(
    seed: int,
    *,
    n_train: int = N_TRAIN,
    noise: float = NOISE,
    n_inputs: int = N_INPUTS,
    n_val: int = N_VAL,
    n_test: int = N_TEST,
) -> Problem:
    """A noisy linear problem: ``y = X @ coef + noise * N(0, 1)``, every input informative.

    One call of :func:`course_utils.datasets.make_sparse_linear` draws all the rows, so
    the three sets share the true weights ``coef``; the first ``n_train`` rows train.
    """
    n_train = _validate.integer("n_train", n_train, low=2)
    n_val = _validate.integer("n_val", n_val, low=1)
    n_test = _validate.integer("n_test", n_test, low=1)
    n_inputs = _validate.integer("n_inputs", n_inputs, low=1)
    noise = _validate.number("noise", noise, low=0)
    X, y, coef = datasets.make_sparse_linear(
        n_train + n_val + n_test, n_inputs, n_inputs, noise, seed
    )
    a, b = n_train, n_train + n_val
    return Problem(X[:a], y[:a], X[a:b], y[a:b], X[b:], y[b:], coef)


def random_weights(n_inputs: int, n_features: int, seed) -> np.ndarray:
    """The fixed first layer ``W: (n_inputs, n_features)``, entries ``N(0, 1 / n_inputs)``."""
    n_inputs = _validate.integer("n_inputs", n_inputs, low=1)
    n_features = _validate.integer("n_features", n_features, low=1)
    rng = _validate.generator(seed)
    return rng.standard_normal((n_inputs, n_features)) / np.sqrt(n_inputs)


def relu_features(X, W) -> np.ndarray:
    """Random ReLU features ``relu(X @ W)``. Shapes: ``X: (N, D)``, ``W: (D, P)`` -> ``(N, P)``."""
    X = _validate.array("X", X, ndim=2)
    W = _validate.array("W", W, ndim=2)
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X has {X.shape[1]} columns but W has {W.shape[0]} rows")
    return np.maximum(X @ W, 0.0)


def _Fy(F, y) -> tuple[np.ndarray, np.ndarray]:
    F = _validate.array("F", F, ndim=2)
    y = _validate.array("y", y, ndim=1)
    if len(F) != len(y) or len(F) == 0:
        raise ValueError(
            f"F and y must have the same number of rows (>= 1), got {len(F)} and {len(y)}"
        )
    return F, y


def ridge_path(F, y, lams) -> np.ndarray:
    """Ridge read-outs for several strengths from one SVD: ``(len(lams), P)``.

    Each row minimises ``mean((F @ a - y)**2) + lam / 2 * sum(a**2)``; a ``lam`` of 0
    gives the minimum-norm least-squares read-out (singular values below
    ``max(F.shape) * eps * s_max`` count as 0, the cutoff of ``np.linalg.lstsq`` and
    ``np.linalg.matrix_rank``; ``np.linalg.pinv``'s default cutoff is ``1e-15 * s_max``).
    """
    F, y = _Fy(F, y)
    lams = np.array([_lam(v) for v in np.atleast_1d(lams)])
    U, s, Vt = np.linalg.svd(F, full_matrices=False)
    keep = s > max(F.shape) * np.finfo(float).eps * (s[0] if len(s) else 0.0)
    U, s, Vt = U[:, keep], s[keep], Vt[keep]
    uy = U.T @ y
    shrink = s / (s**2 + len(y) * lams[:, None] / 2.0)  # (L, rank)
    return (shrink * uy) @ Vt


def fit_readout(F, y, lam: float = 0.0) -> np.ndarray:
    """The read-out ``a: (P,)`` of :func:`ridge_path` for one ``lam`` (0: minimum norm)."""
    return ridge_path(F, y, [lam])[0]


def learning_rate_for(F, lam: float = 0.0) -> float:
    """The step ``1 / L``, ``L = 2 / N * s_max**2 + lam`` the largest curvature of the cost."""
    F = _validate.array("F", F, ndim=2)
    return 1.0 / (2.0 / len(F) * float(np.linalg.norm(F, 2)) ** 2 + _lam(lam))


def gradient_descent(
    F, y, steps: int, *, start=None, learning_rate: float | None = None, lam: float = 0.0
) -> np.ndarray:
    """Plain full-batch gradient descent on the read-out's cost; the weights after ``steps``.

    Each step is ``a -= lr * (2 / N * F.T @ (F @ a - y) + l2_gradient(a, lam))``.

    Args:
        F: Features ``(N, P)``.
        y: Targets ``(N,)``.
        steps: Number of steps, >= 0.
        start: Starting weights ``(P,)``; None starts from zeros.
        learning_rate: Step size; None uses :func:`learning_rate_for`.
        lam: Strength of the textbook L2 penalty, >= 0.
    """
    F, y = _Fy(F, y)
    steps = _validate.integer("steps", steps, low=0)
    lam = _lam(lam)
    lr = learning_rate_for(F, lam) if learning_rate is None else learning_rate
    lr = _validate.number("learning_rate", lr, low=0, low_open=True)
    a = np.zeros(F.shape[1]) if start is None else _validate.array("start", start, ndim=1).copy()
    if len(a) != F.shape[1]:
        raise ValueError(f"start must have {F.shape[1]} entries (one per feature), got {len(a)}")
    G, g = 2.0 / len(y) * F.T @ F, 2.0 / len(y) * F.T @ y  # the same gradient, cheaper
    for _ in range(steps):
        a -= lr * (G @ a - g + l2_gradient(a, lam))
    return a


def gradient_descent_limit(F, y, start) -> np.ndarray:
    """Where unpenalized gradient descent from ``start`` ends: ``pinv(F) @ y`` plus the
    part of ``start`` that the gradient never touches, ``(I - pinv(F) @ F) @ start``."""
    F, y = _Fy(F, y)
    start = _validate.array("start", start, ndim=1)
    P = np.linalg.pinv(F)
    return P @ y + start - P @ (F @ start)


def stopped_descent(F, y, steps, *, learning_rate: float | None = None) -> np.ndarray:
    """Unpenalized gradient descent from zero after each of ``steps``, exactly: ``(S, P)``.

    With ``F = U diag(s) V.T``, the cost's curvature along ``V[:, i]`` is
    ``h = 2 / N * s_i**2``, and ``t`` steps of size ``eta`` from zero have covered the
    fraction ``1 - (1 - eta * h)**t`` of the way to the minimum-norm weight there
    (:func:`course_utils.ridge_gd.filter_factors`, notebook 05's link to L2). So no
    step needs to be run: the same numbers as :func:`gradient_descent`, up to rounding.
    """
    from course_utils.ridge_gd import filter_factors

    F, y = _Fy(F, y)
    steps = [_validate.integer("each of steps", t, low=0) for t in steps]
    lr = learning_rate_for(F) if learning_rate is None else learning_rate
    lr = _validate.number("learning_rate", lr, low=0, low_open=True)
    U, s, Vt = np.linalg.svd(F, full_matrices=False)
    keep = s > max(F.shape) * np.finfo(float).eps * (s[0] if len(s) else 0.0)
    U, s, Vt = U[:, keep], s[keep], Vt[keep]
    weights = (U.T @ y) / s  # the minimum-norm weight along each direction
    h = 2.0 / len(y) * s**2
    return np.array([(filter_factors(h, eta=lr, t=t) * weights) @ Vt for t in steps])


def double_descent(
    feature_counts=FEATURE_COUNTS,
    seeds=range(30),
    *,
    noise: float = NOISE,
    n_train: int = N_TRAIN,
    lams=LAMS,
) -> dict[str, np.ndarray]:
    """Minimum-norm and ridge read-outs for each feature count, over several draws.

    Each draw (one seed) is a new problem (:func:`make_problem`) and new features; the
    features of a smaller model are the first columns of a larger one's. Ridge's ``lam``
    is chosen among ``lams`` on the validation set, per draw and feature count; the test
    set is then scored once, for that choice.

    Returns:
        A dict of arrays ``(n_draws, n_counts)``: ``train`` and ``test`` (MSE of the
        minimum-norm fit), ``norm`` (its ``||a||``), ``ridge_test`` and ``ridge_lam``;
        and ``counts`` ``(n_counts,)``.
    """
    counts = [_validate.integer("each feature count", p, low=1) for p in feature_counts]
    seeds = [_validate.integer("each seed", s, low=0) for s in seeds]
    if not counts or not seeds:
        raise ValueError("give at least one feature count and one seed")
    lams = np.array([_lam(v) for v in lams])
    shape = (len(seeds), len(counts))
    out = {k: np.zeros(shape) for k in ("train", "test", "norm", "ridge_test", "ridge_lam")}
    for i, seed in enumerate(seeds):
        pr = make_problem(seed, noise=noise, n_train=n_train)
        W = random_weights(pr.X.shape[1], max(counts), 10_000 + seed)
        F_all, F_val_all, F_test_all = (relu_features(Z, W) for Z in (pr.X, pr.X_val, pr.X_test))
        for j, p in enumerate(counts):
            F, F_val, F_test = F_all[:, :p], F_val_all[:, :p], F_test_all[:, :p]
            a = fit_readout(F, pr.y)
            out["train"][i, j] = mse(F @ a, pr.y)
            out["test"][i, j] = mse(F_test @ a, pr.y_test)
            out["norm"][i, j] = np.linalg.norm(a)
            if len(lams):
                path = ridge_path(F, pr.y, lams)
                k = int(np.argmin(np.mean((path @ F_val.T - pr.y_val) ** 2, axis=1)))
                out["ridge_lam"][i, j] = lams[k]
                out["ridge_test"][i, j] = mse(F_test @ path[k], pr.y_test)
    out["counts"] = np.array(counts)
    return out


def curve_figure(counts, curves: dict, *, n_train: int = N_TRAIN, ylabel="test MSE", ax=None):
    """Median (line) and quartiles (band) over draws of each curve ``(n_draws, n_counts)``,
    against the number of features on a log axis, with the threshold ``p = n_train``."""
    import matplotlib.pyplot as plt

    from course_utils.plotting import colour, model_style

    counts = _validate.array("counts", counts, ndim=1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
        plt.close(fig)
    for i, (label, values) in enumerate(curves.items()):
        values = _validate.array(label, values, ndim=2)
        if values.shape[1] != len(counts):
            raise ValueError(f"{label} has {values.shape[1]} columns, expected {len(counts)}")
        low, mid, high = np.percentile(values, [25, 50, 75], axis=0)
        ax.fill_between(counts, low, high, color=colour(i), alpha=0.2, linewidth=0)
        style = {**model_style(i, len(counts)), "markersize": 4}
        ax.plot(counts, mid, label=f"{label} (median)", **style)
    ax.axvline(n_train, color="0.3", linestyle=":", label=f"features = training points ({n_train})")
    ax.set(xscale="log", yscale="log", xlabel="number of random features p", ylabel=ylabel)
    ax.legend()
    return ax.figure


def single_fit(n_features: int, *, noise: float = NOISE, seed: int = 0) -> dict:
    """The minimum-norm fit of draw ``seed`` with its first ``n_features`` features.

    Returns:
        A dict: ``problem`` (:class:`Problem`), ``W`` ``(D, n_features)``, ``a``
        ``(n_features,)`` and its ``test`` MSE.
    """
    n_features = _validate.integer("n_features", n_features, low=1, high=max(FEATURE_COUNTS))
    pr = make_problem(_validate.integer("seed", seed, low=0), noise=noise)
    W = random_weights(pr.X.shape[1], max(FEATURE_COUNTS), 10_000 + seed)[:, :n_features]
    a = fit_readout(relu_features(pr.X, W), pr.y)
    return {"problem": pr, "W": W, "a": a, "test": mse(relu_features(pr.X_test, W) @ a, pr.y_test)}


def _fit_panel(ax, fit: dict, colour_index: int = 0) -> None:
    """Draw the fit of :func:`single_fit` along the line of :data:`SLICE_OFFSET`."""
    from course_utils.plotting import colour

    pr, W, a = fit["problem"], fit["W"], fit["a"]
    u = pr.coef / np.linalg.norm(pr.coef)
    v = np.roll(u, 1) - (np.roll(u, 1) @ u) * u  # a fixed direction at right angles to u
    v /= np.linalg.norm(v)
    t = np.linspace(-3, 3, 200)
    ax.plot(pr.X @ u, pr.y, "o", color="black", markersize=3, label="training points")
    ax.plot(t, t * np.linalg.norm(pr.coef), color="0.6", label="true function")
    fitted = relu_features(t[:, None] * u + SLICE_OFFSET * v, W) @ a
    ax.plot(t, fitted, color=colour(colour_index), label=f"fit, {W.shape[1]} features")
    span = 1.5 * np.abs(pr.y).max()
    ax.set(
        ylim=(-span, span),
        xlabel="position t along the line (direction of the true weights)",
        ylabel="y",
    )
    ax.set_title(f"{W.shape[1]} features: test MSE {fit['test']:.3g}")
    ax.legend(loc="upper left")


def fits_figure(counts=(10, 30, 1000), *, noise: float = NOISE, seed: int = 0):
    """One panel per feature count: draw ``seed``'s minimum-norm fit (see :data:`SLICE_OFFSET`)."""
    import matplotlib.pyplot as plt

    counts = list(counts)
    if not counts:
        raise ValueError("give at least one feature count")
    fig, axes = plt.subplots(1, len(counts), figsize=(4 * len(counts), 3.6), sharey=True)
    plt.close(fig)
    for i, (ax, p) in enumerate(zip(np.atleast_1d(axes), counts, strict=True)):
        _fit_panel(ax, single_fit(p, noise=noise, seed=seed), i)
    return fig


def try_it_figure(n_features: int = N_TRAIN, noise: float = NOISE, *, seeds=range(5)):
    """The "Try it" figure: the test-error curve over draws for this noise, and draw 0's
    minimum-norm fit with ``n_features`` features, along the line of :data:`SLICE_OFFSET`."""
    import matplotlib.pyplot as plt

    from course_utils.plotting import colour

    fit = single_fit(n_features, noise=noise)
    res = double_descent(FEATURE_COUNTS, seeds, noise=noise, lams=())
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    plt.close(fig)
    curve_figure(res["counts"], {"minimum-norm fit": res["test"]}, ax=ax1)
    ax1.axvline(n_features, color=colour(1), linewidth=2, alpha=0.6, label=f"p = {n_features}")
    if noise > 0:
        ax1.axhline(noise**2, color="0.6", linewidth=1, label="noise floor")
        ax1.set_ylim(bottom=min(ax1.get_ylim()[0], noise**2 / 2))
    ax1.set_title(f"label noise {noise:g}: test MSE over {len(res['test'])} draws")
    ax1.legend()
    _fit_panel(ax2, fit)
    ax2.set_title(f"draw 0: test MSE {fit['test']:.3g}, ||a|| = {np.linalg.norm(fit['a']):.3g}")
    return fig
