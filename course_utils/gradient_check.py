"""Numeric gradients by central differences, and the relative error used to compare
them with analytic gradients (as in cs231n)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def rel_error(a, b, eps: float = 1e-12) -> float:
    """Largest element-wise ``|a - b| / max(|a| + |b|, eps)``.

    Below about 1e-7 two float64 gradients agree; above 1e-3 something is wrong.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar ``f()`` with respect to the array ``x``, by central differences.

    ``f`` takes no argument: it must read ``x`` (which is changed in place and restored).
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 numpy array (changed in place, then restored)")
    if not h > 0:
        raise ValueError(f"h must be > 0, got {h}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-6
):
    """Numeric ``d(sum(f(x) * dout))/dx`` for an array-valued ``f`` (a layer's forward)."""
    return numerical_gradient(lambda: float(np.sum(f(x) * dout)), x, h)


def check_layer(
    layer, x: np.ndarray, *, training: bool = False, seed: int = 0, h: float = 1e-6
) -> dict[str, float]:
    """Compare a layer's backward with numeric gradients.

    Uses the loss ``sum(layer(x) * dout)`` with a random ``dout``. Anything random in
    the layer must be fixed between calls (for dropout: a fixed mask).

    Returns:
        ``{'x': rel_error, '<param>': rel_error, ...}``.
    """
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=np.float64)
    out = layer.forward(x, training=training)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    errors = {
        "x": rel_error(
            dx, numerical_gradient_array(lambda v: layer.forward(v, training=training), x, dout, h)
        )
    }
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    for name, p in layer.params.items():
        num = numerical_gradient(
            lambda: float(np.sum(layer.forward(x, training=training) * dout)), p, h
        )
        # backward also adds the penalty's gradient for kernels; the numeric side must too
        num_pen = numerical_gradient(layer.penalty, p, h) if name == "W" else 0.0
        errors[name] = rel_error(analytic[name], num + num_pen)
    return errors


def check_model(model, loss, x, y, *, h: float = 1e-6) -> dict[str, float]:
    """Compare a whole model's backward (data loss + penalty) with numeric gradients.

    Returns:
        ``{'<layer index>.<param>': rel_error}`` for every parameter.
    """
    x = np.asarray(x, dtype=np.float64)

    def objective() -> float:
        value, _ = loss(model.forward(x, training=False), y)
        return value + model.penalty()

    _, dout = loss(model.forward(x, training=False), y)
    model.backward(dout)
    errors = {}
    for i, layer in enumerate(model.layers):
        for name, p in layer.params.items():
            analytic = layer.grads[name].copy()
            errors[f"{i}.{name}"] = rel_error(analytic, numerical_gradient(objective, p, h))
    return errors
