"""Weight decay against L2 (the second half of notebook 06).

Keras's optimizers take ``weight_decay``: before each update, ``w -= learning_rate *
weight_decay * w`` (see :mod:`course_utils.optim`). With plain SGD that is exactly an
L2 penalty ``L2(weight_decay / 2)``; with Adam it is not, for any strength, which is
why AdamW exists; with momentum the two part too. The runs use the over-fitting
problem of :mod:`course_utils.combined`.

All functions are pure: same arguments, same numbers, same figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_utils import _validate, layers, optim, plotting, training
from course_utils import regularizers as _regularizers
from course_utils.combined import N_CLASSES, Problem, biases, blank_pixels, kernel_norm

__all__ = [
    "WD_ADAM_LR",
    "WD_SGD_LR",
    "WD_STEPS",
    "WD_WIDTH",
    "adam_l2_vs_decay_toy",
    "decay_vs_l2_runs",
    "equivalent_l2",
    "momentum_l2_vs_decay",
    "rescaling_search",
    "sgd_decay_step",
    "sgd_l2_step",
    "weight_decay_figure",
]


def sgd_l2_step(w, g, learning_rate: float, l2: float) -> np.ndarray:
    """One SGD step on ``loss + l2 * sum(w**2)``: ``w - lr * (g + 2 * l2 * w)``.

    Args:
        w: Weights, any shape; g: the data loss's gradient at ``w``, same shape.
        learning_rate: > 0. l2: Keras-style L2 strength, >= 0.
    """
    w, g = _pair(w, g)
    lr = _validate.number("learning_rate", learning_rate, low=0, low_open=True)
    l2 = _validate.number("l2", l2, low=0)
    return w - lr * (g + 2.0 * l2 * w)


def sgd_decay_step(w, g, learning_rate: float, weight_decay: float) -> np.ndarray:
    """One SGD step with Keras's decoupled weight decay: decay first, then the update.

    ``w = w - lr * weight_decay * w``, then ``w = w - lr * g`` (``g`` computed at the
    weights before the decay).

    Args:
        w: Weights, any shape; g: the data loss's gradient at ``w``, same shape.
        learning_rate: > 0. weight_decay: >= 0.
    """
    w, g = _pair(w, g)
    lr = _validate.number("learning_rate", learning_rate, low=0, low_open=True)
    wd = _validate.number("weight_decay", weight_decay, low=0)
    decayed = w - w * wd * lr
    return decayed - lr * g


def _pair(w, g):
    w = _validate.array("w", w)
    g = _validate.array("g", g)
    if w.shape != g.shape:
        raise ValueError(f"w and g must have the same shape, got {w.shape} and {g.shape}")
    return w, g


def equivalent_l2(weight_decay: float) -> float:
    """The Keras ``L2(l2)`` that plain SGD turns into the same steps: ``weight_decay / 2``.

    Keras's decay multiplies by the learning rate, so the rescaling does not depend on
    it. (In the AdamW paper the decay is not multiplied by the learning rate, and the
    matching Keras-style L2 would be ``weight_decay / (2 * lr)``.)
    """
    return _validate.number("weight_decay", weight_decay, low=0) / 2.0


def _start_model(problem: Problem, width: int, seed: int, regularizer=None, start=None):
    """The small network of the weight-decay runs, from the shared starting weights."""
    model = layers.mlp(
        [problem.x_train.shape[1], width, N_CLASSES], kernel_regularizer=regularizer, seed=seed
    )
    if start is not None:
        model.set_weights(start)
    return model


def _full_batch(model, problem, optimizer, steps: int, measure=kernel_norm) -> np.ndarray:
    """``steps`` full-batch steps on the training set; ``measure(model)`` before and after
    each step (the kernel norm by default)."""
    values = [measure(model)]

    class _Measure(training.Callback):
        def on_epoch_end(self, epoch, logs=None):
            values.append(measure(self.model))

    training.fit(
        model,
        problem.x_train,
        problem.y_train,
        loss="cross_entropy",
        optimizer=optimizer,
        epochs=steps,
        callbacks=[_Measure()],
        shuffle=False,
        score_train=False,  # only the measured values are read
    )
    return np.array(values)


#: Settings of the weight-decay runs: a smaller network, full-batch steps.
WD_WIDTH = 64
WD_STEPS = 100
WD_SGD_LR = 0.5
WD_ADAM_LR = 0.01


def decay_vs_l2_runs(
    problem: Problem,
    *,
    weight_decay: float = 0.05,
    steps: int = WD_STEPS,
    sgd_learning_rate: float = WD_SGD_LR,
    adam_learning_rate: float = WD_ADAM_LR,
    width: int = WD_WIDTH,
    seed: int = 0,
) -> dict:
    """Train one network four ways from the same start, full batch, ``steps`` steps.

    * ``sgd_l2``: SGD on the loss + ``L2(weight_decay / 2)`` on the kernels;
    * ``sgd_decay``: SGD with ``weight_decay``, biases excluded from the decay;
    * ``adam_l2``: Adam on the loss + ``L2(weight_decay / 2)``;
    * ``adamw``: AdamW with ``weight_decay``, biases excluded.

    Returns:
        ``{name: {'model': trained model, 'norms': kernel norm before and after each
        step (steps + 1,)}}`` for the four names, plus ``'start'``: the initial weights.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem (see make_problem), got {type(problem)}")
    wd = _validate.number("weight_decay", weight_decay, low=0, low_open=True)
    steps = _validate.integer("steps", steps, low=1)
    width = _validate.integer("width", width, low=1)
    start = _start_model(problem, width, seed).get_weights()
    out: dict = {"start": start}
    l2 = _regularizers.L2(equivalent_l2(wd))
    for name, make_opt, reg in [
        ("sgd_l2", lambda: optim.SGD(sgd_learning_rate), l2),
        ("sgd_decay", lambda: optim.SGD(sgd_learning_rate, weight_decay=wd), None),
        ("adam_l2", lambda: optim.Adam(adam_learning_rate), l2),
        ("adamw", lambda: optim.AdamW(adam_learning_rate, weight_decay=wd), None),
    ]:
        model = _start_model(problem, width, seed, reg, start)
        opt = make_opt()
        if opt.weight_decay:
            opt.exclude_from_weight_decay(biases(model))
        out[name] = {"model": model, "norms": _full_batch(model, problem, opt, steps)}
    return out


