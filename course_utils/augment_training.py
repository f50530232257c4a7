"""Training on freshly augmented images, and the data draws of notebook 04.

:func:`fit_augmented` is :func:`course_utils.training.fit` given a function of the
epoch that returns the originals plus new augmented copies; :func:`epoch_copies` makes
those copies for many epochs in a few calls; :func:`draw_training_sets` draws the small
training set, the pool of extra real digits and the validation digits of notebook 04.
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate, training
from course_utils.augment import RandomAugmenter, as_images, transform

__all__ = ["draw_training_sets", "epoch_copies", "fit_augmented"]


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

    def epoch_data(epoch):
        # fresh transforms every epoch: `copies` new versions of every image
        new = augmenter(np.tile(x, (copies, 1, 1))).reshape(copies * len(x), -1)
        x_epoch = np.concatenate([flat, new]) if keep_originals else new
        return x_epoch, np.tile(y, copies + 1 if keep_originals else copies)

    return training.fit(
        model,
        epoch_data,
        loss="cross_entropy",
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        validation_freq=validated,
        score_train=(flat, y),
        seed=lambda epoch: seed + epoch,
    ).history


#: Epochs whose augmented copies :func:`epoch_copies` makes in one call.
CHUNK_EPOCHS = 10


def epoch_copies(augmenter, images, epochs: int):
    """``copies(epoch)``: the flattened augmented copies of ``images`` for that epoch,
    the very ones ``augmenter(images)`` called once per epoch would give.

    The parameters are drawn epoch by epoch, in the augmenter's order; the images of
    :data:`CHUNK_EPOCHS` epochs are then transformed in one batch (the transform
    works pixel by pixel, so the batch changes no value, only the number of calls).
    """
    if not isinstance(augmenter, RandomAugmenter) or augmenter.blur > 0 or augmenter.noise > 0:
        return lambda epoch: augmenter(images).reshape(len(images), -1)
    n = len(images)
    chunk: dict[int, np.ndarray] = {}

    def copies(epoch):
        first = epoch - epoch % CHUNK_EPOCHS
        if first not in chunk:
            chunk.clear()
            k = min(CHUNK_EPOCHS, epochs - first)
            drawn = [augmenter.draw(n) for _ in range(k)]
            p = {key: np.concatenate([d[key] for d in drawn]) for key in drawn[0]}
            out = transform(
                np.tile(images, (k, 1, 1)),
                angle=p["angle"],
                scale=p["scale"],
                dy=p["dy"],
                dx=p["dx"],
            )
            chunk[first] = out.reshape(k, n, -1)
        return chunk[first][epoch - first]

    return copies


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
