"""The network of notebook 02: one Dense layer on the curve's polynomial features,
trained with an L1 or L2 penalty (:func:`train_curve_model`), and the callback that
records its kernel norm and unpenalized MSE every epoch (:class:`KernelNormHistory`).

The data, penalties and linear fits are in :mod:`course_utils.l1_l2`.
"""

from __future__ import annotations

from course_utils import _validate, layers, optim, training
from course_utils import regularizers as _regularizers
from course_utils.l1_l2 import PENALTIES, CurveData, keras_l2_argument
from course_utils.layers import kernel_norm
from course_utils.losses import mse


class KernelNormHistory(training.Callback):
    """Records, after every epoch, the kernel norm and the MSE without the penalty.

    Args:
        x, y: Training inputs ``(N, D)`` and targets ``(N,)``.
        x_val, y_val: Optional validation inputs and targets.

    Attributes:
        norms: :func:`kernel_norm` before training (entry 0), then after every epoch
            (entry ``e`` after epoch ``e``), so ``epochs + 1`` values.
        history: ``{'mse': [...], 'val_mse': [...]}`` (the data loss only, no penalty),
            ready for :func:`course_utils.plotting.plot_learning_curves` with
            ``metric='mse'``.
    """

    def __init__(self, x, y, x_val=None, y_val=None):
        self.x, self.y = _validate.xy(x, y)
        self.x_val = self.y_val = None
        if x_val is not None or y_val is not None:
            self.x_val, self.y_val = _validate.xy(x_val, y_val)
        self.norms: list[float] = []
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs=None):
        self.norms = [kernel_norm(self.model)]
        self.history = {"mse": []}
        if self.x_val is not None:
            self.history["val_mse"] = []

    def on_epoch_end(self, epoch, logs=None):
        self.norms.append(kernel_norm(self.model))
        self.history["mse"].append(mse(self.model.predict(self.x)[:, 0], self.y))
        if self.x_val is not None:
            self.history["val_mse"].append(mse(self.model.predict(self.x_val)[:, 0], self.y_val))


def train_curve_model(
    data: CurveData,
    lam: float,
    *,
    penalty: str = "l2",
    epochs: int = 1500,
    learning_rate: float = 0.05,
    seed: int = 0,
):
    """Train the curve's network (one Dense layer on the polynomial features) with Adam.

    The penalty is the textbook one: L2 as ``regularizers.L2(lam / 2)``, L1 as
    ``regularizers.L1(lam)``, on the kernel only. Full-batch steps, one per epoch.

    Returns:
        ``(model, recorder)``: the trained model and its :class:`KernelNormHistory`.
    """
    if not isinstance(data, CurveData):
        raise TypeError(f"data must be a CurveData (see curve_data), got {type(data).__name__}")
    lam = _validate.number("lam", lam, low=0)
    _validate.choice("penalty", penalty, PENALTIES)
    if lam == 0:
        reg = None
    elif penalty == "l2":
        reg = _regularizers.L2(keras_l2_argument(lam))
    else:
        reg = _regularizers.L1(lam)
    model = layers.mlp([data.degree, 1], kernel_regularizer=reg, seed=seed)
    recorder = KernelNormHistory(data.X, data.y, data.X_val, data.y_val)
    training.fit(
        model,
        data.X,
        data.y,
        loss="mse",
        optimizer=optim.Adam(learning_rate),
        epochs=epochs,
        callbacks=[recorder],
        seed=seed,
    )
    return model, recorder
