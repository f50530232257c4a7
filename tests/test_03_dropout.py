"""Notebook 03 (dropout): the functional forms, the experiment helpers, co-adaptation,
the L2 control, MC dropout, the figures and the exercises. The Dropout layer itself is
tested with the other layers (test_layers.py), its Keras twin in test_training_bridge.py."""

import numpy as np
import pytest
from notebook_functions import notebook_functions

from course_utils import datasets, layers, losses, optim, training
from course_utils import dropout as D
from course_utils import dropout_figures as DF
from course_utils import dropout_vs_l2 as V
from course_utils import gradient_check as gc
from course_utils import mc_dropout as MC
from course_utils.exercises import nb03

TOL = 1e-8


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
    ],
)
def test_bad_input_is_rejected_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------ Keras parity
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
    fig = DF.thinned_network_figure(sizes=(3, 5, 2), rate=0.5, n_draws=2)
    assert len(fig.axes) == 3
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 4
    masks = DF.network_masks((3, 5, 4, 2), 0.5, draw=1)
    assert [m.shape for m in masks] == [(5,), (4,)]
    for m1, m2 in zip(masks, DF.network_masks((3, 5, 4, 2), 0.5, draw=1), strict=True):
        np.testing.assert_array_equal(m1, m2)
    with pytest.raises(ValueError, match="draw must be"):
        DF.network_masks((3, 5, 2), 0.5, draw=0)
    with pytest.raises(ValueError, match="one per hidden layer"):
        DF.draw_network(fig.axes[0], (3, 5, 2), masks=[])
    with pytest.raises(ValueError, match="sizes must list"):
        DF.thinned_network_figure(sizes=(3,))


def test_other_figures_draw():
    fig = DF.ablation_figure({"a": np.array([0.3, 0.1, 0.0]), "b": np.array([0.01, 0.0, 0.0])})
    assert len(fig.axes[0].lines) == 2 + 1  # two models and the zero line
    sweep = {0.0: {"loss": 0.1, "val_loss": 0.9}, 0.5: {"loss": 0.2, "val_loss": 0.5}}
    assert len(DF.sweep_figure(sweep).axes[0].lines) == 2
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
    fig = DF.boundaries_figure({"a": lambda p: p[:, 0] > 0, "b": lambda p: p[:, 1] > 0}, X, y)
    assert len(fig.axes) == 1  # overlaid: one panel, one boundary line per model
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    length_a = D.boundary_length(lambda p: p[:, 0] > 0, X)
    length_b = D.boundary_length(lambda p: p[:, 1] > 0, X)
    assert labels[2:] == [f"a: length {length_a:.1f}", f"b: length {length_b:.1f}"]
    with pytest.raises(TypeError, match="non-empty dict"):
        DF.boundaries_figure({}, X, y)
    with pytest.raises(ValueError, match="samples must have shape"):
        MC.mc_dropout_figure(grid, grid, grid, samples[:, :5])
    with pytest.raises(TypeError, match="non-empty dict"):
        DF.ablation_figure([])


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
        DF.dropout_figure(1.0)


# ----------------------------------------------------------- the notebook's own copies


def test_the_notebooks_functions_compute_what_the_package_copies_do():
    # Notebook 03 writes these for the learner; the package keeps copies that
    # dropout_vs_l2 and the notebook's later cells reuse. Same numbers, or this fails in
    # a second instead of at the end of a notebook run.
    nb = notebook_functions("03_dropout.ipynb")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 2))
    y = rng.integers(0, 2, 40)
    model = layers.mlp([2, 12, 2], seed=3)
    np.testing.assert_allclose(nb["unit_ablation"](model, x, y), D.unit_ablation(model, x, y))
    np.testing.assert_allclose(
        nb["pair_interactions"](model, x, y), D.pair_interactions(model, x, y), atol=1e-12
    )
    assert nb["cancellation_ratio"](model, x) == pytest.approx(D.cancellation_ratio(model, x))
    acts = rng.standard_normal((3, 5))
    out, mask = nb["dropout_forward"](acts, 0.4, "train", rng=np.random.default_rng(1))
    np.testing.assert_array_equal(out, D.dropout_forward(acts, 0.4, mode="train", mask=mask)[0])
    np.testing.assert_array_equal(
        nb["dropout_backward"](acts, mask, 0.4), D.dropout_backward(acts, mask, 0.4)
    )
