"""NumPy layers with explicit forward and backward passes, and a Sequential model.

Every layer follows one contract:

* ``forward(x, training=False)`` returns the output and keeps what backward needs;
* ``backward(dout)`` takes the gradient of the loss with respect to the output and
  returns the gradient with respect to the input, filling ``layer.grads`` for every
  entry of ``layer.params``.

Shapes are stated per layer. Arrays are float64, so numeric gradient checks are exact
to about 1e-7; the Keras twins (see :mod:`course_utils.keras_bridge`) use float32.
"""

from __future__ import annotations

import itertools

import numpy as np

from course_utils import _validate
from course_utils import regularizers as _regularizers


class Layer:
    """Base class of the course's NumPy layers."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def penalty(self) -> float:
        """The regularization penalty this layer adds to the loss (0 by default)."""
        return 0.0

    def __call__(self, x, training: bool = False):
        return self.forward(x, training=training)


class Dense(Layer):
    """Fully connected layer ``out = x @ W + b``.

    Shapes: ``x: (N, D)``, ``W: (D, H)``, ``b: (H,)``, ``out: (N, H)``.
    Weights start small (Glorot uniform, as Keras's default) and biases at zero.
    ``kernel_regularizer`` penalizes ``W`` only: biases are never regularized.
    """

    def __init__(self, in_features: int, units: int, *, kernel_regularizer=None, seed=0):
        super().__init__()
        self.in_features = _validate.integer("in_features", in_features, low=1)
        self.units = _validate.integer("units", units, low=1)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        limit = np.sqrt(6.0 / (self.in_features + self.units))
        self.params["W"] = rng.uniform(-limit, limit, (self.in_features, self.units))
        self.params["b"] = np.zeros(self.units)
        self._x = None

    def forward(self, x, training=False):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Dense expects input of shape (N, {self.in_features}), got {x.shape}")
        self._x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        W = self.params["W"]
        dW = self._x.T @ dout
        if self.kernel_regularizer is not None:
            dW += self.kernel_regularizer.gradient(W)
        self.grads["W"] = dW
        self.grads["b"] = dout.sum(axis=0)
        return dout @ W.T

    def penalty(self):
        if self.kernel_regularizer is None:
            return 0.0
        return self.kernel_regularizer(self.params["W"])

    def __repr__(self):
        reg = f", kernel_regularizer={self.kernel_regularizer!r}" if self.kernel_regularizer else ""
        return f"Dense({self.in_features}, {self.units}{reg})"


class ReLU(Layer):
    """``out = max(x, 0)``, element-wise. Shapes: any, ``out`` like ``x``."""

    def forward(self, x, training=False):
        self._mask = x > 0
        return x * self._mask

    def backward(self, dout):
        return dout * self._mask

    def __repr__(self):
        return "ReLU()"


class Tanh(Layer):
    """``out = tanh(x)``, element-wise. Shapes: any, ``out`` like ``x``."""

    def forward(self, x, training=False):
        self._out = np.tanh(x)
        return self._out

    def backward(self, dout):
        return dout * (1.0 - self._out**2)

    def __repr__(self):
        return "Tanh()"


class Sequential:
    """A stack of layers applied in order, with Keras-like helpers.

    ``get_weights()`` lists the parameter arrays in the same order as a Keras
    ``Sequential`` of the same layers (``[W0, b0, W1, b1, ...]``).
    """

    def __init__(self, layers: list[Layer]):
        layers = list(layers)
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("Sequential needs a non-empty list of course_utils Layer objects")
        self.layers = layers
        self.stop_training = False

    def forward(self, x, training: bool = False):
        """Run every layer; ``training=True`` turns on training-only behaviour (dropout)."""
        out = np.asarray(x, dtype=np.float64)
        for layer in self.layers:
            out = layer.forward(out, training=training)
        return out

    __call__ = forward

    def predict(self, x):
        """Inference-mode output (no dropout), as Keras's ``model.predict``."""
        return self.forward(x, training=False)

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def penalty(self) -> float:
        """Sum of all layers' regularization penalties, like ``sum(model.losses)``."""
        return float(sum(layer.penalty() for layer in self.layers))

    def parameters(self):
        """``(layer, name)`` pairs of every trainable array, in Keras's order."""
        return [(layer, name) for layer in self.layers for name in layer.params]

    def get_weights(self) -> list[np.ndarray]:
        return [layer.params[name].copy() for layer, name in self.parameters()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        pairs = self.parameters()
        if len(weights) != len(pairs):
            raise ValueError(f"expected {len(pairs)} arrays, got {len(weights)}")
        for (layer, name), w in zip(pairs, weights, strict=True):
            if np.shape(w) != layer.params[name].shape:
                raise ValueError(
                    f"{name} of {layer!r} has shape {layer.params[name].shape}, got {np.shape(w)}"
                )
            layer.params[name] = np.array(w, dtype=np.float64)

    def count_params(self) -> int:
        return sum(layer.params[name].size for layer, name in self.parameters())

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner}\n])"


def mlp(
    sizes: list[int],
    *,
    activation: str = "relu",
    kernel_regularizer=None,
    seed=0,
) -> Sequential:
    """A multi-layer perceptron: Dense, activation, ..., Dense (no output activation).

    Args:
        sizes: ``[inputs, hidden_1, ..., outputs]``, at least two ints >= 1.
        activation: 'relu' or 'tanh', between the Dense layers.
        kernel_regularizer: One regularizer for every Dense kernel, or a list with one
            entry (or None) per Dense layer.
        seed: Seed of the weight initialisation.
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least [inputs, outputs], got {sizes}")
    for s in sizes:
        _validate.integer("each size", s, low=1)
    acts = {"relu": ReLU, "tanh": Tanh}
    _validate.choice("activation", activation, acts)
    n_dense = len(sizes) - 1
    regs = (
        kernel_regularizer
        if isinstance(kernel_regularizer, (list, tuple))
        else [kernel_regularizer] * n_dense
    )
    if len(regs) != n_dense:
        raise ValueError(
            f"kernel_regularizer list needs {n_dense} entries (one per Dense), got {len(regs)}"
        )
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for i, (d_in, d_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Dense(d_in, d_out, kernel_regularizer=regs[i], seed=rng))
        if i < n_dense - 1:
            layers.append(acts[activation]())
    return Sequential(layers)
