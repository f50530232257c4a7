"""Notebook 03 (dropout): the NumPy layer and functions, their gradients, the modes,
NumPy/Keras parity, the experiment helpers, the figures and the widget."""

import numpy as np
import pytest

from course_utils import datasets, keras_bridge, layers, losses, optim, training
from course_utils import dropout as D
from course_utils import dropout_vs_l2 as V
from course_utils import gradient_check as gc
from course_utils import mc_dropout as MC
from course_utils.exercises import nb03

TOL = 1e-8


# ------------------------------------------------------------------- the layer
@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 0.9])
def test_dropout_layer_gradient_with_a_fixed_mask(rate):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7))
    layer = layers.Dropout(rate)
    layer.fixed_mask = rng.binomial(1, 1 - rate, size=x.shape)
    assert gc.check_layer(layer, x, training=True)["x"] < TOL
    assert gc.check_layer(layer, x, training=False)["x"] < TOL


def test_whole_model_gradient_in_training_mode_with_fixed_masks():
    model = layers.mlp([3, 6, 5, 2], activation="tanh", dropout=[0.3, 0.5], seed=2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3))
    y = rng.integers(0, 2, 8)
    drops = [la for la in model.layers if isinstance(la, layers.Dropout)]
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
    layer = layers.Dropout(0.25, seed=0)
    out = layer(x, training=True)
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs(np.mean(out == 0) - 0.25) < 0.02
    assert abs(out.mean() - 1.0) < 0.02  # the expected activation is preserved
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), out)  # same mask backward
    assert layer(x, training=False) is x and layer.mask is None
    np.testing.assert_array_equal(layer.backward(2 * x), 2 * x)  # identity after inference
    np.testing.assert_array_equal(layers.Dropout(0.0)(x, training=True), x)


def test_mask_is_drawn_with_binomial_from_the_layer_generator():
    x = np.ones((6, 9))
    layer = layers.Dropout(0.4, seed=5)
    layer(x, training=True)
    expected = np.random.default_rng(5).binomial(1, 0.6, size=x.shape)
    np.testing.assert_array_equal(layer.mask, expected)


def test_fit_reseeds_dropout_so_runs_repeat():
    X, y = D.make_data(n_train=30, n_val=10)[:2]
    runs = []
    for run in range(2):
        model = layers.mlp([2, 16, 2], dropout=0.5, seed=0)
        model.layers[2].rng = np.random.default_rng(123 + run)  # each replaced by fit
        training.fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(0.01), epochs=5)
        runs.append(model.get_weights())
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_mlp_dropout_keyword():
    plain = layers.mlp([2, 8, 4, 2], seed=3)
    assert not any(isinstance(la, layers.Dropout) for la in plain.layers)
    assert [type(la).__name__ for la in plain.layers] == ["Dense", "ReLU", "Dense", "ReLU", "Dense"]
    both = layers.mlp([2, 8, 4, 2], dropout=0.3, seed=3)
    mixed = layers.mlp([2, 8, 4, 2], dropout=[None, 0.5], seed=3)
    zero = layers.mlp([2, 8, 4, 2], dropout=[0.0, 0.0], seed=3)
    assert [la.rate for la in both.layers if isinstance(la, layers.Dropout)] == [0.3, 0.3]
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


# --------------------------------------------------------------- the functions
def test_functional_forward_backward_and_both_scalings():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    mask = rng.binomial(1, 0.5, size=x.shape)
    out, m = D.dropout_forward(x, 0.5, mode="train", mask=mask)
    np.testing.assert_array_equal(out, x * mask * 2)
    assert m is mask or np.array_equal(m, mask)
    np.testing.assert_array_equal(D.dropout_backward(np.ones_like(x), mask, 0.5), mask * 2.0)
    test_out, none = D.dropout_forward(x, 0.5, mode="test")
    assert none is None and np.array_equal(test_out, x)
    orig, _ = D.dropout_forward(x, 0.5, mode="train", mask=mask, inverted=False)
    np.testing.assert_array_equal(orig, x * mask)
    np.testing.assert_array_equal(D.dropout_forward(x, 0.5, mode="test", inverted=False)[0], x / 2)
    np.testing.assert_array_equal(
        D.dropout_backward(np.ones_like(x), mask, 0.5, inverted=False), mask * 1.0
    )
    num = gc.numerical_gradient_array(
        lambda v: D.dropout_forward(v, 0.5, mask=mask)[0], x.copy(), np.ones_like(x)
    )
    assert gc.rel_error(D.dropout_backward(np.ones_like(x), mask, 0.5), num) < TOL


