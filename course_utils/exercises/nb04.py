"""Exercises of notebook 04: data augmentation.

* 04.1 — a whole-pixel shift with slicing, no interpolation.
* 04.2 — which transforms keep the label, for digits and for photos.
* 04.3 — a normalized Gaussian kernel.
"""

from __future__ import annotations

import numpy as np

from course_utils import augment, checks

# ------------------------------------------------------------------------- 04.1


def _shift_solution():
    def shift_pixels(images, dy, dx):
        """Move the content of ``images`` (N, H, W) by whole pixels; empty places are 0."""
        images = np.asarray(images, dtype=np.float64)
        out = np.zeros_like(images)
        h, w = images.shape[1:]
        # rows [0, h - dy) of the input land on rows [dy, h) of the output (dy >= 0)
        src_r = slice(max(0, -dy), h - max(0, dy))
        dst_r = slice(max(0, dy), h - max(0, -dy))
        src_c = slice(max(0, -dx), w - max(0, dx))
        dst_c = slice(max(0, dx), w - max(0, -dx))
        out[:, dst_r, dst_c] = images[:, src_r, src_c]
        return out

    return shift_pixels


def _shift_wrong():
    def shift_pixels(images, dy, dx):
        return np.roll(np.asarray(images, dtype=np.float64), (dy, dx), axis=(1, 2))

    return shift_pixels


def _some_images():
    return np.random.default_rng(4).uniform(0, 1, (3, 8, 8))


@checks.exercise("04.1", "A whole-pixel shift", solution=_shift_solution, wrong_answer=_shift_wrong)
def check_1(shift_pixels):
    """``shift_pixels(images, dy, dx)`` must equal ``augment.shift`` for whole-pixel steps."""
    if not callable(shift_pixels):
        raise checks.Wrong("pass your function itself: check_1(shift_pixels), without ().")
    x = _some_images()
    for dy, dx in [(0, 0), (1, 0), (0, -2), (-1, 3), (2, 2)]:
        got = np.asarray(shift_pixels(x.copy(), dy, dx), dtype=np.float64)
        if got.shape != x.shape:
            raise checks.Wrong(f"the result must keep the shape {x.shape}, got {got.shape}.")
        expected = augment.shift(x, dy, dx)
        if np.allclose(got, expected):
            continue
        if np.allclose(got, np.roll(x, (dy, dx), axis=(1, 2))):
            raise checks.Wrong(
                "np.roll wraps the pixels that leave one edge around to the other side; "
                "the places that come in from outside must be 0 (black)."
            )
        if np.allclose(got, augment.shift(x, -dy, -dx)):
            raise checks.Wrong(
                f"for dy={dy}, dx={dx} the content moved the wrong way: positive dy moves "
                "it down (to larger row numbers), positive dx to the right."
            )
        raise checks.Wrong(
            f"for dy={dy}, dx={dx} your result differs from the inverse-map shift. "
            "Output row r must hold input row r - dy (0 where that row does not exist)."
        )
    return "whole-pixel shifts need no interpolation: they copy pixels, exactly."


# ------------------------------------------------------------------------- 04.2

TRANSFORMS = (
    "flip left-right",
    "rotate 10 degrees",
    "rotate 180 degrees",
    "shift 1 pixel",
    "zoom 1.1x",
    "slight blur",
)
_DIGITS_KEEP = {"rotate 10 degrees", "shift 1 pixel", "zoom 1.1x", "slight blur"}
_PHOTOS_KEEP = set(TRANSFORMS)


def _labels_solution():
    return {"digits": set(_DIGITS_KEEP), "photos": set(_PHOTOS_KEEP)}


def _labels_wrong():
    return {"digits": set(TRANSFORMS) - {"rotate 180 degrees"}, "photos": set(_PHOTOS_KEEP)}


@checks.exercise(
    "04.2",
    "Which transforms keep the label?",
    solution=_labels_solution,
    wrong_answer=_labels_wrong,
)
def check_2(answer):
    """``answer = {'digits': {...}, 'photos': {...}}``: the transforms that keep the label."""
    if not isinstance(answer, dict) or set(answer) != {"digits", "photos"}:
        raise checks.Wrong("answer must be a dict with two keys, 'digits' and 'photos'.")
    chosen = {}
    for task, names in answer.items():
        if isinstance(names, str):
            raise checks.Wrong(f"answer[{task!r}] must be a set of names, not one string.")
        chosen[task] = set(names)
        unknown = chosen[task] - set(TRANSFORMS)
        if unknown:
            raise checks.Wrong(f"unknown names {sorted(unknown)}; use names from TRANSFORMS.")
    digits, photos = chosen["digits"], chosen["photos"]
    if "flip left-right" in digits:
        raise checks.Wrong(
            "mirror a 2, a 3 or a 7: it is no longer a digit anyone writes. A left-right flip "
            "breaks the label of most digits."
        )
    if "rotate 180 degrees" in digits:
        raise checks.Wrong("turn a 6 by 180 degrees: what digit does it show now?")
    if digits != _DIGITS_KEEP:
        missing = sorted(_DIGITS_KEEP - digits)
        raise checks.Wrong(
            f"for digits, small changes keep the label too: think again about {missing}."
        )
    if "flip left-right" not in photos:
        raise checks.Wrong(
            "a cat seen in a mirror is still a cat: left-right flips are the most common "
            "augmentation for photos."
        )
    if photos != _PHOTOS_KEEP:
        missing = sorted(_PHOTOS_KEEP - photos)
        raise checks.Wrong(
            f"for photos of cats and dogs, ask only whether the animal changes: {missing} "
            "do not change it (an upside-down cat is still a cat, though such photos are rare)."
        )
    return "what keeps a label depends on the task, so the augmentation must, too."


# ------------------------------------------------------------------------- 04.3


def _kernel_solution():
    def kernel(sigma, radius):
        i = np.arange(-radius, radius + 1)
        k = np.exp(-(i**2) / (2 * sigma**2))
        return k / k.sum()

    return kernel


def _kernel_wrong():
    def kernel(sigma, radius):
        i = np.arange(-radius, radius + 1)
        return np.exp(-(i**2) / (2 * sigma**2))

    return kernel


@checks.exercise(
    "04.3", "A normalized Gaussian kernel", solution=_kernel_solution, wrong_answer=_kernel_wrong
)
def check_3(kernel):
    """``kernel(sigma, radius)`` must equal ``augment.gaussian_kernel(sigma, radius)``."""
    if not callable(kernel):
        raise checks.Wrong("pass your function itself: check_3(kernel), without ().")
    for sigma, radius in [(1.0, 3), (0.5, 2), (2.0, 4), (0.8, 1)]:
        got = np.asarray(kernel(sigma, radius), dtype=np.float64)
        expected = augment.gaussian_kernel(sigma, radius)
        if got.shape != expected.shape:
            raise checks.Wrong(
                f"kernel({sigma}, {radius}) must have 2 * radius + 1 = {len(expected)} "
                f"weights, got shape {got.shape}."
            )
        if np.allclose(got, expected):
            continue
        if not np.isclose(got.sum(), 1.0):
            raise checks.Wrong(
                f"the weights of kernel({sigma}, {radius}) sum to {got.sum():.3f}; divide by "
                "their sum so they add up to 1, or the blur makes the image brighter."
            )
        raise checks.Wrong(
            f"kernel({sigma}, {radius}) has the wrong shape of curve: weight i is "
            "exp(-i**2 / (2 * sigma**2)) for i = -radius .. radius, before normalizing."
        )
    return "the weights sum to 1, so a blur moves ink around without adding or removing any."
