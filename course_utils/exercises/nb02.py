"""Exercises of notebook 02 (L1 and L2 regularization).

Exercise 1 uses Keras's form of the penalty (``L1L2(l1, l2)`` adds
``l1 * sum(|w|) + l2 * sum(w**2)``, no 1/2); the others use the textbook ones, L2 as
``lam / 2 * sum(w**2)`` and L1 as ``lam * sum(|w|)``.
"""

from __future__ import annotations

import numbers

import numpy as np

from course_utils import checks, l1_l2
from course_utils import regularizers as _regularizers

#: Exercise 2: two weights, a penalty alone (no data loss), ten steps.
WEIGHTS_2 = {"small": 0.05, "big": 2.0}
LEARNING_RATE_2 = 0.1
LAM_2 = 0.5
STEPS_2 = 10

#: Exercise 3: the candidate lambdas and the seed of a fresh draw of the curve.
LAMBDAS_3 = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
#: (seed 0: its best lambda differs from the one of the notebook's own ``data``).
SEED_3 = 0

#: Exercise 4: the textbook lambda, and the factor in front of ``tf.nn.l2_loss(W)``.
LAM_4 = 0.02
FACTOR_4 = 0.05


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise checks.Wrong(f"{what} must be a number, got {value!r}")
    return float(value)


# --------------------------------------------------------------------------- 02.1


def _solution_1():
    def l1l2_gradient(w, l1, l2):
        w = np.asarray(w, dtype=np.float64)
        return l1 * np.sign(w) + 2 * l2 * w

    return l1l2_gradient


def _wrong_1():
    def l1l2_gradient(w, l1, l2):
        w = np.asarray(w, dtype=np.float64)
        return l1 * np.sign(w) + l2 * w  # as if Keras's L2 part had a 1/2

    return l1l2_gradient


@checks.exercise(
    "02.1",
    "Write the gradient of Keras's L1L2 penalty",
    solution=_solution_1,
    wrong_answer=_wrong_1,
)
def check_1(answer):
    """``answer`` is ``l1l2_gradient(w, l1, l2)`` for ``l1 * sum(|w|) + l2 * sum(w**2)``."""
    if not callable(answer):
        raise checks.Wrong("answer with a function l1l2_gradient(w, l1, l2) that returns an array.")
    rng = np.random.default_rng(2)
    for shape, l1, l2 in (((5,), 0.1, 0.3), ((3, 4), 0.5, 0.2), ((2, 3, 2), 0.05, 2.0)):
        w = rng.standard_normal(shape)
        w.flat[0] = 0.0  # the kink of |w|: any value in [-l1, l1] is a valid subgradient
        w_before = w.copy()
        got = np.asarray(answer(w, l1, l2), dtype=np.float64)
        if not np.array_equal(w, w_before):
            raise checks.Wrong("your function changed w in place; return a new array instead.")
        if got.shape != w.shape:
            raise checks.Wrong(
                f"the gradient has one entry per weight: shape {w.shape} for w of shape "
                f"{shape}, but yours has shape {got.shape}."
            )
        want = _regularizers.L1L2(l1, l2).gradient(w)
        at_kink = w == 0
        if not np.all(np.abs(got[at_kink]) <= l1 + 1e-12):
            raise checks.Wrong(
                "at w = 0, |w| has a kink: the subgradient of l1 * |w| there is any value "
                "in [-l1, l1] (np.sign(0) = 0 picks 0), and l2 * w**2 adds nothing."
            )
        away = ~at_kink
        if np.allclose(got[away], want[away], rtol=1e-9, atol=1e-12):
            continue
        sign, square = l1 * np.sign(w[away]), l2 * w[away]
        if np.allclose(got[away], sign + square):
            raise checks.Wrong(
                "the L2 part is half what it should be. Keras's L1L2 adds l2 * sum(w**2), "
                "with no 1/2, so its derivative is 2 * l2 * w."
            )
        if np.allclose(got[away], 2 * square) or np.allclose(got[away], square):
            raise checks.Wrong("that is the L2 part only; add the L1 part, l1 * sign(w).")
        if np.allclose(got[away], sign):
            raise checks.Wrong("that is the L1 part only; add the L2 part, 2 * l2 * w.")
        if np.allclose(got[away], l1 * w[away] + 2 * square):
            raise checks.Wrong("the derivative of l1 * |w| is l1 * sign(w), not l1 * w.")
        raise checks.Wrong(
            "differentiate l1 * |w| + l2 * w**2 for one weight w (w != 0); the gradient "
            "array holds that for every weight."
        )
    return (
        "l1 * sign(w) + 2 * l2 * w: the L1 part pulls every weight by the same l1, the L2 "
        "part in proportion to its size, and Keras's L2 has no 1/2 to cancel the 2."
    )


