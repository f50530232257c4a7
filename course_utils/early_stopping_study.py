"""Notebook 05's experiment: digits with wrong labels, early stopping against L2, and
the figure of where early stopping ends a recorded run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_utils import _validate
from course_utils.early_stopping import EarlyStopping, EpochStub, WeightSnapshots, replay

# Colours named in notebook 05's text ("the green steps", "the red line"): a bluish
# green (Okabe-Ito) and the red of the course's palette, distinct for colour-blind eyes.
GREEN = "#009e73"
RED = "#bd1f01"


def flip_labels(y, rate: float, n_classes: int, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Replace a share of labels by a different class, drawn at random.

    Args:
        y: Integer labels ``(N,)`` in [0, n_classes).
        rate: Fraction of labels to change, in [0, 1].
        n_classes: Number of classes, >= 2.
        seed: An int seed or a ``numpy.random.Generator``.

    Returns:
        ``(y_noisy, flipped)``: the new labels ``(N,)`` and a boolean mask ``(N,)`` of the
        rows that changed (exactly ``round(rate * N)`` of them).
    """
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D array of integer labels, got {y.dtype} {y.shape}")
    n_classes = _validate.integer("n_classes", n_classes, low=2)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must be in [0, {n_classes}), got {y.min()}..{y.max()}")
    rate = _validate.number("rate", rate, low=0, high=1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rows = rng.choice(y.size, round(rate * y.size), replace=False)
    y_noisy = y.copy()
    # Adding 1..n_classes-1 (mod n_classes) always lands on a different class.
    y_noisy[rows] = (y[rows] + rng.integers(1, n_classes, rows.size)) % n_classes
    flipped = np.zeros(y.size, dtype=bool)
    flipped[rows] = True
    return y_noisy, flipped


def noisy_digits(flip: float = 0.25, *, val: float = 0.3, test: float = 0.3, seed: int = 0):
    """The digits, split into train/validation/test, with a share of *training* labels flipped.

    Validation and test labels stay clean, so they measure how well the model learned
    the digits rather than the noise.

    Args:
        flip: Fraction of training labels changed to another digit, in [0, 1].
        val, test: Fractions for validation and test (see ``train_val_test_split``).
        seed: Seed of the split and of the flips.

    Returns:
        A dict with ``x_train (N, 64)``, ``y_train`` (noisy), ``y_train_clean``,
        ``flipped`` (mask), ``x_val``, ``y_val``, ``x_test``, ``y_test``.
    """
    from course_utils import datasets

    images, labels = datasets.load_digits()
    x = images.reshape(len(images), -1)
    x_tr, x_va, x_te, y_tr, y_va, y_te = datasets.train_val_test_split(
        x, labels, val=val, test=test, seed=seed
    )
    y_noisy, flipped = flip_labels(y_tr, flip, 10, seed=seed)
    return {
        "x_train": x_tr,
        "y_train": y_noisy,
        "y_train_clean": y_tr,
        "flipped": flipped,
        "x_val": x_va,
        "y_val": y_va,
        "x_test": x_te,
        "y_test": y_te,
    }


def compare_on_draw(
    seed: int,
    *,
    l2: float = 0.01,
    flip: float = 0.25,
    epochs: int = 80,
    patience: int = 10,
    hidden: int = 256,
    learning_rate: float = 0.03,
) -> dict[str, float]:
    """Notebook 05's comparison of the cures on one draw of the noisy digits.

    The draw (split and wrong labels) comes from ``noisy_digits(flip, val=0.4,
    test=0.4, seed=seed)``. Two runs of a ``64-hidden-10`` network, full-batch Adam,
    the same starting weights: one without a penalty, one with ``L2(l2)`` on every
    kernel, each for ``epochs`` epochs. Early stopping is the unpenalised run replayed
    through :class:`EarlyStopping` (``patience``, best weights restored), which is
    exactly what a stopped run would keep; it watches ``val_loss`` or ``val_accuracy``.

    Args:
        seed: Seed of the draw, >= 0.
        l2: Strength of the L2 penalty (Keras's meaning: ``l2 * sum(W**2)``), > 0.
        flip: Share of training labels made wrong.
        epochs: Epochs of both runs, >= 1.
        patience: Patience of early stopping, >= 0.
        hidden: Hidden units, >= 1.
        learning_rate: Adam's step size, > 0.

    Returns:
        Test accuracies ``plain`` (no penalty, last epoch), ``early`` (early stopping on
        ``val_loss``), ``early_acc`` (on ``val_accuracy``), ``l2`` (L2, last epoch), and
        ``kept``, ``kept_acc``: the epochs (from 1) that the two early stoppings keep.
    """
    from course_utils import layers, losses, optim, regularizers, training

    seed = _validate.integer("seed", seed, low=0)
    l2 = _validate.number("l2", l2, low=0, low_open=True)
    patience = _validate.integer("patience", patience, low=0)
    hidden = _validate.integer("hidden", hidden, low=1)
    d = noisy_digits(flip, val=0.4, test=0.4, seed=seed)

    def run(regularizer, validation):
        """Full-batch Adam with ``training.fit``, without scoring the training set after
        every epoch (nothing here uses it). Returns the weights after every epoch and,
        with ``validation``, the validation logs."""
        model = layers.mlp([64, hidden, 10], kernel_regularizer=regularizer, seed=0)
        snapshots = WeightSnapshots()
        history = training.fit(
            model,
            d["x_train"],
            d["y_train"],
            loss="cross_entropy",
            optimizer=optim.Adam(learning_rate),
            epochs=epochs,
            validation_data=(d["x_val"], d["y_val"]) if validation else None,
            score_train=False,
            callbacks=[snapshots],
        )
        return snapshots.weights, history.history

    def test_accuracy(weights):
        model = layers.mlp([64, hidden, 10], seed=0)
        model.set_weights(weights)
        return losses.accuracy(model.predict(d["x_test"]), d["y_test"])

    snaps, logs = run(None, validation=True)
    on_loss = replay(EarlyStopping(patience=patience, restore_best_weights=True), logs["val_loss"])
    on_acc = replay(
        EarlyStopping(monitor="val_accuracy", patience=patience, restore_best_weights=True),
        logs["val_accuracy"],
    )
    l2_weights, _ = run(regularizers.L2(l2), validation=False)  # scored at its last epoch only
    return {
        "plain": test_accuracy(snaps[-1]),
        "early": test_accuracy(snaps[on_loss.kept_epoch]),
        "early_acc": test_accuracy(snaps[on_acc.kept_epoch]),
        "l2": test_accuracy(l2_weights[-1]),
        "kept": on_loss.kept_epoch + 1,
        "kept_acc": on_acc.kept_epoch + 1,
    }


# --------------------------------------------------------------------------- figure


def _thresholds(val: np.ndarray, patience: int, min_delta: float):
    """Replay ``val`` through :class:`EarlyStopping` (best weights restored), recording
    the value each epoch had to beat; returns ``(to_beat, kept epoch, stopped)``."""
    callback = EarlyStopping(patience=patience, min_delta=min_delta, restore_best_weights=True)
    model = EpochStub()
    callback.set_model(model)
    callback.on_train_begin()
    to_beat = []
    for epoch, value in enumerate(val.tolist()):
        to_beat.append(np.nan if callback.best is None else callback.best - callback.min_delta)
        model.epoch = epoch
        callback.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            break
    callback.on_train_end()
    return to_beat, model.kept_epoch, bool(callback.stopped_epoch)


def early_stopping_figure(
    val_loss: Sequence[float],
    patience: int = 5,
    min_delta: float = 0.0,
    *,
    loss: Sequence[float] | None = None,
    ax=None,
):
    """Where early stopping would end a recorded run, and which weights it would keep.

    A pure function of a recorded validation curve: the run is replayed through
    :class:`EarlyStopping` (``restore_best_weights=True``). Epochs are drawn from 1,
    as Keras's messages count them.

    Args:
        val_loss: The validation loss of every epoch ``(E,)``, E >= 2.
        patience: Number of epochs with no improvement after which training stops, >= 0.
        min_delta: Smallest fall that counts as an improvement.
        loss: Optional training loss ``(E,)`` (drawn solid).
        ax: Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Figure.
    """
    from course_utils import plotting

    val = _validate.array("val_loss", val_loss, ndim=1)
    if val.size < 2:
        raise ValueError(f"val_loss needs at least 2 epochs, got {val.size}")
    train = None
    if loss is not None:
        train = _validate.array("loss", loss, ndim=1)
        if train.shape != val.shape:
            raise ValueError(
                f"loss and val_loss must have the same length, got {train.size} and {val.size}"
            )
    to_beat, kept, stopped = _thresholds(val, patience, min_delta)
    run = len(to_beat)
    epochs = np.arange(1, val.size + 1)

    fig, ax = plotting._new_axes(ax, figsize=(7.5, 4.0))
    blue, grey = plotting.colour(0), "0.7"
    if train is not None:
        ax.plot(epochs[:run], train[:run], color=blue, label="train", **plotting.TRAIN_STYLE)
        ax.plot(epochs[run - 1 :], train[run - 1 :], color=grey, **plotting.TRAIN_STYLE)
    ax.plot(epochs[:run], val[:run], color=blue, label="validation", **plotting.VAL_STYLE)
    ax.plot(
        epochs[run - 1 :],
        val[run - 1 :],
        color=grey,
        label="never trained" if run < val.size else None,
        **plotting.VAL_STYLE,
    )
    ax.step(
        epochs[:run],
        to_beat,
        where="mid",
        color=GREEN,
        linewidth=1,
        label="best − min_delta (to beat)",
    )
    ax.axvline(run, color=RED, linewidth=1)
    ax.plot(
        epochs[kept],
        val[kept],
        "*",
        color=plotting.colour(1),
        markersize=14,
        zorder=4,
        label=f"weights kept: epoch {kept + 1}",
    )
    ax.plot(
        epochs[run - 1],
        val[run - 1],
        "o",
        color=RED,
        zorder=4,
        label=f"weights at the {'stop' if stopped else 'end'}: epoch {run}",
    )
    outcome = "stops after epoch" if stopped else "never stops; ends at epoch"
    ax.set_title(
        f"patience {patience}, min_delta {min_delta:g}: {outcome} {run} of {val.size}; "
        f"keeps epoch {kept + 1} (val loss {val[kept]:.3f})",
        fontsize=10,
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    # Show every curve whole, from its first epoch.
    top, low = val.max(), val.min()
    if train is not None:
        top, low = max(top, train.max()), min(low, train.min())
    span = max(top - low, 1e-3)
    ax.set_ylim(low - 0.05 * span, top + 0.05 * span)
    ax.legend(fontsize=8, loc="upper right")
    return fig
