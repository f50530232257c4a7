"""The figures of notebook 02 (L1 and L2): regularization paths, weight bars, MSE
curves, and the "Try it" figure of a penalized fit (:func:`penalty_figure`).

The fits they draw are computed by :mod:`course_utils.l1_l2`. All functions are pure:
same arguments, same figure.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate, datasets
from course_utils.l1_l2 import (
    CURVE_NOISE,
    CURVE_SEED,
    FIGURE_L1_STEPS,
    PENALTIES,
    curve_data,
    fit_penalized,
    predict_linear,
)
from course_utils.losses import mse


def plot_regularization_path(lams, path, relevant=None, *, ax=None, title=None):
    """Each weight against lambda (log x axis); relevant weights in colour, others grey.

    Args:
        lams: Lambdas ``(L,)``, all > 0.
        path: Weights ``(L, D)`` from :func:`course_utils.l1_l2.regularization_path`.
        relevant: Optional boolean mask ``(D,)`` of the truly useful weights.
    """
    from course_utils.plotting import colour, new_axes

    lams = _validate.array("lams", lams, ndim=1)
    path = _validate.array("path", path, ndim=2)
    if len(path) != len(lams):
        raise ValueError(f"path has {len(path)} rows but there are {len(lams)} lambdas")
    if np.any(lams <= 0):
        raise ValueError("lams must all be > 0 for a log axis")
    relevant = np.zeros(path.shape[1], bool) if relevant is None else np.asarray(relevant, bool)
    if relevant.shape != (path.shape[1],):
        raise ValueError(
            f"relevant must be a mask of shape ({path.shape[1]},), one entry per weight, "
            f"got shape {relevant.shape}"
        )
    fig, ax = new_axes(ax)
    k = 0
    for j in range(path.shape[1]):
        if relevant[j]:
            ax.plot(lams, path[:, j], color=colour(k), linewidth=2)
            k += 1
        else:
            ax.plot(lams, path[:, j], color="0.6", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("lambda")
    ax.set_ylabel("weight")
    if title:
        ax.set_title(title)
    return fig


def _draw_weight_bars(ax, w, relevant, labels=None, *, colour_of_relevant=None):
    """Bars of the weights ``w`` on ``ax``; exact zeros marked by an open circle on 0."""
    from course_utils.plotting import SMALL_FONT, colour

    idx = np.arange(len(w))
    colours = [(colour_of_relevant or colour(0)) if relevant[j] else "0.55" for j in range(len(w))]
    ax.bar(idx, w, width=0.75, color=colours)
    zero = w == 0
    if np.any(zero):
        ax.plot(idx[zero], w[zero], "o", mfc="none", mec="black", ms=5, label="exactly 0")
    ax.axhline(0, color="black", linewidth=0.6)
    if labels is not None:
        ax.set_xticks(idx, labels, fontsize=SMALL_FONT)
    return int(np.sum(zero))


def plot_weight_bars(weights: dict, relevant=None, *, title=None):
    """One panel per weight vector: a bar per weight, exact zeros marked with a circle.

    Args:
        weights: ``{name: w}`` with ``w`` of shape ``(D,)``, all the same ``D``.
        relevant: Optional boolean mask ``(D,)``: these bars are coloured, the others grey.
        title: Optional title over all panels.

    Returns:
        A matplotlib Figure; each panel's title says how many weights are exactly 0.
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import colour

    if not isinstance(weights, dict) or not weights:
        raise TypeError("weights must be a non-empty dict {name: array}")
    arrays = {name: _validate.array(name, w, ndim=1) for name, w in weights.items()}
    sizes = {w.size for w in arrays.values()}
    if len(sizes) != 1:
        raise ValueError(f"every weight vector must have the same length, got {sorted(sizes)}")
    d = sizes.pop()
    relevant = np.zeros(d, bool) if relevant is None else np.asarray(relevant, bool)
    if relevant.shape != (d,):
        raise ValueError(
            f"relevant must be a mask of shape ({d},), one entry per weight, "
            f"got shape {relevant.shape}"
        )
    n = len(arrays)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), sharey=True, squeeze=False)
    plt.close(fig)
    for i, (ax, (name, w)) in enumerate(zip(axes[0], arrays.items(), strict=True)):
        zeros = _draw_weight_bars(ax, w, relevant, colour_of_relevant=colour(i))
        ax.set_title(f"{name}: {zeros} of {d} exactly 0")
        ax.set_xlabel("feature")
    axes[0, 0].set_ylabel("weight")
    if title:
        fig.suptitle(title)
    return fig


