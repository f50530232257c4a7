"""Exercises of notebook 06 (putting it together: weight decay and L2).

* 06.1 — an older article's ``(lambda / 2) * sum(w**2)`` with plain SGD, in Keras 3's two forms.
* 06.2 — one step of SGD with momentum and Keras's decoupled weight decay.
* 06.3 — how many AdamW steps halve a weight that gets no gradient.

Each asks for a step past what the notebook shows: the notebook uses Keras's ``L2`` (no
1/2), plain SGD, and the law ``(1 - lr * wd) ** t`` forwards.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from course_utils.checks import Wrong, exercise


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _close(a, b) -> bool:
    return bool(np.isclose(a, b, rtol=1e-9, atol=0))


# ----- 06.1: the textbook lambda / 2 form, with plain SGD, in Keras's two forms ---------

_LAMBDA_1 = 0.001
_LR_1 = 0.05


def _solution_1():
    # the article's penalty (lambda / 2) * sum(w**2) is Keras's L2(lambda / 2); its
    # gradient lambda * w matches the decay lr * weight_decay * w when weight_decay = lambda
    return {"l2": _LAMBDA_1 / 2, "weight_decay": _LAMBDA_1}


def _wrong_1():
    # the notebook's rule weight_decay = 2 * l2, applied to the article's lambda as if it
    # were Keras's l2
    return {"l2": _LAMBDA_1, "weight_decay": 2 * _LAMBDA_1}


@exercise(
    "06.1",
    "an article's (lambda / 2) * sum(w**2) as Keras's L2 and as SGD weight decay",
    solution=_solution_1,
    wrong_answer=_wrong_1,
)
def check_1(answer):
    if not isinstance(answer, dict) or set(answer) != {"l2", "weight_decay"}:
        raise Wrong('answer must be a dict with two keys: {"l2": ..., "weight_decay": ...}')
    l2, wd = answer["l2"], answer["weight_decay"]
    for key, value in answer.items():
        if not _is_number(value):
            raise Wrong(f"answer[{key!r}] must be a number, got {type(value).__name__}")
    lam, lr = _LAMBDA_1, _LR_1
    if not _close(l2, lam / 2):
        if _close(l2, lam):
            raise Wrong(
                "Keras's L2(l2) adds l2 * sum(w**2), with no 1/2. The article adds "
                "(lambda / 2) * sum(w**2): which l2 gives the same number?"
            )
        if _close(l2, 2 * lam):
            raise Wrong("the other way round: Keras's l2 is smaller than lambda, not larger")
        raise Wrong(
            "write both penalties out: the article's (lambda / 2) * sum(w**2) with "
            f"lambda = {lam}, and Keras's l2 * sum(w**2). They must be equal."
        )
    if _close(wd, lam):
        return (
            "L2(lambda / 2) and weight_decay = lambda: the article's penalty has the gradient "
            "lambda * w, and Keras's decay subtracts lr * weight_decay * w, so weight_decay "
            "is the textbook lambda itself. The learning rate cancels out (it would not in "
            "the AdamW paper's form, which decays without multiplying by the learning rate)."
        )
    if _close(wd, 2 * lam):
        raise Wrong(
            "weight_decay = 2 * l2 holds for Keras's l2; you doubled the article's lambda, "
            "which already is twice Keras's l2. Take the gradient of (lambda / 2) * w**2."
        )
    if _close(wd, lam / 2):
        raise Wrong(
            "the decay must match the penalty's gradient, not the penalty: what is the "
            "gradient of (lambda / 2) * w**2?"
        )
    if any(_close(wd, x / lr) for x in (lam, 2 * lam, lam / 2)):
        raise Wrong(
            "Keras multiplies weight_decay by the learning rate itself "
            "(w -= lr * weight_decay * w), so the learning rate cancels out"
        )
    raise Wrong(
        "write one SGD step both ways: w - lr * (g + lambda * w) and "
        "w - lr * weight_decay * w - lr * g, then match the terms in w"
    )


# ----- 06.2: SGD with momentum and decoupled weight decay, in Keras's order -------------


def _solution_2():
    def momentum_decay_step(w, m, g, learning_rate, momentum, weight_decay):
        w = w - learning_rate * weight_decay * w  # decay the weights first, outside m ...
        m = momentum * m - learning_rate * g  # ... then the velocity, from the gradient only
        return w + m, m

    return momentum_decay_step


def _wrong_2():
    def momentum_decay_step(w, m, g, learning_rate, momentum, weight_decay):
        # the decay put into the gradient: that is momentum SGD on an L2 penalty
        m = momentum * m - learning_rate * (g + weight_decay * w)
        return w + m, m

    return momentum_decay_step


_CASE_2 = {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.2}


def _case_2():
    rng = np.random.default_rng(6)
    return rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.standard_normal((4, 3))


@exercise(
    "06.2",
    "one step of SGD with momentum and Keras's decoupled weight decay",
    solution=_solution_2,
    wrong_answer=_wrong_2,
)
def check_2(fn):
    if not callable(fn):
        raise Wrong("pass your function itself: check_2(momentum_decay_step)")
    w, m, g = _case_2()
    lr, mu, wd = _CASE_2["learning_rate"], _CASE_2["momentum"], _CASE_2["weight_decay"]
    out = fn(w.copy(), m.copy(), g.copy(), lr, mu, wd)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong("return two arrays, the new weights and the new velocity: return w, m")
    new_w, new_m = (np.asarray(x, dtype=np.float64) for x in out)
    if new_w.shape != w.shape or new_m.shape != m.shape:
        raise Wrong(f"w and m keep their shape {w.shape}; got {new_w.shape} and {new_m.shape}")

    def same(a, b):
        return np.allclose(a, b, rtol=1e-12, atol=1e-12)

    right_m = mu * m - lr * g
    right_w = (w - lr * wd * w) + right_m
    if same(new_w, right_w) and same(new_m, right_m):
        return (
            "decay outside the velocity, then Keras's momentum step. Compare it with momentum "
            "SGD on an L2 penalty: there the penalty's gradient goes into m and is carried "
            "into the next steps, while the decay is applied once. So with momentum, "
            "weight_decay = 2 * l2 no longer gives the same steps; the rule of this notebook "
            "is for plain SGD."
        )
    if same(new_m, mu * m - lr * (g + wd * w)):
        raise Wrong(
            "you put the decay into the velocity: that is momentum SGD on an L2 penalty. "
            "Keras shrinks the weights directly (w -= lr * weight_decay * w), and m sees "
            "only the gradient g"
        )
    if same(new_m, mu * m + lr * g):
        raise Wrong("the velocity points downhill: m = momentum * m - learning_rate * g")
    if not same(new_m, right_m):
        raise Wrong(
            "the velocity is wrong: Keras keeps m = momentum * m - learning_rate * g, from "
            "the gradient alone"
        )
    if same(new_w, (w + right_m) * (1 - lr * wd)):
        raise Wrong("you decayed after the step; Keras decays the old weights first, then adds m")
    if same(new_w, w - wd * w + right_m):
        raise Wrong("Keras multiplies the decay by the learning rate: w - lr * weight_decay * w")
    if same(new_w, w + right_m):
        raise Wrong("the weights were not decayed: subtract lr * weight_decay * w too")
    raise Wrong("two parts: w -= lr * weight_decay * w, then m = momentum * m - lr * g; w += m")


# ----- 06.3: how many AdamW steps halve a weight that gets no gradient ------------------

_LR_3 = 0.001
_WD_3 = 0.004


def _halving_steps() -> int:
    # smallest t with (1 - lr * wd) ** t <= 1/2
    t = math.ceil(math.log(0.5) / math.log1p(-_LR_3 * _WD_3))
    while (1 - _LR_3 * _WD_3) ** (t - 1) <= 0.5:  # guard against rounding in the logs
        t -= 1
    while (1 - _LR_3 * _WD_3) ** t > 0.5:
        t += 1
    return t


@exercise(
    "06.3",
    "how many AdamW steps halve an idle weight",
    solution=_halving_steps,
    wrong_answer=lambda: math.ceil(math.log(0.5) / math.log(1 - _WD_3)),
)
def check_3(steps):
    if not _is_number(steps) or float(steps) != int(steps):
        raise Wrong(f"give a whole number of steps, got {steps!r}")
    steps = int(steps)
    right = _halving_steps()
    if steps == right:
        return (
            f"{right:,} steps: each multiplies the weight by 1 - lr * weight_decay = "
            f"{1 - _LR_3 * _WD_3}. At 1,000 steps per epoch that is {right / 1000:.0f} "
            "epochs: the default decay is gentle and even. Adam + L2 pulls an idle weight "
            "down by about the learning rate every step, whatever l2: with l2 anywhere from "
            "0.0001 to 0.01, it halves in fewer than 600 steps."
        )
    left = (1 - _LR_3 * _WD_3) ** steps
    if steps == right - 1:
        raise Wrong(
            f"after {steps:,} steps the weight is {left:.7f}, still just above a half: "
            "the smallest whole number of steps that reaches 0.5 is asked for"
        )
    if steps == math.ceil(math.log(0.5) / math.log(1 - _WD_3)):
        raise Wrong("Keras multiplies weight_decay by the learning rate before decaying")
    if steps == math.ceil(0.5 / (_LR_3 * _WD_3)):
        raise Wrong(
            "the decay compounds: each step multiplies the weight by (1 - lr * weight_decay), "
            "so solve (1 - lr * weight_decay) ** t <= 0.5 with a logarithm"
        )
    raise Wrong(
        f"after {steps:,} steps the weight would be {left:.6f}. The gradient is 0, so only "
        "the decay acts: w = (1 - lr * weight_decay) ** t. Solve for the t that makes it "
        "0.5, and round up."
    )