def test_expected_activation_is_preserved_in_both_forms():
    h = np.array([[0.5, 1.0, 2.0]])
    many = np.repeat(h, 40_000, axis=0)
    inv = D.dropout_forward(many, 0.3, rng=0)[0].mean(axis=0)
    orig = D.dropout_forward(many, 0.3, rng=1, inverted=False)[0].mean(axis=0)
    np.testing.assert_allclose(inv, h[0], atol=0.03)
    np.testing.assert_allclose(
        orig, D.dropout_forward(h, 0.3, mode="test", inverted=False)[0][0], atol=0.03
    )


def test_draw_mask_statistics_and_repeatability():
    m = D.draw_mask((1000, 100), 0.3, rng=0)
    assert set(np.unique(m)) == {0, 1}
    assert abs(1 - m.mean() - 0.3) < 0.01
    np.testing.assert_array_equal(m, D.draw_mask((1000, 100), 0.3, rng=0))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: layers.Dropout(1.2), ValueError, r"rate must be in \[0, 1\), got 1.2"),
        (lambda: layers.Dropout(-0.1), ValueError, r"rate must be in \[0, 1\)"),
        (lambda: layers.Dropout("0.5"), TypeError, "rate must be a number"),
        (
            lambda: layers.Dropout(0.5)(np.ones((2, 2)), training="train"),
            TypeError,
            "True or False",
        ),
        (
            lambda: D.dropout_forward(np.ones(3), 0.5, mode="training"),
            ValueError,
            r"mode must be one of \['test', 'train'\], got 'training'",
        ),
        (lambda: D.dropout_forward(np.ones(3), 0.5, mode=1), TypeError, "mode must be 'train'"),
        (
            lambda: D.dropout_forward(np.ones(3), 1.0),
            ValueError,
            r"rate must be in \[0, 1\), got 1",
        ),
        (lambda: D.dropout_forward(np.ones(3), 0.5, mask=np.ones(4)), ValueError, "mask has shape"),
        (lambda: D.dropout_forward(np.ones(3), 0.5, mask=np.full(3, 2)), ValueError, "0s and 1s"),
        (lambda: D.dropout_forward(np.ones(3), 0.5, rng="seed"), TypeError, "rng must be"),
        (lambda: D.dropout_backward(np.ones(3), np.ones(2), 0.5), ValueError, "mask has shape"),
        (
            lambda: layers.mlp([2, 4, 2], dropout=1.2),
            ValueError,
            r"dropout rate must be in \[0, 1\), got 1.2",
        ),
        (lambda: layers.mlp([2, 4, 4, 2], dropout=[0.5]), ValueError, "needs 2 entries"),
    ],
)
def test_bad_input_is_rejected_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_fixed_mask_is_checked():
    layer = layers.Dropout(0.5)
    layer.fixed_mask = np.ones((2, 3))
    with pytest.raises(ValueError, match="fixed_mask has shape"):
        layer(np.ones((3, 3)), training=True)
    layer.fixed_mask = np.full((3, 3), 0.5)
    with pytest.raises(ValueError, match="only 0s and 1s"):
        layer(np.ones((3, 3)), training=True)


