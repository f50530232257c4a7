"""Dropout (notebook 03): the mask, the experiment, its figures.

The reference versions of the functions written out in the notebook live here, with
the helpers of its experiments. ``rate`` is always the fraction of units dropped, as
in ``keras.layers.Dropout(rate)``; the fraction kept is ``1 - rate``. Co-adaptation
measures live in :mod:`course_utils.coadaptation` (re-exported here), the L2 control in
:mod:`course_utils.dropout_vs_l2`, Monte Carlo dropout in :mod:`course_utils.mc_dropout`.
"""

from __future__ import annotations

import functools

import numpy as np

from course_utils import _validate, datasets, optim, regularizers, training
from course_utils import layers as L
from course_utils.coadaptation import (  # noqa: F401 - the notebook reads them as ref.*
    cancellation_ratio,
    curvature_interactions,
    hidden_activations,
    interaction_share,
    pair_interactions,
    unit_ablation,
)

MODES = ("train", "test")

# The notebook's over-fitting set-up: few noisy points, a wide hidden layer, long training.
DATA_SETTINGS = {"n_train": 60, "n_val": 500, "noise": 0.35, "seed": 6}
MODEL_SETTINGS = {"hidden": (128,), "epochs": 150, "learning_rate": 0.02, "seed": 0}
SWEEP_RATES = (0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 0.98)


# --------------------------------------------------------------------------- the mask
def _rate(rate) -> float:
    return _validate.number("rate", rate, low=0, high=1, high_open=True)


def _mode(mode) -> str:
    if not isinstance(mode, str):
        raise TypeError(f"mode must be 'train' or 'test', got {type(mode).__name__}")
    return _validate.choice("mode", mode, MODES)


def _generator(rng) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed >= 0 or None, got {rng!r}")


def draw_mask(shape, rate: float, rng=None) -> np.ndarray:
    """A 0/1 mask: each entry is 1 (kept) with probability ``1 - rate``.

    Drawn with ``rng.binomial(1, 1 - rate, size=shape)``, one draw per unit and row.

    Args:
        shape: Shape of the activations, e.g. ``(N, H)``.
        rate: Fraction dropped, in [0, 1).
        rng: A ``numpy.random.Generator`` (or an int seed); a fresh one when None.

    Returns:
        An int array of ``shape`` holding 0s and 1s.
    """
    rate = _rate(rate)
    return _generator(rng).binomial(1, 1.0 - rate, size=shape)


def dropout_forward(x, rate: float, *, mode: str = "train", rng=None, mask=None, inverted=True):
    """Dropout's forward pass, in training or test mode.

    Inverted dropout (``inverted=True``, what Keras does): in training, ``x * mask /
    (1 - rate)``; at test time, ``x``. The original form (``inverted=False``): in
    training ``x * mask``; at test time ``x * (1 - rate)``. Both keep the test-time
    activation equal to the average training-time one.

    Args:
        x: Activations ``(N, H)`` (any shape works).
        rate: Fraction of units dropped, in [0, 1).
        mode: 'train' (drop units) or 'test' (keep every unit).
        rng: Generator for the mask when ``mask`` is None.
        mask: Optional fixed 0/1 mask of ``x``'s shape (for gradient checks).
        inverted: Scale by ``1 / (1 - rate)`` in training (True) or by ``1 - rate`` at test.

    Returns:
        ``(out, mask)``: ``out`` like ``x``; ``mask`` is None in test mode.
    """
    x = _validate.array("x", x)
    rate = _rate(rate)
    mode = _mode(mode)
    if mode == "test":
        return (x.copy() if inverted else x * (1.0 - rate)), None
    if mask is None:
        mask = draw_mask(x.shape, rate, rng)
    else:
        mask = np.asarray(mask)
        if mask.shape != x.shape:
            raise ValueError(f"mask has shape {mask.shape} but x has shape {x.shape}")
        if not np.all((mask == 0) | (mask == 1)):
            raise ValueError("mask must hold only 0s and 1s")
    out = x * mask / (1.0 - rate) if inverted else x * mask
    return out, mask


def dropout_backward(dout, mask, rate: float, *, inverted=True) -> np.ndarray:
    """Gradient through training-mode dropout: the same mask, the same scale.

    Args:
        dout: Gradient of the loss with respect to the output ``(N, H)``.
        mask: The 0/1 mask the forward pass used, shape of ``dout``.
        rate: Fraction dropped, in [0, 1).
        inverted: As in :func:`dropout_forward`.

    Returns:
        Gradient with respect to the input, shape of ``dout``.
    """
    dout = _validate.array("dout", dout)
    rate = _rate(rate)
    mask = np.asarray(mask)
    if mask.shape != dout.shape:
        raise ValueError(f"mask has shape {mask.shape} but dout has shape {dout.shape}")
    return dout * mask / (1.0 - rate) if inverted else dout * mask


# --------------------------------------------------------------------- the experiment
def make_data(n_train=None, n_val=None, noise=None, seed=None):
    """The notebook's two-moons set: few noisy training points, many validation points.

    Defaults come from :data:`DATA_SETTINGS`.

    Returns:
        ``(x_train (n_train, 2), y_train (n_train,), x_val (n_val, 2), y_val (n_val,))``.
    """
    s = dict(DATA_SETTINGS)
    for key, value in (("n_train", n_train), ("n_val", n_val), ("noise", noise), ("seed", seed)):
        if value is not None:
            s[key] = value
    x_train, y_train = datasets.make_classification_2d(s["n_train"], s["noise"], s["seed"])
    x_val, y_val = datasets.make_classification_2d(s["n_val"], s["noise"], s["seed"] + 100)
    return x_train, y_train, x_val, y_val


