"""Exercises of notebook 01 (bias and variance)."""

from __future__ import annotations

import numpy as np

from course_utils import bias_variance, datasets
from course_utils.checks import Wrong, exercise

# ----- 01.1: bias² and variance from a stack of predictions -----------------------------


def _solution_1():
    def my_bias_and_variance(preds, f_true):
        bias2 = np.mean((preds.mean(axis=0) - f_true) ** 2)
        variance = np.mean(preds.var(axis=0))
        return bias2, variance

    return my_bias_and_variance


def _wrong_1():
    def my_bias_and_variance(preds, f_true):
        bias2 = np.mean((preds - f_true) ** 2)  # averages errors, not the average prediction
        return bias2, np.mean(preds.var(axis=0))

    return my_bias_and_variance


@exercise(
    "01.1",
    "bias² and variance of a stack of predictions",
    solution=_solution_1,
    wrong_answer=_wrong_1,
)
def check_1(fn):
    if not callable(fn):
        raise Wrong("pass your function itself: check_1(my_bias_and_variance)")
    rng = np.random.default_rng(11)
    f_true = rng.standard_normal(7)
    preds = f_true + 0.4 + 0.3 * rng.standard_normal((50, 7))
    expected_b2 = np.mean((preds.mean(axis=0) - f_true) ** 2)
    expected_var = np.mean(preds.var(axis=0))
    out = fn(preds.copy(), f_true.copy())
    if isinstance(out, (str, bytes)) or not hasattr(out, "__len__") or len(out) != 2:
        raise Wrong("return a tuple of two numbers: (bias2, variance)")
    b2, var = float(out[0]), float(out[1])
    if np.isclose(b2, expected_var) and np.isclose(var, expected_b2):
        raise Wrong("the two numbers are swapped: return (bias2, variance)")
    if not np.isclose(b2, expected_b2, rtol=1e-6):
        raise Wrong(
            "bias² compares the AVERAGE prediction (over sets, axis=0) with f_true, "
            "then squares and averages over the points"
        )
    if np.isclose(var, np.mean(preds.var(axis=0, ddof=1)), rtol=1e-6):
        raise Wrong("use np.var's default (ddof=0): divide by n_sets, as the definition does")
    if not np.isclose(var, expected_var, rtol=1e-6):
        raise Wrong("variance is the spread of each point's predictions across sets (axis=0)")
    return f"bias² {b2:.4f}, variance {var:.4f}."


# ----- 01.2: diagnose three models ------------------------------------------------------

_DIAGNOSIS = {"A": "high variance", "B": "high bias", "C": "good fit"}
_ALLOWED = {"high bias", "high variance", "good fit"}


@exercise(
    "01.2",
    "diagnose bias or variance from two errors",
    solution=lambda: dict(_DIAGNOSIS),
    wrong_answer=lambda: {"A": "high bias", "B": "high variance", "C": "good fit"},
)
def check_2(answer):
    if not isinstance(answer, dict) or set(answer) != set(_DIAGNOSIS):
        raise Wrong('give a dict with keys "A", "B" and "C"')
    for key, value in answer.items():
        if value not in _ALLOWED:
            raise Wrong(f"{key}: use one of {sorted(_ALLOWED)}, got {value!r}")
    for key, value in answer.items():
        if value != _DIAGNOSIS[key]:
            raise Wrong(
                f"look again at model {key}: compare its training error with the noise level "
                "(0.09), then compare its validation error with its training error"
            )
    return "A memorised the noise, B is too simple, C is close to the noise floor."


# ----- 01.3: choose the degree on validation data ---------------------------------------


def _exercise_data():
    """The data the exercise cell draws: its own fixed seeds, so re-running cells is safe."""
    x_ex, y_ex = datasets.make_regression_1d(25, 0.3, seed=13)
    x_ex_val, y_ex_val = datasets.make_regression_1d(200, 0.3, seed=14)
    return x_ex, y_ex, x_ex_val, y_ex_val


def _best_degree() -> int:
    # Self-contained, with the notebook's names: its exercise cell's data, then fit_poly,
    # predict_poly and mse (the package's copies stand in for the notebook's own).
    fit_poly, predict_poly = bias_variance.fit_polynomial, bias_variance.predict_polynomial
    mse = bias_variance.mse
    x_ex, y_ex = datasets.make_regression_1d(25, 0.3, seed=13)
    x_ex_val, y_ex_val = datasets.make_regression_1d(200, 0.3, seed=14)
    val_mse = [mse(predict_poly(fit_poly(x_ex, y_ex, d), x_ex_val), y_ex_val) for d in range(16)]
    chosen_degree = int(np.argmin(val_mse))  # lowest validation MSE, never training MSE
    return chosen_degree


@exercise(
    "01.3",
    "choose the polynomial degree on validation data",
    solution=_best_degree,
    wrong_answer=lambda: 15,
)
def check_3(degree):
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)):
        raise Wrong(f"give the degree as an int, got {type(degree).__name__}")
    x_train, y_train, x_val, y_val = _exercise_data()
    train, val = bias_variance.errors_by_degree(x_train, y_train, x_val, y_val, range(16))
    if degree == int(np.argmin(train)):
        raise Wrong("that degree has the lowest TRAINING error; choose on validation error")
    if degree != int(np.argmin(val)):
        raise Wrong(
            "fit every degree 0..15 on x_ex, y_ex; measure each one's MSE on x_ex_val, "
            "y_ex_val; choose the degree with the lowest"
        )
    return f"degree {degree} has the lowest validation MSE, {val[degree]:.3f}."
