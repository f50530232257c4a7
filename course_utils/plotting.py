"""Figures used across the course. Every function returns its ``Figure`` (or draws on a
given ``Axes``) and never calls ``plt.show``, so tests can inspect what it drew.

Convention: training curves solid, validation dashed, one colour and one marker per
model, so two models can be told apart without seeing colour. The palette is
matplotlib's ``petroff10``: ten colours chosen (Petroff 2021) to stay distinct under the
common colour-vision deficiencies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib
import numpy as np

TRAIN_STYLE = {"linestyle": "-"}
VAL_STYLE = {"linestyle": "--"}
#: The course's colour cycle (a matplotlib colour sequence): colour-blind safe.
PALETTE = "petroff10"
#: Figure resolution in dots per inch: 100 sets the size a figure takes on screen, and
#: the inline backend's "retina" format doubles the pixels (200 dpi) for sharp figures
#: on high-density screens and in the rendered HTML.
FIGURE_DPI = 100
#: Width in screen pixels of a notebook's output column on a normal screen (JupyterLab
#: on a 1280-pixel-wide laptop screen, file browser open). A wider figure is scaled down
#: to fit, its text with it, so a figure's text size is judged at this width.
COLUMN_PX = 960
#: The smallest text a course figure may show on that screen, in pixels. A text of
#: ``s`` points is ``s * FIGURE_DPI / 72`` pixels tall (9 pt: 12.5 px) before scaling.
MIN_TEXT_PX = 9.0
#: The course's font sizes, in points (matplotlib's defaults, 10 pt with 8 pt legends at
#: 80 dpi, gave 8-9 pixel legends): labels and titles 11, ticks and legends 10; a figure
#: function may go down to :data:`SMALL_FONT` for dense labels, never lower.
FONT_SIZE = 11
SMALL_FONT = 9
#: One marker per model (with the colour), for curves that must be told apart.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
#: One line style per curve, for figures whose curves carry no other style.
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


def set_style() -> None:
    """Plot defaults for the course: colour-blind-safe colours, sharp figures, readable
    sizes (no text under :data:`MIN_TEXT_PX` pixels on screen), a light grid, tight layout.

    Sets matplotlib's rcParams (the colour cycle is :data:`PALETTE`, ``figure.dpi`` is
    :data:`FIGURE_DPI`) and, inside IPython, the inline backend's ``retina`` format.
    """
    from cycler import cycler

    matplotlib.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=matplotlib.color_sequences[PALETTE]),
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": 2 * FIGURE_DPI,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": FONT_SIZE,
            "axes.titlesize": FONT_SIZE,
            "axes.labelsize": FONT_SIZE,
            "figure.titlesize": FONT_SIZE + 1,
            "xtick.labelsize": FONT_SIZE - 1,
            "ytick.labelsize": FONT_SIZE - 1,
            "legend.fontsize": FONT_SIZE - 1,
            "legend.title_fontsize": FONT_SIZE - 1,
            "legend.frameon": False,
            "figure.autolayout": True,
        }
    )
    _retina_inline_figures()


def _retina_inline_figures() -> bool:
    """In IPython, draw inline figures at twice their dpi, shown at their size (retina).

    Returns:
        Whether the format was set (False outside IPython).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline.config import InlineBackend

    # The backend's own setting (what `%config InlineBackend.figure_formats` changes), so
    # it holds when pyplot is imported later and the backend configures itself; and the
    # formatters now, for a backend that is already set up.
    config = InlineBackend.instance()
    config.figure_formats = {"retina"}
    select_figure_formats(shell, config.figure_formats, **config.print_figure_kwargs)
    return True


