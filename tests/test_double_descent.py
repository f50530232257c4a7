"""Notebook 07's module: random features, the minimum-norm and ridge read-outs, gradient
descent from any start (run and exact), the double-descent loop, argument checks and the
figures."""

import numpy as np
import pytest

from course_utils import double_descent as dd
from course_utils import l1_l2, plotting


def _wide(seed=0, n=8, p=20):
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal((n, p)), 0.0), rng.standard_normal(n)


def test_problem_shares_inputs_and_weights_across_noise_levels():
    a, b = dd.make_problem(3, noise=0.5), dd.make_problem(3, noise=2.0)
    assert a.X.shape == (dd.N_TRAIN, dd.N_INPUTS) and len(a.y_test) == dd.N_TEST
    assert np.array_equal(a.X_test, b.X_test) and np.array_equal(a.coef, b.coef)
    np.testing.assert_allclose(b.y - b.X @ b.coef, 4 * (a.y - a.X @ a.coef))
    assert np.all(a.coef != 0)  # every input informative
    assert not np.array_equal(dd.make_problem(4).X, a.X)


def test_features_are_relu_of_a_fixed_random_layer():
    W = dd.random_weights(3, 5, seed=1)
    np.testing.assert_array_equal(W, dd.random_weights(3, 5, seed=1))
    X = np.random.default_rng(2).standard_normal((4, 3))
    F = dd.relu_features(X, W)
    np.testing.assert_array_equal(F, np.maximum(X @ W, 0))
    with pytest.raises(ValueError, match="X has 2 columns but W has 3 rows"):
        dd.relu_features(X[:, :2], W)


@pytest.mark.parametrize("shape", [(8, 20), (20, 6), (10, 10)])
def test_min_norm_readout_is_pinv(shape):
    F, y = _wide(1, *shape)
    np.testing.assert_allclose(dd.fit_readout(F, y), np.linalg.pinv(F) @ y, atol=1e-10)


def test_ridge_readout_zeroes_the_gradient_of_notebook_02s_cost():
    F, y = _wide(2)
    for lam in (1e-3, 0.1, 2.0):
        a = dd.fit_readout(F, y, lam)
        grad = 2 / len(y) * F.T @ (F @ a - y) + l1_l2.l2_gradient(a, lam)
        assert np.abs(grad).max() < 1e-10
    path = dd.ridge_path(F, y, [0.0, 0.1])
    np.testing.assert_allclose(path[1], dd.fit_readout(F, y, 0.1))
    assert np.linalg.norm(path[1]) < np.linalg.norm(path[0])  # L2 shrinks


def test_gradient_descent_from_zero_reaches_min_norm_and_from_elsewhere_its_limit():
    F, y = _wide(3)
    a_star = dd.fit_readout(F, y)
    np.testing.assert_allclose(dd.gradient_descent(F, y, 30_000), a_star, atol=1e-8)
    start = np.random.default_rng(4).standard_normal(F.shape[1])
    ended = dd.gradient_descent(F, y, 30_000, start=start)
    np.testing.assert_allclose(ended, dd.gradient_descent_limit(F, y, start), atol=1e-8)
    assert np.linalg.norm(ended - a_star) > 0.5  # not the minimum-norm read-out
    np.testing.assert_allclose(F @ ended, y, atol=1e-8)  # though it fits the points too


def test_gradient_descent_with_l2_reaches_the_ridge_readout():
    F, y = _wide(5)
    np.testing.assert_allclose(dd.gradient_descent(F, y, 5000, lam=0.5), dd.fit_readout(F, y, 0.5))


@pytest.mark.parametrize("shape", [(8, 20), (20, 6)])
def test_stopped_descent_matches_running_the_steps(shape):
    F, y = _wide(6, *shape)
    steps = [0, 1, 7, 300]
    exact = dd.stopped_descent(F, y, steps)
    for t, row in zip(steps, exact, strict=True):
        np.testing.assert_allclose(row, dd.gradient_descent(F, y, t), atol=1e-10)


