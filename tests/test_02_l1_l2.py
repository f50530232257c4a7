"""Notebook 02's module: penalties and their gradients, the fits (closed form, subgradient,
proximal), NumPy/Keras parity, argument checks, the "Try it" figure and its widget."""

import numpy as np
import pytest
from notebook_functions import notebook_functions

from course_utils import gradient_check as gc
from course_utils import (
    keras_bridge,
    l1_l2,
    l1_l2_network,
    layers,
    losses,
    plotting,
    regularizers,
)
from course_utils import l1_l2_figures as LF

LAM = 0.3


def _w(shape=(4, 3), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _sparse(seed=0):
    from course_utils import datasets

    return datasets.make_sparse_linear(100, 30, 5, noise=0.5, seed=seed)


# --- penalties and gradients ----------------------------------------------------------


@pytest.mark.parametrize(
    ("penalty", "gradient"),
    [(l1_l2.l2_penalty, l1_l2.l2_gradient), (l1_l2.l1_penalty, l1_l2.l1_subgradient)],
)
def test_penalty_gradients_match_numeric_ones(penalty, gradient):
    w = _w()
    numeric = gc.numerical_gradient(lambda: penalty(w, LAM), w)
    assert gc.rel_error(gradient(w, LAM), numeric) < 1e-7


def test_penalties_have_their_textbook_values_and_frobenius_link():
    w = _w()
    assert l1_l2.l2_penalty(w, LAM) == pytest.approx(LAM / 2 * np.linalg.norm(w) ** 2)
    assert l1_l2.l1_penalty(w, LAM) == pytest.approx(LAM * np.abs(w).sum())
    assert l1_l2.penalty(w, LAM, "l1") == l1_l2.l1_penalty(w, LAM)
    np.testing.assert_array_equal(l1_l2.penalty_gradient(w, LAM, "l2"), LAM * w)
    np.testing.assert_array_equal(l1_l2.l1_subgradient([-2.0, 0.0, 3.0], 0.5), [-0.5, 0, 0.5])


def test_textbook_l2_is_keras_l2_of_half_lambda():
    import keras

    w = _w((5, 2))
    assert l1_l2.keras_l2_argument(LAM) == LAM / 2
    keras_value = float(keras.regularizers.L2(l1_l2.keras_l2_argument(LAM))(w.astype("float32")))
    assert keras_value == pytest.approx(l1_l2.l2_penalty(w, LAM), rel=1e-5)
    assert regularizers.L2(LAM / 2)(w) == pytest.approx(l1_l2.l2_penalty(w, LAM))


def test_soft_threshold_stops_at_zero():
    w = np.array([-2.0, -0.1, 0.0, 0.1, 3.0])
    out = regularizers.soft_threshold(w, 0.5)
    np.testing.assert_array_equal(out, [-1.5, 0, 0, 0, 2.5])
    assert not np.any(np.signbit(out[1:4])), "zeros must print as 0., never -0."
    assert l1_l2.soft_threshold is regularizers.soft_threshold


@pytest.mark.parametrize(
    "reg", [regularizers.L1(0.4), regularizers.L2(0.4), regularizers.L1L2(0.3, 0.2)]
)
def test_proximal_step_minimises_its_objective(reg):
    w, step = _w((6,)), 0.5

    def objective(v):
        return step * reg(v) + 0.5 * np.sum((v - w) ** 2)

    best = reg.proximal(w, step)
    rng = np.random.default_rng(1)
    for _ in range(200):
        assert objective(best) <= objective(best + 0.05 * rng.standard_normal(6)) + 1e-12


# --- fits -----------------------------------------------------------------------------


def test_ridge_zeroes_the_gradient_and_leaves_the_bias_free():
    X, y, _ = _sparse()
    w, b = l1_l2.fit_ridge(X, y + 5.0, LAM)  # a large offset: an unpenalized bias absorbs it
    r = X @ w + b - (y + 5.0)
    grad_w = 2 / len(y) * X.T @ r + l1_l2.l2_gradient(w, LAM)
    assert np.max(np.abs(grad_w)) < 1e-10 and abs(r.mean()) < 1e-10
    w0, _ = l1_l2.fit_ridge(X, y, 0.0)
    Xa = np.c_[X, np.ones(len(X))]
    np.testing.assert_allclose(w0, np.linalg.lstsq(Xa, y, rcond=None)[0][:-1], atol=1e-10)


def test_proximal_l1_meets_the_optimality_conditions_and_gives_exact_zeros():
    X, y, coef = _sparse()
    w, b = l1_l2.fit_l1(X, y, LAM, method="proximal", steps=2000)
    grad = 2 / len(y) * X.T @ (X @ w + b - y)
    on = w != 0
    np.testing.assert_allclose(grad[on], -LAM * np.sign(w[on]), atol=1e-8)
    assert np.all(np.abs(grad[~on]) <= LAM + 1e-8)
    assert np.sum(w[coef == 0] == 0) >= 20 and np.all(w[coef != 0] != 0)
    w_fast, _ = l1_l2.fit_l1(X, y, LAM, method="accelerated", steps=500)
    np.testing.assert_allclose(w_fast, w, atol=1e-8)


def test_subgradient_steps_hover_around_zero():
    X, y, coef = _sparse()
    w, _, path = l1_l2.fit_l1(
        X, y, LAM, method="subgradient", steps=300, learning_rate=0.1, return_path=True
    )
    assert path.shape == (300, 30) and np.array_equal(path[-1], w)
    assert np.sum(w == 0) == 0 and np.max(np.abs(w[coef == 0])) < 0.1


def test_regularization_paths():
    X, y, coef = _sparse()
    lams = np.logspace(-3, 1, 12)
    path_l1 = l1_l2.regularization_path(X, y, lams[::-1], "l1")[::-1]
    path_l2 = l1_l2.regularization_path(X, y, lams, "l2")
    assert path_l1.shape == path_l2.shape == (12, 30)
    assert np.all(path_l1[-1] == 0) and np.all(path_l2 != 0)
    nonzeros = (path_l1 != 0).sum(axis=1)
    assert nonzeros[0] >= 25 and np.all(np.diff(nonzeros) <= 1)
    last_on = np.array([lams[path_l1[:, j] != 0].max(initial=0.0) for j in range(30)])
    assert last_on[coef != 0].min() > last_on[coef == 0].max()  # the useful ones leave last


def test_lambda_sweep_has_a_u_shape_on_validation():
    data = l1_l2.curve_data()
    lams = np.r_[0.0, np.logspace(-6, 1, 8)]
    sweep = l1_l2.lambda_sweep(data, lams, "l2")
    assert set(sweep) == {"lam", "train", "val", "norm"}  # no test error: that comes later
    best = int(np.argmin(sweep["val"]))
    assert 0 < best < len(lams) - 1
    assert sweep["val"][best] < sweep["val"][0] / 2 and sweep["val"][-1] > 2 * sweep["val"][best]
    assert np.all(np.diff(sweep["norm"][1:]) < 0)  # more penalty, lighter weights


def test_lambda_sweep_never_reads_the_test_points():
    data = l1_l2.curve_data()
    spoiled = data._replace(y_test=np.full_like(data.y_test, np.nan))  # any read would show
    sweep = l1_l2.lambda_sweep(spoiled, [0.0, 1e-3, 1e-1], "l2")
    assert all(np.all(np.isfinite(v)) for v in sweep.values())


def test_report_test_mse_scores_one_fit_on_the_test_points():
    data = l1_l2.curve_data()
    w, b = l1_l2.fit_ridge(data.X, data.y, 3e-3)
    want = l1_l2.mse(l1_l2.predict_linear(data.X_test, w, b), data.y_test)
    assert l1_l2.report_test_mse(data, 3e-3) == pytest.approx(want, rel=1e-12)
    assert l1_l2.report_test_mse(data, 3e-3) != l1_l2.report_test_mse(data, 1e-1)


def test_lambda_choice_over_draws_chooses_on_validation_and_scores_each_rule_on_test():
    lams = np.r_[0.0, np.logspace(-6, 1, 8)]
    out = l1_l2.lambda_choice_over_draws([1, 4], lams, factor=10)
    assert set(out) == {"chosen", "val", "test"}
    assert set(out["test"]) == {"chosen", "none", "stronger", "weaker"}
    for i, seed in enumerate([1, 4]):
        data = l1_l2.curve_data(seed)
        sweep = l1_l2.lambda_sweep(data, lams)
        best = int(np.argmin(sweep["val"]))
        assert out["chosen"][i] == lams[best] and out["val"][i] == sweep["val"][best]
        for rule, lam in [("chosen", lams[best]), ("none", 0.0), ("stronger", 10 * lams[best])]:
            assert out["test"][rule][i] == pytest.approx(l1_l2.report_test_mse(data, lam))
    assert np.all(out["test"]["none"] > out["test"]["chosen"])


def test_sparsity_over_draws_counts_the_zeros_of_each_fit():
    out = l1_l2.sparsity_over_draws([0, 3], 0.3, n_samples=100, n_features=30, n_informative=5)
    X, y, coef = _sparse(3)
    w1, _ = l1_l2.fit_l1(X, y, 0.3, method="proximal", steps=500, learning_rate=0.1)
    assert out["l1_zeros"][1] == np.sum(w1[coef == 0] == 0)
    assert out["l1_kept"][1] == np.sum(w1[coef != 0] != 0) == 5
    assert list(out["irrelevant"]) == [25, 25] and list(out["relevant"]) == [5, 5]
    assert np.all(out["l1_zeros"] >= 20) and np.all(out["l2_zeros"] == 0)


def test_threshold_on_validation_takes_the_sparsest_model_within_one_standard_error():
    _, _, coef = _sparse()
    rng = np.random.default_rng(5)
    X_val = rng.standard_normal((200, 30))
    y_val = X_val @ coef + 0.5 * rng.standard_normal(200)
    w = coef + np.where(coef == 0, 1e-3, 0.0)  # tiny non-zero values where 0 is right
    thresholds = np.array([0.0, 1e-4, 1e-2, 0.5, 5.0])
    out = l1_l2.threshold_on_validation(w, 0.0, X_val, y_val, thresholds)
    assert out["threshold"] == 0.5  # 1e-2 and 0.5 both zero the 25 tiny weights: take the larger
    assert list(out["zeros"]) == [0, 0, 25, 25, 30]
    assert out["val"][-1] > 10 * out["val"][out["best"]]  # 5.0 drops the signal
    assert out["se"] > 0


def test_curve_model_l2_lowers_the_norm_and_records_history():
    data = l1_l2.curve_data()
    _, plain = l1_l2_network.train_curve_model(data, 0.0, epochs=300)
    model, ridge = l1_l2_network.train_curve_model(data, 0.01, epochs=300)
    assert len(plain.norms) == 301 and len(plain.history["val_mse"]) == 300
    assert ridge.norms[-1] < plain.norms[-1] < 10 * plain.norms[0]
    assert plain.norms[-1] > 2 * plain.norms[0]
    assert ridge.history["mse"][-1] == pytest.approx(l1_l2.mse(model.predict(data.X)[:, 0], data.y))
    _, lasso = l1_l2_network.train_curve_model(data, 0.01, penalty="l1", epochs=50)
    assert len(lasso.norms) == 51


# --- Keras parity -----------------------------------------------------------------------


def test_regularized_loss_and_gradients_match_keras():
    import tensorflow as tf

    from course_utils import datasets

    X, y = datasets.make_classification_2d(60, seed=0)
    net = layers.mlp(
        [2, 8, 8, 2],
        activation="tanh",
        kernel_regularizer=[
            regularizers.L2(0.01),
            regularizers.L1(0.005),
            regularizers.L1L2(0.002, 0.01),
        ],
        seed=0,
    )
    twin = keras_bridge.to_keras(net)
    loss = losses.SoftmaxCrossEntropy()
    value, dlogits = loss(net.forward(X), y)
    net.backward(dlogits)
    with tf.GradientTape() as tape:
        total = loss.to_keras()(y, twin(X.astype("float32"), training=True)) + tf.add_n(twin.losses)
    grads = tape.gradient(total, twin.trainable_weights)
    assert float(total) == pytest.approx(value + net.penalty(), abs=1e-5)
    ours = [layer.grads[name] for layer, name in net.parameters()]
    assert (
        max(keras_bridge.max_abs_diff(a, b.numpy()) for a, b in zip(ours, grads, strict=True))
        < 1e-5
    )
    assert all(layer.bias_regularizer is None for layer in twin.layers if hasattr(layer, "bias"))


# --- argument checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: l1_l2.l2_penalty(np.ones(3), -0.1), r"lam must be in \[0, inf\], got -0.1"),
        (lambda: l1_l2.l1_subgradient(np.ones(3), "big"), "lam must be a number"),
        (lambda: l1_l2.penalty(np.ones(3), 0.1, "l3"), r"kind must be one of \['l1', 'l2'\]"),
        (lambda: l1_l2.fit_penalized(np.ones((3, 2)), np.ones(3), 0.1, "ridge"), "penalty must"),
        (lambda: l1_l2.fit_ridge(np.ones(3), np.ones(3), 0.1), "X must have 2 dimensions"),
        (lambda: l1_l2.fit_ridge(np.ones((3, 2)), np.ones(4), 0.1), "same number of rows"),
        (lambda: l1_l2.fit_ridge(np.ones((3, 2)), np.ones((3, 1)), 0.1), "y must have 1"),
        (lambda: l1_l2.fit_l1(np.ones((3, 2)), np.ones(3), 0.1, method="adam"), "method must"),
        (lambda: l1_l2.fit_l1(np.ones((3, 2)), np.ones(3), 0.1, steps=0), "steps must be"),
        (lambda: l1_l2.fit_l1(np.ones((3, 2)), np.ones(3), 0.1, w0=np.ones(3)), "w0 must have 2"),
        (lambda: l1_l2.predict_linear(np.ones((3, 2)), np.ones(3)), "X has 2 columns"),
        (lambda: l1_l2.regularization_path(np.ones((3, 2)), np.ones(3), [0.1, -1]), "lam must"),
        (lambda: l1_l2.lambda_sweep("data", [0.1]), "data must be a CurveData"),
        (lambda: l1_l2.report_test_mse("data", 0.1), "data must be a CurveData"),
        (lambda: l1_l2.report_test_mse(l1_l2.curve_data(), -1.0), "lam must be in"),
        (
            lambda: l1_l2.threshold_on_validation(np.ones(2), 0.0, np.ones((3, 2)), np.ones(3), []),
            "thresholds must hold",
        ),
        (
            lambda: l1_l2.threshold_on_validation(
                np.ones(2), 0.0, np.ones((1, 2)), np.ones(1), [0]
            ),
            "at least 2 points",
        ),
        (lambda: l1_l2.mse(np.ones(3), np.ones(4)), "same shape"),
        (lambda: l1_l2.lambda_choice_over_draws([], [0.1]), "at least one seed"),
        (lambda: l1_l2.lambda_choice_over_draws([1], [0.1], factor=1.0), "factor must be in"),
        (lambda: l1_l2.sparsity_over_draws([1], -0.1), "lam must be in"),
        (lambda: l1_l2.sparsity_over_draws([-1], 0.1), "seed must be an int"),
        (lambda: regularizers.soft_threshold(np.ones(3), -1.0), "threshold must be in"),
        (lambda: regularizers.L1(0.1).proximal(np.ones(3), -1.0), "step must be in"),
        (lambda: LF.penalty_figure(-1.0), "lam must be in"),
        (lambda: LF.penalty_figure(0.1, "L3"), "penalty must be one of"),
        (lambda: LF.plot_regularization_path([0.1, 1.0], np.ones((3, 2))), "3 rows but"),
        (
            lambda: LF.plot_regularization_path([1.0], np.ones((1, 2)), [True]),
            "mask of shape",
        ),
        (lambda: LF.plot_weight_bars({}), "non-empty dict"),
        (lambda: LF.plot_weight_bars({"a": np.ones(3), "b": np.ones(4)}), "same length"),
        (lambda: LF.plot_weight_bars({"a": np.ones(3)}, [True]), "mask of shape"),
        (lambda: LF.plot_mse_curves({}), "non-empty dict"),
        (lambda: layers.kernel_norm("model"), "course_utils Sequential"),
    ],
)
def test_bad_arguments_get_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# --- figures and the widget -----------------------------------------------------------


