"""Exercises of notebook 03 (dropout).

In the notebook: ``from course_utils.exercises import nb03`` then ``nb03.check_1(answer)``.
Reference solutions: ``print(checks.show_solution("03.1"))``.
"""

from __future__ import annotations

import numbers

import numpy as np

from course_utils import checks
from course_utils import dropout as _dropout

# --------------------------------------------------------------------------- 03.1


def _solution_1():
    def original_dropout(x, rate, mode, rng):
        if mode == "test":
            return x * (1 - rate), None  # every unit, scaled down to its training average
        mask = rng.binomial(1, 1 - rate, size=x.shape)  # 1 = keep, with probability 1 - rate
        return x * mask, mask  # kept units are not scaled up

    return original_dropout


def _wrong_1():
    def original_dropout(x, rate, mode, rng):
        if mode == "test":
            return x.copy(), None
        mask = rng.binomial(1, 1 - rate, size=x.shape)
        return x * mask / (1 - rate), mask  # this is inverted dropout

    return original_dropout


def _as_pair(result, mode):
    if not isinstance(result, tuple) or len(result) != 2:
        raise checks.Wrong(f"in mode={mode!r}, return a pair (out, mask), as dropout_forward does.")
    return np.asarray(result[0], dtype=np.float64), result[1]


@checks.exercise(
    "03.1", "The original dropout, both modes", solution=_solution_1, wrong_answer=_wrong_1
)
def check_1(answer):
    """``answer`` is ``original_dropout(x, rate, mode, rng) -> (out, mask)``."""
    if not callable(answer):
        raise checks.Wrong("answer with a function original_dropout(x, rate, mode, rng).")
    rng = np.random.default_rng(3)
    rate = 0.3
    x = rng.uniform(0.5, 2.0, size=(400, 50))
    out, mask = _as_pair(answer(x.copy(), rate, "train", np.random.default_rng(7)), "train")
    if mask is None or np.shape(mask) != x.shape:
        raise checks.Wrong(f"in training, return the mask you drew, shape {x.shape}.")
    mask = np.asarray(mask)
    if not np.all((mask == 0) | (mask == 1)):
        raise checks.Wrong("the mask must hold only 0s (drop) and 1s (keep): rng.binomial(1, ...).")
    if out.shape != x.shape:
        raise checks.Wrong(f"the output must have the input's shape {x.shape}, got {out.shape}.")
    dropped = 1 - mask.mean()
    if abs(dropped - (1 - rate)) < 0.05:
        raise checks.Wrong(
            f"your mask dropped {dropped:.0%} of the units with rate = {rate}. "
            "rng.binomial(1, p) gives 1 with probability p, and 1 means keep: p = 1 - rate."
        )
    if abs(dropped - rate) > 0.05:
        raise checks.Wrong(
            f"your mask dropped {dropped:.0%} of the units; with rate = {rate} it should drop "
            "about 30%. Draw it with rng.binomial(1, 1 - rate, size=x.shape)."
        )
    if np.allclose(out, x * mask / (1 - rate)):
        raise checks.Wrong(
            "in training you divided the kept units by 1 - rate: that is inverted dropout. "
            "The original form keeps them as they are and scales at inference instead."
        )
    if not np.allclose(out, x * mask):
        raise checks.Wrong("in training, the output is x where the mask is 1 and 0 where it is 0.")
    test_out, test_mask = _as_pair(answer(x.copy(), rate, "test", np.random.default_rng(8)), "test")
    if test_mask is not None:
        raise checks.Wrong("in test mode nothing is dropped: return None as the mask.")
    if np.allclose(test_out, x):
        raise checks.Wrong(
            "at inference the original form does not pass x through unchanged: the training "
            f"average of a unit is (1 - rate) * x, so multiply by 1 - rate = {1 - rate:g}."
        )
    if not np.allclose(test_out, x * (1 - rate)):
        raise checks.Wrong("at inference, every unit is on and multiplied by 1 - rate.")
    return (
        "training keeps each unit with probability 1 - rate, unscaled; inference scales every "
        "unit by 1 - rate, its training average."
    )


# --------------------------------------------------------------------------- 03.2


def _solution_2():
    return 3.0 / (1 - 0.25)  # kept units are divided by 1 - rate: 4.0


def _wrong_2():
    return 3.0 * (1 - 0.25)  # the original form's test-time scaling: 2.25