def test_double_descent_peaks_at_the_threshold_and_ridge_flattens_it():
    res = dd.double_descent((10, 20, 30, 40, 300), range(8))
    med = {k: np.median(res[k], axis=0) for k in ("test", "ridge_test", "norm", "train")}
    assert np.argmax(med["test"]) == 2 and np.argmax(med["norm"]) == 2
    assert med["test"][-1] < med["test"][0]  # the second descent
    assert med["ridge_test"][2] < med["test"][2] / 5
    assert np.all(res["train"][:, 2:] < 1e-20) and np.all(res["train"][:, :2] > 1e-6)
    assert set(np.unique(res["ridge_lam"])) <= set(dd.LAMS)
    np.testing.assert_array_equal(res["counts"], [10, 20, 30, 40, 300])


def test_double_descent_without_ridge_and_nested_features():
    res = dd.double_descent((5, 40), [0], lams=())
    assert np.all(res["ridge_test"] == 0)
    pr = dd.make_problem(0)
    W = dd.random_weights(dd.N_INPUTS, 40, 10_000)  # the loop's features for draw 0
    a = dd.fit_readout(dd.relu_features(pr.X, W[:, :5]), pr.y)
    test = l1_l2.mse(dd.relu_features(pr.X_test, W[:, :5]) @ a, pr.y_test)
    assert res["test"][0, 0] == pytest.approx(test)
    assert dd.single_fit(5)["test"] == pytest.approx(
        dd.double_descent((5, 1000), [0])["test"][0, 0]
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: dd.make_problem(0, n_train=1), ValueError, "n_train must be an int in"),
        (lambda: dd.make_problem(0, noise=-1), ValueError, "noise must be in"),
        (lambda: dd.random_weights(3, 0, 0), ValueError, "n_features must be an int in"),
        (lambda: dd.fit_readout(np.ones((3, 2)), np.ones(4)), ValueError, "same number of rows"),
        (lambda: dd.fit_readout(np.ones((3, 2)), np.ones(3), -1), ValueError, "lam must be in"),
        (
            lambda: dd.gradient_descent(np.ones((3, 2)), np.ones(3), 5, start=np.ones(3)),
            ValueError,
            "start must have 2 entries",
        ),
        (lambda: dd.gradient_descent(np.ones((3, 2)), np.ones(3), -1), ValueError, "steps"),
        (
            lambda: dd.gradient_descent(np.ones((3, 2)), np.ones(3), 2, learning_rate=0),
            ValueError,
            "learning_rate must be in",
        ),
        (lambda: dd.stopped_descent(np.ones((3, 2)), np.ones(3), [-1]), ValueError, "steps"),
        (lambda: dd.double_descent((0,), [0]), ValueError, "each feature count"),
        (lambda: dd.double_descent((5,), []), ValueError, "at least one"),
        (lambda: dd.single_fit(5000), ValueError, "n_features must be an int in"),
        (lambda: dd.try_it_figure(10, noise="loud"), TypeError, "noise must be a number"),
        (lambda: dd.fits_figure(()), ValueError, "at least one feature count"),
    ],
)
def test_bad_arguments_say_what_is_allowed(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_figures_are_pure_and_depend_on_their_arguments():
    first = plotting.figure_to_array(dd.try_it_figure(30, 1.0))
    np.testing.assert_array_equal(first, plotting.figure_to_array(dd.try_it_figure(30, 1.0)))
    assert not np.array_equal(first, plotting.figure_to_array(dd.try_it_figure(300, 1.0)))
    fig = dd.fits_figure((10, 30))
    assert len(fig.axes) == 2
    res = dd.double_descent((10, 30), range(3), lams=())
    assert len(dd.curve_figure(res["counts"], {"test": res["test"]}).axes[0].lines) >= 2
    with pytest.raises(ValueError, match="has 2 columns, expected 3"):
        dd.curve_figure([1, 2, 3], {"test": res["test"]})
