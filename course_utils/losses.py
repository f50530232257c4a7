"""Losses in NumPy: each returns the mean loss and its gradient with respect to the
model's output, with the same meaning as the Keras loss named in its docstring."""

from __future__ import annotations

import functools

import numpy as np


class Loss:
    """Base class: ``loss(output, target) -> (value, d_output)``."""

    is_classification = False

    def __call__(self, output: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def to_keras(self):
        raise NotImplementedError


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``logits`` ``(N, C)``, computed stably."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxCrossEntropy(Loss):
    """Mean cross-entropy of integer labels against logits.

    Same as ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``.
    Shapes: ``logits: (N, C)``, ``labels: (N,)`` ints in [0, C).
    """

    is_classification = True

    def __call__(self, logits, labels):
        logits = np.asarray(logits, dtype=np.float64)
        labels = np.asarray(labels)
        if logits.ndim != 2:
            raise ValueError(f"logits must have shape (N, C), got {logits.shape}")
        if labels.shape != (logits.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"labels must be {logits.shape[0]} integers (shape ({logits.shape[0]},)), "
                f"got {labels.dtype} {labels.shape}"
            )
        n, c = logits.shape
        if labels.min(initial=0) < 0 or labels.max(initial=0) >= c:
            raise ValueError(
                f"labels must be in [0, {c}), got values {labels.min()}..{labels.max()}"
            )
        z = logits - logits.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        rows = np.arange(n)
        loss = -log_probs[rows, labels].mean()
        grad = np.exp(log_probs)
        grad[rows, labels] -= 1.0
        return float(loss), grad / n

    def to_keras(self):
        import keras

        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


class MeanSquaredError(Loss):
    """Mean of ``(output - target)**2`` over all elements.

    Same as ``keras.losses.MeanSquaredError()``. Shapes: ``output: (N, K)`` and
    ``target: (N, K)``; a target of shape ``(N,)`` is read as ``(N, 1)``.
    """

    def __call__(self, output, target):
        output = np.asarray(output, dtype=np.float64)
        target = np.asarray(target, dtype=np.float64)
        if target.ndim == 1:
            target = target[:, None]
        if output.shape != target.shape:
            raise ValueError(
                f"output {output.shape} and target {target.shape} must have the same shape"
            )
        diff = output - target
        return float(np.mean(diff**2)), 2.0 * diff / diff.size

    def to_keras(self):
        import keras

        return keras.losses.MeanSquaredError()


def mean_cross_entropy(logits, labels) -> np.ndarray:
    """Mean cross-entropy over the rows N of ``logits (..., N, C)``: shape ``(...)``.

    The value of :class:`SoftmaxCrossEntropy` (no gradient) for a whole stack of logits
    at once, e.g. one set per removed unit. Written column by column: NumPy reduces
    slowly over a last axis of 2 or 3 entries. ``labels``: ``(N,)`` ints in [0, C).
    """
    columns = [logits[..., k] for k in range(logits.shape[-1])]
    log_norm = functools.reduce(np.logaddexp, columns)  # log sum_k exp(logit_k)
    true_logit = logits[..., np.arange(logits.shape[-2]), labels]
    return (log_norm - true_logit).mean(axis=-1)


def mse(pred, target) -> float:
    """Mean squared error between two arrays of the same shape (a number, no gradient:
    for reporting a fit; :class:`MeanSquaredError` is the training loss)."""
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape:
        raise ValueError(f"pred {pred.shape} and target {target.shape} must have the same shape")
    return float(np.mean((pred - target) ** 2))


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows whose largest logit is at the true label."""
    hits = np.argmax(logits, axis=1) == labels
    if hits.size == 0:
        return float(np.mean(hits))  # NaN, with NumPy's warning, as before
    # the count over the size: the same float as np.mean(hits), a few calls fewer
    return float(np.count_nonzero(hits) / hits.size)


def get(identifier) -> Loss:
    """A loss from an instance or a name: 'cross_entropy' or 'mse'."""
    if isinstance(identifier, Loss):
        return identifier
    names = {"cross_entropy": SoftmaxCrossEntropy, "mse": MeanSquaredError}
    if isinstance(identifier, str) and identifier in names:
        return names[identifier]()
    raise ValueError(f"loss must be a Loss or one of {sorted(names)}, got {identifier!r}")
