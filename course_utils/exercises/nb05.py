"""Exercises of notebook 05 (early stopping).

Each checker compares the learner's answer with what :class:`EarlyStopping` (which
behaves as ``keras.callbacks.EarlyStopping``) does on the same numbers.
"""

from __future__ import annotations

import numpy as np

from course_utils import checks
from course_utils.early_stopping import EarlyStopping, replay

#: Exercise 1: a validation curve read with patience 3 and min_delta 0.02. Two small falls
#: (at epochs 3 and 5) are lower than the best so far, but not by more than min_delta.
CURVE_1 = (0.95, 0.74, 0.61, 0.60, 0.63, 0.595, 0.62, 0.64, 0.58, 0.66)
PATIENCE_1 = 3
MIN_DELTA_1 = 0.02

#: Exercise 3: a curve that bottoms out, then rises, read with patience 3.
CURVE_3 = (1.00, 0.72, 0.55, 0.48, 0.47, 0.52, 0.55, 0.60, 0.58, 0.63)
PATIENCE_3 = 3


def _as_pair(answer, what: str) -> tuple:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise checks.Wrong(f"answer with a pair {what}, e.g. answer = (6, 3)")
    return tuple(answer)


# --------------------------------------------------------------------------- 05.1


def _solution_1():
    # Epoch 2 reaches 0.61, the best. Epoch 3 (0.60) is lower, but by 0.01, not by more
    # than min_delta = 0.02: wait = 1. Epoch 4 (0.63): wait = 2. Epoch 5 (0.595) is lower
    # again, by 0.015 only: wait = 3 = patience, so training stops after epoch 5.
    return (5, 2)


def _wrong_1():
    return (9, 8)  # ignores min_delta: 0.60, 0.595 and 0.58 all count as improvements