# ------------------------------------------------------------------ Keras parity
def test_keras_twin_parity_inference_and_same_mask():
    import keras

    model = layers.mlp([2, 16, 8, 2], dropout=[0.3, 0.5], seed=0)
    x = np.random.default_rng(0).standard_normal((20, 2))
    twin = keras_bridge.to_keras(model)
    rates = [la.rate for la in twin.layers if isinstance(la, keras.layers.Dropout)]
    assert rates == [0.3, 0.5]
    assert keras_bridge.max_abs_diff(model.predict(x), twin(x, training=False)) < 1e-5
    rng = np.random.default_rng(1)
    drops = [la for la in model.layers if isinstance(la, layers.Dropout)]
    masks = [
        rng.binomial(1, 1 - la.rate, size=(20, w)) for la, w in zip(drops, (16, 8), strict=True)
    ]
    for la, m in zip(drops, masks, strict=True):
        la.fixed_mask = m
    ours = model.forward(x, training=True)
    h, k = x.astype("float32"), 0
    for la in twin.layers:
        if isinstance(la, keras.layers.Dropout):
            h = h * masks[k].astype("float32") / (1 - la.rate)
            k += 1
        else:
            h = la(h)
    assert keras_bridge.max_abs_diff(ours, h) < 1e-5


def test_keras_dropout_statistics_match():
    import keras

    ones = np.ones((1000, 100), dtype="float32")
    out = np.asarray(keras.layers.Dropout(0.4)(ones, training=True))
    assert abs(np.mean(out == 0) - 0.4) < 0.01
    assert np.abs(out[out != 0] - 1 / 0.6).max() < 1e-6
    np.testing.assert_array_equal(keras.layers.Dropout(0.4)(ones, training=False), ones)
    assert isinstance(layers.Dropout(0.4).to_keras(), keras.layers.Dropout)
    assert layers.Dropout(0.4).to_keras().rate == 0.4


# -------------------------------------------------------- experiment helpers
def test_unit_ablation_matches_brute_force_and_cancellation_ratio():
    X, y, _, _ = D.make_data(n_train=40, n_val=10)
    model = layers.mlp([2, 8, 2], dropout=0.5, seed=0)
    training.fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(0.02), epochs=20)
    rises = D.unit_ablation(model, X, y)
    loss = losses.SoftmaxCrossEntropy()
    base = loss(model.predict(X), y)[0]
    for j in (0, 5):
        W = model.layers[-1].params["W"]
        saved = W[j].copy()
        W[j] = 0.0  # removing a unit = removing its outgoing weights
        assert rises[j] == pytest.approx(loss(model.predict(X), y)[0] - base, abs=1e-12)
        W[j] = saved
    # Hidden activations = the inputs (identity, ReLU on positive inputs); the two
    # units vote +x1 and -x2 on the margin: per row |x1| + |x2| over |x1 - x2|.
    votes = layers.mlp([2, 2, 2])
    votes.layers[0].params["W"][:] = np.eye(2)
    votes.layers[0].params["b"][:] = 0.0
    votes.layers[-1].params["W"][:] = [[0.0, 1.0], [1.0, 0.0]]
    votes.layers[-1].params["b"][:] = 0.0
    rows = np.array([[3.0, 2.0], [1.0, 0.0], [2.0, 1.0]])  # ratios 5, 1 and 3
    assert D.cancellation_ratio(votes, rows) == pytest.approx(3.0)
    assert D.hidden_activations(model, X).shape == (40, 8)
    with pytest.raises(ValueError, match="no hidden layer"):
        D.unit_ablation(layers.mlp([2, 2]), X, y)
    with pytest.raises(ValueError, match="two-class"):
        D.cancellation_ratio(layers.mlp([2, 4, 3]), X)
    with pytest.raises(TypeError, match="Sequential"):
        D.unit_ablation("model", X, y)


