"""Every NumPy backward is proven by a numeric gradient check."""

import numpy as np
import pytest

from course_utils import gradient_check as gc
from course_utils import layers as L
from course_utils import losses, regularizers

TOL = 1e-6
DROPOUT_TOL = 1e-8  # the mask is fixed: the layer is linear, so far tighter


@pytest.mark.parametrize(
    "reg", [None, regularizers.L2(0.1), regularizers.L1(0.05), regularizers.L1L2(0.05, 0.1)]
)
def test_dense_gradients(reg):
    layer = L.Dense(4, 3, kernel_regularizer=reg, seed=1)
    layer.params["b"] = np.random.default_rng(2).standard_normal(3)
    x = np.random.default_rng(0).standard_normal((5, 4))
    errors = gc.check_layer(layer, x)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("layer", [L.ReLU(), L.Tanh()])
def test_activation_gradients(layer):
    x = np.random.default_rng(0).standard_normal((6, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU away from its kink, where no derivative exists
    assert gc.check_layer(layer, x)["x"] < TOL


def test_softmax_cross_entropy_gradient_and_value():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((7, 4))
    y = rng.integers(0, 4, 7)
    loss = losses.SoftmaxCrossEntropy()
    value, grad = loss(logits, y)
    num = gc.numerical_gradient(lambda: loss(logits, y)[0], logits)
    assert gc.rel_error(grad, num) < TOL
    p = losses.softmax(logits)
    assert value == pytest.approx(-np.mean(np.log(p[np.arange(7), y])))


def test_stacked_mean_cross_entropy_is_the_loss_value_of_each_slice():
    # losses.mean_cross_entropy (co-adaptation's many removals at once) and the training
    # loss are one quantity: each slice of a stack gives SoftmaxCrossEntropy's value.
    rng = np.random.default_rng(1)
    stack = rng.standard_normal((3, 5, 7, 4)) * 4
    y = rng.integers(0, 4, 7)
    values = losses.mean_cross_entropy(stack, y)
    assert values.shape == (3, 5)
    loss = losses.SoftmaxCrossEntropy()
    expected = [[loss(stack[i, j], y)[0] for j in range(5)] for i in range(3)]
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_mse_value_is_the_training_loss_value():
    rng = np.random.default_rng(2)
    pred, target = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    assert losses.mse(pred, target) == losses.MeanSquaredError()(pred, target)[0]
    with pytest.raises(ValueError, match="same shape"):
        losses.mse(pred, target[:, :1])


def test_kernel_norm_is_the_norm_of_every_kernel_together():
    model = L.mlp([3, 4, 2], seed=0)
    kernels = [layer.params["W"] for layer in model.layers if isinstance(layer, L.Dense)]
    flat = np.concatenate([k.ravel() for k in kernels])
    assert L.kernel_norm(model) == pytest.approx(np.linalg.norm(flat), rel=1e-14)
    with pytest.raises(TypeError, match="Sequential"):
        L.kernel_norm(kernels[0])


def test_mse_gradient_and_1d_target():
    rng = np.random.default_rng(0)
    out = rng.standard_normal((6, 1))
    y = rng.standard_normal(6)
    loss = losses.MeanSquaredError()
    value, grad = loss(out, y)
    assert value == pytest.approx(np.mean((out[:, 0] - y) ** 2))
    assert gc.rel_error(grad, gc.numerical_gradient(lambda: loss(out, y)[0], out)) < TOL


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_whole_model_gradient_with_per_layer_regularizers(activation):
    model = L.mlp(
        [3, 5, 4, 2],
        activation=activation,
        kernel_regularizer=[regularizers.L2(0.01), None, regularizers.L1(0.02)],
        seed=3,
    )
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3))
    y = rng.integers(0, 2, 8)
    errors = gc.check_model(model, losses.SoftmaxCrossEntropy(), x, y)
    assert max(errors.values()) < 1e-5, errors


def test_biases_are_never_penalized():
    model = L.mlp([2, 3, 1], kernel_regularizer=regularizers.L2(1.0), seed=0)
    before = model.penalty()
    for layer in model.layers:
        if isinstance(layer, L.Dense):
            layer.params["b"] += 10.0
    assert model.penalty() == before


