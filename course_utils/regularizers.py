"""Weight penalties in NumPy, with the same meaning as ``keras.regularizers``.

Each regularizer is a callable: ``reg(W)`` is the penalty added to the loss and
``reg.gradient(W)`` its gradient with respect to ``W``. As in Keras:

* ``L2(l2)`` adds ``l2 * sum(W**2)`` (no 1/2). The textbook ``lambda/2 * sum(W**2)``
  is ``L2(lambda / 2)``.
* ``L1(l1)`` adds ``l1 * sum(|W|)``; its gradient is the subgradient ``l1 * sign(W)``
  (0 at exactly 0).
* ``L1L2(l1, l2)`` adds both.

Only kernels (weights) take a regularizer in this course, never biases.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate


class Regularizer:
    """Base class: a penalty on a weight matrix and its gradient."""

    def __call__(self, w: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, w: np.ndarray) -> np.ndarray:
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