def train_mlp(
    x_train,
    y_train,
    rate=0.0,
    *,
    validation_data=None,
    hidden=None,
    epochs=None,
    learning_rate=None,
    seed=None,
    l2=None,
):
    """Train ``mlp([2, *hidden, 2], dropout=rate)`` with full-batch Adam.

    Defaults come from :data:`MODEL_SETTINGS`. The same ``seed`` gives the same starting
    weights whatever the rate, so runs differ only by their dropout.

    Args:
        x_train: Inputs ``(N, D)``; y_train: labels ``(N,)``.
        rate: One dropout rate for every hidden layer, or a list (one per hidden layer).
        validation_data: Optional ``(x_val, y_val)`` recorded after every epoch.
        l2: Optional L2 strength: ``regularizers.L2(l2)`` on every Dense kernel.

    Returns:
        ``(model, history)``.
    """
    s = dict(MODEL_SETTINGS)
    for key, value in (
        ("hidden", hidden),
        ("epochs", epochs),
        ("learning_rate", learning_rate),
        ("seed", seed),
    ):
        if value is not None:
            s[key] = value
    x_train = _validate.array("x_train", x_train, ndim=2)
    n_classes = int(np.max(y_train)) + 1
    rates = list(rate) if isinstance(rate, (list, tuple)) else rate
    model = L.mlp(
        [x_train.shape[1], *s["hidden"], max(n_classes, 2)],
        dropout=rates if rates else None,
        kernel_regularizer=None if l2 is None else regularizers.L2(l2),
        seed=s["seed"],
    )
    history = training.fit(
        model,
        x_train,
        y_train,
        loss="cross_entropy",
        optimizer=optim.Adam(s["learning_rate"]),
        epochs=s["epochs"],
        validation_data=validation_data,
        seed=s["seed"],
    )
    return model, history


def gap(history, metric: str = "loss") -> float:
    """Validation minus training value at the last epoch (a loss gap is >= 0 when over-fit).

    For accuracy the sign is flipped, so a larger gap always means more over-fitting.
    """
    record = getattr(history, "history", history)
    for key in (metric, f"val_{metric}"):
        if key not in record:
            raise ValueError(f"history has no {key!r}; it has {sorted(record)}")
    diff = record[f"val_{metric}"][-1] - record[metric][-1]
    return float(-diff if metric == "accuracy" else diff)


@functools.lru_cache(maxsize=32)
def _cached_run(rate: float):
    x_train, y_train, x_val, y_val = make_data()
    model, history = train_mlp(x_train, y_train, rate, validation_data=(x_val, y_val))
    return model, history


def trained_model(rate: float):
    """The notebook's model trained with one dropout ``rate`` (cached: same rate, same run).

    Returns:
        ``(model, history)``; do not change the model in place.
    """
    return _cached_run(_rate(rate))


def rate_sweep(rates=SWEEP_RATES) -> dict[float, dict[str, float]]:
    """Final training and validation loss and accuracy for each dropout rate.

    Returns:
        ``{rate: {'loss', 'val_loss', 'accuracy', 'val_accuracy'}}``.
    """
    out = {}
    for rate in rates:
        _, history = trained_model(rate)
        out[float(rate)] = {k: float(v[-1]) for k, v in history.history.items()}
    return out


def boundary_length(predict, x, *, resolution: int = 120, padding: float = 0.5) -> float:
    """Length of a 2-D classifier's decision boundary, in data units: a wigglier boundary
    is a longer one.

    The predicted labels are computed on a ``resolution x resolution`` grid over the
    points ``x`` (plus ``padding``, as in :func:`~course_utils.plotting.plot_decision_boundary`);
    every pair of neighbouring grid cells with different labels adds the length of the
    cell side between them. That staircase length overestimates a slanted boundary by up
    to a factor sqrt(2), the same way for every model, so lengths compare fairly.

    Args:
        predict: Maps points ``(M, 2)`` to class scores ``(M, C)`` or labels ``(M,)``.
        x: Points ``(N, 2)`` that set the grid's extent.
        resolution: Grid points per axis, >= 10.
        padding: Margin around the points, >= 0.
    """
    if not callable(predict):
        raise TypeError("predict must be callable: points (M, 2) -> scores (M, C) or labels")
    x = _validate.array("x", x, ndim=2)
    if x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2), got {x.shape}")
    resolution = _validate.integer("resolution", resolution, low=10)
    padding = _validate.number("padding", padding, low=0)
    lo, hi = x.min(axis=0) - padding, x.max(axis=0) + padding
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    out = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()]))
    labels = (out.argmax(axis=1) if out.ndim == 2 else out).reshape(gx.shape)
    dx, dy = (hi - lo) / (resolution - 1)
    across_x = np.count_nonzero(labels[:, 1:] != labels[:, :-1])  # a vertical piece each
    across_y = np.count_nonzero(labels[1:, :] != labels[:-1, :])  # a horizontal piece each
    return float(across_x * dy + across_y * dx)


# ------------------------------------------------------------------------- figures
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
    rate = _rate(rate)
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
    rate = _rate(rate)
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

    rate = _rate(rate)
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
    fig, ax = plotting._new_axes(ax)
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
    fig, ax = plotting._new_axes(ax)
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
