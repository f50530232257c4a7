"""Dropout against L2 (notebook 03): a control matched on the weight norm, and the
penalty that dropout adds to the loss on average over its masks.

The control asks whether what dropout does to the co-adaptation measures of
:mod:`course_utils.coadaptation` is only the weight shrinkage that L2 gives too.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate
from course_utils import layers as L
from course_utils.coadaptation import (
    cancellation_ratio,
    interaction_share,
    pair_interactions,
    unit_ablation,
)
from course_utils.dropout import DATA_SETTINGS, _rate, gap, make_data, train_mlp


def hidden_weight_norm(model) -> float:
    """Frobenius norm of the first Dense kernel (the hidden layer's weights)."""
    dense = next(la for la in model.layers if isinstance(la, L.Dense))
    return float(np.linalg.norm(dense.params["W"]))


def l2_matching_norm(x_train, y_train, target: float, *, tolerance: float = 0.02, seed=None):
    """Train with L2 on every kernel, its strength chosen so the hidden norm hits ``target``.

    The strength is searched on a log scale by secant steps (at most a decade each),
    starting from 1e-3; each try is a full training run. The hidden layer's weight norm
    falls as the strength grows.

    Args:
        x_train, y_train: The training set.
        target: The hidden layer's weight norm to reach, > 0.
        tolerance: Accepted relative miss, in (0, 0.5].
        seed: Seed of the starting weights (default: ``MODEL_SETTINGS``).

    Returns:
        ``(model, l2)``: the run whose norm is within ``tolerance`` of ``target``.

    Raises:
        ValueError: If 12 tries did not get within ``tolerance`` of ``target``.
    """
    target = _validate.number("target", target, low=0, low_open=True)
    tolerance = _validate.number("tolerance", tolerance, low=0, high=0.5, low_open=True)
    f = {}

    def miss(log_l2):  # log of (reached norm / target): > 0 means too weak
        if log_l2 not in f:
            model, _ = train_mlp(x_train, y_train, l2=10.0**log_l2, seed=seed)
            f[log_l2] = (model, float(np.log(hidden_weight_norm(model) / target)))
        return f[log_l2][1]

    # secant steps on log10(strength) against log(norm), each step at most one decade
    a, b = -3.0, -3.0 + (0.5 if miss(-3.0) > 0 else -0.5)
    for _ in range(10):
        if abs(miss(b)) < np.log1p(tolerance) or miss(b) == miss(a):
            break
        a, b = b, b - miss(b) * (b - a) / (miss(b) - miss(a))
        b = float(np.clip(b, a - 1, a + 1))
    best = min(f, key=lambda k: abs(f[k][1]))
    if abs(f[best][1]) >= np.log1p(tolerance):
        reached = target * np.exp(f[best][1])
        raise ValueError(
            f"target norm {target:.3g} is out of reach: after {len(f)} tries the closest "
            f"was {reached:.3g}, at l2 = {10.0**best:.3g}"
        )
    return f[best][0], float(10.0**best)


def l2_matched_control(rate: float = 0.5, draws: int = 5) -> list[dict]:
    """Dropout against plain training and against L2 matched on the hidden weight norm.

    For each draw of the data (draw 0 is the notebook's; draw ``k`` uses data seed
    ``DATA_SETTINGS['seed'] + k``), three runs from the same starting weights: no
    regularization, dropout ``rate``, and L2 on both kernels with the strength that
    gives the dropout run's hidden-layer weight norm (within 2%). Each run gets the
    mean single-unit rise, the non-additive share and the cancellation ratio on its
    training points.

    Returns:
        One dict per draw: ``{'seed', 'l2', 'hidden_norm', 'output_norm', 'mean_rise',
        'share', 'cancellation'}``, each of the last five a ``{run name: value}`` dict
        with the names 'no dropout', 'dropout', 'L2, same hidden norm'. ``mean_rise`` is
        the mean of :func:`unit_ablation`. ``gap`` holds the final validation-minus-
        training loss of the runs without and with dropout, ``best_val_loss`` their
        lowest validation loss over the epochs (the L2 strength was chosen to match a
        norm, not on validation, so that run gets neither).
    """
    rate = _rate(rate)
    draws = _validate.integer("draws", draws, low=1, high=20)
    out = []
    for k in range(draws):
        seed = DATA_SETTINGS["seed"] + k
        x, y, x_val, y_val = make_data(seed=seed)
        plain, h_plain = train_mlp(x, y, validation_data=(x_val, y_val))
        dropped, h_dropped = train_mlp(x, y, rate, validation_data=(x_val, y_val))
        matched, l2 = l2_matching_norm(x, y, hidden_weight_norm(dropped))
        runs = {"no dropout": plain, "dropout": dropped, "L2, same hidden norm": matched}
        row = {"seed": seed, "l2": l2}
        row["gap"] = {"no dropout": gap(h_plain), "dropout": gap(h_dropped)}
        row["best_val_loss"] = {
            n: float(min(h.history["val_loss"]))
            for n, h in (("no dropout", h_plain), ("dropout", h_dropped))
        }
        row["hidden_norm"] = {n: hidden_weight_norm(m) for n, m in runs.items()}
        row["output_norm"] = {
            n: float(np.linalg.norm(m.layers[-1].params["W"])) for n, m in runs.items()
        }
        rises = {n: unit_ablation(m, x, y) for n, m in runs.items()}
        row["mean_rise"] = {n: float(r.mean()) for n, r in rises.items()}
        row["share"] = {
            n: interaction_share(pair_interactions(m, x, y), rises[n]) for n, m in runs.items()
        }
        row["cancellation"] = {n: cancellation_ratio(m, x) for n, m in runs.items()}
        out.append(row)
    return out


def _one_hidden_layer(model):
    """``(hidden activations (N, H), W (H, K), b (K,))`` of Dense, activation, [Dropout], Dense."""
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    kinds = [type(la) for la in model.layers if not isinstance(la, L.Dropout)]
    if len(kinds) != 3 or kinds[0] is not L.Dense or kinds[2] is not L.Dense:
        raise ValueError(
            "needs one hidden layer: Dense, ReLU (or Tanh), [Dropout], Dense; "
            f"got {[type(la).__name__ for la in model.layers]}"
        )
    out = model.layers[-1]
    return out.params["W"], out.params["b"]


def mask_averaged_loss(model, x, y, rate: float, *, n_masks: int = 2000, seed=0) -> float:
    """The training loss averaged over dropout masks on the hidden layer (cross-entropy).

    Each of ``n_masks`` draws keeps every hidden unit of every example with probability
    ``1 - rate`` and scales the kept ones by ``1 / (1 - rate)``, whatever dropout the
    model was trained with; the mean cross-entropy is averaged over the draws.

    Args:
        model: A one-hidden-layer course classifier.
        x: Inputs ``(N, D)``; y: integer labels ``(N,)``.
        rate: Dropout rate, in [0, 1).
        n_masks: Number of mask draws, >= 1.
        seed: Seed of the masks.

    Returns:
        ``(mean over draws, its standard error)``.
    """
    from course_utils.coadaptation import _mean_cross_entropy, hidden_activations

    w, b = _one_hidden_layer(model)
    rate = _rate(rate)
    n_masks = _validate.integer("n_masks", n_masks, low=1)
    h = hidden_activations(model, x)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    per_draw = np.empty(n_masks)
    for k in range(0, n_masks, 100):  # 100 draws at a time: small in memory
        masks = rng.binomial(1, 1 - rate, size=(min(100, n_masks - k), *h.shape))
        per_draw[k : k + len(masks)] = _mean_cross_entropy((h * masks / (1 - rate)) @ w + b, y)
    return float(per_draw.mean()), float(per_draw.std() / np.sqrt(n_masks))


def dropout_penalty(model, x, rate: float) -> float:
    """Wager et al.'s second-order dropout penalty for a one-hidden-layer two-class model.

    ``(1/2) * r/(1-r) * mean_n p1 (1 - p1) * sum_j a_j(n)^2``, with ``a_j = h_j (W[j, 1] -
    W[j, 0])`` unit ``j``'s vote on the margin and ``p1`` the predicted probability of
    class 1: an L2 penalty on the votes, each point weighted by the loss's curvature.
    Averaged over masks, the cross-entropy is the full network's plus this, up to terms
    of higher order in the votes (Wager, Wang and Liang, 2013).

    Args:
        model: A one-hidden-layer course classifier with two classes.
        x: Inputs ``(N, D)``.
        rate: Dropout rate, in [0, 1).
    """
    from course_utils.coadaptation import hidden_activations

    w, b = _one_hidden_layer(model)
    if w.shape[1] != 2:
        raise ValueError(f"dropout_penalty needs two classes, got {w.shape[1]}")
    rate = _rate(rate)
    h = hidden_activations(model, x)
    margin = h @ (w[:, 1] - w[:, 0]) + (b[1] - b[0])
    p1 = 1 / (1 + np.exp(-margin))
    votes = h * (w[:, 1] - w[:, 0])
    return float(0.5 * rate / (1 - rate) * np.mean(p1 * (1 - p1) * (votes**2).sum(axis=1)))


#: The runs of :func:`l2_matched_control`, in the order its figure draws them.
CONTROL_RUNS = ("no dropout", "L2, same hidden norm", "dropout")


def control_figure(control, key: str = "cancellation", *, ax=None):
    """One measure of :func:`l2_matched_control` for its three runs, one line per draw.

    Each draw of the data is a line across the three runs (no dropout, L2 with the
    dropout run's hidden norm, dropout), so a paired comparison reads as the slope of
    each line; the mean over the draws is the thick line.

    Args:
        control: What :func:`l2_matched_control` returned (one dict per draw).
        key: The measure to draw: 'cancellation', 'share', 'mean_rise', 'hidden_norm' or
            'output_norm'.
        ax: Axes to draw on; a new figure when None.

    Returns:
        A matplotlib Figure.
    """
    from course_utils import plotting

    keys = ("cancellation", "share", "mean_rise", "hidden_norm", "output_norm")
    if key not in keys:
        raise ValueError(f"key must be one of {keys}, got {key!r}")
    if not isinstance(control, (list, tuple)) or not control:
        raise TypeError("control must be the non-empty list that l2_matched_control returns")
    values = np.array([[row[key][name] for name in CONTROL_RUNS] for row in control])
    fig, ax = plotting._new_axes(ax, figsize=(6.5, 4.2))
    positions = np.arange(len(CONTROL_RUNS))
    for k, row in enumerate(values):
        ax.plot(
            positions,
            row,
            "-",
            color="0.65",
            linewidth=1,
            marker="o",
            markersize=5,
            label="one draw of the data" if k == 0 else None,
        )
    ax.plot(
        positions,
        values.mean(axis=0),
        "-",
        color=plotting.colour(0),
        linewidth=3,
        marker="D",
        markersize=7,
        label=f"mean of {len(values)} draws",
    )
    ax.set_xticks(positions, ["no dropout", "L2, same\nhidden norm", "dropout 0.5"])
    ax.set_xlim(-0.3, len(CONTROL_RUNS) - 0.7)
    names = {
        "cancellation": "votes cancel by a factor of",
        "share": "non-additive share",
        "mean_rise": "mean loss rise, one unit removed",
        "hidden_norm": "|W| hidden layer",
        "output_norm": "|W| output layer",
    }
    ax.set_ylabel(names[key])
    ax.set_title(f"{names[key]}: each draw, three networks")
    ax.legend()
    return fig
