"""Exercises of notebook 06 (putting it together: weight decay and L2)."""

from __future__ import annotations

import numbers

import numpy as np

from course_utils.checks import Wrong, exercise

# ----- 06.1: the weight decay that equals a given L2 under plain SGD ----------------------

_LR_1 = 0.1
_L2_1 = 0.0005


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


@exercise(
    "06.1",
    "the weight_decay that plain SGD turns into L2(0.0005)",
    solution=lambda: 2 * _L2_1,
    wrong_answer=lambda: _L2_1,
)
def check_1(weight_decay):
    if not _is_number(weight_decay):
        raise Wrong(f"give the weight decay as a number, got {type(weight_decay).__name__}")
    if np.isclose(weight_decay, 2 * _L2_1, rtol=1e-9, atol=0):
        return (
            "L2(l2) adds 2 * l2 * w to the gradient, and SGD multiplies it by the learning "
            "rate, exactly like Keras's decay lr * weight_decay * w."
        )
    if np.isclose(weight_decay, _L2_1, rtol=1e-9, atol=0):
        raise Wrong(
            "Keras's L2(l2) adds l2 * sum(w**2), with no 1/2: what is its gradient? "
            "Compare it with the decay term weight_decay * w."
        )
    if np.isclose(weight_decay, 2 * _L2_1 / _LR_1, rtol=1e-9, atol=0) or np.isclose(
        weight_decay, _L2_1 / _LR_1, rtol=1e-9, atol=0
    ):
        raise Wrong(
            "Keras multiplies weight_decay by the learning rate itself "
            "(w -= lr * weight_decay * w), so the learning rate cancels out"
        )
    raise Wrong(
        "write one SGD step both ways: w - lr * (g + 2 * l2 * w) and "
        "w - lr * weight_decay * w - lr * g, then match the terms in w"
    )


# ----- 06.2: one SGD step with decoupled weight decay, in Keras's order -----------------


def _solution_2():
    def decayed_sgd_step(w, g, learning_rate, weight_decay):
        w = w - w * weight_decay * learning_rate  # decay first ...
        return w - learning_rate * g  # ... then the gradient, taken at the old weights

    return decayed_sgd_step


def _wrong_2():
    def decayed_sgd_step(w, g, learning_rate, weight_decay):
        return w - weight_decay * w - learning_rate * g  # forgets the learning rate

    return decayed_sgd_step


@exercise(
    "06.2",
    "one SGD step with Keras's decoupled weight decay",
    solution=_solution_2,
    wrong_answer=_wrong_2,
)
def check_2(fn):
    if not callable(fn):
        raise Wrong("pass your function itself: check_2(decayed_sgd_step)")
    rng = np.random.default_rng(6)
    w = rng.standard_normal((4, 3))
    g = rng.standard_normal((4, 3))
    lr, wd = 0.3, 0.2
    expected = (w - w * wd * lr) - lr * g
    out = fn(w.copy(), g.copy(), lr, wd)
    out = np.asarray(out, dtype=np.float64)
    if out.shape != w.shape:
        raise Wrong(f"return the new weights, shape {w.shape}; got shape {out.shape}")
    if np.allclose(out, expected, rtol=1e-12, atol=1e-12):
        return "decay by lr * weight_decay * w, then step along -lr * g: Keras's order."
    if np.allclose(out, w - wd * w - lr * g, rtol=1e-12, atol=1e-12):
        raise Wrong("Keras multiplies the decay by the learning rate: w - lr * weight_decay * w")
    after = w - lr * g
    if np.allclose(out, after - after * wd * lr, rtol=1e-12, atol=1e-12):
        raise Wrong(
            "you decayed the weights after the gradient step; Keras decays first, "
            "then applies the gradient (which was computed before the decay)"
        )
    if np.allclose(out, w - lr * g, rtol=1e-12, atol=1e-12):
        raise Wrong("the weights were not decayed at all: subtract lr * weight_decay * w too")
    raise Wrong("two parts: w -= lr * weight_decay * w, then w -= lr * g")


# ----- 06.3: what AdamW does to a weight that gets no gradient ----------------------------

_LR_3 = 0.001
_WD_3 = 0.004
_STEPS_3 = 1000


def _idle_weight() -> float:
    return (1.0 - _LR_3 * _WD_3) ** _STEPS_3


@exercise(
    "06.3",
    "an idle weight after 1000 steps of AdamW",
    solution=_idle_weight,
    wrong_answer=lambda: (1.0 - _WD_3) ** _STEPS_3,
)
def check_3(value):
    if not _is_number(value):
        raise Wrong(f"give the weight's value as a number, got {type(value).__name__}")
    right = _idle_weight()
    if np.isclose(value, right, rtol=1e-9, atol=0):
        return (
            f"{right:.6f}: AdamW multiplies every weight by (1 - lr * weight_decay) each "
            "step, whatever its gradients. Adam + L2(0.002) would have pulled it to about 0.26."
        )
    if np.isclose(value, (1.0 - _WD_3) ** _STEPS_3, rtol=1e-9, atol=0):
        raise Wrong("Keras multiplies weight_decay by the learning rate before decaying")
    if np.isclose(value, 1.0 - _STEPS_3 * _LR_3 * _WD_3, rtol=1e-9, atol=0):
        raise Wrong(
            "close, but the decay compounds: each step multiplies the weight by "
            "(1 - lr * weight_decay), so use a power, not a sum"
        )
    if np.isclose(value, 1.0, rtol=1e-9, atol=0):
        raise Wrong(
            "no gradient does not mean no change: the decay acts on every weight (unless it "
            "is excluded)"
        )
    raise Wrong(
        "the gradient is 0, so Adam's own update is 0; only the decay acts: "
        "w *= 1 - lr * weight_decay, 1000 times, from w = 1"
    )
