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
        rng = _validate.generator(seed)
        limit = np.sqrt(6.0 / (self.in_features + self.units))
        self.params["W"] = rng.uniform(-limit, limit, (self.in_features, self.units))
        self.params["b"] = np.zeros(self.units)
        self._x = None

    def forward(self, x, training=False):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Dense expects input of shape (N, {self.in_features}), got {x.shape}")
        self._x = x
        out = x @ self.params["W"]
        out += self.params["b"]  # in place: no second (N, H) temporary to allocate
        return out

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
    dropout=None,
) -> Sequential:
    """A multi-layer perceptron: Dense, activation, ..., Dense (no output activation).

    Args:
        sizes: ``[inputs, hidden_1, ..., outputs]``, at least two ints >= 1.
        activation: 'relu' or 'tanh', between the Dense layers.
        kernel_regularizer: One regularizer for every Dense kernel, or a list with one
            entry (or None) per Dense layer.
        seed: Seed of the weight initialisation.
        dropout: None (no dropout, the default), one rate for every hidden layer, or a
            list with one rate (or None) per hidden layer. A :class:`Dropout` goes after
            each hidden activation whose rate is > 0; the weights do not depend on it.
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
    n_hidden = n_dense - 1
    rates = dropout if isinstance(dropout, (list, tuple)) else [dropout] * n_hidden
    if len(rates) != n_hidden:
        raise ValueError(
            f"dropout list needs {n_hidden} entries (one per hidden layer), got {len(rates)}"
        )
    rates = [
        0.0 if r is None else _validate.number("dropout rate", r, low=0, high=1, high_open=True)
        for r in rates
    ]
    rng = _validate.generator(seed)
    denses = [
        Dense(d_in, d_out, kernel_regularizer=regs[i], seed=rng)
        for i, (d_in, d_out) in enumerate(itertools.pairwise(sizes))
    ]
    layers: list[Layer] = []
    for i, dense in enumerate(denses):
        layers.append(dense)
        if i < n_hidden:
            layers.append(acts[activation]())
            if rates[i] > 0:
                # seeded after every weight is drawn, so the weights never depend on dropout
                layers.append(Dropout(rates[i], seed=int(rng.integers(2**32))))
    return Sequential(layers)


def kernel_norm(model: Sequential) -> float:
    """Frobenius norm of all Dense kernels together: ``sqrt(sum of every W**2)``."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    total = sum(
        float(np.sum(layer.params["W"] ** 2)) for layer in model.layers if isinstance(layer, Dense)
    )
    return float(np.sqrt(total))


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate`` and scale
    the kept ones by ``1 / (1 - rate)``; at inference, pass ``x`` through unchanged.

    Shapes: any, ``out`` like ``x``. Same meaning as ``keras.layers.Dropout(rate)``.

    Args:
        rate: Fraction of the units dropped, in [0, 1). ``rate=0`` keeps every unit.
        seed: Seed of :attr:`rng`, the generator the masks are drawn from.

    Attributes:
        rng: A ``numpy.random.Generator``. :func:`course_utils.training.fit` replaces it
            with a fresh seeded one at the start of every fit.
        fixed_mask: None (draw a new mask every training-mode call), or a 0/1 array of the
            input's shape used instead, for gradient checks and NumPy/Keras parity.
        mask: The 0/1 mask of the last training-mode forward (None after an inference one).
    """

    def __init__(self, rate: float, seed=None):
        super().__init__()
        self.rate = _validate.number("rate", rate, low=0, high=1, high_open=True)
        # None: fresh entropy (the package's seed rule takes no None, see _validate)
        self.rng = np.random.default_rng() if seed is None else _validate.generator(seed)
        self.fixed_mask: np.ndarray | None = None
        self.mask: np.ndarray | None = None

    def forward(self, x, training=False):
        if not isinstance(training, (bool, np.bool_)):
            raise TypeError(f"training must be True or False, got {training!r}")
        if not training:
            self.mask = None
            return x
        if self.fixed_mask is not None:
            mask = np.asarray(self.fixed_mask)
            if mask.shape != x.shape:
                raise ValueError(
                    f"fixed_mask has shape {mask.shape} but the input has shape {x.shape}"
                )
            if not np.all((mask == 0) | (mask == 1)):
                raise ValueError("fixed_mask must hold only 0s and 1s")
        else:
            mask = self.rng.binomial(1, 1.0 - self.rate, size=x.shape)
        self.mask = mask
        return x * mask / (1.0 - self.rate)

    def backward(self, dout):
        if self.mask is None:  # the last forward was in inference mode: the identity
            return dout
        return dout * self.mask / (1.0 - self.rate)

    def to_keras(self):
        import keras

        return keras.layers.Dropout(self.rate)

    def __repr__(self):
        return f"Dropout(rate={self.rate:g})"