@pytest.mark.parametrize(("sizes", "layer"), [([2, 6, 2], 0), ([2, 6, 5, 2], 0), ([2, 6, 5, 2], 1)])
def test_pair_interactions_match_brute_force(sizes, layer):
    X, y, _, _ = D.make_data(n_train=30, n_val=10)
    model = layers.mlp(sizes, dropout=0.3, seed=1)
    training.fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(0.02), epochs=20)
    inter = D.pair_interactions(model, X, y, layer=layer)
    rises = D.unit_ablation(model, X, y, layer=layer)
    width = sizes[layer + 1]
    assert inter.shape == (width, width)
    np.testing.assert_array_equal(inter, inter.T)
    np.testing.assert_array_equal(np.diag(inter), 0.0)
    loss = losses.SoftmaxCrossEntropy()
    base = loss(model.predict(X), y)[0]
    nxt = [la for la in model.layers if isinstance(la, layers.Dense)][layer + 1]
    for i, j in ((0, 1), (2, 4), (3, 1)):
        saved = nxt.params["W"].copy()
        nxt.params["W"][[i, j]] = 0.0  # removing two units = removing their outgoing weights
        both = loss(model.predict(X), y)[0] - base
        nxt.params["W"][:] = saved
        assert inter[i, j] == pytest.approx(both - rises[i] - rises[j], abs=1e-12)
    share = D.interaction_share(inter, rises)
    i, j = np.triu_indices(width, k=1)
    assert share == pytest.approx(
        np.abs(inter[i, j]).sum() / (np.abs(rises[i]) + np.abs(rises[j])).sum()
    )


def test_pair_interactions_of_independent_units_vanish_and_bad_input():
    # two units that never fire on the same example: removing both is removing each in turn
    X = np.array([[1.0, 0.0], [0.0, 1.0]] * 5)
    y = np.array([0, 1] * 5)
    model = layers.mlp([2, 2, 2], seed=0)
    model.layers[0].params["W"][:] = np.eye(2)
    model.layers[0].params["b"][:] = 0.0
    inter = D.pair_interactions(model, X, y)
    assert np.abs(inter).max() < 1e-12
    with pytest.raises(ValueError, match="integer labels"):
        D.pair_interactions(model, X, y.astype(float))
    with pytest.raises(ValueError, match="must have shape"):
        D.interaction_share(np.zeros((3, 3)), np.zeros(2))
    with pytest.raises(TypeError, match="Sequential"):
        D.pair_interactions("model", X, y)


def test_curvature_interactions_are_the_second_order_of_pair_interactions():
    from course_utils import coadaptation as C

    X, y, _, _ = D.make_data(n_train=40, n_val=10)
    model, _ = D.train_mlp(X, y, 0.5, hidden=(16,), epochs=40)
    out = model.layers[-1].params["W"]
    out *= 0.01  # small votes: the second-order form is (almost) exact
    exact, approx = D.pair_interactions(model, X, y), C.curvature_interactions(model, X)
    assert approx.shape == (16, 16)
    np.testing.assert_array_equal(approx, approx.T)
    np.testing.assert_array_equal(np.diag(approx), 0.0)
    assert np.abs(exact - approx).max() < 0.02 * np.abs(exact).max()
    out *= 100.0  # back to full size: the share grows with the size of the votes
    shares = []
    for scale in (1.0, 0.25):
        out *= scale
        shares.append(
            D.interaction_share(D.pair_interactions(model, X, y), D.unit_ablation(model, X, y))
        )
        out /= scale
    assert shares[1] < shares[0]
    with pytest.raises(ValueError, match="one hidden layer"):
        C.curvature_interactions(layers.mlp([2, 4, 3, 2]), X)


def test_l2_matching_norm_hits_its_target_and_rejects_the_unreachable():
    X, y, _, _ = D.make_data(n_train=30, n_val=10)
    plain, _ = D.train_mlp(X, y, epochs=40)
    target = 0.8 * V.hidden_weight_norm(plain)
    model, l2 = V.l2_matching_norm(X, y, target, tolerance=0.02, seed=None)
    assert abs(V.hidden_weight_norm(model) / target - 1) < 0.02 and l2 > 0
    again, _ = D.train_mlp(X, y, l2=l2)
    assert V.hidden_weight_norm(again) == pytest.approx(V.hidden_weight_norm(model))
    with pytest.raises(ValueError, match="target"):
        V.l2_matching_norm(X, y, -1.0)
    with pytest.raises(ValueError, match="out of reach"):
        V.l2_matching_norm(X, y, 1e6)


