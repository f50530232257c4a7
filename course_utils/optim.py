"""Optimizers in NumPy, with Keras's update rules and defaults.

``optimizer.step(params, grads)`` updates the arrays in ``params`` in place.

Every optimizer takes ``weight_decay`` as Keras 3 does: a *decoupled* decay. Before
each update, every parameter (biases too, unless excluded with
:meth:`Optimizer.exclude_from_weight_decay`) is shrunk by ``w -= w * weight_decay *
learning_rate``; then the optimizer applies its usual update with the gradient, which
was computed at the weights before the decay. ``weight_decay=None`` (the default) or
``0`` leaves the update exactly as without it. :class:`AdamW` is :class:`Adam` with a
weight decay of 0.004 by default, as ``keras.optimizers.AdamW``.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate


class Optimizer:
    """Base class: learning rate, step count and Keras's decoupled weight decay.

    Args:
        learning_rate: Step size, > 0.
        weight_decay: None (no decay) or a number >= 0; each step multiplies every
            non-excluded parameter by ``1 - learning_rate * weight_decay`` first.
    """

    def __init__(self, learning_rate: float, weight_decay: float | None = None):
        self.learning_rate = _validate.number("learning_rate", learning_rate, low=0, low_open=True)
        self.weight_decay = (
            None if weight_decay is None else _validate.number("weight_decay", weight_decay, low=0)
        )
        self.iterations = 0
        self._excluded: list[np.ndarray] = []

    def reset(self) -> None:
        """Forget all state (moments, step count), as for a fresh optimizer.

        The arrays excluded from weight decay stay excluded.
        """
        self.iterations = 0

    def exclude_from_weight_decay(self, var_list) -> None:
        """Keep the given parameter arrays out of weight decay (Keras's method of that name).

        NumPy arrays have no names, so they are recognised by identity (``is``): pass
        the very arrays the model holds, e.g. every Dense layer's ``params['b']``.
        Keras allows this only before the optimizer is built; here, before the first
        step. ``Sequential.set_weights`` replaces the arrays, so call it after that.

        Args:
            var_list: A list (or tuple) of numpy arrays.
        """
        if self.iterations > 0:
            raise ValueError(
                "exclude_from_weight_decay can only be called before the first step "
                f"(this optimizer has taken {self.iterations}); call reset() first"
            )
        if not isinstance(var_list, (list, tuple)) or not all(
            isinstance(v, np.ndarray) for v in var_list
        ):
            raise TypeError(
                "var_list must be a list of the model's numpy arrays "
                "(e.g. [layer.params['b'] for each Dense layer]), "
                f"got {type(var_list).__name__}"
            )
        self._excluded = list(var_list)

    def uses_weight_decay(self, param: np.ndarray) -> bool:
        """Whether ``param`` is decayed: a decay is set and the array is not excluded."""
        if not self.weight_decay:
            return False
        return not any(param is v for v in self._excluded)

    def _apply_weight_decay(self, params: list[np.ndarray]) -> None:
        # Keras: variable.assign_sub(variable * wd * lr), before the gradient update.
        if not self.weight_decay:
            return
        for p in params:
            if self.uses_weight_decay(p):
                p -= p * self.weight_decay * self.learning_rate

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (Keras's form).

    ``v = momentum * v - lr * g``; ``w += v``. With ``momentum=0`` that is ``w -= lr * g``.
    With ``weight_decay=wd``, ``w -= lr * wd * w`` comes first (see the module docstring).
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        *,
        weight_decay: float | None = None,
    ):
        super().__init__(learning_rate, weight_decay)
        self.momentum = _validate.number("momentum", momentum, low=0, high=1, high_open=True)
        self._v = None

    def reset(self):
        super().reset()
        self._v = None

    def step(self, params, grads):
        lr = self.learning_rate
        self._apply_weight_decay(params)
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
    With ``weight_decay=wd``, ``w -= lr * wd * w`` comes first: that is AdamW.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        *,
        weight_decay: float | None = None,
    ):
        super().__init__(learning_rate, weight_decay)
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
        self._apply_weight_decay(params)
        self.iterations += 1
        t = self.iterations
        b1, b2 = self.beta_1, self.beta_2
        alpha = self.learning_rate * np.sqrt(1 - b2**t) / (1 - b1**t)
        for p, g, m, v in zip(params, grads, self._m, self._v, strict=True):
            m += (1 - b1) * (g - m)
            v += (1 - b2) * (g * g - v)
            p -= alpha * m / (np.sqrt(v) + self.epsilon)


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``keras.optimizers.AdamW`` (decay 0.004).

    Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019). The
    decay shrinks every weight by the same factor ``1 - lr * weight_decay`` per step,
    whatever its gradient history; an L2 penalty under Adam does not (its gradient is
    divided by ``sqrt(v)`` like the rest).
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
    ):
        if weight_decay is None:
            raise ValueError("weight_decay must be a number >= 0 for AdamW, got None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay=weight_decay)