# --------------------------------------------------------------------------- 02.2


def _predict_2() -> dict[str, tuple[float, float]]:
    shrink = STEPS_2 * LEARNING_RATE_2 * LAM_2
    factor = (1.0 - LEARNING_RATE_2 * LAM_2) ** STEPS_2
    small, big = WEIGHTS_2["small"], WEIGHTS_2["big"]
    return {
        "l1": (max(small - shrink, 0.0), max(big - shrink, 0.0)),
        "l2": (small * factor, big * factor),
    }


def _solution_2():
    # L1, proximal steps: each step moves a weight 0.1 * 0.5 = 0.05 towards 0 and stops
    # at 0. L2, gradient steps: w -= 0.1 * 0.5 * w, i.e. w *= 0.95, ten times.
    return {"l1": (0.0, 1.5), "l2": (0.05 * 0.95**10, 2.0 * 0.95**10)}


def _wrong_2():
    return {"l1": (0.05 - 0.5, 1.5), "l2": (0.05 * 0.95**10, 2.0 * 0.95**10)}


def _pair(answer, key):
    if key not in answer:
        raise checks.Wrong(f"the dict needs the key {key!r}: answer = {{'l1': (..), 'l2': (..)}}")
    value = answer[key]
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise checks.Wrong(f"answer[{key!r}] must be a pair (small weight, big weight)")
    return tuple(_number(v, f"each weight in answer[{key!r}]") for v in value)


@checks.exercise(
    "02.2",
    "Predict what L1 and L2 do to a small and a big weight",
    solution=_solution_2,
    wrong_answer=_wrong_2,
)
def check_2(answer):
    """``answer = {'l1': (small, big), 'l2': (small, big)}`` after ten penalty-only steps."""
    if not isinstance(answer, dict):
        raise checks.Wrong("answer with a dict: {'l1': (small, big), 'l2': (small, big)}")
    l1, l2 = _pair(answer, "l1"), _pair(answer, "l2")
    want = _predict_2()
    if min(l1) < 0:
        raise checks.Wrong(
            "a proximal (soft-threshold) step moves a weight towards 0 and stops there; "
            "it never pushes it past 0 to the other side."
        )
    if not np.allclose(l1, want["l1"], rtol=1e-3, atol=1e-6):
        raise checks.Wrong(
            f"each L1 step takes the same amount, learning_rate * lam = "
            f"{LEARNING_RATE_2 * LAM_2:g}, off every weight, whatever its size (down to 0)."
        )
    if np.allclose(l2, [w * (1 - 2 * LEARNING_RATE_2 * LAM_2) ** STEPS_2 for w in (0.05, 2.0)]):
        raise checks.Wrong(
            "the gradient of lam/2 * w**2 is lam * w, not 2 * lam * w: each step multiplies "
            "w by (1 - learning_rate * lam)."
        )
    if not np.allclose(l2, want["l2"], rtol=1e-3, atol=1e-6):
        raise checks.Wrong(
            "an L2 step is w -= learning_rate * lam * w: it multiplies the weight by the "
            "same factor each time, so it shrinks but never reaches 0."
        )
    return (
        "L1 took the same 0.5 off both weights: the small one is exactly 0, the big one "
        "kept 1.5. L2 scaled both by 0.95**10 = 0.60: smaller, but neither is 0."
    )


# --------------------------------------------------------------------------- 02.3


def _sweep_3():
    data = l1_l2.curve_data(SEED_3)
    return data, l1_l2.lambda_sweep(data, np.array(LAMBDAS_3), "l2")


def _best_on_notebook_data() -> float:
    """The answer a learner gets by sweeping the notebook's ``data`` instead of ``ex3``."""
    sweep = l1_l2.lambda_sweep(l1_l2.curve_data(l1_l2.CURVE_SEED), np.array(LAMBDAS_3), "l2")
    return float(LAMBDAS_3[int(np.argmin(sweep["val"]))])


