"""Pictures of digits: a grid of images, and the "Try it" figure of notebook 04."""

from __future__ import annotations

import functools

import numpy as np

from course_utils import _validate
from course_utils.augment import RandomAugmenter, as_images

__all__ = ["augmentation_preview_figure", "plot_digits"]


def _mosaic(images, ncols: int = 10, *, gap: int = 1, top: int = 0) -> np.ndarray:
    """Tile a batch ``(N, H, W)`` into one array, ``gap`` NaN pixels between tiles and
    ``top`` NaN rows above each row of tiles (room for titles)."""
    n, h, w = images.shape
    nrows = -(-n // ncols)
    row_h, col_w = h + gap + top, w + gap
    out = np.full((nrows * row_h - gap, ncols * col_w - gap), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        out[r * row_h + top : r * row_h + top + h, c * col_w : c * col_w + w] = img
    return out


def plot_digits(images, titles=None, *, ncols: int = 10, size: float = 1.0, suptitle=None):
    """Show images in a grid, each with an optional title; returns the Figure.

    All images go into one picture (fast to draw), values 0 (paper) to 1 (ink).

    Args:
        images: One image ``(H, W)`` or a batch ``(N, H, W)``.
        titles: Optional list of N strings.
        ncols: Images per row.
        size: Inches per image.
        suptitle: Optional title of the whole figure.
    """
    import matplotlib.pyplot as plt

    x, _ = as_images(images)
    n, h, w = x.shape
    ncols = min(_validate.integer("ncols", ncols, low=1), n)
    size = _validate.number("size", size, low=0, low_open=True)
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles must have one entry per image ({n}), got {len(titles)}")
    top = max(2, h // 2) if titles is not None else 0
    mosaic = _mosaic(x, ncols, top=top)
    rows_px, cols_px = mosaic.shape
    fig, ax = plt.subplots(
        figsize=(size * ncols, size * ncols * rows_px / cols_px + (0.3 if suptitle else 0))
    )
    plt.close(fig)
    ax.imshow(mosaic, cmap=_digit_cmap(), vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if titles is not None:
        for i, title in enumerate(titles):
            r, c = divmod(i, ncols)
            ax.text(
                c * (w + 1) + (w - 1) / 2,
                r * (h + 1 + top) + top - 1.2,
                title,
                ha="center",
                va="bottom",
                fontsize=8,
            )
    if suptitle:
        ax.set_title(suptitle, fontsize=10)
    return fig


@functools.lru_cache(maxsize=1)
def _preview_digits() -> np.ndarray:
    from course_utils.datasets import load_digits

    images, labels = load_digits()
    first = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]
    out = images[first]
    out.flags.writeable = False
    return out


def augmentation_preview_figure(
    rotation: float = 15.0,
    zoom: float = 0.1,
    shift: float = 1.0,
    blur: float = 0.5,
    *,
    n_rows: int = 4,
    seed: int = 0,
):
    """The "Try it" figure of notebook 04: one digit of each class and random augmentations.

    The top row shows the digits 0..9 as they are; each row below shows a fresh draw of
    :class:`RandomAugmenter` with the given strengths (same ``seed``: same picture).

    Args:
        rotation: Largest angle in degrees, in [0, 180].
        zoom: Largest relative change of size, in [0, 1).
        shift: Largest shift in pixels, >= 0.
        blur: Largest blur sigma in pixels, >= 0.
        n_rows: Rows of augmented digits, >= 1.
        seed: Seed of the augmenter.
    """
    import matplotlib.pyplot as plt

    n_rows = _validate.integer("n_rows", n_rows, low=1, high=20)
    augmenter = RandomAugmenter(rotation=rotation, zoom=zoom, shift=shift, blur=blur, seed=seed)
    digits = _preview_digits()
    batch = np.concatenate([digits] + [augmenter(digits) for _ in range(n_rows)])
    fig, ax = plt.subplots(figsize=(7.0, 0.8 * (n_rows + 1) + 0.5))
    plt.close(fig)
    cmap = _digit_cmap()
    ax.imshow(_mosaic(batch), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.axhline(8.5, color="tab:blue", linewidth=2)
    ax.set_xticks([])
    ax.set_yticks([4 + 9 * i for i in range(n_rows + 1)], ["original"] + ["augmented"] * n_rows)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(
        f"rotation ±{rotation:g}°, zoom ±{zoom:.0%}, shift ±{shift:g} px, blur σ ≤ {blur:g}",
        fontsize=10,
    )
    return fig


def _digit_cmap():
    """The grey colour map of the course's digit pictures (ink dark, gaps light grey)."""
    import matplotlib

    return matplotlib.colormaps["gray_r"].with_extremes(bad="#dde3ea")
