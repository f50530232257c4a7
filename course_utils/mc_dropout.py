"""Monte Carlo dropout (notebook 03): passes with dropout on, their exact spread, a figure.

Leave dropout on at inference and run an input many times: each pass is another thinned
network. For ``Dense, ReLU, Dropout, Dense(1)`` the spread of the passes has a closed
form (:func:`mc_dropout_std`), which shows what it is made of.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate, optim, training
from course_utils import layers as L
from course_utils.coadaptation import hidden_activations
from course_utils.dropout import check_rate


def mc_dropout_predict(model, x, n_samples: int = 100, *, seed=0) -> np.ndarray:
    """Outputs of ``n_samples`` training-mode passes (Monte Carlo dropout).

    Each pass draws new masks, so each is a different thinned network. All passes run
    as one big batch: every row gets its own mask, so each copy of ``x`` is one pass.

    Args:
        model: A course ``Sequential`` with at least one ``Dropout`` layer.
        x: Inputs ``(N, D)``.
        n_samples: Number of passes, >= 2.
        seed: Seed of the masks (the model's own generators are left as they were).

    Returns:
        The model's outputs ``(n_samples, N, K)`` (logits for a classifier).
    """
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    drops = [la for la in model.layers if isinstance(la, L.Dropout)]
    if not drops:
        raise ValueError("model has no Dropout layer: every pass would be the same")
    n_samples = _validate.integer("n_samples", n_samples, low=2)
    x = _validate.array("x", x, ndim=2)
    saved = [(la.rng, la.fixed_mask) for la in drops]
    rng = _validate.generator(seed)
    try:
        for la in drops:
            la.rng, la.fixed_mask = np.random.default_rng(rng.integers(2**32)), None
        out = model.forward(np.tile(x, (n_samples, 1)), training=True)
    finally:
        for la, (r, m) in zip(drops, saved, strict=True):
            la.rng, la.fixed_mask = r, m
    return out.reshape(n_samples, len(x), -1)


def train_regressor(x, y, *, rate: float = 0.2, epochs: int = 300, seed=0):
    """The MC-dropout regressor of notebook 03: ``mlp([1, 128, 1], dropout=rate)``.

    Full-batch Adam (learning rate 0.02) on the mean squared error.

    Args:
        x: Inputs ``(N,)``; y: targets ``(N,)``.
        rate: Dropout rate of the hidden layer, in [0, 1).
        epochs: Full-batch steps, >= 1.
        seed: Seed of the starting weights and of the masks.

    Returns:
        The trained model.
    """
    x = _validate.array("x", x, ndim=1)
    y = _validate.array("y", y, ndim=1)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    model = L.mlp([1, 128, 1], dropout=check_rate(rate), seed=seed)
    training.fit(
        model, x[:, None], y, loss="mse", optimizer=optim.Adam(0.02), epochs=epochs, seed=seed
    )
    return model


def mc_dropout_std(model, x) -> np.ndarray:
    """The exact spread of Monte Carlo dropout for ``Dense, ReLU/Tanh, Dropout, Dense(1)``.

    The output of a pass is ``b + sum_j m_j h_j w_j / (1 - r)`` with independent masks
    ``m_j`` (1 with probability ``1 - r``). Each term has variance ``(h_j w_j)^2 r / (1 -
    r)``, so the standard deviation over passes is ``sqrt(r / (1 - r)) * ||h(x) * w||``.

    Args:
        model: A course ``Sequential`` with one hidden layer, its Dropout, one output.
        x: Inputs ``(N, D)``.

    Returns:
        The standard deviation of the output over infinitely many passes, ``(N,)``.
    """
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    kinds = [type(la) for la in model.layers]
    if len(kinds) != 4 or kinds[2] is not L.Dropout or model.layers[-1].units != 1:
        raise ValueError(
            "mc_dropout_std needs Dense, ReLU (or Tanh), Dropout, Dense(1), "
            f"got {[k.__name__ for k in kinds]}"
        )
    rate = model.layers[2].rate
    h = hidden_activations(model, x)
    w = model.layers[-1].params["W"][:, 0]
    return np.sqrt(rate / (1 - rate)) * np.linalg.norm(h * w, axis=1)


def mc_dropout_figure(x_train, y_train, grid, samples, *, n_shown: int = 20, ax=None, title=None):
    """Monte Carlo dropout on a 1-D regression: some passes, their mean and a +-2 std band.

    Args:
        x_train, y_train: Training points ``(N,)``.
        grid: Inputs where the model was evaluated ``(G,)``.
        samples: Predictions of every training-mode pass ``(S, G)``.
        n_shown: How many of the passes to draw as thin lines (the band and the mean use
            all of them).
    """
    from course_utils import plotting

    grid = _validate.array("grid", grid, ndim=1)
    samples = _validate.array("samples", samples, ndim=2)
    if samples.shape[1] != len(grid):
        raise ValueError(f"samples must have shape (S, {len(grid)}), got {samples.shape}")
    n_shown = _validate.integer("n_shown", n_shown, low=0, high=len(samples))
    fig, ax = plotting.new_axes(ax)
    mean, std = samples.mean(axis=0), samples.std(axis=0)
    x_train = np.asarray(x_train, dtype=np.float64)
    ax.axvspan(x_train.min(), x_train.max(), color="0.93", zorder=0, label="training range")
    for k, s in enumerate(samples[:n_shown]):
        label = f"{n_shown} of the {len(samples)} passes" if k == 0 else None
        ax.plot(grid, s, color=plotting.colour(0), lw=0.4, alpha=0.4, label=label)
    ax.fill_between(
        grid,
        mean - 2 * std,
        mean + 2 * std,
        color=plotting.colour(0),
        alpha=0.2,
        label=f"mean +- 2 std of all {len(samples)}",
    )
    ax.plot(grid, mean, color=plotting.colour(0), lw=2, label="mean of the passes")
    ax.scatter(x_train, y_train, s=14, color="k", zorder=3, label="training points")
    ax.set_xlabel("x")
    ax.set_ylabel("prediction")
    if title:
        ax.set_title(title)
    ax.legend(loc="lower left")
    return fig
