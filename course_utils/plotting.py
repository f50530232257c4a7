"""Figures used across the course. Every function returns its ``Figure`` (or draws on a
given ``Axes``) and never calls ``plt.show``, so tests can inspect what it drew.

Convention: training curves solid, validation dashed, one colour per model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib
import numpy as np

TRAIN_STYLE = {"linestyle": "-"}
VAL_STYLE = {"linestyle": "--"}


def set_style() -> None:
    """Plot defaults for the course: readable sizes, a light grid, tight layout."""
    matplotlib.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 80,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "legend.frameon": False,
            "figure.autolayout": True,
        }
    )


def _new_axes(ax=None, figsize=None):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    plt.close(fig)  # the caller displays it; avoid a second copy from pyplot's state
    return fig, ax


def colour(i: int) -> str:
    """The i-th colour of the course's palette (matplotlib's tab10)."""
    return matplotlib.colormaps["tab10"](i % 10)


def plot_learning_curves(
    histories: Mapping, metric: str = "loss", *, ax=None, title=None, log_y=False
):
    """Training (solid) and validation (dashed) curves of one or more runs.

    Args:
        histories: ``{name: history}``; a history is a course ``History``, a Keras
            ``History`` or a dict with lists under ``metric`` and ``'val_' + metric``.
        metric: The key to plot, e.g. 'loss' or 'accuracy'.
        ax: Axes to draw on; a new figure when None.
        title: Optional title.
        log_y: Use a log scale for the y axis.
    """
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError("histories must be a non-empty dict {name: history}")
    fig, ax = _new_axes(ax)
    for i, (name, h) in enumerate(histories.items()):
        record = getattr(h, "history", h)
        if metric not in record:
            raise ValueError(f"history {name!r} has no {metric!r}; it has {sorted(record)}")
        epochs = np.arange(1, len(record[metric]) + 1)
        ax.plot(epochs, record[metric], color=colour(i), label=f"{name} (train)", **TRAIN_STYLE)
        if f"val_{metric}" in record:
            ax.plot(
                epochs,
                record[f"val_{metric}"],
                color=colour(i),
                label=f"{name} (validation)",
                **VAL_STYLE,
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    if log_y:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_fit_1d(
    x_train,
    y_train,
    curves: Mapping,
    *,
    x_val=None,
    y_val=None,
    truth=None,
    ax=None,
    title=None,
    ylim=(-2.5, 2.5),
    legend_loc: str = "upper left",
):
    """Data points and one or more fitted curves over them.

    Args:
        x_train, y_train: Training points (drawn as dots).
        curves: ``{name: (x_grid, y_grid)}`` fitted curves, one colour each.
        x_val, y_val: Optional validation points (drawn as crosses).
        truth: Optional ``(x_grid, y_grid)`` of the true function (drawn grey).
        ax: Axes to draw on; a new figure when None.
        ylim: y limits, so wild over-fitted curves do not squash the picture.
        legend_loc: Where the legend goes (a matplotlib ``loc``).
    """
    fig, ax = _new_axes(ax)
    if truth is not None:
        ax.plot(*truth, color="0.6", linewidth=2, label="true function")
    for i, (name, (xg, yg)) in enumerate(curves.items()):
        ax.plot(xg, yg, color=colour(i), label=name)
    ax.scatter(x_train, y_train, s=18, color="black", zorder=3, label="training points")
    if x_val is not None:
        ax.scatter(x_val, y_val, s=18, marker="x", color="0.4", zorder=3, label="validation points")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc=legend_loc)
    return fig


def plot_decision_boundary(
    predict: Callable, X, y, *, ax=None, title=None, resolution: int = 150, padding: float = 0.5
):
    """Shade the class a 2-D classifier predicts, with the points on top.

    Args:
        predict: Maps points ``(M, 2)`` to class scores ``(M, C)`` or labels ``(M,)``.
        X: Points ``(N, 2)``; y: their labels ``(N,)``.
        resolution: Grid points per axis.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {X.shape}")
    fig, ax = _new_axes(ax, figsize=(4.5, 4.0))
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    out = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()]))
    labels = out.argmax(axis=1) if out.ndim == 2 else out
    ax.contourf(
        gx,
        gy,
        labels.reshape(gx.shape),
        alpha=0.25,
        cmap="coolwarm",
        levels=np.arange(-0.5, labels.max() + 1),
    )
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=14, edgecolors="k", linewidths=0.3)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def figure_to_array(fig) -> np.ndarray:
    """Render a figure to an RGBA array (used by tests to tell two figures apart)."""
    canvas = fig.canvas
    if not hasattr(canvas, "buffer_rgba"):
        # plt.close leaves a bare FigureCanvasBase here (matplotlib 3.11): draw it with Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()
