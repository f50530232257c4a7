"""Notebook 08's mechanisms (course_utils.more_regularizers) and experiments
(course_utils.going_further): gradient checks, Keras parity, the noise-as-L2 identity,
and clear errors on bad input."""

import functools

import numpy as np
import pytest

from course_utils import combined, datasets, gradient_check, l1_l2, layers, losses, optim
from course_utils import going_further as G
from course_utils import more_regularizers as M

# --------------------------------------------------------------------------- label smoothing


def test_smoothed_targets_follow_keras_convention():
    t = M.smoothed_targets(np.array([2, 0]), 4, 0.2)
    np.testing.assert_allclose(t[0], [0.05, 0.05, 0.85, 0.05])
    np.testing.assert_allclose(t.sum(axis=1), 1.0)
    np.testing.assert_array_equal(M.smoothed_targets(np.array([1]), 3, 0.0), [[0, 1, 0]])


@pytest.mark.parametrize("a", [0.0, 0.1, 0.5, 1.0])
def test_smoothed_cross_entropy_gradient(a):
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((7, 5)) * 2, rng.integers(0, 5, 7)
    loss = M.SmoothedCrossEntropy(a)
    value, grad = loss(logits, labels)
    numeric = gradient_check.numerical_gradient(lambda: loss(logits, labels)[0], logits, h=1e-5)
    assert gradient_check.rel_error(grad, numeric) < 1e-6
    assert value > 0


def test_smoothing_zero_is_the_plain_cross_entropy():
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((6, 10)), rng.integers(0, 10, 6)
    v0, g0 = M.SmoothedCrossEntropy(0.0)(logits, labels)
    v1, g1 = losses.SoftmaxCrossEntropy()(logits, labels)
    assert np.isclose(v0, v1) and np.allclose(g0, g1)


def test_smoothed_loss_matches_keras_with_one_hot_targets():
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(2)
    logits, labels = rng.standard_normal((8, 10)) * 3, rng.integers(0, 10, 8)
    value, grad = M.SmoothedCrossEntropy(0.15)(logits, labels)
    var = tf.Variable(logits.astype("float32"))
    with tf.GradientTape() as tape:
        k = M.SmoothedCrossEntropy(0.15).to_keras()(keras.utils.to_categorical(labels, 10), var)
    assert abs(float(k) - value) < 1e-5
    assert np.abs(tape.gradient(k, var).numpy() - grad).max() < 1e-6


def test_label_smoothing_bad_input():
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        M.SmoothedCrossEntropy(1.5)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        M.smoothed_targets(np.array([3]), 3, 0.1)
    with pytest.raises(ValueError, match="labels must be 2 integers"):
        M.SmoothedCrossEntropy(0.1)(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        M.SmoothedCrossEntropy(0.1)(np.zeros(3), np.array([0]))


# --------------------------------------------------------------------------- noise


def test_gaussian_noise_training_only_and_statistics():
    layer = M.GaussianNoise(0.5, seed=0)
    x = np.zeros((4000, 10))
    out = layer(x, training=True)
    assert abs(out.std() - 0.5) < 0.01 and abs(out.mean()) < 0.01
    assert layer(x, training=False) is x and layer.noise is None
    assert not np.array_equal(out, layer(x, training=True))


def test_gaussian_noise_gradient_with_fixed_noise():
    layer = M.GaussianNoise(0.3)
    rng = np.random.default_rng(0)
    layer.fixed_noise = rng.standard_normal((3, 5))
    errors = gradient_check.check_layer(layer, rng.standard_normal((3, 5)), training=True)
    assert errors["x"] < 1e-8


def test_fit_reseeds_the_noise_so_runs_repeat():
    p = combined.make_problem(seed=0)
    a = G.train_mlp(p, seed=3, noise=0.3, epochs=2)
    b = G.train_mlp(p, seed=3, noise=0.3, epochs=2)
    c = G.train_mlp(p, seed=4, noise=0.3, epochs=2)
    assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights(), strict=True))
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_gaussian_noise_matches_keras_with_the_same_noise():
    import keras

    x = np.random.default_rng(0).random((20, 6)).astype("float32")
    out = M.GaussianNoise(0.2).to_keras(seed=11)(x, training=True).numpy()
    mine = M.GaussianNoise(0.2)
    mine.fixed_noise = keras.layers.GaussianNoise(0.2, seed=11)(x, training=True).numpy() - x
    assert np.abs(mine(x, training=True) - out).max() < 1e-6
    assert np.array_equal(keras.layers.GaussianNoise(0.2)(x, training=False).numpy(), mine(x))


def test_gaussian_noise_bad_input():
    with pytest.raises(ValueError, match=r"stddev must be in \[0, inf\], got -1"):
        M.GaussianNoise(-1)
    layer = M.GaussianNoise(0.1)
    layer.fixed_noise = np.zeros((2, 2))
    with pytest.raises(ValueError, match="fixed_noise has shape"):
        layer(np.zeros((3, 2)), training=True)
    with pytest.raises(TypeError, match="training must be True or False"):
        layer(np.zeros((2, 2)), training="yes")


