"""Every technique of the course on one over-fitting problem, and weight decay vs L2 (notebook 06).

The problem: 150 handwritten 8x8 digits for training, a fifth of their labels flipped
to a wrong digit, and a wide network (64 -> 64 -> 10). Left alone it learns the
training set by heart, wrong labels included. Validation (300 digits) and test (the
other 1,347) keep their true labels, so they measure how well the digits were learned.

Each technique is one :class:`Technique` (a penalty, dropout, augmentation, early
stopping, or several at once), trained with the course's NumPy fit loop by
:func:`train`. :mod:`course_utils.contest` tunes every technique with the same budget on
several draws of the data and compares them draw by draw.

The second half is weight decay. Keras's optimizers take ``weight_decay``: before each
update, ``w -= learning_rate * weight_decay * w`` (see :mod:`course_utils.optim`).
With plain SGD that is exactly an L2 penalty ``L2(weight_decay / 2)``; with Adam it is
not, for any strength, which is why AdamW exists.

All functions are pure: same arguments, same numbers (apart from the measured
seconds), same figure.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from course_utils import _validate, datasets, layers, optim, plotting, training
from course_utils import losses as _losses
from course_utils import regularizers as _regularizers

N_CLASSES = 10
#: The network and training settings every technique shares.
WIDTH = 64
EPOCHS = 60
BATCH_SIZE = 50
LEARNING_RATE = 0.01
#: Seeds of :func:`compare` (weights, shuffling, dropout masks, augmentations).
SEEDS = (0, 1, 2)

__all__ = [
    "BATCH_SIZE",
    "CANDIDATES",
    "EPOCHS",
    "LEARNING_RATE",
    "METRICS",
    "SEEDS",
    "TECHNIQUES",
    "WD_ADAM_LR",
    "WD_SGD_LR",
    "WD_STEPS",
    "WD_WIDTH",
    "WIDTH",
    "Comparison",
    "Problem",
    "Run",
    "Technique",
    "ValDataLoss",
    "adam_l2_vs_decay_toy",
    "biases",
    "blank_pixels",
    "candidates",
    "compare",
    "comparison_figure",
    "decay_vs_l2_runs",
    "equivalent_l2",
    "format_table",
    "kernel_norm",
    "make_augmenter",
    "make_problem",
    "momentum_l2_vs_decay",
    "problem_figure",
    "rescaling_search",
    "sgd_decay_step",
    "sgd_l2_step",
    "technique_figure",
    "train",
    "weight_decay_figure",
]


# --------------------------------------------------------------------------- problem
class Problem(NamedTuple):
    """The shared over-fitting problem (see :func:`make_problem`).

    Attributes:
        images_train: Training images ``(N, 8, 8)`` in [0, 1].
        x_train: The same, flattened ``(N, 64)``.
        y_train: Training labels ``(N,)``, with the flipped ones.
        y_train_clean: The true training labels ``(N,)``.
        flipped: Boolean mask ``(N,)`` of the flipped labels.
        x_val, y_val: Validation ``(M, 64)``, ``(M,)``, true labels.
        x_test, y_test: Held-out test ``(K, 64)``, ``(K,)``, true labels.
    """

    images_train: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    y_train_clean: np.ndarray
    flipped: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def make_problem(n_train: int = 150, flip: float = 0.2, n_val: int = 300, seed: int = 0):
    """Few digits, some wrong labels: a problem a wide network over-fits.

    The 1,797 shipped digits are shuffled (from ``seed``) and cut into ``n_train``
    training, ``n_val`` validation and the rest test digits. Then ``round(flip *
    n_train)`` training labels, chosen at random, are changed to another digit.

    Args:
        n_train: Training digits, in [20, 1000].
        flip: Fraction of training labels made wrong, in [0, 1).
        n_val: Validation digits, in [20, 500].
        seed: Seed of the split and of the flips, >= 0.

    Returns:
        A :class:`Problem`.
    """
    n_train = _validate.integer("n_train", n_train, low=20, high=1000)
    n_val = _validate.integer("n_val", n_val, low=20, high=500)
    flip = _validate.number("flip", flip, low=0, high=1, high_open=True)
    seed = _validate.integer("seed", seed, low=0)
    images, labels = datasets.load_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    tr, va, te = order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]
    y_clean = labels[tr]
    rows = rng.choice(n_train, round(flip * n_train), replace=False)
    y_noisy = y_clean.copy()
    # adding 1..9 (mod 10) always lands on a different digit
    y_noisy[rows] = (y_clean[rows] + rng.integers(1, N_CLASSES, rows.size)) % N_CLASSES
    flipped = np.zeros(n_train, dtype=bool)
    flipped[rows] = True
    flat = images.reshape(len(images), -1)
    return Problem(
        images_train=images[tr],
        x_train=flat[tr],
        y_train=y_noisy,
        y_train_clean=y_clean,
        flipped=flipped,
        x_val=flat[va],
        y_val=labels[va],
        x_test=flat[te],
        y_test=labels[te],
    )


def problem_figure(problem: Problem, n: int = 30):
    """The first ``n`` training digits with the label the network is given; the wrong
    labels in red, with the true digit in brackets."""
    import matplotlib.pyplot as plt

    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem (see make_problem), got {type(problem)}")
    n = _validate.integer("n", n, low=1, high=len(problem.y_train))
    ncols = min(15, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.62 * ncols, 0.78 * nrows), squeeze=False)
    plt.close(fig)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(problem.images_train[i], cmap="gray_r", vmin=0, vmax=1)
        given, true = int(problem.y_train[i]), int(problem.y_train_clean[i])
        if problem.flipped[i]:
            ax.set_title(f"{given} ({true})", fontsize=8, color="tab:red")
        else:
            ax.set_title(str(given), fontsize=8)
    wrong = int(problem.flipped[:n].sum())
    fig.suptitle(
        f"{n} of the {len(problem.y_train)} training digits with their given labels: "
        f"{wrong} wrong (red, true digit in brackets)",
        fontsize=9,
    )
    return fig


def blank_pixels(problem: Problem) -> np.ndarray:
    """Mask ``(64,)`` of the pixels that are 0 in every training image.

    The first layer's weights from these pixels never get a data gradient.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem (see make_problem), got {type(problem)}")
    return np.all(problem.x_train == 0, axis=0)


