"""Gradient descent on the ridge problem of notebook 02: conditioning, and early stopping as L2.

The cost is the one :func:`course_utils.l1_l2.fit_ridge` minimises,
``J(w, b) = mean((X @ w + b - y)**2) + lam / 2 * sum(w**2)``. Centring ``X`` and ``y``,
as ``fit_ridge`` does, takes the bias out: whatever ``w`` is, the best bias is
``mean(y) - mean(X) @ w``. So gradient descent runs on ``w`` alone, from ``w = 0``, with
the gradient ``H @ w - 2 / N * Xc.T @ yc`` and the constant Hessian
``H = 2 / N * Xc.T @ Xc + lam * I``.

Two facts about gradient descent on such a quadratic cost:

* **Conditioning** (notebook 02). L2 adds ``lam`` to every eigenvalue ``s`` of
  ``2 / N * Xc.T @ Xc``. The condition number ``kappa = (s_max + lam) / (s_min + lam)``
  (that of ``Xc.T @ Xc + N * lam / 2 * I``, the matrix ``fit_ridge`` solves) falls, and
  with the step ``1 / (s_max + lam)`` the distance to the minimiser shrinks at least by
  the factor ``1 - 1 / kappa`` at every step: fewer steps for the same accuracy.
* **Early stopping acts like L2** (notebook 05). Along the eigenvector of eigenvalue
  ``s``, ``t`` steps of size ``eta`` without a penalty have covered the fraction
  ``1 - (1 - eta * s)**t`` of the way from 0 to the least-squares weights; the ridge
  solution covers ``s / (s + lam)``. Both are near 1 where ``s`` is large and near 0
  where it is small, and they cross one half at ``s = log(2) / (eta * t)`` and
  ``s = lam``: stopping after ``t`` steps acts like a penalty ``lam`` of the order of
  ``1 / (eta * t)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_utils import _validate
from course_utils.l1_l2 import fit_ridge, predict_linear
from course_utils.losses import mse

__all__ = [
    "closest_ridge",
    "condition_number",
    "early_stopping_as_l2_figure",
    "filter_factors",
    "gradient_descent",
    "hessian_eigenvalues",
    "learning_rate_for",
    "steps_bound",
    "steps_to_converge",
]


def _centred(X, y=None):
    X = _validate.array("X", X, ndim=2)
    if len(X) < 2:
        raise ValueError(f"X must have at least 2 rows, got {len(X)}")
    x_mean = X.mean(axis=0)
    if y is None:
        return X - x_mean, x_mean
    y = _validate.array("y", y, ndim=1)
    _validate.same_rows("X", X, "y", y)
    return X - x_mean, x_mean, y - y.mean(), float(y.mean())


def hessian_eigenvalues(X, lam: float = 0.0) -> np.ndarray:
    """Eigenvalues, ascending, of the cost's Hessian ``2 / N * Xc.T @ Xc + lam * I``.

    Args:
        X: Inputs ``(N, D)`` (centred here).
        lam: Strength lambda of the textbook L2 penalty, >= 0.
    """
    lam = _validate.number("lam", lam, low=0)
    Xc, _ = _centred(X)
    return np.linalg.eigvalsh(2.0 / len(Xc) * Xc.T @ Xc) + lam


def condition_number(X, lam: float = 0.0) -> float:
    """Condition number of ``Xc.T @ Xc + N * lam / 2 * I``, the matrix ``fit_ridge`` solves.

    It equals the Hessian's ``(s_max + lam) / (s_min + lam)``: a large number means a
    long, narrow valley, where gradient descent crawls along the flat direction.
    """
    lam = _validate.number("lam", lam, low=0)
    Xc, _ = _centred(X)
    n, d = Xc.shape
    return float(np.linalg.cond(Xc.T @ Xc + n * lam / 2.0 * np.eye(d)))


def learning_rate_for(X, lam: float = 0.0) -> float:
    """The step ``1 / L``, with ``L`` the Hessian's largest eigenvalue: it never overshoots."""
    return 1.0 / float(hessian_eigenvalues(X, lam)[-1])


def _step_size(X, lam: float, learning_rate) -> float:
    if learning_rate is None:
        return learning_rate_for(X, lam)
    return _validate.number("learning_rate", learning_rate, low=0, low_open=True)