def new_axes(ax=None, figsize=None):
    """``(figure, axes)``: ``ax`` and its figure when given, else a new figure of
    ``figsize`` that pyplot does not keep (the caller returns or shows it once)."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    plt.close(fig)  # the caller displays it; avoid a second copy from pyplot's state
    return fig, ax


_new_axes = new_axes  # the old private name, for modules not yet moved to new_axes


def colour(i: int) -> tuple:
    """The i-th colour of the course's palette (:data:`PALETTE`, matplotlib's petroff10)."""
    palette = matplotlib.color_sequences[PALETTE]
    return palette[i % len(palette)]


def model_style(i: int, n_points: int = 0) -> dict:
    """Colour and marker of the i-th model, for ``ax.plot(..., **model_style(i))``.

    Args:
        i: The model's index (0, 1, ...).
        n_points: Points on the curve; markers are spaced to about 8 per curve.
    """
    return {
        "color": colour(i),
        "marker": MARKERS[i % len(MARKERS)],
        "markersize": 4,
        "markevery": max(1, n_points // 8) if n_points else None,
    }


def plot_learning_curves(
    histories: Mapping, metric: str = "loss", *, ax=None, title=None, log_y=False
):
    """Training (solid) and validation (dashed) curves of one or more runs; with two runs
    or more, each run has its own colour and marker.

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
    fig, ax = new_axes(ax)
    for i, (name, h) in enumerate(histories.items()):
        record = getattr(h, "history", h)
        if metric not in record:
            raise ValueError(f"history {name!r} has no {metric!r}; it has {sorted(record)}")
        epochs = np.arange(1, len(record[metric]) + 1)
        style = model_style(i, len(epochs)) if len(histories) > 1 else {"color": colour(i)}
        ax.plot(epochs, record[metric], label=f"{name} (train)", **style, **TRAIN_STYLE)
        if f"val_{metric}" in record:
            ax.plot(
                epochs,
                record[f"val_{metric}"],
                label=f"{name} (validation)",
                **style,
                **VAL_STYLE,
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    if log_y:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
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
        curves: ``{name: (x_grid, y_grid)}`` fitted curves, one colour and line style each.
        x_val, y_val: Optional validation points (drawn as crosses).
        truth: Optional ``(x_grid, y_grid)`` of the true function (drawn grey).
        ax: Axes to draw on; a new figure when None.
        ylim: y limits, so wild over-fitted curves do not squash the picture.
        legend_loc: Where the legend goes (a matplotlib ``loc``).
    """
    fig, ax = new_axes(ax)
    if truth is not None:
        ax.plot(*truth, color="0.6", linewidth=2, label="true function")
    for i, (name, (xg, yg)) in enumerate(curves.items()):
        ax.plot(xg, yg, color=colour(i), linestyle=LINESTYLES[i % len(LINESTYLES)], label=name)
    ax.scatter(x_train, y_train, s=18, color="black", zorder=3, label="training points")
    if x_val is not None:
        ax.scatter(x_val, y_val, s=18, marker="x", color="0.4", zorder=3, label="validation points")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    ax.legend(loc=legend_loc)
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
    fig, ax = new_axes(ax, figsize=(4.5, 4.0))
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
        ax.set_title(title)
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


def text_sizes_px(fig, column_px: float = COLUMN_PX) -> list[tuple[str, float]]:
    """Every visible text of a figure with its height on screen, in pixels.

    A text of ``s`` points in a figure of ``dpi`` dots per inch is ``s * dpi / 72``
    pixels tall when the figure is shown at its own size, as Jupyter shows it (the
    inline backend's retina images are drawn at twice the dpi and shown at half); a
    figure wider than ``column_px`` is scaled down to fit the notebook's column, and its
    text with it. The figure is drawn first, so tick labels exist.

    Args:
        fig: A matplotlib ``Figure``.
        column_px: Width of the notebook's output column in pixels, > 0.

    Returns:
        ``[(text, pixels), ...]`` for every visible, non-empty text, smallest first.
    """
    from matplotlib.text import Text

    if isinstance(column_px, bool) or not isinstance(column_px, (int, float)) or column_px <= 0:
        raise ValueError(f"column_px must be a number of pixels > 0, got {column_px!r}")
    if not hasattr(fig, "get_size_inches"):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    figure_to_array(fig)  # draw: tick labels are made at draw time
    width_px = fig.get_size_inches()[0] * fig.dpi
    scale = min(1.0, column_px / width_px)
    sizes = []
    for text in fig.findobj(Text):
        if text.get_text().strip() and _shown(text):
            sizes.append((text.get_text(), text.get_fontsize() * fig.dpi / 72 * scale))
    return sorted(sizes, key=lambda item: item[1])


def _shown(text) -> bool:
    """Whether a text and the axes it belongs to (if any) are visible."""
    return text.get_visible() and (text.axes is None or text.axes.get_visible())