def test_penalty_figure_is_pure_and_shows_the_zeros():
    fig_l1 = LF.penalty_figure(0.01, "l1")
    fig_l2 = LF.penalty_figure(0.01, "l2")
    assert len(fig_l1.axes) == 2
    assert "exactly 0" in fig_l1.axes[1].get_title()
    assert fig_l2.axes[1].get_title().startswith("12 weights: 0 exactly 0")
    assert fig_l1.axes[1].get_title().startswith("12 weights: 8 exactly 0")
    assert len(fig_l1.axes[1].patches) == 12  # one bar per power of x
    circles = [line for line in fig_l1.axes[1].lines if line.get_marker() == "o"]
    assert len(circles[0].get_xdata()) == 8  # the 8 exact zeros, marked
    a1, a2 = plotting.figure_to_array(fig_l1), plotting.figure_to_array(fig_l2)
    assert a1.shape == a2.shape and not np.array_equal(a1, a2)
    np.testing.assert_array_equal(plotting.figure_to_array(LF.penalty_figure(0.01, "l1")), a1)


def test_path_and_histogram_figures_draw():
    X, y, coef = _sparse()
    lams = np.logspace(-2, 0, 5)
    fig = LF.plot_regularization_path(lams, l1_l2.regularization_path(X, y, lams, "l2"), coef)
    assert len(fig.axes[0].lines) == 31  # 30 weights and the zero line
    fig = LF.plot_weight_bars({"a": np.zeros(4), "b": np.arange(4.0)}, [True, True, False, False])
    assert [ax.get_title() for ax in fig.axes] == ["a: 4 of 4 exactly 0", "b: 1 of 4 exactly 0"]
    assert len(fig.axes[1].patches) == 4  # one bar per weight
    circles = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    assert len(circles) == 1 and len(circles[0].get_xdata()) == 4  # every exact zero marked


