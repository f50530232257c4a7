"""Exercises of notebook 04: data augmentation.

* 04.1 — a whole-pixel shift with slicing, in any direction and by any amount.
* 04.2 — which transforms keep the label, for digits and for photos.
* 04.3 — how wide a Gaussian blur kernel must be.
"""

from __future__ import annotations

import numpy as np

from course_utils import checks

# ------------------------------------------------------------------------- 04.1


def _shift_solution():
    def shift_pixels(images, dy, dx):
        """Move the content of ``images`` (N, H, W) by whole pixels; empty places are 0."""
        images = np.asarray(images, dtype=np.float64)
        out = np.zeros_like(images)
        h, w = images.shape[1:]
        dy, dx = max(-h, min(h, dy)), max(-w, min(w, dx))  # beyond the frame: nothing stays
        # output row r holds input row r - dy; keep the rows where both exist
        src_r = slice(max(0, -dy), h - max(0, dy))
        dst_r = slice(max(0, dy), h - max(0, -dy))
        src_c = slice(max(0, -dx), w - max(0, dx))
        dst_c = slice(max(0, dx), w - max(0, -dx))
        out[:, dst_r, dst_c] = images[:, src_r, src_c]
        return out

    return shift_pixels


def _shift_wrong():
    def shift_pixels(images, dy, dx):
        # the notebook's one-row example, written for positive shifts only
        images = np.asarray(images, dtype=np.float64)
        out = np.zeros_like(images)
        h, w = images.shape[1:]
        out[:, dy:, dx:] = images[:, : h - dy, : w - dx]
        return out

    return shift_pixels


def _some_images():
    """Three 8x8 test images, each with one infinite pixel: copying keeps it as it is,
    interpolation spreads NaN (0 * inf) to its neighbours."""
    x = np.random.default_rng(4).uniform(0, 1, (3, 8, 8))
    x[0, 2, 3] = x[1, 5, 1] = x[2, 6, 6] = np.inf
    return x


#: (dy, dx) pairs the checker tries: down/right, up/left, mixed, and off the frame
SHIFT_CASES = [
    (0, 0),
    (1, 0),
    (2, 2),
    (0, -2),
    (-1, 3),
    (-3, -1),
    (5, -6),
    (8, 0),
    (0, -9),
    (-20, 20),
]


@checks.exercise("04.1", "A whole-pixel shift", solution=_shift_solution, wrong_answer=_shift_wrong)
def check_1(shift_pixels):
    """``shift_pixels(images, dy, dx)`` must copy whole pixels, as slicing does."""
    if not callable(shift_pixels):
        raise checks.Wrong("pass your function itself: check_1(shift_pixels), without ().")
    x = _some_images()
    reference = _shift_solution()
    for dy, dx in SHIFT_CASES:
        where = f"for dy={dy}, dx={dx} (images of 8x8)"
        off_frame = abs(dy) >= 8 or abs(dx) >= 8
        try:
            with np.errstate(invalid="ignore"):
                got = np.asarray(shift_pixels(x.copy(), dy, dx), dtype=np.float64)
        except NotImplementedError:
            raise
        except Exception as exc:
            if off_frame:
                extra = (
                    " A shift by the image's size or more moves everything out of the frame: "
                    "the result is all zeros."
                )
            elif dy < 0 or dx < 0:
                extra = (
                    " For a negative shift the content moves up or left: which rows and "
                    "columns of the input stay in the frame, and where do they land?"
                )
            else:
                extra = ""
            raise checks.Wrong(
                f"{where} your function raised {type(exc).__name__}: {exc}.{extra}"
            ) from None
        if got.shape != x.shape:
            raise checks.Wrong(
                f"{where} the result must keep the shape {x.shape}, got {got.shape}."
            )
        expected = reference(x, dy, dx)
        if np.array_equal(got, expected):
            continue
        if np.isnan(got).any():
            raise checks.Wrong(
                f"{where} your result holds NaN. The checker's images each have one infinite "
                "pixel: copying keeps it, but interpolation multiplies it by a weight of 0, "
                "and 0 * inf is NaN. A whole-pixel shift needs no interpolation: copy the "
                "pixels with slicing."
            )
        if np.array_equal(got, np.roll(x, (dy, dx), axis=(1, 2))):
            raise checks.Wrong(
                "np.roll wraps the pixels that leave one edge around to the other side; "
                "the places that come in from outside must be 0 (black)."
            )
        if np.array_equal(got, reference(x, -dy, -dx)):
            raise checks.Wrong(
                f"{where} the content moved the wrong way: positive dy moves it down (to "
                "larger row numbers), positive dx to the right."
            )
        if off_frame:
            raise checks.Wrong(
                f"{where} nothing stays in the frame, so the result must be all zeros. "
                "Python slices with a negative end count from the end: clamp the shift first."
            )
        if dy < 0 or dx < 0:
            raise checks.Wrong(
                f"{where} your result is wrong. For a negative shift the content moves up or "
                "left: output row r still holds input row r - dy, which is now below r. Which "
                "rows of the input stay in the frame, and where do they land?"
            )
        raise checks.Wrong(
            f"{where} your result differs from a shift by whole pixels. "
            "Output row r must hold input row r - dy (0 where that row does not exist)."
        )
    return "whole-pixel shifts need no interpolation: they copy pixels, exactly."


