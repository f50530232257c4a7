"""Four more regularizers (notebook 08), from scratch: label smoothing, Gaussian input
noise, max-norm, ensembles; and the calibration measure they are judged by.

* :class:`SmoothedCrossEntropy`: cross-entropy against smoothed targets, the loss of
  ``keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=a)`` given
  one-hot targets.
* :class:`GaussianNoise`: adds ``N(0, stddev**2)`` noise in training only, as
  ``keras.layers.GaussianNoise(stddev)``.
* :func:`max_norm` and :class:`MaxNormOptimizer`: after every step, each unit's incoming
  weights (a column of a Dense kernel) are projected back onto the ball of radius
  ``max_value``, as ``kernel_constraint=keras.constraints.MaxNorm(max_value)``.
* :func:`ensemble_probabilities`: the average of several models' softmax outputs.
* :func:`expected_calibration_error` and :func:`reliability`: how far the confidence
  (the largest probability) is from the accuracy.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate, optim
from course_utils import layers as L
from course_utils import losses as _losses

__all__ = [
    "GaussianNoise",
    "MaxNormOptimizer",
    "SmoothedCrossEntropy",
    "ensemble_probabilities",
    "expected_calibration_error",
    "max_norm",
    "reliability",
    "smoothed_targets",
]


# --------------------------------------------------------------------------- labels
def _labels(labels, n_rows: int, n_classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n_rows,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be {n_rows} integers (shape ({n_rows},)), got {labels.dtype} "
            f"{labels.shape}"
        )
    if n_rows and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must be in [0, {n_classes}), got values {labels.min()}..{labels.max()}"
        )
    return labels


def smoothed_targets(labels, n_classes: int, label_smoothing: float) -> np.ndarray:
    """Targets ``(1 - a) * one_hot + a / n_classes``, Keras's convention.

    Every class, the true one included, gets ``a / n_classes``; the true class also keeps
    ``1 - a``. Each row still sums to 1.

    Args:
        labels: Integer labels ``(N,)`` in [0, n_classes).
        n_classes: Number of classes, >= 2.
        label_smoothing: ``a``, in [0, 1].

    Returns:
        The targets ``(N, n_classes)``.
    """
    n_classes = _validate.integer("n_classes", n_classes, low=2)
    a = _validate.number("label_smoothing", label_smoothing, low=0, high=1)
    labels = _labels(labels, len(np.asarray(labels)), n_classes)
    targets = np.full((len(labels), n_classes), a / n_classes)
    targets[np.arange(len(labels)), labels] += 1.0 - a
    return targets


class SmoothedCrossEntropy(_losses.SoftmaxCrossEntropy):
    """Mean cross-entropy of the softmax of ``logits`` against smoothed targets.

    ``loss = -mean_i sum_k t_ik log p_ik`` with ``t`` from :func:`smoothed_targets`; its
    gradient with respect to the logits is ``(p - t) / N``. With ``label_smoothing=0``
    it is :class:`~course_utils.losses.SoftmaxCrossEntropy`.

    Shapes: ``logits: (N, C)``, ``labels: (N,)`` ints in [0, C) (integer labels, like the
    course's other losses; Keras needs them one-hot, see :meth:`to_keras`).
    """

    def __init__(self, label_smoothing: float = 0.1):
        self.label_smoothing = _validate.number("label_smoothing", label_smoothing, low=0, high=1)

    def __call__(self, logits, labels):
        logits = np.asarray(logits, dtype=np.float64)
        if logits.ndim != 2:
            raise ValueError(f"logits must have shape (N, C), got {logits.shape}")
        n, c = logits.shape
        labels = _labels(labels, n, c)
        targets = smoothed_targets(labels, c, self.label_smoothing)
        z = logits - logits.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -(targets * log_probs).sum() / n
        return float(loss), (np.exp(log_probs) - targets) / n

    def to_keras(self):
        """Keras's twin. It takes **one-hot** targets (``keras.utils.to_categorical``):
        ``SparseCategoricalCrossentropy`` has no ``label_smoothing``."""
        import keras

        return keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=self.label_smoothing
        )

    def __repr__(self):
        return f"SmoothedCrossEntropy(label_smoothing={self.label_smoothing:g})"


# --------------------------------------------------------------------------- noise
class GaussianNoise(L.Layer):
    """In training, ``out = x + stddev * N(0, 1)``, fresh noise every call; at inference,
    ``out = x``. Shapes: any, ``out`` like ``x``. As ``keras.layers.GaussianNoise``.

    Args:
        stddev: Standard deviation of the noise, >= 0.
        seed: Seed of :attr:`rng` (:func:`course_utils.training.fit` replaces it with a
            generator of its own seed at the start of every fit, as for dropout).

    Attributes:
        fixed_noise: None (draw new noise every training-mode call), or an array of the
            input's shape added instead: for gradient checks and parity with Keras.
        noise: The noise added by the last training-mode call (None after inference).
    """

    def __init__(self, stddev: float, seed=None):
        super().__init__()
        self.stddev = _validate.number("stddev", stddev, low=0)
        # None: fresh entropy, as layers.Dropout; anything else by the package's one seed rule
        self.rng = np.random.default_rng() if seed is None else _validate.generator(seed)
        self.fixed_noise: np.ndarray | None = None
        self.noise: np.ndarray | None = None

    def forward(self, x, training=False):
        if not isinstance(training, (bool, np.bool_)):
            raise TypeError(f"training must be True or False, got {training!r}")
        if not training:
            self.noise = None
            return x
        if self.fixed_noise is not None:
            noise = np.asarray(self.fixed_noise, dtype=np.float64)
            if noise.shape != np.shape(x):
                raise ValueError(
                    f"fixed_noise has shape {noise.shape} but the input has shape {np.shape(x)}"
                )
        else:
            noise = self.stddev * self.rng.standard_normal(np.shape(x))
        self.noise = noise
        return x + noise

    def backward(self, dout):
        return dout  # the noise does not depend on x: d(x + noise)/dx = 1

    def to_keras(self, seed=None):
        import keras

        return keras.layers.GaussianNoise(self.stddev, seed=seed)

    def __repr__(self):
        return f"GaussianNoise(stddev={self.stddev:g})"


# --------------------------------------------------------------------------- max-norm
def max_norm(w, max_value: float, axis: int = 0) -> np.ndarray:
    """Project ``w`` so that its norm along ``axis`` is at most ``max_value``.

    For a Dense kernel ``(inputs, units)``, ``axis=0`` takes the norm of each column: the
    incoming weights of one unit (Keras's ``MaxNorm`` default). A column already inside
    the ball is left as it is; a longer one is scaled down to length ``max_value``.

    Args:
        w: An array, at least 1-D.
        max_value: Radius of the ball, > 0.
        axis: Axis the norm runs over.

    Returns:
        The projected copy of ``w``.
    """
    w = _validate.array("w", w)
    if w.ndim == 0:
        raise ValueError("w must have at least 1 dimension, got a scalar")
    max_value = _validate.number("max_value", max_value, low=0, low_open=True)
    axis = _validate.integer("axis", axis, low=-w.ndim, high=w.ndim - 1)
    norms = np.sqrt((w**2).sum(axis=axis, keepdims=True))
    scale = np.minimum(1.0, max_value / np.maximum(norms, np.finfo(float).tiny))
    return w * scale


class MaxNormOptimizer(optim.Optimizer):
    """Any course optimizer, followed after every step by :func:`max_norm` on each
    kernel (every 2-D parameter: the Dense kernels; biases are left free).

    This is what ``kernel_constraint=keras.constraints.MaxNorm(max_value)`` does in Keras:
    the optimizer updates the variable, then the constraint projects it.

    Args:
        optimizer: A :mod:`course_utils.optim` optimizer (SGD, Adam, AdamW).
        max_value: Radius of the ball of each unit's incoming weights, > 0.
    """

    def __init__(self, optimizer: optim.Optimizer, max_value: float):
        if not isinstance(optimizer, optim.Optimizer) or isinstance(optimizer, MaxNormOptimizer):
            raise TypeError(
                "optimizer must be a course_utils.optim optimizer (SGD, Adam or AdamW), "
                f"got {optimizer!r}"
            )
        self.inner = optimizer
        self.max_value = _validate.number("max_value", max_value, low=0, low_open=True)
        self.learning_rate = optimizer.learning_rate
        self.weight_decay = optimizer.weight_decay
        self._excluded = []

    @property
    def iterations(self) -> int:
        return self.inner.iterations

    def reset(self) -> None:
        self.inner.reset()

    def exclude_from_weight_decay(self, var_list) -> None:
        self.inner.exclude_from_weight_decay(var_list)

    def step(self, params, grads):
        self.inner.step(params, grads)
        for p in params:
            if p.ndim == 2:
                p[...] = max_norm(p, self.max_value, axis=0)  # in place: the model's array

    def __repr__(self):
        return f"MaxNormOptimizer({type(self.inner).__name__}, max_value={self.max_value:g})"


# --------------------------------------------------------------------------- ensembles
def ensemble_probabilities(models, x) -> np.ndarray:
    """The average of the models' softmax probabilities on ``x`` (inference mode).

    Args:
        models: A non-empty list of course ``Sequential`` classifiers (logits out).
        x: Inputs ``(N, D)``.

    Returns:
        Probabilities ``(N, C)``; each row sums to 1.
    """
    models = list(models)
    if not models or not all(isinstance(m, L.Sequential) for m in models):
        raise TypeError("models must be a non-empty list of course_utils Sequential models")
    x = _validate.array("x", x, ndim=2)
    return np.mean([_losses.softmax(m.predict(x)) for m in models], axis=0)


# --------------------------------------------------------------------------- calibration
def _probs_labels(probs, labels):
    probs = _validate.array("probs", probs, ndim=2)
    if len(probs) == 0:
        raise ValueError("probs needs at least one row")
    if probs.min() < 0 or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("probs must be probabilities: each row >= 0 and summing to 1")
    return probs, _labels(labels, len(probs), probs.shape[1])


def reliability(probs, labels, n_bins: int = 10) -> dict[str, np.ndarray]:
    """Confidence against accuracy in ``n_bins`` equal-width bins of the confidence.

    The confidence of a row is its largest probability; it is right when that class is
    the label. Bin ``k`` holds the confidences in ``(k/n_bins, (k+1)/n_bins]``.

    Returns:
        ``{'count', 'confidence', 'accuracy'}``, each ``(n_bins,)``; the mean confidence
        and the accuracy of an empty bin are NaN.
    """
    probs, labels = _probs_labels(probs, labels)
    n_bins = _validate.integer("n_bins", n_bins, low=1)
    conf = probs.max(axis=1)
    right = probs.argmax(axis=1) == labels
    idx = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(idx, conf, n_bins) / count
        accuracy = np.bincount(idx, right, n_bins) / count
    return {"count": count, "confidence": confidence, "accuracy": accuracy}


def expected_calibration_error(probs, labels, n_bins: int = 10) -> float:
    """ECE: the gap ``|accuracy - mean confidence|`` of each bin, weighted by the share of
    the rows in that bin (see :func:`reliability`). 0 means: in every bin, the
    predictions were right as often as they were confident."""
    r = reliability(probs, labels, n_bins)
    full = r["count"] > 0
    weights = r["count"][full] / r["count"].sum()
    return float(np.sum(weights * np.abs(r["accuracy"][full] - r["confidence"][full])))