def test_l2_matched_control_matches_norms_and_starts_from_the_notebooks_runs():
    (row,) = V.l2_matched_control(rate=0.5, draws=1)
    assert row["seed"] == D.DATA_SETTINGS["seed"]
    names = {"no dropout", "dropout", "L2, same hidden norm"}
    for key in ("hidden_norm", "output_norm", "mean_rise", "share", "cancellation"):
        assert set(row[key]) == names
    norms = row["hidden_norm"]
    assert abs(norms["L2, same hidden norm"] / norms["dropout"] - 1) < 0.03
    X, _, _, _ = D.make_data()
    plain = D.trained_model(0.0)[0]
    assert row["hidden_norm"]["no dropout"] == pytest.approx(V.hidden_weight_norm(plain))
    assert row["cancellation"]["no dropout"] == pytest.approx(D.cancellation_ratio(plain, X))
    assert row["gap"]["no dropout"] == pytest.approx(D.gap(D.trained_model(0.0)[1]))
    assert row["gap"]["dropout"] == pytest.approx(D.gap(D.trained_model(0.5)[1]))
    for name, rate in (("no dropout", 0.0), ("dropout", 0.5)):
        lowest = min(D.trained_model(rate)[1].history["val_loss"])
        assert row["best_val_loss"][name] == pytest.approx(lowest)
    with pytest.raises(ValueError, match="draws"):
        V.l2_matched_control(draws=0)


def test_mask_averaged_loss_is_the_full_loss_plus_the_second_order_penalty():
    X, y, _, _ = D.make_data(n_train=40, n_val=10)
    model = layers.mlp([2, 16, 2], seed=0)
    training.fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(0.02), epochs=30)
    full = losses.SoftmaxCrossEntropy()(model.predict(X), y)[0]
    # rate 0: no mask drops anything, so no penalty
    assert V.mask_averaged_loss(model, X, y, 0.0, n_masks=3)[0] == pytest.approx(full)
    assert V.dropout_penalty(model, X, 0.0) == 0.0
    # small votes (output weights scaled down): the second-order form is the penalty
    model.layers[-1].params["W"] *= 0.1
    full = losses.SoftmaxCrossEntropy()(model.predict(X), y)[0]
    averaged, std_err = V.mask_averaged_loss(model, X, y, 0.5, n_masks=4000, seed=1)
    second = V.dropout_penalty(model, X, 0.5)
    assert second > 0 and std_err < 0.05 * second
    assert averaged - full == pytest.approx(second, rel=0.1)
    # the same mask seed, the same average
    assert V.mask_averaged_loss(model, X, y, 0.3, n_masks=10, seed=2) == V.mask_averaged_loss(
        model, X, y, 0.3, n_masks=10, seed=2
    )
    with pytest.raises(ValueError, match="one hidden layer"):
        V.mask_averaged_loss(layers.mlp([2, 4, 4, 2]), X, y, 0.5)
    with pytest.raises(ValueError, match="two classes"):
        V.dropout_penalty(layers.mlp([2, 4, 3]), X, 0.5)
    with pytest.raises(ValueError, match="rate"):
        V.dropout_penalty(model, X, 1.0)
    with pytest.raises(TypeError, match="Sequential"):
        V.dropout_penalty("model", X, 0.5)


def test_train_regressor_is_the_notebooks_recipe_and_mc_std_is_the_passes_spread():
    x, y = datasets.make_regression_1d(20, noise=0.2, seed=0)
    model = MC.train_regressor(x, y, rate=0.2, epochs=30, seed=1)
    twin = layers.mlp([1, 128, 1], dropout=0.2, seed=1)
    training.fit(twin, x[:, None], y, loss="mse", optimizer=optim.Adam(0.02), epochs=30, seed=1)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    grid = np.linspace(-2, 2, 9)[:, None]
    formula = MC.mc_dropout_std(model, grid)
    passes = MC.mc_dropout_predict(model, grid, 4000, seed=0)[:, :, 0].std(axis=0)
    np.testing.assert_allclose(passes, formula, rtol=0.06)
    with pytest.raises(ValueError, match="Dropout, Dense"):
        MC.mc_dropout_std(layers.mlp([1, 8, 1]), grid)
    with pytest.raises(ValueError, match="same length"):
        MC.train_regressor(x, y[:-1])