# ------------------------------------------------------------------------- 04.2

#: (keeps the label of a digit?, keeps the label of a cat-or-dog photo?); None: either answer
_VERDICTS = {
    "shift 1 pixel": (True, True),
    "rotate 10 degrees": (True, True),
    "zoom 1.1x": (True, True),
    "slight blur": (True, True),
    "more contrast": (True, True),
    "flip left-right": (False, True),
    "flip top-bottom": (False, None),
    "rotate 90 degrees": (False, None),
    "rotate 180 degrees": (False, None),
    "keep one corner (a quarter of the image)": (False, False),
}
TRANSFORMS = tuple(_VERDICTS)

_DIGIT_HINTS = {
    "flip left-right": "mirror a 2, a 3 or a 7: it is no longer a digit anyone writes.",
    "flip top-bottom": "flip a 2, a 4 or a 7 top to bottom: would you still read the same digit?",
    "rotate 90 degrees": "turn a 1 by 90 degrees: it becomes a dash. No one writes a 7 lying down.",
    "rotate 180 degrees": "turn a 6 by 180 degrees: what digit does it show now?",
    "keep one corner (a quarter of the image)": (
        "a quarter of an 8x8 digit is a 4x4 patch: a stroke or two. Can you tell a 3 from "
        "an 8 by one corner?"
    ),
}
_PHOTO_HINTS = {
    "flip left-right": (
        "a cat seen in a mirror is still a cat: left-right flips are the most common "
        "augmentation for photos."
    ),
    "keep one corner (a quarter of the image)": (
        "one corner of a photo is often only floor or sofa: the animal may not be in it at "
        "all. (Crops that keep most of the image are a standard augmentation.)"
    ),
}


def _labels_solution():
    safe = {"shift 1 pixel", "rotate 10 degrees", "zoom 1.1x", "slight blur", "more contrast"}
    return {
        "digits": set(safe),
        # a mirrored cat is a cat; flips top-bottom and turns by 90 or 180 degrees keep it a
        # cat too, and the checker accepts them either way (such photos are rare)
        "photos": safe | {"flip left-right"},
    }


