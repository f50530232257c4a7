"""Gradient descent on notebook 02's ridge problem: conditioning, convergence, and stopped
descent matching a ridge penalty of the order of 1 / (eta * t) (notebooks 02 and 05)."""

import numpy as np
import pytest

from course_utils import l1_l2, ridge_gd


@pytest.fixture(scope="module")
def data():
    return l1_l2.curve_data()


def test_gradient_descent_reaches_the_closed_form(data):
    W, b = ridge_gd.gradient_descent(data.X, data.y, 0.1, at=[5, 2000])
    w_star, b_star = l1_l2.fit_ridge(data.X, data.y, 0.1)
    assert np.linalg.norm(W[0] - w_star) > 1e-2  # 5 steps: not there yet
    assert np.allclose(W[1], w_star, atol=1e-10) and b[1] == pytest.approx(b_star)


def test_gradient_descent_records_the_same_path_whatever_the_checkpoints(data):
    W1, _ = ridge_gd.gradient_descent(data.X, data.y, 0.0, at=[3, 7])
    W2, _ = ridge_gd.gradient_descent(data.X, data.y, 0.0, at=[7])
    assert np.array_equal(W1[1], W2[0])


def test_l2_improves_conditioning_and_cuts_the_steps(data):
    lams = [0.0, 1e-3, 1e-2, 1e-1]
    kappas = [ridge_gd.condition_number(data.X, lam) for lam in lams]
    assert np.all(np.diff(kappas) < 0) and kappas[0] > 1e8 and kappas[-1] < 20
    s = ridge_gd.hessian_eigenvalues(data.X, 1e-2)
    assert kappas[2] == pytest.approx(s[-1] / s[0], rel=1e-6)  # the Hessian's ratio
    steps = [ridge_gd.steps_to_converge(data.X, data.y, lam, max_steps=5000) for lam in lams]
    assert steps[0] is None  # no penalty: not within 0.1% of w* in 5000 steps
    assert steps[1] > steps[2] > steps[3]
    for lam, kappa, n in zip(lams[1:], kappas[1:], steps[1:], strict=True):
        assert n <= ridge_gd.steps_bound(kappa), lam  # never slower than the bound


def test_steps_bound_is_kappa_log_one_over_tol_for_large_kappa():
    assert ridge_gd.steps_bound(1e4, 1e-3) == pytest.approx(1e4 * np.log(1e3), rel=1e-3)
    assert ridge_gd.steps_bound(1.0) == 1.0


def test_stopped_descent_matches_ridge_with_lambda_of_order_one_over_eta_t(data):
    eta = ridge_gd.learning_rate_for(data.X)
    steps = [10, 100, 1000, 10000]
    W, _ = ridge_gd.gradient_descent(data.X, data.y, 0.0, at=steps)
    lams = np.logspace(-7, 1, 200)
    matched = [ridge_gd.closest_ridge(data.X, data.y, w, lams) for w in W]
    products = np.array([lam * eta * t for (lam, _), t in zip(matched, steps, strict=True)])
    assert np.all((products > 0.1) & (products < 2)), products
    assert matched[0][0] > 500 * matched[-1][0]  # while lambda itself moves a lot
    assert max(gap for _, gap in matched) < 0.2


def test_filter_factors_cross_one_half_where_expected():
    s = np.array([1e-4, 1e-2, 1.0])
    assert ridge_gd.filter_factors(s, lam=1e-2)[1] == pytest.approx(0.5)
    eta, t = 1.0, 100
    half = np.log(2) / (eta * t)
    assert ridge_gd.filter_factors(np.array([half]), eta=eta, t=t)[0] == pytest.approx(
        0.5, abs=0.01
    )


def test_early_stopping_as_l2_figure_draws_both_panels(data):
    fig = ridge_gd.early_stopping_as_l2_figure(
        data.X, data.y, data.X_val, data.y_val, steps=[10, 100, 1000], lams=np.logspace(-5, 0, 20)
    )
    left, right = fig.axes
    assert len(left.lines) == 3 and len(right.lines) == 2
    assert len(right.lines[1].get_xdata()) == 3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ridge_gd.condition_number(np.ones(3)), "X must have 2 dimensions"),
        (lambda: ridge_gd.condition_number(np.ones((3, 2)), -1.0), "lam must be in"),
        (lambda: ridge_gd.gradient_descent(np.ones((3, 2)), np.ones(4)), "same number of rows"),
        (lambda: ridge_gd.gradient_descent(np.ones((3, 2)), np.ones(3), at=[5, 2]), "increasing"),
        (lambda: ridge_gd.gradient_descent(np.ones((3, 2)), np.ones(3), at=[]), "non-empty"),
        (
            lambda: ridge_gd.gradient_descent(np.ones((3, 2)), np.ones(3), learning_rate=0.0),
            "learning_rate must be in",
        ),
        (lambda: ridge_gd.steps_to_converge(np.ones((3, 2)), np.ones(3), 0.1, tol=2), "tol must"),
        (lambda: ridge_gd.steps_bound(0.5), "kappa must be in"),
        (lambda: ridge_gd.closest_ridge(np.eye(3), np.ones(3), np.ones(2), [0.1]), "w must have"),
        (lambda: ridge_gd.closest_ridge(np.eye(3), np.ones(3), np.ones(3), [0.0]), "all > 0"),
        (lambda: ridge_gd.filter_factors([1.0]), "give either lam"),
        (lambda: ridge_gd.filter_factors([1.0], eta=0.1), "both eta and t"),
        (lambda: ridge_gd.filter_factors([-1.0], lam=0.1), "must be >= 0"),
    ],
)
def test_bad_arguments_get_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
