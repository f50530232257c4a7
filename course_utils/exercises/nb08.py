"""Exercises of notebook 08 (label smoothing, input noise, max-norm, ensembles).

* 08.1 — smoothed targets, Keras's convention.
* 08.2 — the L2 strength that input noise stands for, for two ways of writing the loss.
* 08.3 — the max-norm projection of a Dense kernel, on the right axis.
* 08.4 — the expected calibration error, by hand.
"""

from __future__ import annotations

import numbers

import numpy as np

from course_utils import more_regularizers as _M
from course_utils.checks import Wrong, exercise


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


# ----- 08.1: smoothed targets ------------------------------------------------------------


def _solution_1():
    def smooth(labels, n_classes, a):
        targets = np.full((len(labels), n_classes), a / n_classes)  # a / C for every class
        targets[np.arange(len(labels)), labels] += 1 - a  # and 1 - a more for the true one
        return targets

    return smooth


def _wrong_1():
    def smooth(labels, n_classes, a):
        # the other convention: the true class gets exactly 1 - a, the rest share a
        targets = np.full((len(labels), n_classes), a / (n_classes - 1))
        targets[np.arange(len(labels)), labels] = 1 - a
        return targets

    return smooth


@exercise(
    "08.1", "smoothed targets, Keras's convention", solution=_solution_1, wrong_answer=_wrong_1
)
def check_1(answer):
    if not callable(answer):
        raise Wrong("answer with a function smooth(labels, n_classes, a).")
    labels = np.array([3, 0, 9, 3, 5])
    for n_classes, a in ((10, 0.1), (10, 0.0), (4, 0.3)):
        got = np.asarray(answer(labels % n_classes, n_classes, a), dtype=np.float64)
        want = _M.smoothed_targets(labels % n_classes, n_classes, a)
        if got.shape != want.shape:
            raise Wrong(f"return one row per label and one column per class {want.shape}.")
        if not np.allclose(got.sum(axis=1), 1.0):
            raise Wrong("each row of targets must sum to 1.")
        if not np.allclose(got, want):
            k = labels[0] % n_classes
            raise Wrong(
                f"with {n_classes} classes and a = {a}, the true class should get "
                f"1 - a + a/C = {want[0, k]:.4f} and every other class a/C = "
                f"{a / n_classes:.4f}; you gave {got[0, k]:.4f} and "
                f"{got[0, (k + 1) % n_classes]:.4f}. Keras spreads a over all C classes."
            )


# ----- 08.2: the L2 strength of input noise ---------------------------------------------

_SIGMA_2 = 0.3  # so sigma, sigma**2, 2 sigma**2 and their halves all differ


def _solution_2():
    # mean((x + e) @ w - y)**2) averages to mean((x @ w - y)**2) + sigma**2 * sum(w**2):
    # Keras's L2 has no 1/2, so L2(sigma**2); with half the squared error, half of it
    return {"mse": _SIGMA_2**2, "half_mse": _SIGMA_2**2 / 2}


def _wrong_2():
    return {"mse": _SIGMA_2, "half_mse": _SIGMA_2 / 2}  # sigma, not its square


@exercise(
    "08.2",
    "the L2 strength that input noise stands for",
    solution=_solution_2,
    wrong_answer=_wrong_2,
)
def check_2(answer):
    if not isinstance(answer, dict) or set(answer) != {"mse", "half_mse"}:
        raise Wrong('answer must be a dict with two keys: {"mse": ..., "half_mse": ...}')
    for key, value in answer.items():
        if not _is_number(value):
            raise Wrong(f"answer[{key!r}] must be a number, got {type(value).__name__}")
    var = _SIGMA_2**2
    if np.isclose(answer["mse"], _SIGMA_2) or np.isclose(answer["half_mse"], _SIGMA_2 / 2):
        raise Wrong("the extra term is the noise's variance times sum(w**2): sigma squared.")
    if np.isclose(answer["mse"], 2 * var):
        raise Wrong(
            "2 sigma**2 is lambda of the lambda/2 form; Keras's L2(l2) adds l2 * sum(w**2), "
            "with no 1/2."
        )
    if not np.isclose(answer["mse"], var):
        raise Wrong(
            "expand mean(((x + e) @ w - y)**2): the cross term averages to 0, and "
            "mean((e @ w)**2) = sigma**2 * sum(w**2). Keras's L2(l2) adds l2 * sum(w**2)."
        )
    if not np.isclose(answer["half_mse"], var / 2):
        raise Wrong("halve the loss and every term halves, the noise's term included.")


