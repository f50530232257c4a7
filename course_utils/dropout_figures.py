"""The figures of notebook 03 (dropout): thinned networks, the trained models' decision
boundaries, the unit-ablation and rate-sweep plots, and the "Try it" figure.

The masks, models and measurements they draw come from :mod:`course_utils.dropout`.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate
from course_utils.dropout import (
    boundary_length,
    check_rate,
    draw_mask,
    gap,
    make_data,
    trained_model,
)


def _check_sizes(sizes) -> list[int]:
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must list the units per layer, at least two, got {sizes!r}")
    return [_validate.integer("each size", s, low=1, high=40) for s in sizes]


def network_masks(sizes, rate: float, draw: int = 1, *, seed: int = 0) -> list[np.ndarray]:
    """Illustrative 0/1 masks for the hidden layers of a drawn network.

    Inputs and outputs are never dropped here (as with ``mlp(..., dropout=rate)``).
    The same ``(rate, draw, seed)`` gives the same thinned network. These masks are for
    pictures: they are not the masks any model of the notebook was trained with.

    Args:
        sizes: Units per layer, inputs first.
        rate: Fraction dropped, in [0, 1).
        draw: Which draw (1, 2, ...): another number, other masks.
        seed: Seed of the draws, >= 0.

    Returns:
        One mask ``(sizes[k],)`` per hidden layer ``k = 1 .. len(sizes) - 2``.
    """
    sizes = _check_sizes(sizes)
    rate = check_rate(rate)
    draw = _validate.integer("draw", draw, low=1)
    seed = _validate.integer("seed", seed, low=0)
    rng = np.random.default_rng([seed, draw])
    return [draw_mask(n, rate, rng) for n in sizes[1:-1]]


_UNIT_COLOURS = {"input": "tab:green", "hidden": "tab:blue", "output": "tab:purple"}


def _network_legend_handles():
    """Legend entries for :func:`draw_network`'s symbols."""
    from matplotlib.lines import Line2D

    def dot(colour, edge="k"):
        return Line2D([], [], ls="", marker="o", ms=9, mfc=colour, mec=edge)

    handles = [dot(_UNIT_COLOURS[k]) for k in ("input", "hidden", "output")]
    dropped = (dot("white", "0.6"), Line2D([], [], ls="", marker="x", ms=6, color="tab:red"))
    labels = ["input unit", "hidden unit (kept)", "output unit", "dropped hidden unit"]
    return [*handles, dropped], labels


def draw_network(ax, sizes, masks=None, *, title=None) -> None:
    """Draw a fully connected network on ``ax``: units as circles, weights as lines.

    Args:
        ax: Matplotlib Axes.
        sizes: Units per layer, inputs first (each 1..40).
        masks: None (every unit present) or one 0/1 array per hidden layer; a dropped
            unit is drawn hollow with a cross, and its incoming and outgoing lines vanish.
        title: Optional title.
    """
    sizes = _check_sizes(sizes)
    keep = [np.ones(sizes[0], bool)]
    if masks is None:
        keep += [np.ones(n, bool) for n in sizes[1:-1]]
    else:
        if len(masks) != len(sizes) - 2:
            raise ValueError(f"masks needs {len(sizes) - 2} arrays (one per hidden layer)")
        for n, m in zip(sizes[1:-1], masks, strict=True):
            m = np.asarray(m).astype(bool)
            if m.shape != (n,):
                raise ValueError(f"a mask for a layer of {n} units must have shape ({n},)")
            keep.append(m)
    keep.append(np.ones(sizes[-1], bool))
    from matplotlib.collections import LineCollection

    tallest = max(sizes)
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n) for n in sizes]
    edges = [
        [(k, yi), (k + 1, yj)]
        for k in range(len(sizes) - 1)
        for i, yi in enumerate(ys[k])
        for j, yj in enumerate(ys[k + 1])
        if keep[k][i] and keep[k + 1][j]
    ]
    ax.add_collection(LineCollection(edges, colors="0.55", linewidths=0.6, zorder=1))
    for k, (y, kept) in enumerate(zip(ys, keep, strict=True)):
        kind = "input" if k == 0 else ("output" if k == len(sizes) - 1 else "hidden")
        xk = np.full(len(y), float(k))
        ax.scatter(
            xk[kept],
            y[kept],
            s=140,
            color=_UNIT_COLOURS[kind],
            edgecolors="k",
            linewidths=0.6,
            zorder=3,
        )
        ax.scatter(xk[~kept], y[~kept], s=140, color="white", edgecolors="0.6", zorder=3)
        ax.scatter(xk[~kept], y[~kept], s=70, marker="x", color="tab:red", zorder=4)
    ax.set_xlim(-0.4, len(sizes) - 0.6)
    ax.set_ylim(-tallest / 2 - 0.2, tallest / 2 + 0.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title)


