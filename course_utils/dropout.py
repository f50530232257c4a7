"""Dropout (notebook 03): the mask and the experiment.

The reference versions of the functions written out in the notebook live here, with
the helpers of its experiments. ``rate`` is always the fraction of units dropped, as
in ``keras.layers.Dropout(rate)``; the fraction kept is ``1 - rate``. Co-adaptation
measures live in :mod:`course_utils.coadaptation` (re-exported here), the L2 control in
:mod:`course_utils.dropout_vs_l2`, Monte Carlo dropout in :mod:`course_utils.mc_dropout`,
the figures in :mod:`course_utils.dropout_figures`.
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
def check_rate(rate) -> float:
    """``rate`` as a float, the fraction of units dropped: a number in [0, 1)."""
    return _validate.number("rate", rate, low=0, high=1, high_open=True)


_rate = check_rate  # the name dropout_vs_l2 imports


def _mode(mode) -> str:
    if not isinstance(mode, str):
        raise TypeError(f"mode must be 'train' or 'test', got {type(mode).__name__}")
    return _validate.choice("mode", mode, MODES)


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
    rate = check_rate(rate)
    rng = np.random.default_rng() if rng is None else _validate.generator(rng, "rng")
    return rng.binomial(1, 1.0 - rate, size=shape)


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
    rate = check_rate(rate)
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
    rate = check_rate(rate)
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
    return _cached_run(check_rate(rate))


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