def _labels_wrong():
    answer = _labels_solution()
    answer["digits"].add("flip top-bottom")  # a 0, 1, 3 or 8 survives it; most digits do not
    return answer


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
    for column, task in enumerate(("digits", "photos")):
        hints = _DIGIT_HINTS if task == "digits" else _PHOTO_HINTS
        for name, verdicts in _VERDICTS.items():
            keeps = verdicts[column]
            if keeps is False and name in chosen[task]:
                raise checks.Wrong(f"{task}, {name!r}: {hints[name]}")
        missing = sorted(n for n, v in _VERDICTS.items() if v[column] and n not in chosen[task])
        if missing:
            hint = _PHOTO_HINTS.get(missing[0], "") if task == "photos" else ""
            raise checks.Wrong(
                hint
                or f"for {task}, small changes keep the label too: think again about {missing}."
            )
    debatable = [n for n, (_, p) in _VERDICTS.items() if p is None]
    return (
        "what keeps a label depends on the task, so the augmentation must, too. For photos, "
        f"{', '.join(debatable)} were accepted either way: an upside-down cat is still a cat, "
        "but such photos are rare, so these copies teach little about the test photos."
    )


# ------------------------------------------------------------------------- 04.3


def kernel_mass(sigma: float, radius: int) -> float:
    """The share of a Gaussian's weights exp(-i**2 / (2 sigma**2)) that offsets -radius..radius
    hold, out of all integers (offsets up to +-1000 stand for all of them)."""
    i = np.arange(-1000, 1001)
    w = np.exp(-(i**2) / (2 * sigma**2))
    return float(w[np.abs(i) <= radius].sum() / w.sum())


def _radius_solution():
    def radius_for(sigma, mass):
        i = np.arange(-1000, 1001)
        w = np.exp(-(i**2) / (2 * sigma**2))
        total = w.sum()
        radius = 0
        while w[np.abs(i) <= radius].sum() < mass * total:
            radius += 1
        return radius

    return radius_for


def _radius_wrong():
    def radius_for(sigma, mass):
        return int(np.ceil(3 * sigma))  # the course's rule of thumb, whatever the mass

    return radius_for


#: (sigma, mass) pairs the checker tries, and the answers it expects are computed
RADIUS_CASES = [
    (2.0, 0.95),
    (1.0, 0.99),
    (0.5, 0.99),
    (1.0, 0.9),
    (2.0, 0.999),
    (3.0, 0.999),
    (0.3, 0.9),
    (1.5, 0.9),
]


@checks.exercise(
    "04.3",
    "How wide must a Gaussian kernel be?",
    solution=_radius_solution,
    wrong_answer=_radius_wrong,
)
def check_3(radius_for):
    """``radius_for(sigma, mass)``: the smallest radius whose kernel keeps ``mass`` of the
    Gaussian's weight."""
    if not callable(radius_for):
        raise checks.Wrong("pass your function itself: check_3(radius_for), without ().")
    solve = _radius_solution()
    for sigma, mass in RADIUS_CASES:
        got = radius_for(sigma, mass)
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            raise checks.Wrong(
                f"radius_for({sigma}, {mass}) must return a whole number of pixels (an int), "
                f"got {got!r}."
            )
        right = solve(sigma, mass)
        if got == right:
            continue
        if got < 0:
            raise checks.Wrong(f"radius_for({sigma}, {mass}) returned {got}; a radius is >= 0.")
        kept = kernel_mass(sigma, int(got))
        span = f"offsets -{got}..{got} hold" if got else "offset 0 alone holds"
        if kept < mass:
            raise checks.Wrong(
                f"radius_for({sigma}, {mass}) returned {got}, but {span} only {kept:.2%} of "
                f"the weight, less than {mass:.1%}."
            )
        hint = f"radius_for({sigma}, {mass}) returned {got}: {span} {kept:.2%}, enough, "
        hint += "but a smaller radius is enough too: the smallest one is asked for."
        if got == right + 1:
            hint += " Yours is one too many: check where your loop stops."
        elif got == int(np.ceil(3 * sigma)):
            hint += (
                " (3 sigma is a rule of thumb for 99.7%; this asks for the given mass, and the "
                "kernel has weights only at whole offsets: sum those.)"
            )
        raise checks.Wrong(hint)
    return (
        "the smallest radius that holds the mass. Compared with radius_for(sigma, 0.997), the "
        "course's ceil(3 * sigma) is never narrower, and at most one pixel wider (for "
        "sigma = 0.5 it is 2, where 1 would do): wide enough, and only a little too wide."
    )