@checks.exercise(
    "05.1", "Read a curve: where does training stop?", solution=_solution_1, wrong_answer=_wrong_1
)
def check_1(answer):
    """``answer = (stopped_epoch, best_epoch)`` for :data:`CURVE_1` (patience 3, min_delta 0.02)."""
    stopped, best = _as_pair(answer, "(stopped_epoch, best_epoch)")
    for name, value in (("stopped_epoch", stopped), ("best_epoch", best)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise checks.Wrong(f"{name} is an epoch index, a whole number; got {value!r}")
    truth = replay(EarlyStopping(patience=PATIENCE_1, min_delta=MIN_DELTA_1), CURVE_1)
    want = (truth.stopped_epoch, truth.best_epoch)
    got = (int(stopped), int(best))
    if got == want:
        return (
            f"training stops after epoch {want[0]} (Keras would print 'Epoch {want[0] + 1}: "
            f"early stopping') and the best epoch is {want[1]}: 0.60 and 0.595 are lower "
            f"than 0.61, but not by more than min_delta."
        )
    if got == (want[0] + 1, want[1] + 1):
        raise checks.Wrong(
            "you counted epochs from 1. Keras's stopped_epoch and best_epoch count from 0."
        )
    if got == (want[0] + 1, want[1]):
        raise checks.Wrong(
            f"one epoch too late. Patience {PATIENCE_1} means training stops ON the epoch "
            f"where wait reaches {PATIENCE_1}: the third epoch in a row without improvement."
        )
    if got == (want[0] - 1, want[1]):
        raise checks.Wrong(
            f"one epoch too early. With patience {PATIENCE_1}, two epochs without improvement "
            "are tolerated; the third one in a row ends training."
        )
    lower = 0 <= got[1] < len(CURVE_1) and CURVE_1[got[1]] < CURVE_1[want[1]]
    if lower or got[0] > want[0]:  # counted a fall smaller than min_delta as an improvement
        best = CURVE_1[want[1]]
        near = [v for v in CURVE_1[want[1] + 1 : want[0] + 1] if v < best]
        raise checks.Wrong(
            f"compare {' and '.join(f'{v:g}' for v in near)} with the best so far, {best:g}. "
            f"An improvement must beat the best by MORE than min_delta ({MIN_DELTA_1:g})."
        )
    raise checks.Wrong(
        "walk through the epochs keeping two numbers: the best value so far and `wait`, "
        "which grows by 1 each epoch and goes back to 0 on an improvement (a value below "
        "best - min_delta). Training stops at the first epoch without improvement where "
        f"wait >= patience ({PATIENCE_1})."
    )


# --------------------------------------------------------------------------- 05.2


def _solution_2():
    def stop_epoch(val_losses, patience, min_delta=0.0):
        best, wait = None, 0
        for epoch, value in enumerate(val_losses):
            wait += 1
            if best is None or value + abs(min_delta) < best:
                best, wait = value, 0
            elif wait >= patience and epoch > 0:
                return epoch
        return None

    return stop_epoch


def _wrong_2():
    def stop_epoch(val_losses, patience, min_delta=0.0):
        best, wait = None, 0
        for epoch, value in enumerate(val_losses):
            if best is None or value < best:  # forgets min_delta
                best, wait = value, 0
            else:
                wait += 1
                if wait > patience:  # and waits one epoch too many
                    return epoch
        return None

    return stop_epoch


def _cases_2():
    """Seeded test curves on a grid of 1/64, so float32 and float64 agree exactly."""
    rng = np.random.default_rng(5)
    cases = [
        ((0.5, 0.5, 0.5), 0, 0.0),
        ((0.5, 0.5, 0.5), 1, 0.0),
        ((1.0, 0.75, 0.625, 0.5), 0, 0.125),  # exactly min_delta better: not enough
        ((1.0, 0.5), 0, 0.0),
        (CURVE_1, PATIENCE_1, 0.0),
        (CURVE_1, PATIENCE_1, MIN_DELTA_1),
    ]
    for _ in range(150):
        n = int(rng.integers(2, 25))
        bottom = rng.uniform(0, n)
        curve = 0.25 + ((np.arange(n) - bottom) / n) ** 2 + rng.normal(0, 0.05, n)
        curve = np.round(curve * 64) / 64
        patience = int(rng.integers(0, 5))
        min_delta = float(rng.choice([0, 0, 1, 2, 4])) / 64
        cases.append((tuple(float(v) for v in curve), patience, min_delta))
    return cases


@checks.exercise("05.2", "Write the stopping rule", solution=_solution_2, wrong_answer=_wrong_2)
def check_2(answer):
    """``answer`` is a function ``stop_epoch(val_losses, patience, min_delta)``."""
    if not callable(answer):
        raise checks.Wrong("pass your function itself, e.g. check_2(my_stop_epoch)")
    for values, patience, min_delta in _cases_2():
        truth = replay(EarlyStopping(patience=patience, min_delta=min_delta), values)
        want = truth.stopped_epoch if truth.stopped else None
        got = answer(list(values), patience, min_delta)
        if got != want:
            shown = ", ".join(f"{v:g}" for v in values)
            said = "never stops (None)" if want is None else f"stops after epoch {want}"
            raise checks.Wrong(
                f"for val_losses [{shown}] with patience={patience} and min_delta={min_delta:g}, "
                f"Keras's rule {said}, but your function returned {got!r}. Remember: an "
                "improvement must beat the best by MORE than min_delta; `wait` grows every "
                "epoch and resets on an improvement; stop when wait >= patience."
            )
    return f"your rule agrees with Keras's on all {len(_cases_2())} test curves."


# --------------------------------------------------------------------------- 05.3


def _solution_3():
    # Stops after epoch 7 (0.60); the best epoch is 4 (0.47).
    return (0.60, 0.47)


def _wrong_3():
    return (0.47, 0.47)  # believes the model keeps its best weights by itself


@checks.exercise(
    "05.3",
    "Why restore the best weights?",
    solution=_solution_3,
    wrong_answer=_wrong_3,
)
def check_3(answer):
    """``answer = (val_loss_without_restore, val_loss_with_restore)`` for :data:`CURVE_3`."""
    without, with_ = _as_pair(answer, "(val loss without restoring, val loss with restoring)")
    try:
        got = (float(without), float(with_))
    except (TypeError, ValueError):
        raise checks.Wrong("both entries must be numbers, read off CURVE_3") from None
    plain = replay(EarlyStopping(patience=PATIENCE_3), CURVE_3)
    restored = replay(EarlyStopping(patience=PATIENCE_3, restore_best_weights=True), CURVE_3)
    want = (CURVE_3[plain.kept_epoch], CURVE_3[restored.kept_epoch])
    if np.allclose(got, want, atol=1e-9):
        return (
            f"without restoring, the model keeps the weights of the epoch it stopped at "
            f"(val loss {want[0]:.2f}); restoring gives back the best epoch's "
            f"({want[1]:.2f}). The patience epochs were spent getting worse."
        )
    if np.isclose(got[0], want[1]):
        raise checks.Wrong(
            "without restore_best_weights, training simply stops: the model holds the "
            "weights of the LAST epoch it trained, not the best one."
        )
    if np.isclose(got[0], CURVE_3[plain.kept_epoch + 1]) or np.isclose(
        got[0], CURVE_3[plain.kept_epoch - 1]
    ):
        raise checks.Wrong(
            f"find the stop epoch first: with patience {PATIENCE_3}, count the epochs "
            "without improvement after the best one."
        )
    raise checks.Wrong(
        "find the best epoch and the epoch where training stops; one pair of weights is "
        "what the model holds at the stop, the other is what restore_best_weights gives back."
    )
