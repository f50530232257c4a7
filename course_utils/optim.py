"""Optimizers in NumPy, with Keras's update rules and defaults.

``optimizer.step(params, grads)`` updates the arrays in ``params`` in place.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate


class Optimizer:
    def __init__(self, learning_rate: float):
        self.learning_rate = _validate.number("learning_rate", learning_rate, low=0, low_open=True)
        self.iterations = 0

    def reset(self) -> None:
        """Forget all state (moments, step count), as for a fresh optimizer."""
        self.iterations = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (Keras's form).

    ``v = momentum * v - lr * g``; ``w += v``. With ``momentum=0`` that is ``w -= lr * g``.
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0):
        super().__init__(learning_rate)
        self.momentum = _validate.number("momentum", momentum, low=0, high=1, high_open=True)
        self._v = None

    def reset(self):
        super().reset()
        self._v = None

    def step(self, params, grads):
        lr = self.learning_rate
        if self.momentum == 0.0:
            for p, g in zip(params, grads, strict=True):
                p -= lr * g
        else:
            if self._v is None:
                self._v = [np.zeros_like(p) for p in params]
            for p, g, v in zip(params, grads, self._v, strict=True):
                v *= self.momentum
                v -= lr * g
                p += v
        self.iterations += 1


class Adam(Optimizer):
    """Adam with Keras 3's exact update and defaults.

    ``m = b1*m + (1-b1)*g``; ``v = b2*v + (1-b2)*g**2``;
    ``w -= lr * sqrt(1-b2**t)/(1-b1**t) * m / (sqrt(v) + epsilon)``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _validate.number("beta_1", beta_1, low=0, high=1, high_open=True)
        self.beta_2 = _validate.number("beta_2", beta_2, low=0, high=1, high_open=True)
        self.epsilon = _validate.number("epsilon", epsilon, low=0)
        self._m = self._v = None

    def reset(self):
        super().reset()
        self._m = self._v = None

    def step(self, params, grads):
        if self._m is None:
            self._m = [np.zeros_like(p) for p in params]
            self._v = [np.zeros_like(p) for p in params]
        self.iterations += 1
        t = self.iterations
        b1, b2 = self.beta_1, self.beta_2
        alpha = self.learning_rate * np.sqrt(1 - b2**t) / (1 - b1**t)
        for p, g, m, v in zip(params, grads, self._m, self._v, strict=True):
            m += (1 - b1) * (g - m)
            v += (1 - b2) * (g * g - v)
            p -= alpha * m / (np.sqrt(v) + self.epsilon)