def rescaling_search(
    problem: Problem,
    optimizer: str = "adam",
    *,
    weight_decay: float = 0.05,
    factors: Sequence[float] = (0.01, 0.1, 0.5, 1.0, 2.0, 10.0),
    steps: int = 50,
    learning_rate: float | None = None,
    width: int = WD_WIDTH,
    seed: int = 0,
) -> dict[float, float]:
    """Is there an L2 strength that gives the decoupled decay's weights? Try several.

    For each factor ``c``, trains with the loss + ``L2(c * weight_decay / 2)`` and
    compares with the run using ``weight_decay`` (biases excluded), from the same start.

    Args:
        problem: From :func:`make_problem`.
        optimizer: 'sgd' or 'adam' (Adam for the decay run means AdamW).
        weight_decay: The decoupled decay, > 0.
        factors: Multiples of the SGD-equivalent L2 strength to try, each >= 0
            (0: no penalty at all, the baseline).
        steps: Full-batch steps, >= 1.
        learning_rate: :data:`WD_SGD_LR` for SGD and :data:`WD_ADAM_LR` for Adam by default.
        width: Hidden units. seed: Seed of the starting weights.

    Returns:
        ``{c: largest absolute difference between the two runs' weights}``.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem (see make_problem), got {type(problem)}")
    _validate.choice("optimizer", optimizer, ("sgd", "adam"))
    wd = _validate.number("weight_decay", weight_decay, low=0, low_open=True)
    steps = _validate.integer("steps", steps, low=1)
    if learning_rate is None:
        learning_rate = WD_SGD_LR if optimizer == "sgd" else WD_ADAM_LR
    factors = [_validate.number("factor", c, low=0) for c in factors]
    if not factors:
        raise ValueError("factors must hold at least one number")
    start = _start_model(problem, width, seed).get_weights()
    cls = optim.SGD if optimizer == "sgd" else optim.Adam

    def run(opt, reg):
        model = _start_model(problem, width, seed, reg, start)
        if opt.weight_decay:
            opt.exclude_from_weight_decay(biases(model))
        _full_batch(model, problem, opt, steps)
        return model.get_weights()

    reference = run(cls(learning_rate, weight_decay=wd), None)
    result = {}
    for c in factors:
        penalty = _regularizers.L2(c * equivalent_l2(wd)) if c > 0 else None  # c = 0: none
        weights = run(cls(learning_rate), penalty)
        result[c] = max(
            float(np.max(np.abs(a - b))) for a, b in zip(weights, reference, strict=True)
        )
    return result


def adam_l2_vs_decay_toy(
    l2: float = 1e-4,
    *,
    gradient: float = 1.0,
    learning_rate: float = 0.01,
    steps: int = 100,
) -> dict[str, np.ndarray]:
    """Two weights, both starting at 1: one the data never moves, one it keeps busy.

    Weight 0 ("idle") has a data gradient of 0, like the weights of a pixel that is
    blank in every image. Weight 1 ("busy") gets ``+gradient`` and ``-gradient`` on
    alternate steps, so the data pushes it to and fro but not away. Both are trained
    for ``steps`` steps by Adam on the data loss + ``L2(l2)``, and by AdamW with the
    matching decay ``2 * l2`` (the SGD rescaling).

    Returns:
        ``{'adam_l2': (steps + 1, 2), 'adamw': (steps + 1, 2)}``: both weights after
        every step (row 0 is the start).
    """
    l2 = _validate.number("l2", l2, low=0, low_open=True)
    gradient = _validate.number("gradient", gradient)
    steps = _validate.integer("steps", steps, low=1)
    out = {}
    for name in ("adam_l2", "adamw"):
        w = np.ones(2)
        if name == "adam_l2":
            opt = optim.Adam(learning_rate)
        else:
            opt = optim.AdamW(learning_rate, weight_decay=2 * l2)
        path = [w.copy()]
        for t in range(steps):
            g = np.array([0.0, gradient * (-1) ** t])
            if name == "adam_l2":
                g = g + 2 * l2 * w  # the penalty's gradient joins the data's
            opt.step([w], [g])
            path.append(w.copy())
        out[name] = np.array(path)
    return out


def weight_decay_figure(runs: dict, *, ax=None):
    """Kernel norm against step for the four runs of :func:`decay_vs_l2_runs`."""
    if not isinstance(runs, dict) or not {"sgd_l2", "sgd_decay", "adam_l2", "adamw"} <= set(runs):
        raise TypeError("runs must be the dict returned by decay_vs_l2_runs")
    fig, ax = plotting._new_axes(ax, figsize=(7.0, 3.6))
    styles = {
        "sgd_l2": ("SGD + L2(wd/2)", 0, "-", 3.5),
        "sgd_decay": ("SGD, weight_decay=wd", 1, "--", 1.5),
        "adam_l2": ("Adam + L2(wd/2)", 2, "-", 3.5),
        "adamw": ("AdamW, weight_decay=wd", 3, "--", 1.5),
    }
    for name, (label, c, ls, lw) in styles.items():
        norms = runs[name]["norms"]
        ax.plot(np.arange(len(norms)), norms, ls, color=plotting.colour(c), lw=lw, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("kernel norm")
    ax.set_title("SGD: the two lines coincide. Adam: they part.", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def momentum_l2_vs_decay(
    problem: Problem,
    *,
    l2: float = 0.005,
    momentum: float = 0.9,
    learning_rate: float = 0.05,
    steps: int = 300,
    factors: Sequence[float] = (1.0, 2.0, 5.0, 10.0, 20.0),
    width: int = WD_WIDTH,
    seed: int = 0,
) -> dict:
    """SGD with momentum: an L2 penalty against decoupled decay, from the same start.

    One run is ``SGD(learning_rate, momentum)`` on the loss + ``L2(l2)``. The others are
    ``SGD(learning_rate, momentum, weight_decay=c * 2 * l2)`` with no penalty (biases
    excluded), one per factor ``c`` (``c = 1`` is the plain-SGD rescaling). All are
    full-batch, so the only difference is where the pull towards zero enters.

    Returns:
        ``{'distance': {c: largest |weight difference| from the L2 run},
        'blank': norm of the L2 run's first-layer weights from the blank pixels (they get
        no data gradient), before and after every step (steps + 1,),
        'blank_decay': {c: the same for the decay run with factor c}}``.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem (see make_problem), got {type(problem)}")
    l2 = _validate.number("l2", l2, low=0, low_open=True)
    momentum = _validate.number("momentum", momentum, low=0, high=1, high_open=True)
    steps = _validate.integer("steps", steps, low=1)
    factors = [_validate.number("factor", c, low=0, low_open=True) for c in factors]
    if not factors:
        raise ValueError("factors must hold at least one number")
    blank = blank_pixels(problem)
    start = _start_model(problem, width, seed).get_weights()

    def run(opt, reg):
        model = _start_model(problem, width, seed, reg, start)
        if opt.weight_decay:
            opt.exclude_from_weight_decay(biases(model))
        norms = _full_batch(
            model,
            problem,
            opt,
            steps,
            lambda m: float(np.linalg.norm(m.get_weights()[0][blank])),
        )
        return model.get_weights(), norms

    ref, blank_l2 = run(optim.SGD(learning_rate, momentum), _regularizers.L2(l2))
    distance, blank_decay = {}, {}
    for c in factors:
        weights, norms = run(optim.SGD(learning_rate, momentum, weight_decay=c * 2 * l2), None)
        distance[c] = max(float(np.max(np.abs(a - b))) for a, b in zip(weights, ref, strict=True))
        blank_decay[c] = norms
    return {"distance": distance, "blank": blank_l2, "blank_decay": blank_decay}