def thinned_network_figure(sizes=(3, 6, 6, 2), rate: float = 0.5, n_draws: int = 2, *, seed=0):
    """The full network, then ``n_draws`` thinned networks from random masks.

    In training every example of a batch draws its own mask, and every step draws new
    ones: each panel after the first is one such draw (an illustration, not a mask of
    a trained model).
    """
    import matplotlib.pyplot as plt

    sizes = _check_sizes(sizes)
    rate = check_rate(rate)
    n_draws = _validate.integer("n_draws", n_draws, low=1, high=6)
    fig, axes = plt.subplots(1, n_draws + 1, figsize=(3.2 * (n_draws + 1), 3.7))
    plt.close(fig)
    draw_network(axes[0], sizes, title="inference: every unit")
    for draw in range(1, n_draws + 1):
        masks = network_masks(sizes, rate, draw, seed=seed)
        dropped = int(sum((1 - m).sum() for m in masks))
        draw_network(
            axes[draw],
            sizes,
            masks,
            title=f"training, mask draw {draw}:\n{dropped} hidden units dropped",
        )
    fig.suptitle(
        f"rate = {rate:g}: in training, each example at each step draws its own mask,\n"
        "so it goes through its own thinned network",
        fontsize=11,
    )
    handles, labels = _network_legend_handles()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
    fig.subplots_adjust(top=0.74, bottom=0.1)
    return fig


def dropout_figure(rate: float = 0.5, draw: int = 1):
    """The "Try it" figure: an illustrative thinned network, then the decision boundary
    and the loss curves of the notebook's MLP trained with dropout ``rate`` (runs are
    cached per rate).

    Args:
        rate: Dropout rate of the hidden layer, in [0, 1).
        draw: Which illustrative mask to draw, >= 1 (the model does not depend on it).
    """
    import matplotlib.pyplot as plt

    from course_utils import plotting

    rate = check_rate(rate)
    draw = _validate.integer("draw", draw, low=1)
    model, history = trained_model(rate)
    x_train, y_train, _, _ = make_data()
    hist = history.history
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), gridspec_kw={"width_ratios": [0.8, 1, 1.2]})
    plt.close(fig)
    sizes = (2, 12, 2)
    masks = network_masks(sizes, rate, draw)
    units = model.layers[0].units
    draw_network(
        axes[0],
        sizes,
        masks,
        title=(
            f"illustrative mask draw {draw}: {int(masks[0].sum())} of 12 kept\n"
            f"(in training, each example keeps about {units * (1 - rate):.0f}\n"
            f"of the {units} hidden units)"
        ),
    )
    plotting.plot_decision_boundary(
        model.predict,
        x_train,
        y_train,
        ax=axes[1],
        resolution=100,
        title=(
            f"accuracy: train {hist['accuracy'][-1]:.3f}, validation {hist['val_accuracy'][-1]:.3f}"
        ),
    )
    plotting.plot_learning_curves(
        {f"rate {rate:g}": history},
        ax=axes[2],
        title=f"loss gap (validation - train): {gap(history):.3f}",
    )
    axes[2].set_ylim(0, 1.2)
    fig.suptitle(f"dropout rate = {rate:g}")
    return fig


def _class_legend_handles(n_classes: int = 2):
    """Legend entries for the classes of :func:`~course_utils.plotting.plot_decision_boundary`."""
    import matplotlib
    from matplotlib.lines import Line2D

    cmap = matplotlib.colormaps["coolwarm"]
    return [
        Line2D([], [], ls="", marker="o", ms=6, mfc=cmap(k / max(n_classes - 1, 1)), mec="k")
        for k in range(n_classes)
    ], [f"class {k} (its shade: predicted {k})" for k in range(n_classes)]