# ----- 08.3: max-norm on the right axis --------------------------------------------------

_C_3 = 1.5


def _solution_3():
    def project(kernel, max_value):
        norms = np.sqrt((kernel**2).sum(axis=0, keepdims=True))  # one per unit: a column
        return kernel * np.minimum(1.0, max_value / norms)

    return project


def _wrong_3():
    def project(kernel, max_value):
        norms = np.sqrt((kernel**2).sum(axis=1, keepdims=True))  # rows: one per input
        return kernel * np.minimum(1.0, max_value / norms)

    return project


@exercise(
    "08.3",
    "the max-norm projection of a Dense kernel",
    solution=_solution_3,
    wrong_answer=_wrong_3,
)
def check_3(answer):
    if not callable(answer):
        raise Wrong("answer with a function project(kernel, max_value).")
    rng = np.random.default_rng(8)
    kernel = rng.standard_normal((6, 4)) * np.array([0.2, 1.0, 0.4, 2.0])  # (inputs, units)
    got = np.asarray(answer(kernel.copy(), _C_3), dtype=np.float64)
    want = _M.max_norm(kernel, _C_3, axis=0)
    if got.shape != kernel.shape:
        raise Wrong(f"return an array of the kernel's shape {kernel.shape}.")
    if np.allclose(got, _M.max_norm(kernel, _C_3, axis=1)):
        raise Wrong(
            "you limited each row: a Dense kernel is (inputs, units), so the incoming "
            "weights of one unit are a column (axis=0, as Keras's MaxNorm)."
        )
    if not np.allclose(got, want):
        raise Wrong(
            "scale each column by min(1, max_value / its norm): short columns stay as "
            "they are, long ones end at length max_value."
        )


# ----- 08.4: the expected calibration error ---------------------------------------------


def _data_4():
    conf = np.array([0.95, 0.92, 0.97, 0.91, 0.65, 0.62, 0.68, 0.35])
    right = np.array([1, 1, 0, 1, 1, 0, 0, 1])
    return conf, right


def _solution_4():
    conf = np.array([0.95, 0.92, 0.97, 0.91, 0.65, 0.62, 0.68, 0.35])
    # 10 bins: (0.9, 1], (0.6, 0.7], (0.3, 0.4] hold 4, 3 and 1 of the 8 predictions
    top = 4 / 8 * abs(3 / 4 - conf[:4].mean())
    mid = 3 / 8 * abs(1 / 3 - conf[4:7].mean())
    low = 1 / 8 * abs(1 - conf[7])
    return top + mid + low


def _wrong_4():
    conf, right = _data_4()
    return abs(right.mean() - conf.mean())  # one bin for everything: errors cancel


@exercise(
    "08.4", "the expected calibration error, by hand", solution=_solution_4, wrong_answer=_wrong_4
)
def check_4(answer):
    if not _is_number(answer):
        raise Wrong(f"answer with one number, got {type(answer).__name__}")
    conf, right = _data_4()
    # ten classes: the predicted class 0 gets the confidence, the nine others share the rest
    probs = np.column_stack([conf, np.tile(((1 - conf) / 9)[:, None], (1, 9))])
    labels = np.where(right == 1, 0, 1)  # right when the label is the predicted class 0
    want = _M.expected_calibration_error(probs, labels, n_bins=10)
    if np.isclose(answer, abs(right.mean() - conf.mean())):
        raise Wrong(
            "that is the gap of all predictions pooled in one bin: over- and "
            "under-confident bins cancel. Take each bin apart, then weight by its size."
        )
    if not np.isclose(answer, want, atol=5e-4):  # by hand: 4 decimals are enough
        raise Wrong(
            "in each non-empty bin, |accuracy - mean confidence|, weighted by the share "
            "of the 8 predictions in it; the bins here are (0.9, 1], (0.6, 0.7], (0.3, 0.4]."
        )