def test_get_set_weights_round_trip():
    model = L.mlp([2, 4, 3], seed=0)
    other = L.mlp([2, 4, 3], seed=1)
    other.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((5, 2))
    np.testing.assert_array_equal(model.predict(x), other.predict(x))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: L.Dense(0, 3), "in_features must be an int in"),
        (lambda: L.Dense(2, 3.5), "units must be an int"),
        (lambda: L.mlp([3]), "at least"),
        (lambda: L.mlp([3, 2], activation="sigmoid"), "activation must be one of"),
        (lambda: L.mlp([3, 4, 2], kernel_regularizer=[None]), "needs 2 entries"),
        (lambda: L.Dense(2, 2).forward(np.zeros((3, 5))), r"input of shape \(N, 2\)"),
        (lambda: L.Sequential([]), "non-empty list"),
        (lambda: L.mlp([2, 2]).set_weights([np.zeros((2, 2))]), "expected 2 arrays"),
        (lambda: L.mlp([2, 2]).set_weights([np.zeros((3, 2)), np.zeros(2)]), "has shape"),
        (
            lambda: losses.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0, 3])),
            r"labels must be in \[0, 3\)",
        ),
        (lambda: losses.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0.0, 1.0])), "integers"),
        (lambda: losses.MeanSquaredError()(np.zeros((2, 2)), np.zeros((3, 2))), "same shape"),
        (lambda: losses.get("hinge"), "one of"),
        (lambda: L.Dropout(1.2), r"rate must be in \[0, 1\), got 1.2"),
        (lambda: L.Dropout(-0.1), r"rate must be in \[0, 1\)"),
        (lambda: L.Dropout("0.5"), "rate must be a number"),
        (lambda: L.Dropout(0.5)(np.ones((2, 2)), training="train"), "True or False"),
        (lambda: L.mlp([2, 4, 2], dropout=1.2), r"dropout rate must be in \[0, 1\), got 1.2"),
        (lambda: L.mlp([2, 4, 4, 2], dropout=[0.5]), "needs 2 entries"),
    ],
)
def test_bad_input_is_rejected_clearly(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# ------------------------------------------------------------------- Dropout
@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 0.9])
def test_dropout_layer_gradient_with_a_fixed_mask(rate):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7))
    layer = L.Dropout(rate)
    layer.fixed_mask = rng.binomial(1, 1 - rate, size=x.shape)
    assert gc.check_layer(layer, x, training=True)["x"] < DROPOUT_TOL
    assert gc.check_layer(layer, x, training=False)["x"] < DROPOUT_TOL


def test_whole_model_gradient_in_training_mode_with_fixed_masks():
    model = L.mlp([3, 6, 5, 2], activation="tanh", dropout=[0.3, 0.5], seed=2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3))
    y = rng.integers(0, 2, 8)
    drops = [la for la in model.layers if isinstance(la, L.Dropout)]
    for la, width in zip(drops, (6, 5), strict=True):
        la.fixed_mask = rng.binomial(1, 1 - la.rate, size=(8, width))
    loss = losses.SoftmaxCrossEntropy()

    def objective():
        return loss(model.forward(x, training=True), y)[0]

    model.backward(loss(model.forward(x, training=True), y)[1])
    for layer, name in model.parameters():
        analytic = layer.grads[name].copy()
        assert gc.rel_error(analytic, gc.numerical_gradient(objective, layer.params[name])) < 1e-6


def test_modes_inference_is_identity_and_training_drops_and_scales():
    x = np.ones((400, 50))
    layer = L.Dropout(0.25, seed=0)
    out = layer(x, training=True)
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs(np.mean(out == 0) - 0.25) < 0.02
    assert abs(out.mean() - 1.0) < 0.02  # the expected activation is preserved
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), out)  # same mask backward
    assert layer(x, training=False) is x and layer.mask is None
    np.testing.assert_array_equal(layer.backward(2 * x), 2 * x)  # identity after inference
    np.testing.assert_array_equal(L.Dropout(0.0)(x, training=True), x)


def test_mask_is_drawn_with_binomial_from_the_layer_generator():
    x = np.ones((6, 9))
    layer = L.Dropout(0.4, seed=5)
    layer(x, training=True)
    expected = np.random.default_rng(5).binomial(1, 0.6, size=x.shape)
    np.testing.assert_array_equal(layer.mask, expected)


def test_mlp_dropout_keyword():
    plain = L.mlp([2, 8, 4, 2], seed=3)
    assert not any(isinstance(la, L.Dropout) for la in plain.layers)
    assert [type(la).__name__ for la in plain.layers] == ["Dense", "ReLU", "Dense", "ReLU", "Dense"]
    both = L.mlp([2, 8, 4, 2], dropout=0.3, seed=3)
    mixed = L.mlp([2, 8, 4, 2], dropout=[None, 0.5], seed=3)
    zero = L.mlp([2, 8, 4, 2], dropout=[0.0, 0.0], seed=3)
    assert [la.rate for la in both.layers if isinstance(la, L.Dropout)] == [0.3, 0.3]
    assert [type(la).__name__ for la in mixed.layers] == [
        "Dense",
        "ReLU",
        "Dense",
        "ReLU",
        "Dropout",
        "Dense",
    ]
    assert len(zero.layers) == len(plain.layers)
    for other in (both, mixed, zero):  # dropout never changes the starting weights
        for a, b in zip(plain.get_weights(), other.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).standard_normal((4, 2))
    np.testing.assert_array_equal(plain.predict(x), both.predict(x))


def test_fixed_mask_is_checked():
    layer = L.Dropout(0.5)
    layer.fixed_mask = np.ones((2, 3))
    with pytest.raises(ValueError, match="fixed_mask has shape"):
        layer(np.ones((3, 3)), training=True)
    layer.fixed_mask = np.full((3, 3), 0.5)
    with pytest.raises(ValueError, match="only 0s and 1s"):
        layer(np.ones((3, 3)), training=True)
