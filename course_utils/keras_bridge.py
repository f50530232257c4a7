"""The bridge to Keras: build the Keras twin of a NumPy model and copy weights both ways.

A twin has the same layers in the same order, so ``get_weights()`` lists line up:
``Dense`` -> ``keras.layers.Dense`` (no activation; its kernel regularizer carried
over), ``ReLU`` -> ``keras.layers.ReLU``, ``Tanh`` -> ``keras.layers.Activation('tanh')``
and any layer that defines ``to_keras()`` (dropout, for instance) -> what it returns.
Keras computes in float32, so predictions agree to about 1e-6, not exactly.
"""

from __future__ import annotations

import numpy as np

from course_utils import layers as L


def keras_layer(layer: L.Layer):
    """The Keras layer that computes what the NumPy ``layer`` computes."""
    import keras

    if hasattr(layer, "to_keras"):
        return layer.to_keras()
    if isinstance(layer, L.Dense):
        reg = layer.kernel_regularizer.to_keras() if layer.kernel_regularizer else None
        return keras.layers.Dense(layer.units, kernel_regularizer=reg)
    if isinstance(layer, L.ReLU):
        return keras.layers.ReLU()
    if isinstance(layer, L.Tanh):
        return keras.layers.Activation("tanh")
    raise TypeError(f"no Keras twin is known for {type(layer).__name__}")


def to_keras(model: L.Sequential, *, copy_weights: bool = True):
    """Build the Keras ``Sequential`` twin of a NumPy model (same weights by default)."""
    import keras

    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    first = model.layers[0]
    if not isinstance(first, L.Dense):
        raise ValueError("the first layer must be Dense, so the input size is known")
    twin = keras.Sequential(
        [keras.Input(shape=(first.in_features,))] + [keras_layer(la) for la in model.layers]
    )
    if copy_weights:
        copy_to_keras(model, twin)
    return twin


def copy_to_keras(model: L.Sequential, keras_model) -> None:
    """Copy the NumPy model's weights into its Keras twin (cast to float32)."""
    weights = model.get_weights()
    theirs = keras_model.get_weights()
    if [w.shape for w in weights] != [w.shape for w in theirs]:
        raise ValueError(
            "the models do not match: NumPy shapes "
            f"{[w.shape for w in weights]} vs Keras shapes {[w.shape for w in theirs]}"
        )
    keras_model.set_weights([w.astype(np.float32) for w in weights])


def copy_from_keras(keras_model, model: L.Sequential) -> None:
    """Copy a Keras twin's weights into the NumPy model (as float64)."""
    model.set_weights([np.asarray(w, dtype=np.float64) for w in keras_model.get_weights()])


def max_abs_diff(a, b) -> float:
    """Largest absolute difference between two arrays of the same shape."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b))) if a.size else 0.0