def test_mse_curves_figure_shows_the_noise_floor():
    data = l1_l2.curve_data()
    _, log = l1_l2_network.train_curve_model(data, 0.003, epochs=20)
    fig = LF.plot_mse_curves({"a": log}, noise=0.3)
    ax = fig.axes[0]
    assert ax.get_ylabel().startswith("MSE") and ax.get_yscale() == "log"
    floor = [line for line in ax.lines if line.get_label() == "noise floor"]
    assert len(floor) == 1 and floor[0].get_ydata()[0] == pytest.approx(0.09)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a (train)", "a (validation)", "noise floor"]


def test_figure_l1_fit_has_converged_at_the_slider_low_end():
    data = l1_l2.curve_data()
    w, _ = l1_l2.fit_l1(data.X, data.y, 1e-4, method="accelerated", steps=l1_l2.FIGURE_L1_STEPS)
    w_long, _ = l1_l2.fit_l1(data.X, data.y, 1e-4, method="accelerated", steps=40_000)
    assert np.max(np.abs(w - w_long)) < 0.1 and np.sum(w == 0) == np.sum(w_long == 0)


# --- exercise hints -------------------------------------------------------------------


def test_exercise_1_hints_name_the_mistake():
    from course_utils.exercises import nb02

    def only_l2(w, l1, l2):
        return 2 * l2 * np.asarray(w)

    def abs_not_sign(w, l1, l2):
        return l1 * np.asarray(w) + 2 * l2 * np.asarray(w)

    assert "no 1/2" in nb02.check_1(nb02._wrong_1()).message
    assert "L2 part only" in nb02.check_1(only_l2).message
    assert "sign(w)" in nb02.check_1(abs_not_sign).message

    def any_subgradient_at_zero(w, l1, l2):
        w = np.asarray(w)
        return np.where(w == 0, 0.5 * l1, l1 * np.sign(w) + 2 * l2 * w)

    assert nb02.check_1(any_subgradient_at_zero)


