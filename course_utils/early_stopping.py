"""Early stopping in NumPy, with the meaning of ``keras.callbacks.EarlyStopping`` (notebook 05).

The callback, a callback that records the weights of every epoch, one that logs the
validation loss without the penalty, and replays of recorded curves through any
early-stopping callback (ours or Keras's). Notebook 05's experiment (noisy digits, the
comparison of cures, the figure) is in :mod:`course_utils.early_stopping_study`.

:class:`EarlyStopping` follows Keras 3.15's rules line for line (see
``keras/src/callbacks/early_stopping.py`` and ``monitor_callback.py``):

* an epoch *improves* when the monitored value beats the best so far by more than
  ``min_delta`` (strictly: a tie is not an improvement). The sign of ``min_delta`` is
  ignored (Keras takes ``abs``). The first monitored epoch always improves;
* ``wait`` grows by one every monitored epoch and goes back to 0 on an improvement that
  also beats ``baseline`` (when one is given); training stops at the first epoch that
  does not improve while ``wait >= patience`` (and never at epoch 0);
* epochs before ``start_from_epoch`` are not monitored at all;
* with ``restore_best_weights``, the weights of the best epoch are put back in
  ``on_train_end``, whether training stopped early or ran all its epochs;
* ``stopped_epoch`` and ``best_epoch`` count from 0 (``stopped_epoch`` stays 0 when
  training was not stopped); ``on_train_begin`` resets all state, so an object can be
  reused across runs;
* a monitored name missing from the logs gives a ``UserWarning`` listing the keys the
  logs do have, and the epoch is skipped.

Keras compares values as TensorFlow tensors, and a Python float becomes a float32
tensor: two losses that differ only beyond float32 precision are a tie for Keras, and so
for us (a NumPy float64 scalar stays float64, as in TensorFlow).

Differences, on purpose, all in argument checking: an unknown ``mode`` is an error here
(Keras warns and falls back to 'auto'); a negative ``patience`` or ``start_from_epoch``
is an error (Keras accepts it); ``mode='auto'`` is resolved when the callback is built,
from the monitored name ('loss' falls, 'accuracy' rises; Keras also asks the compiled
model's metrics, at the first epoch), and any other name in auto mode is an error that
says what is allowed. On valid arguments the two callbacks do the same thing.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_utils import _validate
from course_utils.losses import get as get_loss
from course_utils.training import Callback

MODES = ("auto", "min", "max")
#: Names that ``mode='auto'`` understands, with or without the ``val_`` prefix.
AUTO_DIRECTIONS = {"loss": "min", "accuracy": "max", "acc": "max"}


def infer_direction(monitor: str, mode: str = "auto") -> str:
    """'min' or 'max': whether smaller or larger values of ``monitor`` are better.

    Args:
        monitor: A key of the logs, such as 'val_loss' or 'val_accuracy'.
        mode: 'min' or 'max' (returned as is) or 'auto' (read from the name).

    Raises:
        ValueError: ``mode`` is not one of :data:`MODES`, or ``mode='auto'`` and the name
            is not one whose direction is known.
    """
    if not isinstance(monitor, str) or not monitor:
        raise TypeError(f"monitor must be a non-empty string such as 'val_loss', got {monitor!r}")
    _validate.choice("mode", mode, MODES)
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    if name not in AUTO_DIRECTIONS:
        known = ", ".join(f"{k!r} ({v})" for k, v in AUTO_DIRECTIONS.items())
        raise ValueError(
            f"mode='auto' cannot tell whether monitor={monitor!r} should fall or rise; it "
            f"knows {known}, with or without 'val_'. Pass mode='min' or mode='max'."
        )
    return AUTO_DIRECTIONS[name]


def _as_tensor_scalar(x):
    """Round a scalar as ``tf.convert_to_tensor`` does: NumPy float64 stays float64, a
    Python number (or anything else) becomes float32."""
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype == np.float64:
        return np.float64(x)
    return np.float32(x)


def is_improvement(current, reference, min_delta: float, direction: str) -> bool:
    """Keras's test: does ``current`` beat ``reference`` by more than ``min_delta``?

    ``direction='min'``: ``current + |min_delta| < reference``; ``'max'``:
    ``current - |min_delta| > reference``. Ties are not improvements. Any value beats
    ``reference=None``.

    As ``keras.ops.less`` / ``greater`` with the TensorFlow backend, each side is first
    made a tensor (a Python float becomes float32, a NumPy float64 stays float64), then
    the two are compared. So Python floats closer than float32 can tell apart are a tie.
    """
    if reference is None:
        return True
    delta = abs(min_delta)
    if direction == "min":
        shifted = current - -delta  # Keras stores min_delta as -|min_delta| in min mode
        return bool(_as_tensor_scalar(shifted) < _as_tensor_scalar(reference))
    if direction == "max":
        shifted = current - delta
        return bool(_as_tensor_scalar(shifted) > _as_tensor_scalar(reference))
    raise ValueError(f"direction must be 'min' or 'max', got {direction!r}")


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving (Keras's meaning).

    Args:
        monitor: Key of the logs to watch, e.g. 'val_loss' or 'val_accuracy'.
        min_delta: Smallest change that counts as an improvement; its sign is ignored.
        patience: Number of epochs with no improvement after which training stops, >= 0
            (0: the first epoch without improvement stops it).
        verbose: 0 is silent; 1 prints Keras's two messages (stop, restore).
        mode: 'min', 'max', or 'auto' (from the name: loss falls, accuracy rises).
        baseline: None, or a value to beat: until an epoch beats it (by more than
            ``min_delta``), ``wait`` is never reset, so the first epoch without
            improvement once ``patience`` epochs have been monitored stops training.
        restore_best_weights: Put back the best epoch's weights when training ends.
        start_from_epoch: Epochs to ignore at the start (a warm-up), >= 0.

    Attributes:
        best: Best monitored value so far (None before the first monitored epoch).
        best_epoch: Index (from 0) of the epoch that gave ``best``.
        stopped_epoch: Index of the epoch after which training stopped; 0 if it did not.
        wait: Monitored epochs since the last improvement that counted.
        best_weights: Copy of the best epoch's weights (only with ``restore_best_weights``).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        self.direction = infer_direction(monitor, mode)
        self.monitor = monitor
        self.mode = mode
        _validate.number("min_delta", min_delta)
        self.min_delta = abs(min_delta)  # keep the caller's type, as Keras does
        self.patience = _validate.integer("patience", patience, low=0)
        self.verbose = _validate.integer("verbose", verbose, low=0, high=1)
        if baseline is not None:
            _validate.number("baseline", baseline)
        self.baseline = baseline
        if not isinstance(restore_best_weights, (bool, np.bool_)):
            raise TypeError(
                f"restore_best_weights must be True or False, got {restore_best_weights!r}"
            )
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _validate.integer("start_from_epoch", start_from_epoch, low=0)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        # Reset everything, so one object can serve several runs.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _improves(self, current, reference) -> bool:
        return is_improvement(current, reference, self.min_delta, self.direction)

    def get_monitor_value(self, logs):
        """The monitored value from ``logs``, or None (with a warning) when it is missing."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric {self.monitor!r}, which is not in the "
                f"logs. Available metrics are: {', '.join(logs) or '(none)'}",
                UserWarning,
                stacklevel=3,
            )
        return value

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return  # nothing to watch, or still warming up
        if self.restore_best_weights and self.best_weights is None:
            # The first monitored epoch: its weights are the best seen so far.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only on an improvement that also beats the baseline.
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def __repr__(self):
        return (
            f"EarlyStopping(monitor={self.monitor!r}, min_delta={self.min_delta:g}, "
            f"patience={self.patience}, mode={self.mode!r}, baseline={self.baseline!r}, "
            f"restore_best_weights={self.restore_best_weights}, "
            f"start_from_epoch={self.start_from_epoch})"
        )


