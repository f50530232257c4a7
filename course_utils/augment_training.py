"""Training on freshly augmented images, and the data draws of notebook 04.

:func:`fit_augmented` is :func:`course_utils.training.fit` given a function of the
epoch that returns the originals plus new augmented copies; :func:`recorded_copies`
lets runs that would make the same copies share them; :func:`draw_training_sets` draws
the small training set, the pool of extra real digits and the validation digits of
notebook 04.
"""

from __future__ import annotations

import contextlib

import numpy as np

from course_utils import _validate, training
from course_utils.augment import RandomAugmenter, as_images

__all__ = [
    "draw_training_sets",
    "fit_augmented",
    "recorded_copies",
    "shared_copies",
]


def fit_augmented(
    model,
    images,
    labels,
    augmenter,
    *,
    optimizer,
    epochs: int,
    batch_size: int | None = None,
    validation_data=None,
    copies: int = 1,
    keep_originals: bool = True,
    seed: int = 0,
    validate_last: int | None = None,
    score_train: bool = True,
):
    """Train a NumPy model on freshly augmented images, new ones every epoch.

    Each epoch trains on the originals plus ``copies`` augmented copies of each (or on
    the augmented copies only when ``keep_originals`` is False): it is
    :func:`course_utils.training.fit` given a function ``epoch -> (x, y)`` that makes
    the epoch's images, with a fresh shuffling generator at each epoch (seeded
    ``seed + epoch``). The history measures the loss and accuracy on the *original*
    training images, so its curves compare with a run without augmentation.

    Args:
        model: A course ``Sequential`` taking flattened images ``(N, H * W)``.
        images: Training images ``(N, H, W)``; labels: ints ``(N,)``.
        augmenter: A callable mapping ``(N, H, W)`` to new ``(N, H, W)`` images.
        optimizer: An optimizer from :mod:`course_utils.optim`.
        epochs: Number of epochs, >= 1.
        batch_size: Rows per step (None: the whole epoch's data in one step).
        validation_data: Optional ``(images_val (M, H, W), labels_val (M,))``.
        copies: Augmented copies of each image per epoch, >= 1.
        keep_originals: Train on originals + augmented copies (True) or copies only.
        seed: Seed of the shuffling; epoch ``e`` uses ``seed + e``.
        validate_last: Evaluate the validation data only in the last ``validate_last``
            epochs (None: every epoch), when only those are used.
        score_train: Record the loss and accuracy on the originals every epoch; False
            skips them (faster, when only the validation scores are read).

    Returns:
        ``{'loss', 'accuracy'[, 'val_loss', 'val_accuracy']}``, one entry per epoch
        (the ``val_`` lists: one per validated epoch).
    """
    x, _ = as_images(images)
    y = np.asarray(labels)
    if len(y) != len(x):
        raise ValueError(f"images and labels must have the same length, got {len(x)}, {len(y)}")
    if not callable(augmenter):
        raise TypeError(f"augmenter must be callable, got {type(augmenter).__name__}")
    epochs = _validate.integer("epochs", epochs, low=1)
    copies = _validate.integer("copies", copies, low=1)
    validated = 1
    if validate_last is not None:
        validate_last = _validate.integer("validate_last", validate_last, low=1)
        validated = range(epochs - validate_last + 1, epochs + 1)
    flat = x.reshape(len(x), -1)
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (images_val, labels_val)")
        y_val = np.asarray(validation_data[1])
        x_val = np.asarray(validation_data[0], dtype=np.float64).reshape(len(y_val), -1)
        validation_data = (x_val, y_val)

    tiled = np.tile(x, (copies, 1, 1))
    y_epoch = np.tile(y, copies + 1 if keep_originals else copies)

    def epoch_data(epoch):
        # fresh transforms every epoch: `copies` new versions of every image
        new = augmenter(tiled).reshape(len(tiled), -1)
        return (np.concatenate([flat, new]) if keep_originals else new), y_epoch

    return training.fit(
        model,
        epoch_data,
        loss="cross_entropy",
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        validation_freq=validated,
        score_train=(flat, y) if score_train else False,
        seed=lambda epoch: seed + epoch,
    ).history


class _Recorded:
    """``augmenter(images)``, flattened, once per epoch, kept for the runs that share it."""

    def __init__(self, augmenter, images):
        self.augmenter, self.images, self._done = augmenter, images, []

    def __call__(self, epoch: int) -> np.ndarray:
        while len(self._done) <= epoch:  # epochs come in order, from 0
            self._done.append(self.augmenter(self.images).reshape(len(self.images), -1))
        return self._done[epoch]


_shared: dict | None = None


@contextlib.contextmanager
def shared_copies():
    """Within this block, :func:`recorded_copies` of equal fresh augmenters on the same
    images make the copies once and share them; they are dropped at the end."""
    global _shared
    outer, _shared = _shared, {} if _shared is None else _shared
    try:
        yield
    finally:
        _shared = outer


def recorded_copies(augmenter: RandomAugmenter, images):
    """``copies(epoch)``: the flattened ``augmenter(images)`` of that epoch (one call per
    epoch, in order). Inside :func:`shared_copies`, an augmenter not yet called, with
    the same settings and seed (the same ``repr``), on the same ``images`` array, gives
    the same copies, so they are made once and shared."""
    key = (id(images), repr(augmenter))
    recorded = None if _shared is None else _shared.get(key)
    if recorded is None or recorded.images is not images:
        recorded = _Recorded(augmenter, images)
        if _shared is not None:
            _shared[key] = recorded
    return recorded


def draw_training_sets(labels, per_class: int, extra_per_class: int, n_val: int, seed: int = 0):
    """Draw a small balanced training set, a pool of extra real images, and a validation set.

    For every class, ``per_class`` images go to training and the next ``extra_per_class``
    to the extra pool; ``n_val`` of the remaining images, drawn at random, validate.
    The three sets never share an image.

    Args:
        labels: Class of every image ``(N,)``, ints.
        per_class: Training images per class, >= 1.
        extra_per_class: Extra real images per class, >= 0.
        n_val: Validation images, >= 1.
        seed: Seed of the draw.

    Returns:
        ``(train_idx, extra_idx, val_idx)``, index arrays into ``labels``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D array of ints, got {labels.dtype} {labels.shape}")
    per_class = _validate.integer("per_class", per_class, low=1)
    extra_per_class = _validate.integer("extra_per_class", extra_per_class, low=0)
    n_val = _validate.integer("n_val", n_val, low=1)
    rng = np.random.default_rng(_validate.integer("seed", seed, low=0))
    train, extra = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if len(idx) < per_class + extra_per_class:
            raise ValueError(
                f"class {c} has {len(idx)} images, fewer than per_class + extra_per_class = "
                f"{per_class + extra_per_class}"
            )
        train.append(idx[:per_class])
        extra.append(idx[per_class : per_class + extra_per_class])
    train, extra = np.concatenate(train), np.concatenate(extra)
    rest = np.setdiff1d(np.arange(len(labels)), np.concatenate([train, extra]))
    if n_val > len(rest):
        raise ValueError(f"n_val must be <= {len(rest)} (the images left), got {n_val}")
    return train, extra, rng.permutation(rest)[:n_val]