def test_mc_dropout_predict_shape_spread_and_restores_generators():
    model = layers.mlp([1, 32, 1], dropout=0.3, seed=0)
    x = np.linspace(-1, 1, 6)[:, None]  # no 0: with zero biases every pass gives 0 there
    before = model.layers[2].rng.bit_generator.state
    out = MC.mc_dropout_predict(model, x, 50, seed=0)
    assert out.shape == (50, 6, 1)
    assert out.std(axis=0).min() > 0  # passes differ
    np.testing.assert_array_equal(out, MC.mc_dropout_predict(model, x, 50, seed=0))
    assert model.layers[2].rng.bit_generator.state == before
    with pytest.raises(ValueError, match="no Dropout"):
        MC.mc_dropout_predict(layers.mlp([1, 4, 1]), x)
    with pytest.raises(ValueError, match="n_samples must be an int"):
        MC.mc_dropout_predict(model, x, 1)


def test_boundary_length_and_gap():
    box = np.array([[-1.0, -1.0], [1.0, 1.0]])
    straight = D.boundary_length(lambda p: (p[:, 0] > 0).astype(int), box, padding=0)
    assert straight == pytest.approx(2.0, rel=0.03)
    wiggly = D.boundary_length(
        lambda p: (p[:, 0] > 0.3 * np.sin(8 * p[:, 1])).astype(int), box, padding=0
    )
    assert wiggly > 1.3 * straight
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        D.boundary_length(lambda p: p, np.ones((3, 3)))
    history = {
        "loss": [1.0, 0.2],
        "val_loss": [1.0, 0.7],
        "accuracy": [0.5, 0.9],
        "val_accuracy": [0.5, 0.8],
    }
    assert D.gap(history) == pytest.approx(0.5)
    assert D.gap(history, "accuracy") == pytest.approx(0.1)
    with pytest.raises(ValueError, match="history has no"):
        D.gap(history, "mae")


# ------------------------------------------------------- figures and widget
def test_network_figures():
    fig = D.thinned_network_figure(sizes=(3, 5, 2), rate=0.5, n_draws=2)
    assert len(fig.axes) == 3
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 4
    masks = D.network_masks((3, 5, 4, 2), 0.5, draw=1)
    assert [m.shape for m in masks] == [(5,), (4,)]
    for m1, m2 in zip(masks, D.network_masks((3, 5, 4, 2), 0.5, draw=1), strict=True):
        np.testing.assert_array_equal(m1, m2)
    with pytest.raises(ValueError, match="draw must be"):
        D.network_masks((3, 5, 2), 0.5, draw=0)
    with pytest.raises(ValueError, match="one per hidden layer"):
        D.draw_network(fig.axes[0], (3, 5, 2), masks=[])
    with pytest.raises(ValueError, match="sizes must list"):
        D.thinned_network_figure(sizes=(3,))


