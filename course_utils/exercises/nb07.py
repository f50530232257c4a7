"""Exercises of notebook 07 (double descent and implicit regularization)."""

from __future__ import annotations

import numpy as np

from course_utils import double_descent as dd
from course_utils.checks import Wrong, exercise


def _matrices(seed: int, n: int, p: int):
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal((n, p)), 0.0), rng.standard_normal(n)


def _as_vector(out, p: int) -> np.ndarray:
    out = np.asarray(out, dtype=float)
    if out.shape != (p,):
        raise Wrong(f"return a 1-D array of {p} weights (one per feature), got shape {out.shape}")
    return out


# ----- 07.1: the minimum-norm read-out ---------------------------------------------------


def _solution_1():
    def my_min_norm_fit(F, y):
        U, s, Vt = np.linalg.svd(F, full_matrices=False)
        keep = s > max(F.shape) * np.finfo(float).eps * s[0]  # zero singular values: skip
        return Vt[keep].T @ ((U[:, keep].T @ y) / s[keep])  # the sum of (u_i . y / s_i) v_i

    return my_min_norm_fit


def _wrong_1():
    def my_min_norm_fit(F, y):
        n = len(y)
        a = np.zeros(F.shape[1])
        a[:n] = np.linalg.solve(F[:, :n], y)  # fits the points, but with the first n only
        return a

    return my_min_norm_fit


@exercise(
    "07.1",
    "the minimum-norm read-out",
    solution=_solution_1,
    wrong_answer=_wrong_1,
)
def check_1(fn):
    if not callable(fn):
        raise Wrong("pass your function itself: check_1(my_min_norm_fit)")
    F, y = _matrices(71, 8, 20)  # more features than points
    a = _as_vector(fn(F.copy(), y.copy()), 20)
    if not np.allclose(F @ a, y, atol=1e-8):
        raise Wrong("with 20 features and 8 points your weights must fit every point exactly")
    best = np.linalg.pinv(F) @ y
    if not np.allclose(a, best, atol=1e-8):
        raise Wrong(
            f"your weights fit the points, but their norm is {np.linalg.norm(a):.3f}, not the "
            f"smallest possible ({np.linalg.norm(best):.3f}): sum (u_i . y / s_i) v_i over the "
            "non-zero singular values of np.linalg.svd(F)"
        )
    F2, y2 = _matrices(72, 20, 6)  # fewer features than points: least squares
    a2 = _as_vector(fn(F2.copy(), y2.copy()), 6)
    if not np.allclose(a2, np.linalg.lstsq(F2, y2, rcond=None)[0], atol=1e-8):
        raise Wrong("with fewer features than points, return the least-squares weights")
    return f"norm {np.linalg.norm(a):.3f}: no other interpolating read-out is shorter."


# ----- 07.2: where gradient descent from a given start ends -------------------------------


def _solution_2():
    def my_descent_limit(F, y, start):
        pinv = np.linalg.pinv(F)
        return pinv @ y + start - pinv @ (F @ start)

    return my_descent_limit


def _wrong_2():
    def my_descent_limit(F, y, start):
        return np.linalg.pinv(F) @ y  # true only when starting from zero

    return my_descent_limit


@exercise(
    "07.2",
    "where gradient descent from a given start ends",
    solution=_solution_2,
    wrong_answer=_wrong_2,
)
def check_2(fn):
    if not callable(fn):
        raise Wrong("pass your function itself: check_2(my_descent_limit)")
    F, y = _matrices(73, 6, 15)
    start = np.random.default_rng(74).standard_normal(15)
    a = _as_vector(fn(F.copy(), y.copy(), start.copy()), 15)
    expected = dd.gradient_descent(F, y, 20_000, start=start)  # run it: where it really ends
    pinv = np.linalg.pinv(F)
    if np.allclose(a, pinv @ y, atol=1e-6):
        raise Wrong(
            "that is where descent from ZERO ends; from another start, the part of the start "
            "that F cannot see (its component in the null space of F) is never changed"
        )
    if np.allclose(a, pinv @ y + start, atol=1e-6):
        raise Wrong("only the null-space part of start survives: subtract pinv(F) @ F @ start")
    if not np.allclose(a, expected, atol=1e-6):
        raise Wrong(
            "split start into its part in the row space of F (pinv(F) @ F @ start) and the "
            "rest; descent replaces the first by pinv(F) @ y and keeps the rest"
        )
    return "descent keeps the null-space part of its start: it only picks the minimum norm from 0."


# ----- 07.3: choose lambda on validation data at the threshold ----------------------------

_P_3 = dd.N_TRAIN  # at the interpolation threshold


def _exercise_data():
    """The exercise's draw: its own seeds, so re-running cells is safe."""
    pr = dd.make_problem(7)
    W = dd.random_weights(pr.X.shape[1], _P_3, 77)
    return pr, W


def _errors_3():
    pr, W = _exercise_data()
    path = dd.ridge_path(dd.relu_features(pr.X, W), pr.y, dd.LAMS)
    scores = {}
    for name, X, y in (("val", pr.X_val, pr.y_val), ("test", pr.X_test, pr.y_test)):
        scores[name] = np.mean((path @ dd.relu_features(X, W).T - y) ** 2, axis=1)
    return scores


def _best_lam() -> float:
    ex_problem = dd.make_problem(7)
    ex_W = dd.random_weights(dd.N_INPUTS, dd.N_TRAIN, 77)
    path = dd.ridge_path(dd.relu_features(ex_problem.X, ex_W), ex_problem.y, dd.LAMS)
    predictions = path @ dd.relu_features(ex_problem.X_val, ex_W).T  # one row per lambda
    val_mse = np.mean((predictions - ex_problem.y_val) ** 2, axis=1)
    return float(dd.LAMS[int(np.argmin(val_mse))])


@exercise(
    "07.3",
    "choose the ridge strength on validation data at the threshold",
    solution=_best_lam,
    wrong_answer=lambda: dd.LAMS[0],
)
def check_3(lam):
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise Wrong(f"give lambda as a number, one of dd.LAMS; got {type(lam).__name__}")
    matches = [i for i, v in enumerate(dd.LAMS) if np.isclose(v, lam, rtol=1e-9)]
    if not matches:
        raise Wrong("give one of the candidates in dd.LAMS")
    k = matches[0]
    scores = _errors_3()
    if k == int(np.argmin(scores["test"])) and k != int(np.argmin(scores["val"])):
        raise Wrong("that lambda has the lowest TEST error; choose on the validation set")
    if k != int(np.argmin(scores["val"])):
        raise Wrong(
            "fit dd.ridge_path on the training features for all of dd.LAMS, score each "
            "read-out on the validation features, and keep the lambda with the lowest MSE"
        )
    return f"lambda {lam:.2g}: validation MSE {scores['val'][k]:.2f}."
