"""Weight penalties in NumPy, with the same meaning as ``keras.regularizers``.

Each regularizer is a callable: ``reg(W)`` is the penalty added to the loss and
``reg.gradient(W)`` its gradient with respect to ``W``. As in Keras:

* ``L2(l2)`` adds ``l2 * sum(W**2)`` (no 1/2). The textbook ``lambda/2 * sum(W**2)``
  is ``L2(lambda / 2)``.
* ``L1(l1)`` adds ``l1 * sum(|W|)``; its gradient is the subgradient ``l1 * sign(W)``
  (0 at exactly 0).
* ``L1L2(l1, l2)`` adds both.

Only kernels (weights) take a regularizer in this course, never biases.

Plain (sub)gradient steps on an L1 penalty make a weight hop back and forth across 0
without ever landing on it. :func:`soft_threshold`, the proximal step of the L1
penalty, lands on exactly 0; ``reg.proximal(W, step)`` gives the proximal step of each
regularizer (used by proximal gradient descent, ISTA).
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate


def soft_threshold(w, threshold: float) -> np.ndarray:
    """Shrink every entry of ``w`` towards 0 by ``threshold``, stopping at exactly 0.

    ``sign(w) * max(|w| - threshold, 0)``, element-wise: the proximal step of
    ``threshold * sum(|w|)``. Entries with ``|w| <= threshold`` become exactly 0 (a
    plain 0.0, never -0.0).

    Args:
        w: Weights, any shape.
        threshold: How far to shrink, >= 0.

    Returns:
        An array shaped like ``w``.
    """
    threshold = _validate.number("threshold", threshold, low=0)
    w = _validate.array("w", w)
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0) + 0.0  # + 0.0: -0.0 -> 0.0


class Regularizer:
    """Base class: a penalty on a weight matrix and its gradient."""

    def __call__(self, w: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def proximal(self, w: np.ndarray, step: float) -> np.ndarray:
        """The proximal step ``argmin_v step * penalty(v) + 0.5 * ||v - w||^2``."""
        raise NotImplementedError

    def to_keras(self):
        """The ``keras.regularizers`` object with the same penalty."""
        raise NotImplementedError


class L2(Regularizer):
    """``l2 * sum(W**2)``: keeps every weight, all small (ridge, Tikhonov)."""

    def __init__(self, l2: float = 0.01):
        self.l2 = _validate.number("l2", l2, low=0)

    def __call__(self, w):
        return self.l2 * float(np.sum(np.square(w)))

    def gradient(self, w):
        return 2.0 * self.l2 * w

    def proximal(self, w, step):
        step = _validate.number("step", step, low=0)
        return np.asarray(w, dtype=np.float64) / (1.0 + 2.0 * step * self.l2)

    def to_keras(self):
        import keras

        return keras.regularizers.L2(self.l2)

    def __repr__(self):
        return f"L2(l2={self.l2:g})"


class L1(Regularizer):
    """``l1 * sum(|W|)``: drives many weights to zero (LASSO)."""

    def __init__(self, l1: float = 0.01):
        self.l1 = _validate.number("l1", l1, low=0)

    def __call__(self, w):
        return self.l1 * float(np.sum(np.abs(w)))

    def gradient(self, w):
        return self.l1 * np.sign(w)

    def proximal(self, w, step):
        step = _validate.number("step", step, low=0)
        return soft_threshold(w, step * self.l1)

    def to_keras(self):
        import keras

        return keras.regularizers.L1(self.l1)

    def __repr__(self):
        return f"L1(l1={self.l1:g})"


class L1L2(Regularizer):
    """``l1 * sum(|W|) + l2 * sum(W**2)`` (the elastic net)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _validate.number("l1", l1, low=0)
        self.l2 = _validate.number("l2", l2, low=0)

    def __call__(self, w):
        return self.l1 * float(np.sum(np.abs(w))) + self.l2 * float(np.sum(np.square(w)))

    def gradient(self, w):
        return self.l1 * np.sign(w) + 2.0 * self.l2 * w

    def proximal(self, w, step):
        step = _validate.number("step", step, low=0)
        return soft_threshold(w, step * self.l1) / (1.0 + 2.0 * step * self.l2)

    def to_keras(self):
        import keras

        return keras.regularizers.L1L2(l1=self.l1, l2=self.l2)

    def __repr__(self):
        return f"L1L2(l1={self.l1:g}, l2={self.l2:g})"


_NAMES = {"l1": L1, "l2": L2, "l1l2": L1L2}


def get(identifier) -> Regularizer | None:
    """A regularizer from ``None``, an instance, or a name: 'l1', 'l2', 'l1l2'."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _NAMES:
            raise ValueError(f"unknown regularizer {identifier!r}; allowed: {sorted(_NAMES)}")
        return _NAMES[key]()
    raise TypeError(
        f"a regularizer must be None, a name in {sorted(_NAMES)} or a Regularizer, "
        f"got {type(identifier).__name__}"
    )