def _solution_3():
    data = l1_l2.curve_data(SEED_3)
    best, best_val = None, np.inf
    for lam in LAMBDAS_3:
        w, b = l1_l2.fit_ridge(data.X, data.y, lam)
        val = l1_l2.mse(l1_l2.predict_linear(data.X_val, w, b), data.y_val)
        if val < best_val:
            best, best_val = lam, val
    return best


def _wrong_3():
    return 0.0  # chosen by training error, which always prefers the weakest penalty


@checks.exercise(
    "02.3", "Choose lambda on validation data", solution=_solution_3, wrong_answer=_wrong_3
)
def check_3(answer):
    """``answer`` is the lambda of :data:`LAMBDAS_3` with the lowest validation MSE."""
    lam = _number(answer, "answer (a lambda)")
    data, sweep = _sweep_3()
    lams = np.array(LAMBDAS_3)
    if not np.any(np.isclose(lam, lams, rtol=1e-9, atol=0)):
        raise checks.Wrong(f"pick one of the candidates {list(LAMBDAS_3)}")
    best = float(lams[np.argmin(sweep["val"])])
    if np.isclose(lam, best, rtol=1e-9, atol=0):
        i = int(np.argmin(sweep["val"]))
        test = l1_l2.report_test_mse(data, best)
        return (
            f"lambda = {best:g}: validation MSE {sweep['val'][i]:.3f}, against "
            f"{sweep['val'][0]:.3f} without a penalty. Its test MSE, {test:.3f}, "
            "is the number to report."
        )
    if np.isclose(lam, lams[np.argmin(sweep["train"])], rtol=1e-9, atol=0):
        raise checks.Wrong(
            "the training error always prefers the weakest penalty, since the penalty only "
            "ever costs training fit. Compare the errors on the validation points instead."
        )
    # The checker looks at every test error only to recognise this mistake.
    test_errors = [l1_l2.report_test_mse(data, float(c)) for c in lams]
    if np.isclose(lam, lams[np.argmin(test_errors)], rtol=1e-9, atol=0):
        raise checks.Wrong(
            "that is the best lambda on the test set. The test set is for the final report "
            "only; choose on the validation set."
        )
    if np.isclose(lam, _best_on_notebook_data(), rtol=1e-9, atol=0):
        raise checks.Wrong(
            "that is the best lambda for the notebook's own curve, data. This exercise is "
            "about a fresh draw: use ex3.X, ex3.y, ex3.X_val and ex3.y_val."
        )
    raise checks.Wrong(
        "for each candidate: w, b = l1_l2.fit_ridge(ex3.X, ex3.y, lam), then "
        "l1_l2.mse(l1_l2.predict_linear(ex3.X_val, w, b), ex3.y_val); keep the lambda "
        "with the smallest validation MSE."
    )


# --------------------------------------------------------------------------- 02.4


def _solution_4():
    return (LAM_4 / 2, FACTOR_4 / 2)


def _wrong_4():
    return (LAM_4, FACTOR_4)


@checks.exercise(
    "02.4",
    "Translate penalties into keras.regularizers.L2",
    solution=_solution_4,
    wrong_answer=_wrong_4,
)
def check_4(answer):
    """``answer = (l2_a, l2_b)``: the ``L2`` arguments for the two penalties of the notebook."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise checks.Wrong("answer with a pair of numbers, e.g. answer = (0.1, 0.2)")
    a, b = (_number(v, "each argument of L2") for v in answer)
    want_a, want_b = _solution_4()
    wrong = [
        name
        for name, got, want in (("(a)", a, want_a), ("(b)", b, want_b))
        if not np.isclose(got, want)
    ]
    if not wrong:
        return f"L2({want_a:g}) and L2({want_b:g}): Keras's factor is the textbook one halved."
    which = " and ".join(wrong) + (" are" if len(wrong) == 2 else " is")
    if np.isclose(a, LAM_4) or np.isclose(b, FACTOR_4):
        raise checks.Wrong(
            f"{which} not right yet. Keras's L2(l2) adds l2 * sum(w**2), with no 1/2. Both "
            "penalties here carry a 1/2 (tf.nn.l2_loss(W) is sum(W**2) / 2), so halve the "
            "factor in front."
        )
    if np.isclose(a, 2 * LAM_4) or np.isclose(b, 2 * FACTOR_4):
        raise checks.Wrong(
            f"{which} not right yet: halve the factor, do not double it; L2(l2) has no 1/2 to undo."
        )
    raise checks.Wrong(
        f"{which} not right yet: write that penalty as c * sum(w**2); the c you find is "
        "the argument of L2."
    )