def test_input_noise_averages_to_the_derived_l2_penalty():
    X, y, _ = datasets.make_sparse_linear(60, 8, 3, seed=1)
    w, b, sigma = np.linspace(-1, 1, 8), 0.3, 0.6
    rng = np.random.default_rng(0)
    draws = [
        np.mean(((X + sigma * rng.standard_normal(X.shape)) @ w + b - y) ** 2) for _ in range(3000)
    ]
    expected = np.mean((X @ w + b - y) ** 2) + sigma**2 * np.sum(w**2)
    assert abs(np.mean(draws) - expected) / expected < 0.01


def test_noisy_linear_fit_lands_on_ridge_with_lambda_two_sigma_squared():
    X, y, _ = datasets.make_sparse_linear(100, 20, 5, seed=0)
    w, _ = G.noisy_linear_fit(X, y, 0.7)
    ridge = l1_l2.fit_ridge(X, y, 2 * 0.7**2)[0]
    half = l1_l2.fit_ridge(X, y, 0.7**2)[0]
    d = np.linalg.norm(w - ridge) / np.linalg.norm(ridge)
    assert d < 0.02 and d < np.linalg.norm(w - half) / np.linalg.norm(half) / 5


# --------------------------------------------------------------------------- max-norm


def test_max_norm_projects_long_columns_only():
    w = np.array([[3.0, 0.1], [4.0, 0.2]])  # column norms 5 and ~0.22
    p = M.max_norm(w, 1.0)
    np.testing.assert_allclose(p[:, 0], [0.6, 0.8])
    np.testing.assert_array_equal(p[:, 1], w[:, 1])
    np.testing.assert_allclose(np.linalg.norm(M.max_norm(w, 1.0, axis=1), axis=1), [1.0, 1.0])


def test_max_norm_matches_keras_constraint_axis_0():
    import keras

    w = np.random.default_rng(0).standard_normal((30, 12)).astype("float32")
    k = keras.constraints.MaxNorm(3.0)(w).numpy()
    assert np.abs(k - M.max_norm(w, 3.0)).max() < 1e-6
    assert np.abs(k - M.max_norm(w, 3.0, axis=1)).max() > 0.1


def test_max_norm_optimizer_keeps_kernels_in_the_ball_and_biases_free():
    p = combined.make_problem(seed=0)
    model = G.train_mlp(p, seed=0, max_norm=0.5, epochs=3)
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            assert np.linalg.norm(layer.params["W"], axis=0).max() <= 0.5 + 1e-9
    assert max(np.abs(layer.params["b"]).max() for layer in model.layers[::2]) > 0
    with pytest.raises(TypeError, match=r"optimizer must be a course_utils\.optim optimizer"):
        M.MaxNormOptimizer("adam", 1.0)
    with pytest.raises(ValueError, match=r"max_value must be in \(0, inf\], got 0"):
        M.MaxNormOptimizer(optim.SGD(0.1), 0)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        M.max_norm(3.0, 1.0)


# --------------------------------------------------------------------------- ensembles, ECE


def test_ensemble_probabilities_average_the_softmaxes():
    a, b = layers.mlp([4, 3, 2], seed=0), layers.mlp([4, 3, 2], seed=1)
    x = np.random.default_rng(0).random((5, 4))
    want = (losses.softmax(a.predict(x)) + losses.softmax(b.predict(x))) / 2
    np.testing.assert_allclose(M.ensemble_probabilities([a, b], x), want)
    with pytest.raises(TypeError, match="non-empty list"):
        M.ensemble_probabilities([], x)


def test_expected_calibration_error_by_hand():
    probs = np.array([[0.95, 0.05], [0.92, 0.08], [0.65, 0.35], [0.62, 0.38]])
    labels = np.array([0, 1, 0, 0])
    # bin (0.9, 1]: accuracy 1/2, confidence 0.935; bin (0.6, 0.7]: accuracy 1, conf. 0.635
    want = 0.5 * abs(0.5 - 0.935) + 0.5 * abs(1 - 0.635)
    assert np.isclose(M.expected_calibration_error(probs, labels), want)
    r = M.reliability(probs, labels, n_bins=10)
    assert r["count"].tolist() == [0, 0, 0, 0, 0, 0, 2, 0, 0, 2]


def test_calibration_bad_input():
    with pytest.raises(ValueError, match="probs must be probabilities"):
        M.expected_calibration_error(np.array([[0.5, 0.6]]), np.array([0]))
    with pytest.raises(ValueError, match="n_bins must be an int in"):
        M.expected_calibration_error(np.array([[0.5, 0.5]]), np.array([0]), n_bins=0)


# --------------------------------------------------------------------------- experiments


@functools.cache
def _small_comparison():
    return G.compare(draws=(0, 1), epochs=3)


def test_compare_scores_every_technique_on_every_draw():
    c = _small_comparison()
    assert list(c.probs) == list(G.TECHNIQUES)
    for metric in ("accuracy", "ece", "confidence"):
        assert all(v.shape == (2,) for v in c.scores(metric).values())
    assert len(c.models[G.TECHNIQUES[-1]][0]) == G.ENSEMBLE_SIZE
    table = G.format_table(c)
    assert all(t in table for t in G.TECHNIQUES)
    with pytest.raises(ValueError, match="metric must be one of"):
        c.scores("loss")


def test_reliability_figure_rejects_an_unknown_technique():
    with pytest.raises(ValueError, match="technique must be one of"):
        G.reliability_figure(_small_comparison(), "bagging")
    with pytest.raises(TypeError, match=r"problem must be a combined\.Problem"):
        G.train_mlp("digits")