def test_other_figures_draw():
    fig = D.ablation_figure({"a": np.array([0.3, 0.1, 0.0]), "b": np.array([0.01, 0.0, 0.0])})
    assert len(fig.axes[0].lines) == 2 + 1  # two models and the zero line
    sweep = {0.0: {"loss": 0.1, "val_loss": 0.9}, 0.5: {"loss": 0.2, "val_loss": 0.5}}
    assert len(D.sweep_figure(sweep).axes[0].lines) == 2
    grid = np.linspace(-2, 2, 11)
    samples = np.random.default_rng(0).standard_normal((30, 11))
    fig = MC.mc_dropout_figure(np.array([-1.0, 1.0]), np.array([0.0, 0.0]), grid, samples)
    assert fig.axes[0].get_xlabel() == "x"
    assert len(fig.axes[0].lines) == 20 + 1  # 20 passes drawn, then the mean
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "20 of the 30 passes" in labels
    fig = MC.mc_dropout_figure(grid, grid, grid, samples, n_shown=5)
    assert len(fig.axes[0].lines) == 5 + 1
    X, y, _, _ = D.make_data(n_train=20, n_val=10)
    fig = D.boundaries_figure({"a": lambda p: p[:, 0] > 0, "b": lambda p: p[:, 1] > 0}, X, y)
    assert len(fig.axes) == 1  # overlaid: one panel, one boundary line per model
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    length_a = D.boundary_length(lambda p: p[:, 0] > 0, X)
    length_b = D.boundary_length(lambda p: p[:, 1] > 0, X)
    assert labels[2:] == [f"a: length {length_a:.1f}", f"b: length {length_b:.1f}"]
    with pytest.raises(TypeError, match="non-empty dict"):
        D.boundaries_figure({}, X, y)
    with pytest.raises(ValueError, match="samples must have shape"):
        MC.mc_dropout_figure(grid, grid, grid, samples[:, :5])
    with pytest.raises(TypeError, match="non-empty dict"):
        D.ablation_figure([])


def test_control_figure_draws_one_line_per_draw_and_the_mean():
    from course_utils import dropout_vs_l2 as DL

    control = [
        {"cancellation": dict(zip(DL.CONTROL_RUNS, [5.0 + k, 3.0, 2.0], strict=True))}
        for k in range(3)
    ]
    ax = DL.control_figure(control).axes[0]
    assert len(ax.lines) == 3 + 1  # three draws and their mean
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), [6.0, 3.0, 2.0])
    assert ax.get_ylabel() == "votes cancel by a factor of"
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "dropout 0.5"
    with pytest.raises(ValueError, match="key must be one of"):
        DL.control_figure(control, "size")
    with pytest.raises(TypeError, match="non-empty list"):
        DL.control_figure([])


# ------------------------------------------------------------ exercise hints
def test_exercise_hints_name_the_mistake():
    def flipped_mask(x, rate, mode, rng):
        if mode == "test":
            return x * (1 - rate), None
        mask = rng.binomial(1, rate, size=x.shape)  # 1 with probability rate: flipped
        return x * mask, mask

    def no_test_scaling(x, rate, mode, rng):
        if mode == "test":
            return x, None
        mask = rng.binomial(1, 1 - rate, size=x.shape)
        return x * mask, mask

    def no_pair(x, rate, mode, rng):
        return x

    assert "p = 1 - rate" in nb03.check_1(flipped_mask).message
    assert "multiply by 1 - rate" in nb03.check_1(no_test_scaling).message
    assert "inverted dropout" in nb03.check_1(nb03._wrong_1()).message
    assert "pair (out, mask)" in nb03.check_1(no_pair).message
    assert nb03.check_1(nb03._solution_1())
    assert "without scaling" in nb03.check_2(3.0).message
    assert nb03.check_2("4").status == "wrong"
    assert nb03.check_2(nb03._solution_2())
    sweep = D.rate_sweep()
    assert nb03.check_3(nb03._solution_3())
    assert "smallest such rate" in nb03.check_3(nb03._wrong_3()).message
    assert "more than 0.02 above" in nb03.check_3(0.0).message
    assert "one of the rates" in nb03.check_3(0.3).message
    assert nb03._solution_3() < min(sweep, key=lambda r: sweep[r]["val_loss"])
    import keras

    assert nb03.check_4(keras.layers.Dropout(0.1))
    assert "fraction dropped" in nb03.check_4(keras.layers.Dropout(0.9)).message
    assert "NumPy layer" in nb03.check_4(layers.Dropout(0.1)).message
    assert nb03.check_4(0.1).status == "wrong"


def test_dropout_figure_rejects_a_rate_of_one():
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        D.dropout_figure(1.0)