def boundaries_figure(predictors, x, y):
    """Decision boundaries of several models overlaid on one panel, over the points.

    Each model's boundary (where its predicted label changes) is one line, with its own
    colour and line style; the legend gives each boundary's length
    (:func:`boundary_length`, on the same grid), so a shorter, calmer boundary can be
    seen and read at once.

    Args:
        predictors: ``{name: predict}``, each ``predict`` mapping points ``(M, 2)`` to
            class scores ``(M, C)`` or labels ``(M,)``.
        x: Points ``(N, 2)``; y: their integer labels ``(N,)``.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from course_utils import plotting

    if not isinstance(predictors, dict) or not predictors:
        raise TypeError("predictors must be a non-empty dict {name: predict function}")
    x = _validate.array("x", x, ndim=2)
    if x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2), got {x.shape}")
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    plt.close(fig)
    resolution, padding = 120, 0.5  # the grid of boundary_length, so lines and lengths agree
    lo, hi = x.min(axis=0) - padding, x.max(axis=0) + padding
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    cmap = matplotlib.colormaps["coolwarm"]
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap=cmap, s=14, edgecolors="k", linewidths=0.3)
    handles, labels = _class_legend_handles(int(np.max(y)) + 1)
    labels = [f"class {k} (training points)" for k in range(len(labels))]
    for i, (name, predict) in enumerate(predictors.items()):
        if not callable(predict):
            raise TypeError(f"predictors[{name!r}] must be callable")
        out = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()]))
        grid_labels = (out.argmax(axis=1) if out.ndim == 2 else out).reshape(gx.shape)
        grid_labels = grid_labels.astype(int)  # labels given as booleans too
        style = {"colors": [plotting.colour(i)], "linestyles": [plotting.LINESTYLES[i % 6]]}
        levels = np.arange(grid_labels.min(), grid_labels.max()) + 0.5
        if len(levels):
            ax.contour(gx, gy, grid_labels, levels=levels, linewidths=2.2, **style)
        length = boundary_length(predict, x, resolution=resolution, padding=padding)
        handles.append(
            Line2D([], [], color=plotting.colour(i), linestyle=plotting.LINESTYLES[i % 6], lw=2.2)
        )
        labels.append(f"{name}: length {length:.1f}")
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xticks=[], yticks=[])
    ax.grid(False)
    ax.set_title("decision boundaries, overlaid (points: training set)")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.set_size_inches(6.4 + 3.2, 5.2)  # room for the legend beside the panel
    return fig


def ablation_figure(rises, *, ax=None):
    """Rise in training loss when each hidden unit is removed, largest first, per model.

    The rank axis is logarithmic, so the few units that matter most get most of the room.

    Args:
        rises: ``{name: array (H,)}`` from :func:`unit_ablation`.
    """
    from course_utils import plotting

    if not isinstance(rises, dict) or not rises:
        raise TypeError("rises must be a non-empty dict {name: array of loss rises}")
    fig, ax = plotting.new_axes(ax)
    for i, (name, r) in enumerate(rises.items()):
        r = np.sort(_validate.array(name, r, ndim=1))[::-1]
        ax.plot(np.arange(1, len(r) + 1), r, label=name, **plotting.model_style(i, len(r)))
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("hidden unit, ranked by its rise (log scale)")
    ax.set_ylabel("rise in training loss when removed")
    ax.legend()
    return fig


def sweep_figure(sweep, *, ax=None):
    """Final training (solid) and validation (dashed) loss against the dropout rate.

    Args:
        sweep: The result of :func:`rate_sweep`.
    """
    from course_utils import plotting

    if not isinstance(sweep, dict) or not sweep:
        raise TypeError("sweep must be a non-empty dict {rate: results}, as rate_sweep returns")
    fig, ax = plotting.new_axes(ax)
    rates = sorted(sweep)
    for key, label, style in (
        ("loss", "training", plotting.TRAIN_STYLE),
        ("val_loss", "validation", plotting.VAL_STYLE),
    ):
        ax.plot(rates, [sweep[r][key] for r in rates], marker="o", color="k", label=label, **style)
    ax.set_xlabel("dropout rate")
    ax.set_ylabel("loss after training")
    ax.legend()
    return fig
