"""Dropout (notebook 03): the mask, the experiment, co-adaptation, MC dropout, figures.

The reference versions of the functions written out in the notebook live here, with
the helpers of its experiments. ``rate`` is always the fraction of units dropped, as
in ``keras.layers.Dropout(rate)``; the fraction kept is ``1 - rate``.
"""

from __future__ import annotations

import functools

import numpy as np

from course_utils import _validate, datasets, optim, training
from course_utils import layers as L
from course_utils import losses as _losses

MODES = ("train", "test")

# The notebook's over-fitting set-up: few noisy points, a wide hidden layer, long training.
DATA_SETTINGS = {"n_train": 60, "n_val": 500, "noise": 0.35, "seed": 6}
MODEL_SETTINGS = {"hidden": (128,), "epochs": 150, "learning_rate": 0.02, "seed": 0}
SWEEP_RATES = (0.0, 0.2, 0.5, 0.8, 0.9, 0.95)


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
):
    """Train ``mlp([2, *hidden, 2], dropout=rate)`` with full-batch Adam.

    Defaults come from :data:`MODEL_SETTINGS`. The same ``seed`` gives the same starting
    weights whatever the rate, so runs differ only by their dropout.

    Args:
        x_train: Inputs ``(N, D)``; y_train: labels ``(N,)``.
        rate: One dropout rate for every hidden layer, or a list (one per hidden layer).
        validation_data: Optional ``(x_val, y_val)`` recorded after every epoch.

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


# ------------------------------------------------------------------- co-adaptation
def _hidden_layer_ends(model: L.Sequential) -> list[int]:
    """Index of the activation layer closing each hidden layer."""
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, (L.ReLU, L.Tanh))]


def _check_model(model) -> L.Sequential:
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    if not _hidden_layer_ends(model):
        raise ValueError("model has no hidden layer (no ReLU or Tanh layer)")
    return model


def hidden_activations(model, x, *, layer: int = 0) -> np.ndarray:
    """Inference-mode output of hidden layer ``layer`` (0 = first): shape ``(N, H)``."""
    model = _check_model(model)
    ends = _hidden_layer_ends(model)
    layer = _validate.integer("layer", layer, low=0, high=len(ends) - 1)
    out = _validate.array("x", x, ndim=2)
    for la in model.layers[: ends[layer] + 1]:
        out = la.forward(out, training=False)
    return out


def unit_ablation(model, x, y, *, layer: int = 0) -> np.ndarray:
    """How much the loss rises when one hidden unit is removed, for every unit.

    Unit ``j`` of hidden layer ``layer`` is set to zero (inference mode, nothing
    rescaled) and the mean cross-entropy on ``(x, y)`` is measured again.

    Args:
        model: A trained course ``Sequential`` classifier.
        x: Inputs ``(N, D)``; y: labels ``(N,)``.
        layer: Which hidden layer (0 = first).

    Returns:
        Rise in loss for each unit ``(H,)`` (positive: the unit was needed).
    """
    model = _check_model(model)
    ends = _hidden_layer_ends(model)
    h = hidden_activations(model, x, layer=layer)
    head = model.layers[ends[layer] + 1 :]
    loss = _losses.SoftmaxCrossEntropy()

    def loss_from(hidden):
        out = hidden
        for la in head:
            out = la.forward(out, training=False)
        return loss(out, y)[0]

    base = loss_from(h)
    rises = np.empty(h.shape[1])
    for j in range(h.shape[1]):
        cut = h.copy()
        cut[:, j] = 0.0
        rises[j] = loss_from(cut) - base
    return rises


def cancellation_ratio(model, x) -> float:
    """How much the last hidden layer's votes cancel each other out (>= 1).

    For a two-class model with output ``logits = h @ W + b``, unit ``j`` adds
    ``h_j * (W[j, 1] - W[j, 0])`` to the margin between the classes. The ratio is
    ``sum_j |contribution_j| / |margin|``, the median over the inputs. Near 1, the
    units pull the same way; large, big opposing votes cancel, so each unit only makes
    sense together with the specific others that cancel it (co-adaptation).

    Args:
        model: A course ``Sequential`` ending with ``Dense(H, 2)``.
        x: Inputs ``(N, D)``.
    """
    model = _check_model(model)
    last = model.layers[-1]
    if not isinstance(last, L.Dense) or last.units != 2:
        raise ValueError("cancellation_ratio needs a two-class model ending with Dense(H, 2)")
    ends = _hidden_layer_ends(model)
    h = hidden_activations(model, x, layer=len(ends) - 1)
    w = last.params["W"][:, 1] - last.params["W"][:, 0]
    b = last.params["b"][1] - last.params["b"][0]
    contributions = h * w
    margin = np.abs(contributions.sum(axis=1) + b)
    return float(np.median(np.abs(contributions).sum(axis=1) / np.maximum(margin, 1e-12)))


# ---------------------------------------------------------------------- MC dropout
def mc_dropout_predict(model, x, n_samples: int = 100, *, seed=0) -> np.ndarray:
    """Outputs of ``n_samples`` training-mode passes (Monte Carlo dropout).

    Each pass draws new masks, so each is a different thinned network. All passes run
    as one big batch: every row gets its own mask, so each copy of ``x`` is one pass.

    Args:
        model: A course ``Sequential`` with at least one ``Dropout`` layer.
        x: Inputs ``(N, D)``.
        n_samples: Number of passes, >= 2.
        seed: Seed of the masks (the model's own generators are left as they were).

    Returns:
        The model's outputs ``(n_samples, N, K)`` (logits for a classifier).
    """
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    drops = [la for la in model.layers if isinstance(la, L.Dropout)]
    if not drops:
        raise ValueError("model has no Dropout layer: every pass would be the same")
    n_samples = _validate.integer("n_samples", n_samples, low=2)
    x = _validate.array("x", x, ndim=2)
    saved = [(la.rng, la.fixed_mask) for la in drops]
    rng = _generator(seed)
    try:
        for la in drops:
            la.rng, la.fixed_mask = np.random.default_rng(rng.integers(2**32)), None
        out = model.forward(np.tile(x, (n_samples, 1)), training=True)
    finally:
        for la, (r, m) in zip(drops, saved, strict=True):
            la.rng, la.fixed_mask = r, m
    return out.reshape(n_samples, len(x), -1)


# ------------------------------------------------------------------------- figures
def _check_sizes(sizes) -> list[int]:
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must list the units per layer, at least two, got {sizes!r}")
    return [_validate.integer("each size", s, low=1, high=40) for s in sizes]


def network_masks(sizes, rate: float, step: int = 0, *, seed: int = 0) -> list[np.ndarray]:
    """The 0/1 masks of the hidden layers of a drawn network at one training step.

    Inputs and outputs are never dropped here (as with ``mlp(..., dropout=rate)``).
    The same ``(rate, step, seed)`` gives the same thinned network.

    Returns:
        One mask ``(sizes[k],)`` per hidden layer ``k = 1 .. len(sizes) - 2``.
    """
    sizes = _check_sizes(sizes)
    rate = _rate(rate)
    step = _validate.integer("step", step, low=0)
    seed = _validate.integer("seed", seed, low=0)
    rng = np.random.default_rng([seed, step])
    return [draw_mask(n, rate, rng) for n in sizes[1:-1]]


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
        face = "tab:green" if k == 0 else ("tab:purple" if k == len(sizes) - 1 else "tab:blue")
        xk = np.full(len(y), float(k))
        ax.scatter(xk[kept], y[kept], s=140, color=face, edgecolors="k", linewidths=0.6, zorder=3)
        ax.scatter(xk[~kept], y[~kept], s=140, color="white", edgecolors="0.6", zorder=3)
        ax.scatter(xk[~kept], y[~kept], s=70, marker="x", color="tab:red", zorder=4)
    ax.set_xlim(-0.4, len(sizes) - 0.6)
    ax.set_ylim(-tallest / 2 - 0.2, tallest / 2 + 0.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)


def thinned_network_figure(sizes=(3, 6, 6, 2), rate: float = 0.5, n_steps: int = 2, *, seed=0):
    """The full network, then the thinned networks of ``n_steps`` training steps."""
    import matplotlib.pyplot as plt

    sizes = _check_sizes(sizes)
    rate = _rate(rate)
    n_steps = _validate.integer("n_steps", n_steps, low=1, high=6)
    fig, axes = plt.subplots(1, n_steps + 1, figsize=(3.2 * (n_steps + 1), 3.2))
    plt.close(fig)
    draw_network(axes[0], sizes, title="at inference: every unit")
    for step in range(n_steps):
        masks = network_masks(sizes, rate, step, seed=seed)
        dropped = int(sum((1 - m).sum() for m in masks))
        draw_network(
            axes[step + 1],
            sizes,
            masks,
            title=f"training step {step + 1}: {dropped} hidden units dropped",
        )
    fig.suptitle(f"dropout with rate = {rate:g}: a different thinned network every step")
    return fig


def dropout_figure(rate: float = 0.5, step: int = 0):
    """The "Try it" figure: a thinned network, the decision boundary and the loss curves
    of the notebook's MLP trained with dropout ``rate`` (runs are cached per rate).

    Args:
        rate: Dropout rate of the hidden layer, in [0, 1).
        step: Which training step's mask to draw (the boundary does not depend on it).
    """
    import matplotlib.pyplot as plt

    from course_utils import plotting

    rate = _rate(rate)
    step = _validate.integer("step", step, low=0)
    model, history = trained_model(rate)
    x_train, y_train, _, _ = make_data()
    hist = history.history
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), gridspec_kw={"width_ratios": [0.8, 1, 1.2]})
    plt.close(fig)
    sizes = (2, 12, 2)
    masks = network_masks(sizes, rate, step)
    units = model.layers[0].units
    draw_network(
        axes[0],
        sizes,
        masks,
        title=(
            f"step {step}: {int(masks[0].sum())} of these 12 kept\n"
            f"(about {units * (1 - rate):.0f} of all {units} hidden units)"
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


def ablation_figure(rises, *, ax=None):
    """Rise in training loss when each hidden unit is removed, largest first, per model.

    Args:
        rises: ``{name: array (H,)}`` from :func:`unit_ablation`.
    """
    from course_utils import plotting

    if not isinstance(rises, dict) or not rises:
        raise TypeError("rises must be a non-empty dict {name: array of loss rises}")
    fig, ax = plotting._new_axes(ax)
    for i, (name, r) in enumerate(rises.items()):
        r = np.sort(_validate.array(name, r, ndim=1))[::-1]
        ax.plot(np.arange(1, len(r) + 1), r, color=plotting.colour(i), marker=".", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("hidden unit (ranked by how much it is needed)")
    ax.set_ylabel("rise in training loss when removed")
    ax.legend(fontsize=8)
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
    ax.legend(fontsize=8)
    return fig


def mc_dropout_figure(x_train, y_train, grid, samples, *, ax=None, title=None):
    """Monte Carlo dropout on a 1-D regression: passes, their mean and a +-2 std band.

    Args:
        x_train, y_train: Training points ``(N,)``.
        grid: Inputs where the model was evaluated ``(G,)``.
        samples: Predictions of every training-mode pass ``(S, G)``.
    """
    from course_utils import plotting

    grid = _validate.array("grid", grid, ndim=1)
    samples = _validate.array("samples", samples, ndim=2)
    if samples.shape[1] != len(grid):
        raise ValueError(f"samples must have shape (S, {len(grid)}), got {samples.shape}")
    fig, ax = plotting._new_axes(ax)
    mean, std = samples.mean(axis=0), samples.std(axis=0)
    x_train = np.asarray(x_train, dtype=np.float64)
    ax.axvspan(x_train.min(), x_train.max(), color="0.93", zorder=0, label="training range")
    for s in samples[:20]:
        ax.plot(grid, s, color=plotting.colour(0), lw=0.4, alpha=0.4)
    ax.fill_between(
        grid,
        mean - 2 * std,
        mean + 2 * std,
        color=plotting.colour(0),
        alpha=0.2,
        label="mean +- 2 std",
    )
    ax.plot(grid, mean, color=plotting.colour(0), lw=2, label="mean of the passes")
    ax.scatter(x_train, y_train, s=14, color="k", zorder=3, label="training points")
    ax.set_xlabel("x")
    ax.set_ylabel("prediction")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="lower left")
    return fig