# ------------------------------------------------------------------------ techniques
@dataclasses.dataclass(frozen=True)
class Technique:
    """One way to train the network: any mix of the course's techniques.

    Attributes:
        name: Short label for tables and figures.
        l2: Keras-style ``L2(l2)`` on every kernel (adds ``l2 * sum(W**2)``), >= 0.
        l1: Keras-style ``L1(l1)`` on every kernel, >= 0.
        dropout: Rate of the Dropout after the hidden layer, in [0, 1).
        augment: Train on the originals plus freshly augmented copies every epoch.
        augment_strength: Scales the augmentation's ranges (1: rotations up to 12
            degrees, zoom up to 10 %, shifts up to one pixel), > 0.
        early_stopping: Stop when the validation loss has not improved for
            ``patience`` epochs, and keep the best epoch's weights. With a penalty
            (``l2`` or ``l1``), it watches the validation cross-entropy without the
            penalty (:class:`ValDataLoss`); otherwise ``val_loss``, which is the same.
        patience: Early stopping's patience, >= 1.
        weight_decay: Decoupled weight decay of the optimizer (biases excluded), or None.
    """

    name: str
    l2: float = 0.0
    l1: float = 0.0
    dropout: float = 0.0
    augment: bool = False
    augment_strength: float = 1.0
    early_stopping: bool = False
    patience: int = 10
    weight_decay: float | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        _validate.number("l2", self.l2, low=0)
        _validate.number("l1", self.l1, low=0)
        _validate.number("dropout", self.dropout, low=0, high=1, high_open=True)
        _validate.integer("patience", self.patience, low=1)
        _validate.number("augment_strength", self.augment_strength, low=0, low_open=True)
        for flag in ("augment", "early_stopping"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        if self.weight_decay is not None:
            _validate.number("weight_decay", self.weight_decay, low=0)

    def regularizer(self):
        """The kernel regularizer this technique asks for (None, L1, L2 or L1L2)."""
        if self.l1 and self.l2:
            return _regularizers.L1L2(self.l1, self.l2)
        if self.l2:
            return _regularizers.L2(self.l2)
        if self.l1:
            return _regularizers.L1(self.l1)
        return None

    def describe(self) -> str:
        """The settings in a few words, e.g. 'L2(0.01) + dropout 0.5'."""
        parts = []
        if self.l2:
            parts.append(f"L2({self.l2:g})")
        if self.l1:
            parts.append(f"L1({self.l1:g})")
        if self.weight_decay:
            parts.append(f"weight decay {self.weight_decay:g}")
        if self.dropout:
            parts.append(f"dropout {self.dropout:g}")
        if self.augment:
            strength = "" if self.augment_strength == 1 else f" x{self.augment_strength:g}"
            parts.append("augmentation" + strength)
        if self.early_stopping:
            parts.append(f"early stopping (patience {self.patience})")
        return " + ".join(parts) or "nothing"


#: The candidate settings of every technique: the same number for each (an equal
#: tuning budget). :func:`course_utils.contest.tune` runs them all on several draws of
#: the data and keeps, for each technique, the one with the best mean validation
#: accuracy. "none" has nothing to tune.
CANDIDATES: dict[str, list[dict]] = {
    "L2": [{"l2": 0.003}, {"l2": 0.01}, {"l2": 0.03}],
    "L1": [{"l1": 0.001}, {"l1": 0.003}, {"l1": 0.01}],
    "dropout": [{"dropout": 0.3}, {"dropout": 0.5}, {"dropout": 0.7}],
    "augmentation": [
        {"augment": True, "augment_strength": 0.5},
        {"augment": True, "augment_strength": 1.0},
        {"augment": True, "augment_strength": 2.0},
    ],
    "early stopping": [
        {"early_stopping": True, "patience": 5},
        {"early_stopping": True, "patience": 10},
        {"early_stopping": True, "patience": 20},
    ],
    "AdamW": [{"weight_decay": 0.3}, {"weight_decay": 1.0}, {"weight_decay": 3.0}],
    "combined": [
        {"augment": True, "early_stopping": True, "dropout": 0.3},
        {"augment": True, "early_stopping": True, "dropout": 0.5},
        {"augment": True, "early_stopping": True, "dropout": 0.5, "l2": 0.003},
    ],
}


def candidates(name: str) -> list[Technique]:
    """The candidate settings of technique ``name`` (a key of :data:`CANDIDATES`).

    Each is a :class:`Technique` named after the technique (``"L2"``), so the one a
    tuning keeps can stand for it in tables.
    """
    _validate.choice("name", name, CANDIDATES)
    return [Technique(name, **kw) for kw in CANDIDATES[name]]


#: One example setting of each technique (the middle candidate), for examples and tests.
#: The notebook does not use these as its choices: it chooses on validation.
TECHNIQUES: dict[str, Technique] = {
    "none": Technique("none"),
    **{name: candidates(name)[1] for name in CANDIDATES},
}


def make_augmenter(seed: int = 0, strength: float = 1.0):
    """The augmentation of the comparison: rotate up to ``12 * strength`` degrees, zoom
    up to ``10 * strength`` %, shift up to ``strength`` pixels, all drawn afresh for
    every image and every epoch."""
    from course_utils import augment

    strength = _validate.number("strength", strength, low=0, low_open=True, high=5)
    return augment.RandomAugmenter(
        rotation=12.0 * strength, zoom=0.1 * strength, shift=1.0 * strength, seed=seed
    )


def biases(model: layers.Sequential) -> list[np.ndarray]:
    """The bias arrays of every Dense layer (to exclude them from weight decay)."""
    if not isinstance(model, layers.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    return [layer.params["b"] for layer in model.layers if isinstance(layer, layers.Dense)]


def kernel_norm(model: layers.Sequential) -> float:
    """Frobenius norm of all Dense kernels together: ``sqrt(sum of every W**2)``."""
    if not isinstance(model, layers.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    return float(
        np.sqrt(
            sum(
                float(np.sum(layer.params["W"] ** 2))
                for layer in model.layers
                if isinstance(layer, layers.Dense)
            )
        )
    )


class Run(NamedTuple):
    """One trained network and what was measured.

    Attributes:
        technique: The :class:`Technique`.
        seed: Its seed.
        model: The trained NumPy model (best weights, with early stopping).
        history: ``{'loss', 'accuracy', 'val_loss', 'val_accuracy'}`` per epoch; the
            training entries are on the original (unaugmented) training digits.
        train_accuracy: Accuracy on the training labels as given (flipped ones included).
        memorised: Share of the flipped labels the network reproduces (0 to 1).
        val_accuracy, test_accuracy: Accuracy of the final (kept) weights.
        epochs_run: Epochs trained before the end (or the stop).
        kept_epoch: Epoch (from 1) whose weights the model holds.
        seconds: Wall-clock time of the training.
    """

    technique: Technique
    seed: int
    model: layers.Sequential
    history: dict
    train_accuracy: float
    memorised: float
    val_accuracy: float
    test_accuracy: float
    epochs_run: int
    kept_epoch: int
    seconds: float


class _CrossEntropy(_losses.SoftmaxCrossEntropy):
    """The same cross-entropy, without the shape and label checks: :func:`train` calls
    it some 30,000 times per contest on labels :func:`make_problem` made valid."""

    def __call__(self, logits, labels):
        n = len(labels)
        z = logits - logits.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        rows = np.arange(n)
        loss = -(np.add.reduce(log_probs[rows, labels]) / n)  # = -mean, bit for bit
        grad = np.exp(log_probs)
        grad[rows, labels] -= 1.0
        return float(loss), grad / n


class _FlatAdam(optim.Adam):
    """:class:`course_utils.optim.Adam`, its moments kept in one flat array.

    The same element-wise update, so the same weights to the last bit; but a dozen
    NumPy calls per step instead of a dozen per parameter array (the contest takes
    some 22,000 steps of a small network, where the calls cost more than the sums).
    """

    def step(self, params, grads):
        if self._m is None:
            sizes = np.cumsum([0] + [p.size for p in params])
            self._slices = [slice(a, b) for a, b in itertools.pairwise(sizes)]
            self._m = np.zeros(sizes[-1])
            self._v = np.zeros(sizes[-1])
        self._apply_weight_decay(params)
        self.iterations += 1
        t = self.iterations
        b1, b2 = self.beta_1, self.beta_2
        alpha = self.learning_rate * np.sqrt(1 - b2**t) / (1 - b1**t)
        g = np.concatenate([g.ravel() for g in grads])
        m, v = self._m, self._v
        m += (1 - b1) * (g - m)
        v += (1 - b2) * (g * g - v)
        update = alpha * m / (np.sqrt(v) + self.epsilon)
        for p, part in zip(params, self._slices, strict=True):
            p -= update[part].reshape(p.shape)


def _accuracy(model, x, y) -> float:
    return float(np.mean(np.argmax(model.predict(x), axis=1) == y))


def train(
    technique: Technique,
    problem: Problem,
    *,
    seed: int = 0,
    epochs: int = EPOCHS,
    width: int = WIDTH,
    learning_rate: float = LEARNING_RATE,
    batch_size: int = BATCH_SIZE,
    callbacks: Sequence = (),
    score_test: bool = True,
) -> Run:
    """Train the wide network on ``problem`` with ``technique``, using the NumPy fit loop.

    Adam (``learning_rate``), mini-batches of ``batch_size``, ``epochs`` epochs. With
    augmentation, each epoch trains on the originals plus one fresh augmented copy of
    each (:func:`course_utils.training.fit` given a function of the epoch), and the
    history measures the originals; callbacks see the same logs as in a plain fit.

    Args:
        technique: What to use.
        problem: From :func:`make_problem`.
        seed: Seed of the weights, shuffling, dropout masks and augmentations.
        epochs: Most epochs to train, >= 1.
        width: Hidden units, >= 1.
        learning_rate: Adam's learning rate, > 0.
        batch_size: Rows per step, >= 1.
        callbacks: More fit-loop callbacks (for example weight snapshots), called
            after early stopping's.
        score_test: Score the kept weights on the test set; False leaves
            ``test_accuracy`` as NaN (for runs that only take part in a choice).

    Returns:
        A :class:`Run`.
    """
    from course_utils.early_stopping import EarlyStopping

    if not isinstance(technique, Technique):
        raise TypeError(f"technique must be a Technique, got {type(technique).__name__}")
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem (see make_problem), got {type(problem)}")
    seed = _validate.integer("seed", seed, low=0)
    epochs = _validate.integer("epochs", epochs, low=1)
    width = _validate.integer("width", width, low=1)
    batch_size = _validate.integer("batch_size", batch_size, low=1)
    start = time.perf_counter()
    model = layers.mlp(
        [problem.x_train.shape[1], width, N_CLASSES],
        kernel_regularizer=technique.regularizer(),
        dropout=technique.dropout or None,
        seed=seed,
    )
    optimizer = _FlatAdam(learning_rate, weight_decay=technique.weight_decay)
    if technique.weight_decay:
        optimizer.exclude_from_weight_decay(biases(model))
    extra = list(callbacks)
    callbacks = []
    stopper = None
    if technique.early_stopping:
        monitor = "val_loss"
        if technique.regularizer() is not None:  # val_loss would include the penalty
            callbacks.append(ValDataLoss(problem.x_val, problem.y_val))
            monitor = ValDataLoss.key
        stopper = EarlyStopping(
            monitor=monitor, mode="min", patience=technique.patience, restore_best_weights=True
        )
        callbacks.append(stopper)
    callbacks.extend(extra)
    val = (problem.x_val, problem.y_val)
    if not technique.augment:
        history = training.fit(
            model,
            problem.x_train,
            problem.y_train,
            loss=_CrossEntropy(),
            optimizer=optimizer,
            epochs=epochs,
            batch_size=batch_size,
            validation_data=val,
            callbacks=callbacks,
            seed=seed,
        ).history
    else:
        history = _fit_augmented(
            model,
            problem,
            optimizer,
            callbacks,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            strength=technique.augment_strength,
        )
    epochs_run = len(history["loss"])
    kept = epochs_run
    if stopper is not None and stopper.best_weights is not None:
        kept = stopper.best_epoch + 1
    predicted = np.argmax(model.predict(problem.x_train), axis=1)
    flipped = problem.flipped
    memorised = (
        float(np.mean(predicted[flipped] == problem.y_train[flipped])) if flipped.any() else 0.0
    )
    return Run(
        technique=technique,
        seed=seed,
        model=model,
        history=history,
        train_accuracy=float(np.mean(predicted == problem.y_train)),
        memorised=memorised,
        val_accuracy=_accuracy(model, problem.x_val, problem.y_val),
        test_accuracy=_accuracy(model, problem.x_test, problem.y_test) if score_test else np.nan,
        epochs_run=epochs_run,
        kept_epoch=kept,
        seconds=time.perf_counter() - start,
    )


class ValDataLoss(training.Callback):
    """Adds ``val_data_loss`` to each epoch's logs: the validation cross-entropy alone.

    ``val_loss`` includes the penalty, which measures the weights, not the predictions
    (notebook 05). :func:`train` puts this callback before early stopping when the
    technique has a penalty, and early stopping then watches ``val_data_loss``. The
    History does not record it (it reads the logs first).

    Args:
        x_val: Validation inputs ``(M, D)``. y_val: Their labels ``(M,)``.
    """

    key = "val_data_loss"

    def __init__(self, x_val, y_val):
        self.x_val, self.y_val = _validate.array("x_val", x_val), np.asarray(y_val)
        if len(self.x_val) != len(self.y_val):
            raise ValueError(
                f"x_val and y_val must have as many rows, got {len(self.x_val)} and "
                f"{len(self.y_val)}"
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            out = self.model.forward(self.x_val, training=False)
            logs[self.key] = _losses.get("cross_entropy")(out, self.y_val)[0]


#: Epochs whose augmented copies :func:`_fit_augmented` makes in one call.
_AUGMENT_CHUNK = 10


def _augmented_copies(augmenter, images, epochs: int):
    """``copies(epoch)``: the flattened augmented copies of ``images`` for that epoch,
    the very ones ``augmenter(images)`` called once per epoch would give.

    The parameters are drawn epoch by epoch, in the augmenter's order; the images of
    :data:`_AUGMENT_CHUNK` epochs are then transformed in one batch (the transform
    works pixel by pixel, so the batch changes no value, only the number of calls).
    """
    from course_utils import augment

    if augmenter.blur > 0 or augmenter.noise > 0:  # not the contest's augmenter
        return lambda epoch: augmenter(images).reshape(len(images), -1)
    n = len(images)
    chunk: dict[int, np.ndarray] = {}

    def copies(epoch):
        first = epoch - epoch % _AUGMENT_CHUNK
        if first not in chunk:
            chunk.clear()
            k = min(_AUGMENT_CHUNK, epochs - first)
            drawn = [augmenter.draw(n) for _ in range(k)]
            p = {key: np.concatenate([d[key] for d in drawn]) for key in drawn[0]}
            out = augment.transform(
                np.tile(images, (k, 1, 1)),
                angle=p["angle"],
                scale=p["scale"],
                dy=p["dy"],
                dx=p["dx"],
            )
            chunk[first] = out.reshape(k, n, -1)
        return chunk[first][epoch - first]

    return copies


def _fit_augmented(model, problem, optimizer, callbacks, *, epochs, batch_size, seed, strength):
    """The fit loop on originals + a fresh augmented copy every epoch."""
    copies = _augmented_copies(make_augmenter(seed, strength), problem.images_train, epochs)
    y = problem.y_train
    y_epoch = np.concatenate([y, y])

    def epoch_data(epoch):
        return np.concatenate([problem.x_train, copies(epoch)]), y_epoch

    return training.fit(
        model,
        epoch_data,
        loss=_CrossEntropy(),
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(problem.x_val, problem.y_val),
        score_train=(problem.x_train, y),
        callbacks=callbacks,
        seed=lambda epoch: seed * 100_003 + epoch,
    ).history


# ------------------------------------------------------------------------ comparison
METRICS = ("train_accuracy", "memorised", "val_accuracy", "test_accuracy", "epochs_run")


class Comparison(NamedTuple):
    """Every technique over every seed.

    Attributes:
        runs: ``{technique name: [Run per seed]}``.
        mean: ``{technique name: {metric: mean over seeds}}`` for :data:`METRICS`.
        std: The same, sample standard deviations over seeds (ddof = 1; 0 for one seed).
        seconds: Total wall-clock time.
    """

    runs: dict
    mean: dict
    std: dict
    seconds: float

    def ranking(self, metric: str = "test_accuracy") -> list[str]:
        """Technique names, best first, by the mean of ``metric``."""
        _validate.choice("metric", metric, METRICS)
        return sorted(self.mean, key=lambda name: -self.mean[name][metric])


def compare(
    problem: Problem,
    techniques: Mapping[str, Technique] | Sequence[Technique] | None = None,
    *,
    seeds: Sequence[int] = SEEDS,
    **train_kwargs,
) -> Comparison:
    """Train every technique with every seed and average what was measured.

    Args:
        problem: From :func:`make_problem`.
        techniques: Techniques to run (a dict or a list); :data:`TECHNIQUES` by default.
        seeds: One run per seed, at least one.
        **train_kwargs: Passed to :func:`train` (epochs, width, ...).

    Returns:
        A :class:`Comparison`.
    """
    if techniques is None:
        techniques = TECHNIQUES
    items = list(techniques.values() if isinstance(techniques, Mapping) else techniques)
    if not items or not all(isinstance(t, Technique) for t in items):
        raise TypeError("techniques must be a non-empty dict or list of Technique objects")
    names = [t.name for t in items]
    if len(set(names)) != len(names):
        raise ValueError(f"technique names must be unique, got {names}")
    seeds = [_validate.integer("seed", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    start = time.perf_counter()
    runs = {t.name: [train(t, problem, seed=s, **train_kwargs) for s in seeds] for t in items}
    mean = {
        name: {m: float(np.mean([getattr(r, m) for r in rs])) for m in METRICS}
        for name, rs in runs.items()
    }
    std = {
        name: {
            m: float(np.std([getattr(r, m) for r in rs], ddof=1 if len(rs) > 1 else 0))
            for m in METRICS
        }
        for name, rs in runs.items()
    }
    return Comparison(runs, mean, std, time.perf_counter() - start)


def format_table(comparison: Comparison, over: str = "seeds") -> str:
    """The results as a fixed-width text table, one row per technique.

    Accuracies in percent, mean ± sample standard deviation over the runs of each
    technique (``over`` names them in the header: 'seeds', or 'draws' for a contest).
    """
    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    n = len(next(iter(comparison.runs.values())))
    head = (
        f"{'technique':<16}{'train acc':>12}{'memorised':>12}"
        f"{'validation':>15}{'test':>15}{'epochs':>8}"
    )
    lines = [f"accuracy in %, mean ± sample std over {n} {over}", head, "-" * len(head)]
    for name, m in comparison.mean.items():
        s = comparison.std[name]

        def pct(key, width, m=m, s=s):
            return f"{100 * m[key]:.1f} ± {100 * s[key]:.1f}".rjust(width)

        lines.append(
            f"{name:<16}{100 * m['train_accuracy']:>11.1f} {100 * m['memorised']:>11.1f} "
            f"{pct('val_accuracy', 15)}{pct('test_accuracy', 15)}{m['epochs_run']:>8.0f}"
        )
    return "\n".join(lines)


def comparison_figure(comparison: Comparison, *, ax=None):
    """Validation and test accuracy of every technique (bars, with the seeds as dots),
    and the share of wrong labels each network learned by heart."""
    import matplotlib.pyplot as plt

    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    names = list(comparison.mean)
    if ax is None:
        fig, (ax, ax2) = plt.subplots(
            1, 2, figsize=(10.0, 3.8), gridspec_kw={"width_ratios": [3, 1.4]}
        )
        plt.close(fig)
    else:
        fig, ax2 = ax.figure, None
    x = np.arange(len(names))
    for j, (key, label) in enumerate([("val_accuracy", "validation"), ("test_accuracy", "test")]):
        means = [100 * comparison.mean[n][key] for n in names]
        offset = (j - 0.5) * 0.38
        ax.bar(
            x + offset,
            means,
            width=0.36,
            color=plotting.colour(j),
            hatch=(None, "//")[j],  # told apart without colour too
            label=label,
            alpha=0.85,
        )
        for i, n in enumerate(names):
            dots = [100 * getattr(r, key) for r in comparison.runs[n]]
            ax.plot([x[i] + offset] * len(dots), dots, ".", color="black", markersize=4)
    base = 100 * comparison.mean[names[0]]["test_accuracy"]
    ax.axhline(base, color="0.4", linewidth=0.8, linestyle=":", label=f"{names[0]} (test)")
    lows = [
        100 * min(getattr(r, k) for r in rs)
        for rs in comparison.runs.values()
        for k in ("val_accuracy", "test_accuracy")
    ]
    ax.set_ylim(max(0, min(lows) - 5), 100)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Clean digits: higher is better", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", ncols=3)
    if ax2 is not None:
        mem = [100 * comparison.mean[n]["memorised"] for n in names]
        ax2.barh(x, mem, color=plotting.colour(3), alpha=0.85)
        ax2.set_yticks(x, names)
        ax2.invert_yaxis()
        ax2.set_xlim(0, 100)
        ax2.set_xlabel("wrong labels learned (%)")
        ax2.set_title("Noise memorised: lower is better", fontsize=10)
    return fig


def technique_figure(comparison: Comparison, technique: str = "L2", metric: str = "accuracy"):
    """Learning curves of one technique beside 'none' (first run): train solid,
    validation dashed; the test accuracy of the kept weights as a star (accuracy), or
    a dotted line at the epoch early stopping kept (loss).

    The pure figure function of the notebook's "Try it" widget.

    Args:
        comparison: From :func:`compare`.
        technique: A technique name in the comparison.
        metric: 'accuracy' or 'loss'.
    """
    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    _validate.choice("technique", technique, list(comparison.runs))
    _validate.choice("metric", metric, ("accuracy", "loss"))
    base = next(iter(comparison.runs))
    shown = [base] if technique == base else [base, technique]
    histories = {name: comparison.runs[name][0].history for name in shown}
    fig, ax = plotting._new_axes(figsize=(7.5, 4.0))
    plotting.plot_learning_curves(histories, metric, ax=ax)
    if metric == "accuracy":
        for i, name in enumerate(shown):
            run = comparison.runs[name][0]
            ax.plot(
                run.kept_epoch,
                run.test_accuracy,
                "*",
                color=plotting.colour(i),
                markersize=13,
                label=f"{name}: test {100 * run.test_accuracy:.1f}%",
            )
        ax.legend(fontsize=8, loc="lower right")
    else:
        ax.set_yscale("log")
        for i, name in enumerate(shown):
            run = comparison.runs[name][0]
            if run.kept_epoch < run.epochs_run:  # early stopping kept an earlier epoch
                ax.axvline(run.kept_epoch, color=plotting.colour(i), linestyle=":", linewidth=1)
    desc = comparison.runs[technique][0].technique.describe()
    ax.set_title(f"{technique}: {desc}", fontsize=10)
    return fig


# ---------------------------------------------------------------------- weight decay
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


def _full_batch(model, problem, optimizer, steps: int) -> np.ndarray:
    """``steps`` full-batch steps on the training set; kernel norms before and after each."""
    norms = [kernel_norm(model)]

    class _Norms(training.Callback):
        def on_epoch_end(self, epoch, logs=None):
            norms.append(kernel_norm(self.model))

    training.fit(
        model,
        problem.x_train,
        problem.y_train,
        loss="cross_entropy",
        optimizer=optimizer,
        epochs=steps,
        callbacks=[_Norms()],
        shuffle=False,
    )
    return np.array(norms)


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
        norms = [float(np.linalg.norm(model.get_weights()[0][blank]))]

        class _Blank(training.Callback):
            def on_epoch_end(self, epoch, logs=None):
                norms.append(float(np.linalg.norm(self.model.get_weights()[0][blank])))

        training.fit(
            model,
            problem.x_train,
            problem.y_train,
            loss="cross_entropy",
            optimizer=opt,
            epochs=steps,
            callbacks=[_Blank()],
            shuffle=False,
        )
        return model.get_weights(), np.array(norms)

    ref, blank_l2 = run(optim.SGD(learning_rate, momentum), _regularizers.L2(l2))
    distance, blank_decay = {}, {}
    for c in factors:
        weights, norms = run(optim.SGD(learning_rate, momentum, weight_decay=c * 2 * l2), None)
        distance[c] = max(float(np.max(np.abs(a - b))) for a, b in zip(weights, ref, strict=True))
        blank_decay[c] = norms
    return {"distance": distance, "blank": blank_l2, "blank_decay": blank_decay}