def plot_mse_curves(histories: dict, *, noise: float | None = CURVE_NOISE, title=None):
    """Training (solid) and validation (dashed) MSE per epoch, log scale, legend outside.

    Args:
        histories: ``{name: KernelNormHistory}`` (anything with ``mse``/``val_mse``).
        noise: Label noise of the data; a grey line marks the noise floor ``noise**2``.
            None draws no line.
        title: Optional title.

    Returns:
        A matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from course_utils.plotting import plot_learning_curves

    fig, ax = plt.subplots(figsize=(9.5, 4.0))
    plt.close(fig)
    plot_learning_curves(histories, metric="mse", ax=ax, log_y=True, title=title)
    if noise is not None:
        noise = _validate.number("noise", noise, low=0, low_open=True)
        ax.axhline(noise**2, color="0.5", linewidth=1, linestyle=":", label="noise floor")
    # the data term alone, so runs with different penalties are compared on the same scale
    ax.set_ylabel("MSE of the fit (penalty term not added)")
    lo, hi = ax.get_ylim()
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo <= t <= hi]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def penalty_figure(lam: float = 1e-2, penalty: str = "l2", *, seed: int = CURVE_SEED):
    """The "Try it" figure: the curve fitted with an L1 or L2 penalty, and its weights.

    Left: the training points, the true curve and the fit. Right: one bar per power of
    x (the weight of ``x**k``), exact zeros marked with a circle. The fit is
    :func:`~course_utils.l1_l2.fit_penalized` on :func:`~course_utils.l1_l2.curve_data`
    (degree :data:`~course_utils.l1_l2.DEGREE`; L1 takes
    :data:`~course_utils.l1_l2.FIGURE_L1_STEPS` accelerated steps, which converge for
    ``lam >= 1e-4``), so a redraw takes a fraction of a second.

    Args:
        lam: Strength lambda, >= 0.
        penalty: 'l1' or 'l2'.
        seed: Seed of the data.

    Returns:
        A matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import colour, plot_fit_1d

    lam = _validate.number("lam", lam, low=0)
    _validate.choice("penalty", penalty, PENALTIES)
    data = curve_data(seed)
    w, b = fit_penalized(data.X, data.y, lam, penalty, steps=FIGURE_L1_STEPS)
    grid = np.linspace(-1, 1, 300)
    y_grid = predict_linear(datasets.polynomial_features(grid, data.degree), w, b)
    train = mse(predict_linear(data.X, w, b), data.y)
    val = mse(predict_linear(data.X_val, w, b), data.y_val)
    fig, (ax_fit, ax_w) = plt.subplots(1, 2, figsize=(10, 3.8), layout="tight")
    plt.close(fig)
    name = penalty.upper()
    plot_fit_1d(
        data.x,
        data.y,
        {f"{name}, lambda={lam:.2g}": (grid, y_grid)},
        truth=(grid, datasets.true_function_1d(grid)),
        ax=ax_fit,
        title=f"train MSE {train:.3f}, validation MSE {val:.3f}",
    )
    powers = [f"$x^{{{k}}}$" for k in range(1, data.degree + 1)]
    zeros = _draw_weight_bars(
        ax_w,
        w,
        np.ones(data.degree, bool),
        powers,
        colour_of_relevant=colour(0 if penalty == "l2" else 1),
    )
    ax_w.set_xlabel("weight of each power of x")
    ax_w.set_ylabel("weight")
    ax_w.set_title(
        f"{data.degree} weights: {zeros} exactly 0, L2 norm {np.linalg.norm(w):.3g}, "
        f"largest |w| {np.max(np.abs(w)):.3g}",
        fontsize=9,
    )
    return fig
