"""The course's NumPy fit loop, its history and its callback hook.

``fit`` mirrors ``keras.Model.fit`` where it can: mini-batches, shuffling, a
``validation_data`` pair, a ``History`` whose ``.history`` dict has ``loss``,
``val_loss`` (and ``accuracy``, ``val_accuracy`` for classification), and callbacks
that can set ``model.stop_training``.

One difference, on purpose: at the end of each epoch the training loss is measured on
the whole training set in inference mode, with the epoch's final weights. Keras
reports the mean of the batch losses seen during the epoch instead (in training mode,
so with dropout on). Ours makes train and validation curves directly comparable.
As in Keras, both losses include the regularization penalty.

It is the course's one training loop. Data that change every epoch (fresh augmented
copies) come from a function ``epoch -> (x, y)``, as a Keras generator would give them;
``score_train`` and ``validation_freq`` skip the measurements a quick experiment does
not read, and callbacks see every epoch either way.
"""

from __future__ import annotations

import warnings

import numpy as np

from course_utils import _validate
from course_utils import losses as _losses
from course_utils import optim as _optim
from course_utils.layers import Sequential

#: A training loss this many times its value before training (or above this many times
#: 1, for a start near zero) has diverged: :func:`fit` stops there.
DIVERGENCE_FACTOR = 1e6


class Callback:
    """Hook into :func:`fit`. Override any method; ``self.model`` is set before training."""

    model: Sequential | None = None

    def set_model(self, model: Sequential) -> None:
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass


class History(Callback):
    """Per-epoch records, like Keras's: ``history.history['val_loss'][epoch]``."""

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        #: The epoch (from 0) at which the loss became NaN, inf or huge, or None.
        self.diverged_epoch: int | None = None

    def on_train_begin(self, logs=None):
        self.history = {}
        self.epoch = []
        self.diverged_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self):
        keys = ", ".join(self.history)
        return f"History({len(self.epoch)} epochs: {keys})"


def _data_pair(x_name: str, x, y_name: str, y) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as floats ``(N, D)`` and ``y`` with N rows, both finite.

    Raises:
        ValueError: a wrong shape, or NaN or inf in a row (the first one is named).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if x.ndim != 2:
        raise ValueError(f"{x_name} must have shape (N, D), got {x.shape}")
    if len(y) != len(x):
        raise ValueError(
            f"{x_name} and {y_name} must have the same number of rows, got {len(x)} and {len(y)}"
        )
    for name, values in ((x_name, x), (y_name, y)):
        if not np.issubdtype(values.dtype, np.number):
            raise TypeError(f"{name} must hold numbers, got dtype {values.dtype}")
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(values.sum()):  # the quick test: then every value is finite
                continue
        finite = np.isfinite(values).reshape(len(values), -1).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(
                f"{name} holds NaN or inf in row {bad[0]} ({len(bad)} of {len(values)} rows "
                f"are affected); fit needs finite numbers: fix or drop those rows first"
            )
    return x, y


def evaluate(model: Sequential, x, y, loss) -> dict[str, float]:
    """Loss (with the penalty) and, for classification, accuracy, in inference mode."""
    loss = _losses.get(loss)
    out = model.forward(x, training=False)
    value, _ = loss(out, y)
    result = {"loss": value + model.penalty()}
    if loss.is_classification:
        result["accuracy"] = _losses.accuracy(out, y)
    return result


def _step(model: Sequential, x, y, loss, optimizer) -> float:
    """One gradient step on one batch; returns the batch data loss (no penalty)."""
    out = model.forward(x, training=True)
    value, dout = loss(out, y)
    model.backward(dout)
    pairs = model.parameters()
    optimizer.step([layer.params[n] for layer, n in pairs], [layer.grads[n] for layer, n in pairs])
    return value


def train_step(model: Sequential, x, y, loss, optimizer) -> float:
    """One gradient step on one batch; returns the batch loss (with the penalty)."""
    return _step(model, x, y, loss, optimizer) + model.penalty()