@checks.exercise(
    "03.2",
    "The 1/(1-rate) factor with a number",
    solution=_solution_2,
    wrong_answer=_wrong_2,
)
def check_2(answer):
    """A unit outputs 3.0 and rate = 0.25: its training-time output when it is kept."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise checks.Wrong("answer with a number: the unit's output when it is kept.")
    value = float(answer)
    if abs(value - 4.0) < 1e-6:
        return "3.0 / (1 - 0.25) = 4.0, and 0.75 * 4.0 + 0.25 * 0 = 3.0: the average is kept."
    if abs(value - 2.25) < 1e-6:
        raise checks.Wrong(
            "3.0 * (1 - 0.25) is how the original form scales at test time. Inverted "
            "dropout scales the kept units up during training instead."
        )
    if abs(value - 3.0) < 1e-6:
        raise checks.Wrong(
            "without scaling, the average training output would be 0.75 * 3.0 = 2.25, "
            "not the 3.0 the unit gives at inference."
        )
    raise checks.Wrong(
        "the unit is kept with probability 1 - rate = 0.75 and outputs 0 otherwise; choose "
        "the kept value so that the average is 3.0."
    )


# --------------------------------------------------------------------------- 03.3

VAL_LOSS_TOLERANCE = 0.02


def _solution_3():
    sweep = _dropout.rate_sweep()
    lowest = min(s["val_loss"] for s in sweep.values())
    # the mildest rate that does about as well as the best one
    return min(r for r, s in sweep.items() if s["val_loss"] <= lowest + 0.02)


def _wrong_3():
    sweep = _dropout.rate_sweep()
    return min(sweep, key=lambda r: sweep[r]["val_loss"])  # the lowest, not the mildest


@checks.exercise("03.3", "Pick a rate", solution=_solution_3, wrong_answer=_wrong_3)
def check_3(answer):
    """``answer``: the smallest rate of the sweep within 0.02 of the lowest validation loss."""
    sweep = _dropout.rate_sweep()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise checks.Wrong(f"answer with one of the rates of the sweep: {sorted(sweep)}.")
    matches = [r for r in sweep if abs(r - float(answer)) < 1e-9]
    if not matches:
        raise checks.Wrong(f"pick one of the rates of the sweep: {sorted(sweep)}.")
    rate = matches[0]
    lowest = min(s["val_loss"] for s in sweep.values())
    close = sorted(r for r, s in sweep.items() if s["val_loss"] <= lowest + VAL_LOSS_TOLERANCE)
    picked = sweep[rate]["val_loss"]
    if rate == close[0]:
        return (
            f"rate {rate:g}: validation loss {picked:.3f}, within {VAL_LOSS_TOLERANCE} of the "
            f"lowest ({lowest:.3f}), and no smaller rate gets that close."
        )
    if rate in close:
        where = (
            "has the lowest validation loss"
            if picked == lowest
            else f"is within {VAL_LOSS_TOLERANCE} of the lowest validation loss"
        )
        raise checks.Wrong(
            f"rate {rate:g} {where} ({picked:.3f}), but a smaller rate also gets within "
            f"{VAL_LOSS_TOLERANCE} of {lowest:.3f}: the question asks for the smallest such rate."
        )
    raise checks.Wrong(
        f"rate {rate:g} has a validation loss of {picked:.3f}, more than "
        f"{VAL_LOSS_TOLERANCE} above the lowest ({lowest:.3f}). Keep the rates whose "
        "val_loss is at most the lowest + 0.02, then take the smallest of them."
    )


# --------------------------------------------------------------------------- 03.4

KEEP_PROB = 0.9


def _solution_4():
    import keras

    return keras.layers.Dropout(1 - 0.9)  # rate = 1 - keep_prob


def _wrong_4():
    import keras

    return keras.layers.Dropout(0.9)  # keep_prob used as the rate


@checks.exercise(
    "03.4", "From keep_prob to a Keras layer", solution=_solution_4, wrong_answer=_wrong_4
)
def check_4(answer):
    """``answer`` is the Keras 3 layer for a TF1 hidden layer fed ``keep_prob = 0.9``."""
    import keras

    from course_utils import layers as _layers

    if isinstance(answer, _layers.Dropout):
        raise checks.Wrong(
            "that is the course's NumPy layer (course_utils.layers.Dropout); "
            "answer with the Keras one, keras.layers.Dropout(...)."
        )
    if not isinstance(answer, keras.layers.Dropout):
        raise checks.Wrong("answer with a Keras layer: keras.layers.Dropout(...).")
    rate = float(answer.rate)
    if abs(rate - (1 - KEEP_PROB)) < 1e-9:
        return (
            f"rate = 1 - keep_prob = {1 - KEEP_PROB:.1f}; the training flag replaces the "
            "placeholder."
        )
    if abs(rate - KEEP_PROB) < 1e-9:
        raise checks.Wrong(
            "keep_prob is the fraction kept; Keras's rate is the fraction dropped, "
            "so rate = 1 - keep_prob."
        )
    raise checks.Wrong(
        f"the old layer kept {KEEP_PROB:.0%} of its units; what fraction does it drop?"
    )
