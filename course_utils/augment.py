"""Image transforms for data augmentation in NumPy (notebook 04).

Images are grey-level arrays, one image ``(H, W)`` or a batch ``(N, H, W)``; every
function returns the same shape it was given. Pixel ``(r, c)`` sits at row ``r``,
column ``c``; the centre of an image is ``((H - 1) / 2, (W - 1) / 2)``, the convention
Keras uses too, so a fixed transform here and in ``keras.layers`` give the same image.

Geometric transforms (shift, rotate, zoom) use an *inverse map*: for every output
pixel we compute where it comes from in the input, then read the input there with
bilinear interpolation. Positions that fall outside the input read ``fill`` (0, black
background). Working backwards like this leaves no holes in the output.

Angles are in degrees, counter-clockwise as seen on screen (as ``RandomRotation``).
A zoom ``scale`` above 1 makes the content bigger; a shift ``(dy, dx)`` moves the
content ``dy`` rows down and ``dx`` columns right.

Training on fresh augmented copies and notebook 04's draws of the data are in
:mod:`course_utils.augment_training`; pictures of digits in :mod:`course_utils.augment_figures`.
"""

from __future__ import annotations

import numbers

import numpy as np

from course_utils import _validate

__all__ = [
    "RandomAugmenter",
    "add_noise",
    "as_images",
    "bilinear_sample",
    "flip_left_right",
    "gaussian_blur",
    "gaussian_kernel",
    "keras_transform_matrix",
    "mixup",
    "rotate",
    "shift",
    "transform",
    "zoom",
]


# --------------------------------------------------------------------------- checks
def as_images(images, name: str = "images") -> tuple[np.ndarray, bool]:
    """A float batch ``(N, H, W)`` and whether the input was one image ``(H, W)``.

    Raises:
        TypeError, ValueError: ``images`` is not one image ``(H, W)`` or a batch
            ``(N, H, W)`` of numbers, with H, W >= 2.
    """
    if isinstance(images, (str, bytes)) or images is None:
        raise TypeError(f"{name} must be an array of pixel values, got {type(images).__name__}")
    arr = _validate.array(name, images)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        raise ValueError(
            f"{name} must have shape (H, W) or (N, H, W), got {arr.shape}: "
            "drop the channel axis first, e.g. x[..., 0]"
        )
    if arr.ndim not in (2, 3) or arr.shape[-1] < 2 or arr.shape[-2] < 2:
        raise ValueError(
            f"{name} must be one image (H, W) or a batch (N, H, W) with H, W >= 2, "
            f"got shape {arr.shape}"
        )
    single = arr.ndim == 2
    return (arr[None] if single else arr), single


def _per_image(name: str, value, n: int, *, low=None, low_open=False) -> np.ndarray:
    """A number or one number per image, as an array ``(N, 1, 1)`` ready to broadcast."""
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}")
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        _validate.number(name, value, low=low, low_open=low_open)
        return np.full((n, 1, 1), float(value))
    arr = _validate.array(name, value)
    if arr.shape not in ((), (n,)):
        raise ValueError(f"{name} must be a number or one number per image ({n},), got {arr.shape}")
    if low is not None:
        bad = arr <= low if low_open else arr < low
        if np.any(bad):
            sign = ">" if low_open else ">="
            raise ValueError(f"{name} must be {sign} {low:g}, got {arr[bad].flat[0]:g}")
    return np.broadcast_to(arr, (n,)).reshape(n, 1, 1).astype(np.float64)


def _generator(rng) -> np.random.Generator:
    """``rng`` by the package's one seed rule (:func:`_validate.generator`)."""
    return _validate.generator(rng, "rng")