def _seeded(model: Sequential, seed) -> np.random.Generator:
    """A generator from ``seed``; layers that draw in training mode (dropout) get theirs
    from it first, then it shuffles."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if hasattr(layer, "rng"):
            layer.rng = np.random.default_rng(rng.integers(2**32))
    return rng


def _validated_epochs(validation_freq, epochs: int):
    """The set of epochs (from 1) to validate, from an int or a collection of epochs."""
    if isinstance(validation_freq, (int, np.integer)) and not isinstance(validation_freq, bool):
        every = _validate.integer("validation_freq", validation_freq, low=1)
        return {e for e in range(1, epochs + 1) if e % every == 0}
    try:
        chosen = {_validate.integer("validation_freq", e, low=1) for e in validation_freq}
    except TypeError:
        raise TypeError(
            "validation_freq must be an int (validate every n-th epoch) or a collection of "
            f"epochs counted from 1 (e.g. range(141, 151)), got {validation_freq!r}"
        ) from None
    return chosen


def fit(
    model: Sequential,
    x,
    y=None,
    *,
    loss,
    optimizer,
    epochs: int = 10,
    batch_size: int | None = None,
    validation_data=None,
    validation_freq=1,
    score_train=True,
    callbacks=(),
    shuffle: bool = True,
    seed=0,
    verbose: int = 0,
) -> History:
    """Train ``model`` on ``(x, y)`` with mini-batch gradient steps.

    Args:
        model: A :class:`~course_utils.layers.Sequential`.
        x: Inputs ``(N, D)``; or, for data that change every epoch (fresh augmented
            copies, in the spirit of a Keras generator), a function ``epoch -> (x, y)``
            called once per epoch, from 0, in order (``y`` is then left out).
        y: Targets: int labels ``(N,)`` for cross-entropy, values ``(N,)`` or ``(N, K)``
            for mean squared error.
        loss: A :class:`~course_utils.losses.Loss` or 'cross_entropy' / 'mse'.
        optimizer: An optimizer object from :mod:`course_utils.optim`.
        epochs: Passes over the training data, >= 1.
        batch_size: Rows per step; None means the whole set (one step per epoch).
        validation_data: Optional ``(x_val, y_val)``, evaluated after every epoch.
        validation_freq: Validate every n-th epoch (an int, as in Keras), or in the
            epochs of a collection, counted from 1 (``range(141, 151)``: the last 10
            of 150). Epochs without validation have no ``val_`` entries in their logs.
        score_train: What the ``loss`` (and ``accuracy``) of each epoch's logs measure:
            True scores the epoch's training data; a pair ``(x, y)`` scores that fixed
            set instead (the originals, when the epochs train on augmented copies);
            False scores nothing (faster, when only validation or callbacks matter):
            the logs have only ``val_`` entries, and a divergence is then read from the
            epoch's batch losses.
        callbacks: Objects with the :class:`Callback` methods, called in order.
        shuffle: Reshuffle the rows every epoch (from ``seed``).
        seed: Seed of the shuffling (and of anything random in training mode): an int
            seeds one generator for the whole run; a function ``epoch -> int`` seeds a
            fresh one at every epoch, as if each epoch were a one-epoch ``fit``.
        verbose: 0 prints nothing; 1 prints about ten progress lines.

    Returns:
        The :class:`History` of the run. When the training loss becomes NaN, inf or
        huge (:data:`DIVERGENCE_FACTOR` times its start), training stops at that
        epoch with a ``RuntimeWarning`` that suggests a smaller learning rate; the
        History keeps every epoch up to it and ``history.diverged_epoch`` says which.

    Raises:
        TypeError: ``model`` or ``optimizer`` is not one of the course's.
        ValueError: ``x``, ``y`` or the validation data have a wrong shape or hold NaN
            or inf (the message names the array and its first bad row).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    if not isinstance(optimizer, _optim.Optimizer):
        raise TypeError(
            "optimizer must be an optimizer object from course_utils.optim (SGD, Adam or "
            f"AdamW, e.g. optim.Adam(learning_rate=0.01)), got {optimizer!r}"
        )
    loss = _losses.get(loss)
    epochs = _validate.integer("epochs", epochs, low=1)
    data = _epoch_data(x, y)
    if batch_size is not None:
        batch_size = _validate.integer("batch_size", batch_size, low=1)
    verbose = _validate.integer("verbose", verbose, low=0, high=1)
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, y_val)")
        validation_data = _data_pair("x_val", validation_data[0], "y_val", validation_data[1])
    validated = _validated_epochs(validation_freq, epochs)
    scored = _scored_set(score_train)
    rng = None if callable(seed) else _seeded(model, seed)

    history = History()
    callbacks = [history, *callbacks]
    model.stop_training = False
    for cb in callbacks:
        cb.set_model(model)
        cb.on_train_begin({})
    every = max(1, epochs // 10)
    x_epoch, y_epoch = data(0)
    with np.errstate(over="ignore", invalid="ignore"):  # a divergence is reported below
        limit = None  # without a scored set, the first batch's loss sets it
        if scored is not False:
            before = (x_epoch, y_epoch) if scored is True else scored
            limit = DIVERGENCE_FACTOR * max(1.0, evaluate(model, *before, loss)["loss"])
        for epoch in range(epochs):
            if epoch:
                x_epoch, y_epoch = data(epoch)
            if callable(seed):
                rng = _seeded(model, seed(epoch))
            order = rng.permutation(len(x_epoch)) if shuffle else np.arange(len(x_epoch))
            batch_losses = _train_epoch(model, x_epoch, y_epoch, order, batch_size, loss, optimizer)
            logs = {}
            if scored is not False:
                logs = evaluate(model, *((x_epoch, y_epoch) if scored is True else scored), loss)
            if validation_data is not None and epoch + 1 in validated:
                val = evaluate(model, *validation_data, loss)
                logs.update({f"val_{k}": v for k, v in val.items()})
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            if scored is False:  # watch the batch losses
                watched = np.mean(batch_losses) + model.penalty()
                limit = limit or DIVERGENCE_FACTOR * max(1.0, batch_losses[0] + model.penalty())
            else:
                watched = logs["loss"]
            if verbose and ((epoch + 1) % every == 0 or epoch == 0 or model.stop_training):
                shown = "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
                print(f"epoch {epoch + 1:>4}/{epochs}  {shown}")
            if not np.isfinite(watched) or watched > limit:
                history.diverged_epoch = epoch
                _warn_diverged(epoch, epochs, watched, optimizer)
                model.stop_training = True
            if model.stop_training:
                break
    for cb in callbacks:
        cb.on_train_end({})
    return history


def _train_epoch(model, x, y, order, batch_size, loss, optimizer) -> list[float]:
    """The gradient steps of one epoch, on the rows of ``x`` in ``order``; batch losses."""
    step = len(x) if batch_size is None else batch_size
    return [
        _step(
            model, x[order[start : start + step]], y[order[start : start + step]], loss, optimizer
        )
        for start in range(0, len(x), step)
    ]


def _warn_diverged(epoch: int, epochs: int, loss: float, optimizer) -> None:
    warnings.warn(
        f"training diverged at epoch {epoch + 1} of {epochs}: the training loss is "
        f"{loss:.4g}, so fit stopped there (the History keeps the epochs so far). Try a "
        f"smaller learning rate than {optimizer.learning_rate:g}.",
        RuntimeWarning,
        stacklevel=3,
    )


def _scored_set(score_train):
    """True, False, or the checked pair ``(x, y)`` that :func:`fit`'s logs measure."""
    if isinstance(score_train, (bool, np.bool_)):
        return bool(score_train)
    if not isinstance(score_train, (tuple, list)) or len(score_train) != 2:
        raise ValueError(
            f"score_train must be True, False or a pair (x, y) to score, got {score_train!r}"
        )
    return _data_pair("x_score", score_train[0], "y_score", score_train[1])


def _epoch_data(x, y):
    """``data(epoch) -> (x, y)``, checked: the fixed pair, or the caller's function."""
    if not callable(x):
        pair = _data_pair("x", x, "y", y)
        return lambda epoch: pair
    if y is not None:
        raise TypeError(
            "y must be left out when x is a function epoch -> (x, y): the function gives both"
        )

    def data(epoch):
        out = x(epoch)
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError(
                f"the data function must return a pair (x, y), got {type(out).__name__} "
                f"at epoch {epoch}"
            )
        return _data_pair("x", out[0], "y", out[1])

    return data