def test_exercise_3_catches_the_notebooks_own_data():
    from course_utils.exercises import nb02

    on_data = nb02._best_on_notebook_data()
    assert on_data != nb02._solution_3()  # the seeds are chosen so the two differ
    result = nb02.check_3(on_data)
    assert not result and "ex3" in result.message


def test_exercise_3_reports_the_test_error_of_the_chosen_lambda_only():
    from course_utils.exercises import nb02

    best = nb02._solution_3()
    result = nb02.check_3(best)
    test = l1_l2.report_test_mse(l1_l2.curve_data(nb02.SEED_3), best)
    assert result and f"Its test MSE, {test:.3f}" in result.message


def test_the_notebooks_functions_compute_what_the_package_copies_do():
    # Notebook 02 writes the penalties, the closed-form ridge and the soft threshold for
    # the learner; the package's copies serve the rest of the course. Same numbers.
    nb = notebook_functions("02_l1_l2.ipynb")
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3))
    for name in ("l2_penalty", "l2_gradient", "l1_penalty", "l1_subgradient"):
        np.testing.assert_allclose(nb[name](w, 0.3), getattr(l1_l2, name)(w, 0.3), rtol=1e-14)
    X, y = rng.standard_normal((30, 5)), rng.standard_normal(30)
    (w_nb, b_nb), (w_pkg, b_pkg) = nb["fit_ridge"](X, y, 0.2), l1_l2.fit_ridge(X, y, 0.2)
    np.testing.assert_allclose(w_nb, w_pkg, rtol=1e-10)
    assert b_nb == pytest.approx(b_pkg, rel=1e-10)
    np.testing.assert_array_equal(nb["soft_threshold"](w, 0.5), regularizers.soft_threshold(w, 0.5))