class WeightSnapshots(Callback):
    """Keep a copy of the model's weights at the end of every epoch (``weights[epoch]``)."""

    def __init__(self):
        self.weights: list[list[np.ndarray]] = []

    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


class ValDataLoss(Callback):
    """Adds ``val_data_loss`` to each epoch's logs: the validation cross-entropy alone.

    ``val_loss`` includes the penalty, which measures the weights, not the predictions
    (notebook 05). :func:`course_utils.combined.train` puts this callback before early stopping
    when the technique has a penalty, and early stopping then watches ``val_data_loss``. The
    History does not record it (it reads the logs first).

    Args:
        x_val: Validation inputs ``(M, D)``. y_val: Their labels ``(M,)``.
    """

    key = "val_data_loss"

    def __init__(self, x_val, y_val):
        self.x_val, self.y_val = _validate.array("x_val", x_val), np.asarray(y_val)
        if len(self.x_val) != len(self.y_val):
            raise ValueError(
                f"x_val and y_val must have as many rows, got {len(self.x_val)} and "
                f"{len(self.y_val)}"
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            out = self.model.forward(self.x_val, training=False)
            logs[self.key] = get_loss("cross_entropy")(out, self.y_val)[0]


# --------------------------------------------------------------------------- replays


class EpochStub:
    """A stand-in model for replays: its only "weight" is the index of its epoch.

    Works with both this module's callback and Keras's (it has ``stop_training``,
    ``get_weights`` and ``set_weights``), so after ``on_train_end`` ``kept_epoch`` says
    whose weights the model would hold.
    """

    def __init__(self):
        self.stop_training = False
        self.epoch = -1
        self.kept_epoch = -1

    def get_weights(self) -> list[np.ndarray]:
        return [np.array([self.epoch], dtype=np.int64)]

    def set_weights(self, weights) -> None:
        self.kept_epoch = int(np.asarray(weights[0]).ravel()[0])


@dataclass(frozen=True)
class Replay:
    """What a callback did with a sequence of monitored values.

    Attributes:
        epochs_run: Epochs that ran before training stopped (all of them if it did not).
        stopped: Whether the callback stopped training.
        stopped_epoch: The callback's ``stopped_epoch`` (from 0; 0 when not stopped).
        best_epoch: The callback's ``best_epoch``.
        kept_epoch: The epoch whose weights the model holds at the end.
        best: The callback's ``best`` value (None if nothing was monitored).
        wait: The callback's ``wait`` at the end.
    """

    epochs_run: int
    stopped: bool
    stopped_epoch: int
    best_epoch: int
    kept_epoch: int
    best: float | None
    wait: int


def replay(callback, values: Sequence[float | None]) -> Replay:
    """Feed monitored values, one per epoch, through an early-stopping callback.

    Works with :class:`EarlyStopping` and with ``keras.callbacks.EarlyStopping``: both
    see the same calls a fit loop makes (``set_model``, ``on_train_begin``,
    ``on_epoch_end(epoch, {monitor: value})`` until ``stop_training``, ``on_train_end``).

    Args:
        callback: An early-stopping callback (ours or Keras's).
        values: One monitored value per epoch, e.g. a recorded ``val_loss`` curve; None
            means the epoch's logs lack the monitored key.

    Returns:
        A :class:`Replay`.
    """
    if not hasattr(callback, "on_epoch_end") or not hasattr(callback, "monitor"):
        raise TypeError(
            f"callback must be an early-stopping callback, got {type(callback).__name__}"
        )
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one monitored value")
    for v in values:
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
            raise TypeError(f"values must be numbers (or None), got {v!r}")
    model = EpochStub()
    callback.set_model(model)
    callback.on_train_begin({})
    epochs_run = 0
    for epoch, value in enumerate(values):
        model.epoch = epoch
        logs = {} if value is None else {callback.monitor: float(value)}
        callback.on_epoch_end(epoch, logs)
        epochs_run = epoch + 1
        if model.stop_training:
            break
    model.epoch = epochs_run - 1
    callback.on_train_end({})
    kept = model.kept_epoch if model.kept_epoch >= 0 else epochs_run - 1
    best = callback.best
    return Replay(
        epochs_run=epochs_run,
        stopped=bool(model.stop_training),
        stopped_epoch=int(callback.stopped_epoch),
        best_epoch=int(callback.best_epoch),
        kept_epoch=kept,
        best=None if best is None else float(best),
        wait=int(callback.wait),
    )


def compare_with_keras(values: Sequence[float | None], **kwargs) -> tuple[Replay, Replay]:
    """Replay ``values`` through this module's callback and Keras's, built alike.

    Args:
        values: One monitored value per epoch.
        **kwargs: Arguments of both constructors (monitor, min_delta, patience, mode,
            baseline, restore_best_weights, start_from_epoch).

    Returns:
        ``(ours, keras)``, two :class:`Replay` records.
    """
    import keras

    ours = replay(EarlyStopping(**kwargs), values)
    theirs = replay(keras.callbacks.EarlyStopping(**kwargs), values)
    return ours, theirs


def random_cases(n: int = 100, seed: int = 0) -> list[tuple[list[float], dict]]:
    """Seeded monitored-value sequences with callback settings, to compare two callbacks.

    The sequences are noisy U-shaped curves (both for losses, read with 'min', and for
    accuracies, read with 'max'), many rounded to a coarse grid so ties are common, some
    with values closer than float32 can tell apart. The settings mix ``min_delta``
    (of either sign, some equal to the grid step), ``patience`` 0-6, ``baseline``,
    ``start_from_epoch`` and ``restore_best_weights``.

    Args:
        n: Number of cases, >= 1.
        seed: Seed of the generator.

    Returns:
        A list of ``(values, kwargs)``: ``values`` a list of Python floats (2-40 of them)
        and ``kwargs`` the constructor arguments of an early-stopping callback.
    """
    n = _validate.integer("n", n, low=1)
    rng = np.random.default_rng(_validate.integer("seed", seed, low=0))
    cases = []
    for _ in range(n):
        length = int(rng.integers(2, 41))
        t = np.arange(length)
        bottom = rng.uniform(0, length)
        noise = float(rng.choice([0.0, 0.01, 0.03, 0.1]))
        curve = 0.3 + ((t - bottom) / length) ** 2 + rng.normal(0, noise, length)
        grid = int(rng.integers(5))
        if grid == 0:
            curve = np.round(curve, 2)  # ties, and min_delta landing exactly on a step
        elif grid == 1:
            curve = np.round(curve * 8) / 8
        elif grid == 2:
            curve = 0.5 + rng.integers(0, 3, length) * 1e-9  # equal in float32
        kind = rng.choice(["loss", "loss_min", "accuracy", "accuracy_auto"])
        if kind.startswith("accuracy"):
            curve = 1.0 - curve / 2  # rises, then falls
        monitor, mode = {
            "loss": ("val_loss", "auto"),
            "loss_min": (str(rng.choice(["val_loss", "loss", "val_mse"])), "min"),
            "accuracy": ("val_accuracy", "max"),
            "accuracy_auto": ("val_loss", "max"),  # a loss read the wrong way still runs
        }[kind]
        min_delta = float(rng.choice([0.0, 0.0, 0.0, 0.01, 0.02, -0.01, 0.05, 0.125, 1e-9]))
        baseline = None
        if rng.random() < 0.3:
            baseline = float(rng.choice(curve)) + float(rng.choice([0.0, 0.01, -0.01, 0.1]))
        kwargs = {
            "monitor": monitor,
            "mode": mode,
            "min_delta": min_delta,
            "patience": int(rng.integers(0, 7)),
            "baseline": baseline,
            "restore_best_weights": bool(rng.random() < 0.5),
            "start_from_epoch": int(rng.integers(1, 6)) if rng.random() < 0.3 else 0,
        }
        cases.append(([float(v) for v in curve], kwargs))
    return cases


def stop_epoch(values: Sequence[float], patience: int = 0, min_delta: float = 0.0, **kwargs):
    """The epoch (from 0) after which early stopping ends training, or None if it never does.

    A shortcut for ``replay(EarlyStopping(patience=..., min_delta=..., **kwargs), values)``.
    """
    result = replay(EarlyStopping(patience=patience, min_delta=min_delta, **kwargs), values)
    return result.stopped_epoch if result.stopped else None
