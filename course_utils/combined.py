"""Every technique of the course on one over-fitting problem (notebook 06).

The problem: 150 handwritten 8x8 digits for training, a fifth of their labels flipped
to a wrong digit, and a wide network (64 -> 64 -> 10). Left alone it learns the
training set by heart, wrong labels included. Validation (300 digits) and test (the
other 1,347) keep their true labels, so they measure how well the digits were learned.

Each technique is one :class:`Technique` (a penalty, dropout, augmentation, early
stopping, weight decay, or several at once), trained with the course's NumPy fit loop
by :func:`train`. :mod:`course_utils.contest` tunes every technique with the same
budget on several draws of the data and compares them draw by draw;
:mod:`course_utils.weight_decay` is the notebook's second half.

All functions are pure: same arguments, same numbers (apart from the measured
seconds), same figure.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from course_utils import _validate, datasets, layers, optim, training
from course_utils import losses as _losses
from course_utils import regularizers as _regularizers
from course_utils.augment_training import recorded_copies
from course_utils.early_stopping import EarlyStopping, ValDataLoss
from course_utils.early_stopping_study import flip_labels
from course_utils.layers import kernel_norm  # its home is layers; combined uses it too

N_CLASSES = 10
#: The network and training settings every technique shares.
WIDTH = 64
EPOCHS = 60
BATCH_SIZE = 50
LEARNING_RATE = 0.01

__all__ = [
    "BATCH_SIZE",
    "CANDIDATES",
    "EPOCHS",
    "LEARNING_RATE",
    "TECHNIQUES",
    "WIDTH",
    "Problem",
    "Run",
    "Technique",
    "accuracy",
    "biases",
    "blank_pixels",
    "candidates",
    "kernel_norm",
    "make_augmenter",
    "make_problem",
    "train",
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
    y_noisy, flipped = flip_labels(y_clean, flip, N_CLASSES, seed=rng)  # the same generator
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


def accuracy(model: layers.Sequential, x, y) -> float:
    """Share of the rows of ``x`` whose predicted class is ``y`` (inference mode)."""
    return _losses.accuracy(model.predict(x), y)


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
    curves: bool = True,
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
        curves: Record the learning curves (training and validation loss and accuracy
            after every epoch). False records only what early stopping watches, and
            trains faster; the weights and every accuracy of the Run are the same.

    Returns:
        A :class:`Run`.
    """
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
    stopping = _stopping_callbacks(technique, problem)
    x, y, scored, fit_seed = problem.x_train, problem.y_train, True, seed
    if technique.augment:  # a fresh augmented copy every epoch; the originals are scored
        x, y = _augmented_epochs(problem, seed, epochs, technique.augment_strength), None
        scored, fit_seed = (problem.x_train, problem.y_train), lambda e: seed * 100_003 + e
    validation = (problem.x_val, problem.y_val)
    if not curves:  # early stopping on val_loss needs the validation scores, nothing else
        scored = False
        if not stopping or stopping[-1].monitor != "val_loss":
            validation = None
    fitted = training.fit(
        model,
        x,
        y,
        loss=_CrossEntropy(),
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation,
        score_train=scored,
        callbacks=[*stopping, *callbacks],
        seed=fit_seed,
    )
    history, epochs_run = fitted.history, len(fitted.epoch)
    kept = epochs_run
    if stopping and stopping[-1].best_weights is not None:
        kept = stopping[-1].best_epoch + 1
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
        val_accuracy=accuracy(model, problem.x_val, problem.y_val),
        test_accuracy=accuracy(model, problem.x_test, problem.y_test) if score_test else np.nan,
        epochs_run=epochs_run,
        kept_epoch=kept,
        seconds=time.perf_counter() - start,
    )


def _stopping_callbacks(technique: Technique, problem: Problem) -> list:
    """Early stopping's callbacks (the stopper last), or none: with a penalty it watches
    the validation cross-entropy alone, since ``val_loss`` would include the penalty."""
    if not technique.early_stopping:
        return []
    if technique.regularizer() is None:
        before, monitor = [], "val_loss"
    else:
        before, monitor = [ValDataLoss(problem.x_val, problem.y_val)], ValDataLoss.key
    stopper = EarlyStopping(
        monitor=monitor, mode="min", patience=technique.patience, restore_best_weights=True
    )
    return [*before, stopper]


def _augmented_epochs(problem: Problem, seed: int, epochs: int, strength: float):
    """``epoch -> (x, y)``: the originals + that epoch's fresh augmented copy, for fit."""
    copies = recorded_copies(make_augmenter(seed, strength), problem.images_train)
    y = np.concatenate([problem.y_train, problem.y_train])
    return lambda epoch: (np.concatenate([problem.x_train, copies(epoch)]), y)
