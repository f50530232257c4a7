"""Exercises of notebook 03 (dropout).

In the notebook: ``from course_utils.exercises import nb03`` then ``nb03.check_1(answer)``.
"""

from __future__ import annotations

import numbers

import numpy as np

from course_utils import checks
from course_utils import dropout as _dropout

# --------------------------------------------------------------------------- 03.1


def _solution_1():
    def inverted_dropout(x, mask, rate):
        return x * mask / (1 - rate)

    return inverted_dropout


def _wrong_1():
    def inverted_dropout(x, mask, rate):
        return x * mask  # forgets to scale the kept units up

    return inverted_dropout


@checks.exercise(
    "03.1", "Write the inverted-dropout forward", solution=_solution_1, wrong_answer=_wrong_1
)
def check_1(answer):
    """``answer`` is a function ``inverted_dropout(x, mask, rate)`` (training mode)."""
    if not callable(answer):
        raise checks.Wrong("answer with a function inverted_dropout(x, mask, rate).")
    rng = np.random.default_rng(3)
    for rate in (0.25, 0.5, 0.8, 0.0):
        x = rng.standard_normal((4, 6))
        mask = rng.binomial(1, 1 - rate, size=x.shape)
        got = np.asarray(answer(x.copy(), mask.copy(), rate), dtype=np.float64)
        if got.shape != x.shape:
            raise checks.Wrong(
                f"the output must have the input's shape {x.shape}, got {got.shape}."
            )
        if np.allclose(got, x * mask / (1 - rate)):
            continue
        if np.allclose(got, x * mask):
            raise checks.Wrong(
                "the kept units must also be divided by 1 - rate, or the average output "
                "shrinks to (1 - rate) * x."
            )
        if np.allclose(got, x * mask * (1 - rate)):
            raise checks.Wrong(
                "multiplying by (1 - rate) is the old form's test-time scaling; inverted "
                "dropout divides the kept units by (1 - rate) during training."
            )
        if np.allclose(got, x * (1 - mask) / (1 - rate)):
            raise checks.Wrong("a mask entry of 1 means 'keep': keep x where mask == 1.")
        raise checks.Wrong(f"with rate={rate}, the output should be x * mask / (1 - rate).")
    return "kept units are divided by 1 - rate, so the average activation stays x."


# --------------------------------------------------------------------------- 03.2


@checks.exercise(
    "03.2",
    "The 1/(1-rate) factor with a number",
    solution=lambda: 4.0,
    wrong_answer=lambda: 2.25,
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


def _best_rate() -> float:
    sweep = _dropout.rate_sweep()
    return min(sweep, key=lambda r: sweep[r]["val_loss"])


VAL_LOSS_TOLERANCE = 0.02


@checks.exercise("03.3", "Pick a rate", solution=_best_rate, wrong_answer=lambda: 0.0)
def check_3(answer):
    """``answer`` is the rate of ``dropout.rate_sweep()`` you would pick."""
    sweep = _dropout.rate_sweep()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise checks.Wrong(f"answer with one of the rates of the sweep: {sorted(sweep)}.")
    matches = [r for r in sweep if abs(r - float(answer)) < 1e-9]
    if not matches:
        raise checks.Wrong(f"pick one of the rates of the sweep: {sorted(sweep)}.")
    rate = matches[0]
    best = min(sweep, key=lambda r: sweep[r]["val_loss"])
    picked, top = sweep[rate], sweep[best]
    if picked["val_loss"] <= top["val_loss"] + VAL_LOSS_TOLERANCE:
        return (
            f"rate {rate:g} has a validation loss of {picked['val_loss']:.3f}, "
            f"within {VAL_LOSS_TOLERANCE} of the best ({top['val_loss']:.3f})."
        )
    if rate < best:
        raise checks.Wrong(
            f"with rate {rate:g} the model still over-fits: training loss "
            f"{picked['loss']:.3f}, validation loss {picked['val_loss']:.3f}. Judge a rate by "
            "the validation loss, not the training loss."
        )
    raise checks.Wrong(
        f"rate {rate:g} drops too much: the training loss ({picked['loss']:.3f}) is the "
        f"highest of the sweep and the validation loss ({picked['val_loss']:.3f}) rose again: "
        "the model under-fits."
    )


# --------------------------------------------------------------------------- 03.4


def _solution_4():
    import keras

    return keras.layers.Dropout(0.2)


def _wrong_4():
    import keras

    return keras.layers.Dropout(0.8)


@checks.exercise(
    "03.4", "From keep_prob to a Keras layer", solution=_solution_4, wrong_answer=_wrong_4
)
def check_4(answer):
    """``answer`` is the Keras 3 layer for a TF1 hidden layer that kept units with 0.8."""
    rate = getattr(answer, "rate", None)
    if type(answer).__name__ != "Dropout" or rate is None:
        raise checks.Wrong("answer with a Keras layer: keras.layers.Dropout(...).")
    if abs(float(rate) - 0.2) < 1e-9:
        return "rate = 1 - keep_prob = 0.2; the training flag replaces the placeholder."
    if abs(float(rate) - 0.8) < 1e-9:
        raise checks.Wrong(
            "keep_prob is the fraction kept; Keras's rate is the fraction dropped, "
            "so rate = 1 - keep_prob."
        )
    raise checks.Wrong("the old layer kept 80% of its units; how many does it drop?")
