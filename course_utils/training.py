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


def fit(
    model: Sequential,
    x,
    y,
    *,
    loss,
    optimizer,
    epochs: int = 10,
    batch_size: int | None = None,
    validation_data=None,
    callbacks=(),
    shuffle: bool = True,
    seed=0,
    verbose: int = 0,
) -> History:
    """Train ``model`` on ``(x, y)`` with mini-batch gradient steps.

    Args:
        model: A :class:`~course_utils.layers.Sequential`.
        x: Inputs ``(N, D)``.
        y: Targets: int labels ``(N,)`` for cross-entropy, values ``(N,)`` or ``(N, K)``
            for mean squared error.
        loss: A :class:`~course_utils.losses.Loss` or 'cross_entropy' / 'mse'.
        optimizer: An optimizer object from :mod:`course_utils.optim`.
        epochs: Passes over the training data, >= 1.
        batch_size: Rows per step; None means the whole set (one step per epoch).
        validation_data: Optional ``(x_val, y_val)``, evaluated after every epoch.
        callbacks: Objects with the :class:`Callback` methods, called in order.
        shuffle: Reshuffle the rows every epoch (from ``seed``).
        seed: Seed of the shuffling (and of anything random in training mode).
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
    x, y = _data_pair("x", x, "y", y)
    n = len(x)
    batch_size = n if batch_size is None else _validate.integer("batch_size", batch_size, low=1)
    verbose = _validate.integer("verbose", verbose, low=0, high=1)
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, y_val)")
        x_val, y_val = _data_pair("x_val", validation_data[0], "y_val", validation_data[1])
    rng = np.random.default_rng(seed)
    # Layers that draw random numbers in training mode (dropout) use the run's generator.
    for layer in model.layers:
        if hasattr(layer, "rng"):
            layer.rng = np.random.default_rng(rng.integers(2**32))

    history = History()
    callbacks = [history, *callbacks]
    model.stop_training = False
    for cb in callbacks:
        cb.set_model(model)
        cb.on_train_begin({})
    every = max(1, epochs // 10)
    with np.errstate(over="ignore", invalid="ignore"):  # a divergence is reported below
        limit = DIVERGENCE_FACTOR * max(1.0, evaluate(model, x, y, loss)["loss"])
        for epoch in range(epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                _step(model, x[idx], y[idx], loss, optimizer)  # (its loss is unused)
            logs = evaluate(model, x, y, loss)
            if validation_data is not None:
                val = evaluate(model, x_val, y_val, loss)
                logs.update({f"val_{k}": v for k, v in val.items()})
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            diverged = not np.isfinite(logs["loss"]) or logs["loss"] > limit
            if verbose and ((epoch + 1) % every == 0 or epoch == 0 or model.stop_training):
                shown = "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
                print(f"epoch {epoch + 1:>4}/{epochs}  {shown}")
            if diverged:
                history.diverged_epoch = epoch
                warnings.warn(
                    f"training diverged at epoch {epoch + 1} of {epochs}: the training loss "
                    f"is {logs['loss']:.4g}, so fit stopped there (the History keeps the "
                    f"epochs so far). Try a smaller learning rate than "
                    f"{optimizer.learning_rate:g}.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                model.stop_training = True
            if model.stop_training:
                break
    for cb in callbacks:
        cb.on_train_end({})
    return history