def _quadratic(Xc, yc, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """The Hessian ``H`` and the vector ``g`` of the gradient ``H @ w - g`` (centred data)."""
    n, d = Xc.shape
    return 2.0 / n * Xc.T @ Xc + lam * np.eye(d), 2.0 / n * Xc.T @ yc


def gradient_descent(
    X, y, lam: float = 0.0, at: Sequence[int] = (100,), *, learning_rate: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Plain gradient descent on the ridge cost from ``w = 0``; the weights after given steps.

    Each step is ``w -= learning_rate * (H @ w - 2 / N * Xc.T @ yc)``, the exact
    gradient of the (centred) cost; the bias is its best value for each ``w``.

    Args:
        X: Inputs ``(N, D)``.
        y: Targets ``(N,)``.
        lam: Strength lambda of the textbook L2 penalty, >= 0 (0: no penalty).
        at: Step counts, increasing, >= 0, at which to record the weights.
        learning_rate: Step size ``eta``; None uses :func:`learning_rate_for`.

    Returns:
        ``(W, b)``: the weights ``(len(at), D)`` and biases ``(len(at),)`` after each
        step count in ``at``.
    """
    lam = _validate.number("lam", lam, low=0)
    Xc, x_mean, yc, y_mean = _centred(X, y)
    at = [_validate.integer("each step count in at", t, low=0) for t in at]
    if not at or np.any(np.diff(at) <= 0):
        raise ValueError(f"at must be a non-empty increasing sequence of step counts, got {at}")
    eta = _step_size(X, lam, learning_rate)
    H, g = _quadratic(Xc, yc, lam)
    w = np.zeros(Xc.shape[1])
    out = np.empty((len(at), Xc.shape[1]))
    step = 0
    for i, target in enumerate(at):
        for _ in range(target - step):
            w = w - eta * (H @ w - g)
        step = target
        out[i] = w
    return out, y_mean - out @ x_mean


def steps_to_converge(
    X,
    y,
    lam: float,
    *,
    tol: float = 1e-3,
    max_steps: int = 20_000,
    learning_rate: float | None = None,
) -> int | None:
    """Gradient steps from ``w = 0`` until ``||w - w*|| <= tol * ||w*||``, or None.

    ``w*`` is the ridge minimiser for ``lam``. None means: not reached in ``max_steps``.
    """
    lam = _validate.number("lam", lam, low=0)
    tol = _validate.number("tol", tol, low=0, low_open=True, high=1, high_open=True)
    max_steps = _validate.integer("max_steps", max_steps, low=1)
    Xc, _, yc, _ = _centred(X, y)
    eta = _step_size(X, lam, learning_rate)
    w_star = fit_ridge(X, y, lam)[0]
    goal = tol * float(np.linalg.norm(w_star))
    H, g = _quadratic(Xc, yc, lam)
    w = np.zeros(Xc.shape[1])
    for step in range(1, max_steps + 1):
        w = w - eta * (H @ w - g)
        if np.linalg.norm(w - w_star) <= goal:
            return step
    return None


def steps_bound(kappa: float, tol: float = 1e-3) -> float:
    """Steps that guarantee ``||w - w*|| <= tol * ||w*||`` from ``w = 0``, step ``1 / L``.

    Each step multiplies the distance to ``w*`` by at most ``1 - 1 / kappa``, so
    ``log(tol) / log(1 - 1 / kappa)`` steps (about ``kappa * log(1 / tol)``) suffice.
    """
    kappa = _validate.number("kappa", kappa, low=1)
    tol = _validate.number("tol", tol, low=0, low_open=True, high=1, high_open=True)
    if kappa == 1:
        return 1.0
    return float(np.log(tol) / np.log1p(-1.0 / kappa))


def closest_ridge(X, y, w, lams) -> tuple[float, float]:
    """The lambda whose ridge fit predicts most like the weights ``w`` on the inputs ``X``.

    Distance: ``||Xc @ (w_lam - w)|| / ||Xc @ w||``, the relative gap between the two
    models' (centred) predictions on the training inputs.

    Args:
        X: Inputs ``(N, D)``.
        y: Targets ``(N,)``.
        w: Weights ``(D,)`` to match (say, stopped gradient descent's).
        lams: Candidate lambdas ``(L,)``, all > 0.

    Returns:
        ``(lam, distance)`` of the closest candidate.
    """
    Xc, _ = _centred(X)
    w = _validate.array("w", w, ndim=1)
    if len(w) != Xc.shape[1]:
        raise ValueError(f"w must have {Xc.shape[1]} entries (one per column of X), got {len(w)}")
    lams = _validate.array("lams", lams, ndim=1)
    if len(lams) == 0 or np.any(lams <= 0):
        raise ValueError("lams must hold at least one lambda, all > 0")
    scale = float(np.linalg.norm(Xc @ w))
    if scale == 0:
        raise ValueError("w predicts a constant on X; there is nothing to match")
    gaps = [np.linalg.norm(Xc @ (fit_ridge(X, y, lam)[0] - w)) / scale for lam in lams]
    k = int(np.argmin(gaps))
    return float(lams[k]), float(gaps[k])


def filter_factors(s, *, lam: float | None = None, eta: float | None = None, t=None):
    """The fraction of the least-squares weight kept along an eigenvalue ``s`` of the Hessian.

    Ridge (give ``lam``): ``s / (s + lam)``. Gradient descent from 0 without a penalty
    (give ``eta`` and ``t``): ``1 - (1 - eta * s)**t``.
    """
    s = _validate.array("s", s)
    if np.any(s < 0):
        raise ValueError("eigenvalues s must be >= 0")
    if (lam is None) == (eta is None and t is None):
        raise ValueError("give either lam (ridge) or both eta and t (gradient descent)")
    if lam is not None:
        lam = _validate.number("lam", lam, low=0)
        return s / (s + lam)
    if eta is None or t is None:
        raise ValueError("gradient descent needs both eta and t")
    eta = _validate.number("eta", eta, low=0, low_open=True)
    t = _validate.integer("t", t, low=0)
    return 1.0 - (1.0 - eta * s) ** t


def early_stopping_as_l2_figure(
    X, y, X_val, y_val, *, steps: Sequence[int], lams, shown_step: int | None = None
):
    """Two panels: filter factors of stopped descent and ridge; validation MSE of both.

    Left: for ``shown_step`` steps (default: the middle of ``steps``), gradient
    descent's ``1 - (1 - eta * s)**t`` and ridge's ``s / (s + lam)`` at
    ``lam = 1 / (eta * t)``, against ``s`` on a log axis, with the Hessian's actual
    eigenvalues marked. Right: the validation MSE of ridge against ``lam``, and of
    gradient descent after each of ``steps`` plotted at ``lam = 1 / (eta * t)``.

    Returns:
        A matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import colour

    steps = [_validate.integer("each of steps", t, low=1) for t in steps]
    lams = _validate.array("lams", lams, ndim=1)
    if np.any(lams <= 0):
        raise ValueError("lams must all be > 0 for a log axis")
    X_val = _validate.array("X_val", X_val, ndim=2)
    y_val = _validate.array("y_val", y_val, ndim=1)
    shown = steps[len(steps) // 2] if shown_step is None else shown_step
    shown = _validate.integer("shown_step", shown, low=1)
    eta = learning_rate_for(X)
    s = hessian_eigenvalues(X)
    W, b = gradient_descent(X, y, 0.0, steps, learning_rate=eta)
    gd_val = [mse(predict_linear(X_val, W[i], b[i]), y_val) for i in range(len(steps))]
    ridge_val = [mse(predict_linear(X_val, *fit_ridge(X, y, lam)), y_val) for lam in lams]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    plt.close(fig)
    grid = np.logspace(np.log10(max(s.min(), 1e-12)), np.log10(s.max()), 300)
    lam_t = 1.0 / (eta * shown)
    ax1.plot(grid, filter_factors(grid, eta=eta, t=shown), color=colour(0), label=f"{shown} steps")
    ax1.plot(
        grid,
        filter_factors(grid, lam=lam_t),
        "--",
        color=colour(1),
        label=f"ridge, lambda = 1/(eta t) = {lam_t:.2g}",
    )
    ax1.plot(s, np.zeros_like(s), "|", color="black", markersize=12, label="eigenvalues of H")
    ax1.set(xscale="log", xlabel="eigenvalue s", ylabel="share of the least-squares weight")
    ax1.set_title("stopped descent and ridge keep about the same directions")
    ax1.legend()
    ax2.plot(lams, ridge_val, color=colour(1), label="ridge, against lambda")
    ax2.plot(
        1.0 / (eta * np.array(steps)),
        gd_val,
        "o",
        color=colour(0),
        label="descent stopped after t steps, at 1/(eta t)",
    )
    ax2.set(xscale="log", yscale="log", xlabel="lambda", ylabel="validation MSE")
    ax2.set_title("the same U: few steps = strong penalty")
    ax2.legend()
    return fig