# ----------------------------------------------------------------- the inverse map
def bilinear_sample(images, rows, cols, *, fill: float = 0.0) -> np.ndarray:
    """Read images at fractional positions, blending the four nearest pixels.

    Args:
        images: A batch ``(N, H, W)``.
        rows, cols: Where to read, ``(N, H2, W2)`` (or ``(1, H2, W2)``, the same for all
            images): output pixel ``[n, i, j]`` is image ``n`` read at
            ``(rows[n, i, j], cols[n, i, j])``.
        fill: Value of the pixels outside the image.

    Returns:
        The values read, ``(N, H2, W2)``. Each is the average of the four pixels around
        the position, weighted by closeness: ``(1 - fr) * (1 - fc)`` for the top-left
        one, where ``fr, fc`` are the fractional parts of the row and column.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"images must be a batch (N, H, W), got shape {images.shape}")
    n, h, w = images.shape
    rows, cols = np.broadcast_arrays(np.asarray(rows, float), np.asarray(cols, float))
    if rows.ndim != 3 or rows.shape[0] not in (1, n):
        raise ValueError(f"rows and cols must broadcast to (N, H2, W2), got {rows.shape}")
    # A border of `fill` around every image: a neighbour outside the image reads it.
    padded = np.full((n, h + 2, w + 2), float(fill))
    padded[:, 1:-1, 1:-1] = images
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = rows - r0, cols - c0  # fractional parts: the blending weights
    r0, c0 = r0.astype(np.intp), c0.astype(np.intp)
    r0 += 1  # +1: coordinates in `padded`
    c0 += 1
    top, bottom = np.clip(r0, 0, h + 1), np.clip(r0 + 1, 0, h + 1)
    left, right = np.clip(c0, 0, w + 1), np.clip(c0 + 1, 0, w + 1)
    # The same reads as padded[b, row, col], through flat indices, with the same
    # arithmetic done in place (faster, bit for bit the same values).
    flat = padded.ravel()
    start = (np.arange(n) * (h + 2) * (w + 2))[:, None, None]
    top *= w + 2
    top = top + start  # rows and cols may be (1, H2, W2): this makes them (N, H2, W2)
    bottom *= w + 2
    bottom = bottom + start
    gc = 1 - fc
    upper = gc * np.take(flat, top + left)
    upper += fc * np.take(flat, top + right)
    lower = gc * np.take(flat, bottom + left)
    lower += fc * np.take(flat, bottom + right)
    upper *= 1 - fr
    lower *= fr
    upper += lower
    return upper


def transform(images, *, angle=0.0, scale=1.0, dy=0.0, dx=0.0, fill: float = 0.0) -> np.ndarray:
    """Zoom, rotate and shift in one inverse map, so the image is interpolated once.

    The content is scaled by ``scale`` about the centre, rotated by ``angle`` degrees
    counter-clockwise, then moved by ``(dy, dx)`` pixels. Each argument is a number or
    one number per image ``(N,)``.

    Inverse map, with ``c`` the centre and ``R`` the rotation by ``angle``:
    ``source = c + R^-1 (output - c - (dy, dx)) / scale``.

    Args:
        images: One image ``(H, W)`` or a batch ``(N, H, W)``.
        angle: Degrees, counter-clockwise.
        scale: Zoom factor, > 0 (2 doubles the size of the content, 0.5 halves it).
        dy, dx: Shift in pixels (down, right); fractions are interpolated.
        fill: Value of the pixels that come from outside the input.

    Returns:
        The transformed images, same shape as ``images``.
    """
    x, single = as_images(images)
    n = len(x)
    angle = _per_image("angle", angle, n)
    scale = _per_image("scale", scale, n, low=0, low_open=True)
    dy = _per_image("dy", dy, n)
    dx = _per_image("dx", dx, n)
    fill = _validate.number("fill", fill)
    out = _inverse_map(x, angle, scale, dy, dx, fill)
    return out[0] if single else out


def _inverse_map(x, angle, scale, dy, dx, fill) -> np.ndarray:
    """:func:`transform` of a batch ``x`` ``(N, H, W)`` with checked ``(N, 1, 1)`` parameters."""
    _, h, w = x.shape
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    # undo the shift, then measure from the centre
    u, v = rows - cy - dy, cols - cx - dx
    t = np.deg2rad(angle)
    cos, sin = np.cos(t), np.sin(t)
    # undo the rotation (R^-1) and the zoom (/ scale), that is
    # src_r = cy + (cos u + sin v) / scale and src_c = cx + (-sin u + cos v) / scale,
    # computed in place (the same values, fewer temporary arrays)
    src_r = cos * u
    src_r += sin * v
    src_r /= scale
    src_r += cy
    src_c = -sin * u
    src_c += cos * v
    src_c /= scale
    src_c += cx
    return bilinear_sample(x, src_r, src_c, fill=fill)


def shift(images, dy=0.0, dx=0.0, *, fill: float = 0.0) -> np.ndarray:
    """Move the content ``dy`` pixels down and ``dx`` right (fractions interpolated).

    Inverse map: output pixel ``(r, c)`` reads the input at ``(r - dy, c - dx)``.
    Shapes: ``(H, W)`` or ``(N, H, W)`` in and out; ``dy, dx`` numbers or ``(N,)``.
    """
    return transform(images, dy=dy, dx=dx, fill=fill)


def rotate(images, angle, *, fill: float = 0.0) -> np.ndarray:
    """Rotate by ``angle`` degrees counter-clockwise about the image centre.

    Shapes: ``(H, W)`` or ``(N, H, W)`` in and out; ``angle`` a number or ``(N,)``.
    """
    return transform(images, angle=angle, fill=fill)


def zoom(images, scale, *, fill: float = 0.0) -> np.ndarray:
    """Scale the content by ``scale`` about the centre (> 1 zooms in, < 1 zooms out).

    Inverse map: output pixel ``p`` reads the input at ``c + (p - c) / scale``.
    Shapes: ``(H, W)`` or ``(N, H, W)`` in and out; ``scale`` > 0, a number or ``(N,)``.
    """
    return transform(images, scale=scale, fill=fill)


def flip_left_right(images) -> np.ndarray:
    """Mirror each image left to right (a label-breaking transform for digits)."""
    x, single = as_images(images)
    out = x[:, :, ::-1].copy()
    return out[0] if single else out


# ------------------------------------------------------------------ blur and noise
def gaussian_kernel(sigma, radius: int | None = None) -> np.ndarray:
    """A 1-D Gaussian kernel that sums to 1.

    ``k[i] = exp(-i**2 / (2 sigma**2)) / Z`` for ``i = -radius .. radius``, with ``Z``
    making the weights sum to 1, so a blur moves intensity but neither adds nor removes
    any. ``sigma = 0`` gives ``[..., 0, 1, 0, ...]``: no blur.

    Args:
        sigma: Standard deviation in pixels, >= 0: a number, or one per image ``(N,)``.
        radius: Half-width; ``ceil(3 * max(sigma))`` (at least 1) by default.

    Returns:
        ``(2 * radius + 1,)`` for a number ``sigma``, ``(N, 2 * radius + 1)`` for ``(N,)``.
    """
    scalar = isinstance(sigma, numbers.Real) and not isinstance(sigma, bool)
    if scalar:
        s = np.array([_validate.number("sigma", sigma, low=0)])
    else:
        s = _validate.array("sigma", sigma, ndim=1)
        if np.any(s < 0):
            raise ValueError(f"sigma must be >= 0 (0 means no blur), got {s[s < 0][0]:g}")
    if radius is None:
        radius = max(1, int(np.ceil(3 * s.max())) if s.size else 1)
    radius = _validate.integer("radius", radius, low=0)
    i = np.arange(-radius, radius + 1)
    # sigma 0 would divide by zero; a tiny sigma gives the same [.., 0, 1, 0, ..]
    k = np.exp(-(i**2) / (2 * np.maximum(s[:, None], 1e-6) ** 2))
    k = k / k.sum(axis=1, keepdims=True)
    return k[0] if scalar else k


def gaussian_blur(images, sigma) -> np.ndarray:
    """Blur by convolving with a normalized Gaussian kernel, rows then columns.

    A 2-D Gaussian is the product of two 1-D ones, so two 1-D passes do it. The edges
    are padded by mirroring (``np.pad(mode='symmetric')``), which keeps the total
    intensity of every image exactly and leaves a constant image unchanged.

    Args:
        images: One image ``(H, W)`` or a batch ``(N, H, W)``.
        sigma: Standard deviation in pixels, >= 0: a number, or one per image ``(N,)``.

    Returns:
        The blurred images, same shape as ``images``.
    """
    x, single = as_images(images)
    n, h, w = x.shape
    if isinstance(sigma, numbers.Real) and not isinstance(sigma, bool):
        kernel = np.tile(gaussian_kernel(sigma), (n, 1))
    else:
        sig = _validate.array("sigma", sigma)
        if sig.shape != (n,):
            raise ValueError(f"sigma must be a number or one per image ({n},), got {sig.shape}")
        kernel = gaussian_kernel(sig)
    r = kernel.shape[1] // 2
    padded = np.pad(x, ((0, 0), (r, r), (r, r)), mode="symmetric")
    weights = kernel[:, :, None, None]  # (N, 2r+1, 1, 1), one kernel per image
    rows = sum(weights[:, i] * padded[:, i : i + h, :] for i in range(2 * r + 1))
    out = sum(weights[:, i] * rows[:, :, i : i + w] for i in range(2 * r + 1))
    return out[0] if single else out


def add_noise(images, std: float, rng=0, *, clip: bool = True) -> np.ndarray:
    """Add Gaussian noise ``std * N(0, 1)`` to every pixel, then clip to [0, 1].

    Args:
        images: One image ``(H, W)`` or a batch ``(N, H, W)``, values in [0, 1].
        std: Standard deviation of the noise, >= 0.
        rng: A numpy Generator (its state advances) or an int seed.
        clip: Keep the result in [0, 1], the range of the pixels.
    """
    x, single = as_images(images)
    std = _validate.number("std", std, low=0)
    rng = _generator(rng)
    out = x + std * rng.standard_normal(x.shape)
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return out[0] if single else out


# ------------------------------------------------------------------ random augmenter
class RandomAugmenter:
    """Draws fresh transform parameters for every image at every call.

    Per image: ``angle ~ U(-rotation, rotation)``, ``scale ~ U(1 - zoom, 1 + zoom)``,
    ``dy, dx ~ U(-shift, shift)``, ``sigma ~ U(0, blur)``; then the geometric part is
    applied in one inverse map (:func:`transform`), the blur (:func:`gaussian_blur`),
    and noise of standard deviation ``noise`` (:func:`add_noise`). Calling it twice on
    the same images gives two different sets of "new" images; building it again with
    the same ``seed`` repeats the whole sequence.

    Args:
        rotation: Largest angle in degrees, in [0, 180].
        zoom: Largest relative change of size, in [0, 1).
        shift: Largest shift in pixels along each axis, >= 0.
        blur: Largest blur sigma in pixels, >= 0.
        noise: Standard deviation of the added noise, >= 0 (0: none).
        seed: Seed of the generator that draws the parameters.
    """

    def __init__(
        self,
        *,
        rotation: float = 0.0,
        zoom: float = 0.0,
        shift: float = 0.0,
        blur: float = 0.0,
        noise: float = 0.0,
        seed: int = 0,
    ):
        self.rotation = _validate.number("rotation", rotation, low=0, high=180)
        self.zoom = _validate.number("zoom", zoom, low=0, high=1, high_open=True)
        self.shift = _validate.number("shift", shift, low=0)
        self.blur = _validate.number("blur", blur, low=0)
        self.noise = _validate.number("noise", noise, low=0)
        self.seed = _validate.integer("seed", seed, low=0)
        self.rng = np.random.default_rng(self.seed)

    def draw(self, n: int) -> dict[str, np.ndarray]:
        """Draw the parameters of ``n`` images: ``{'angle', 'scale', 'dy', 'dx', 'sigma'}``."""
        n = _validate.integer("n", n, low=1)
        rng = self.rng
        return {
            "angle": rng.uniform(-self.rotation, self.rotation, n),
            "scale": rng.uniform(1 - self.zoom, 1 + self.zoom, n),
            "dy": rng.uniform(-self.shift, self.shift, n),
            "dx": rng.uniform(-self.shift, self.shift, n),
            "sigma": rng.uniform(0, self.blur, n),
        }

    def __call__(self, images) -> np.ndarray:
        """Augmented copies of ``images`` ``(N, H, W)`` (or one ``(H, W)``), same shape."""
        x, single = as_images(images)
        n = len(x)
        p = self.draw(n)
        # transform(x, angle=p["angle"], ...), without checking our own draws again
        geometry = (p[key].reshape(n, 1, 1) for key in ("angle", "scale", "dy", "dx"))
        out = _inverse_map(x, *geometry, 0.0)
        if self.blur > 0:
            out = gaussian_blur(out, p["sigma"])
        if self.noise > 0:
            out = add_noise(out, self.noise, self.rng)
        return out[0] if single else out

    def __repr__(self):
        return (
            f"RandomAugmenter(rotation={self.rotation:g}, zoom={self.zoom:g}, "
            f"shift={self.shift:g}, blur={self.blur:g}, noise={self.noise:g}, seed={self.seed})"
        )


class SplitAugmenter:
    """Two augmenters for two groups of training images, as ``fit_augmented`` calls it.

    :func:`course_utils.augment_training.fit_augmented` hands its augmenter ``copies``
    stacked copies of the training images, in their order, so row ``k`` of that stack
    is training image ``k mod N``.
    ``chosen`` marks the training images (one flag each) that get ``chosen_augmenter``;
    all others get ``other_augmenter``. For example: turn every digit up to 180 degrees
    except the sixes and nines.

    Args:
        chosen: Booleans ``(N,)``, one per training image.
        chosen_augmenter: Callable for the chosen images ``(M, H, W) -> (M, H, W)``.
        other_augmenter: Callable for all the other images.
    """

    def __init__(self, chosen, chosen_augmenter, other_augmenter):
        chosen = np.asarray(chosen)
        if chosen.ndim != 1 or chosen.dtype != bool or len(chosen) == 0:
            raise ValueError(f"chosen must be a non-empty 1-D boolean array, got {chosen!r}")
        for name, aug in (
            ("chosen_augmenter", chosen_augmenter),
            ("other_augmenter", other_augmenter),
        ):
            if not callable(aug):
                raise TypeError(f"{name} must be callable, got {type(aug).__name__}")
        self.chosen, self.chosen_augmenter, self.other_augmenter = (
            chosen,
            chosen_augmenter,
            other_augmenter,
        )

    def __call__(self, images) -> np.ndarray:
        """Augmented copies of a stack of whole copies of the training images ``(k N, H, W)``."""
        x, _ = as_images(images)
        n = len(self.chosen)
        if len(x) % n:
            raise ValueError(
                f"images must be whole copies of the {n} training images, got {len(x)} images"
            )
        mask = np.tile(self.chosen, len(x) // n)
        out = np.array(self.other_augmenter(x), dtype=np.float64)
        if mask.any():
            out[mask] = self.chosen_augmenter(x[mask])
        return out


def keras_transform_matrix(shape, *, angle=0.0, scale=1.0, dy=0.0, dx=0.0) -> np.ndarray:
    """The inverse map of :func:`transform`, as matrices for Keras's affine transform.

    ``keras.ops.image.affine_transform`` takes one row ``[a0, a1, a2, b0, b1, b2, 0, 0]``
    per image; it maps an output pixel ``(x, y)`` = (column, row) to the input point
    ``(a0 x + a1 y + a2, b0 x + b1 y + b2)``.

    Args:
        shape: ``(H, W)`` of the images.
        angle, scale, dy, dx: As in :func:`transform`; numbers or arrays ``(N,)``.

    Returns:
        ``(N, 8)`` float32 (N = 1 when all arguments are numbers).
    """
    if len(tuple(shape)) != 2:
        raise ValueError(f"shape must be (H, W), got {shape!r}")
    h, w = (_validate.integer("shape", v, low=2) for v in shape)
    n = max(np.size(v) for v in (angle, scale, dy, dx))
    t = np.deg2rad(_per_image("angle", angle, n)[:, 0, 0])
    s = _per_image("scale", scale, n, low=0, low_open=True)[:, 0, 0]
    dy = _per_image("dy", dy, n)[:, 0, 0]
    dx = _per_image("dx", dx, n)[:, 0, 0]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    cos, sin = np.cos(t) / s, np.sin(t) / s
    a2 = cx - cos * (cx + dx) + sin * (cy + dy)
    b2 = cy - sin * (cx + dx) - cos * (cy + dy)
    zeros = np.zeros(n)
    return np.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1).astype(np.float32)


def mixup(images, labels, n_classes: int = 10, *, alpha: float = 0.2, rng=0):
    """MixUp: blend each image with a random partner, and their one-hot labels alike.

    ``lam ~ Beta(alpha, alpha)`` per image; ``x = lam * x_i + (1 - lam) * x_j`` and
    ``y = lam * onehot(y_i) + (1 - lam) * onehot(y_j)``, with ``j`` a permutation.

    Returns:
        ``(mixed_images, soft_labels (N, n_classes), lam (N,))``.
    """
    from course_utils.datasets import one_hot

    x, single = as_images(images)
    if single:
        raise ValueError("mixup needs a batch (N, H, W) of at least two images")
    alpha = _validate.number("alpha", alpha, low=0, low_open=True)
    rng = _generator(rng)
    y = one_hot(np.asarray(labels), n_classes)
    if len(y) != len(x):
        raise ValueError(f"images and labels must have the same length, got {len(x)}, {len(y)}")
    lam = rng.beta(alpha, alpha, len(x))
    partner = rng.permutation(len(x))
    mixed = lam[:, None, None] * x + (1 - lam[:, None, None]) * x[partner]
    soft = lam[:, None] * y + (1 - lam[:, None]) * y[partner]
    return mixed, soft, lam
