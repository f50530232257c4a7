"""The course's data: the shipped 8x8 digits and seeded synthetic sets.

Nothing here downloads anything. The digits ship inside the package, as
``course_utils/data/digits.npz``, so an installed wheel has them too; the repository's
``data/README.md`` documents them (source, licence, sha256). They are the UCI "Optical
Recognition of Handwritten Digits" test set (Alpaydin and Kaynak, 1998), CC BY 4.0.
Every other set is generated from a seed, so the same seed gives the same numbers
everywhere.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np

from course_utils import _validate

# A regular (or editable) install keeps package files on disk, so the resource is a path.
DIGITS_RESOURCE = resources.files("course_utils").joinpath("data", "digits.npz")
DIGITS_PATH = Path(str(DIGITS_RESOURCE))
DIGITS_SHA256 = "a7e90fa73760e8f2b1dedf547e10a262714d3855f807565302a081a95da5177c"
DIGITS_N = 1797

_RESTORE_HINT = (
    "Restore it: in a copy of the course repository run "
    "`git checkout -- course_utils/data/digits.npz`; for an installed package, reinstall "
    "it (`pip install --force-reinstall --no-deps` with the wheel or folder you installed "
    "from). The repository's data/README.md gives the file's sha256."
)


class DataFileError(RuntimeError):
    """A shipped data file is missing, corrupt or of the wrong shape."""


def sha256_of(path: str | Path) -> str:
    """The sha256 hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_digits(path: str | Path | None = None, *, scale: bool = True):
    """Load the 1,797 handwritten 8x8 digits shipped in ``course_utils/data/digits.npz``.

    The file is checked before use: it must exist, match its sha256, and hold
    ``images`` of shape (1797, 8, 8) with values 0..16 and ``target`` of shape (1797,).

    Args:
        path: Where the ``.npz`` file is; by default the copy inside the package, found
            with ``importlib.resources`` (the same for a normal and an editable install).
        scale: Divide the pixel counts (0..16) by 16 to give floats in [0, 1].

    Returns:
        ``(images, labels)``: images ``(1797, 8, 8)`` (float64 if ``scale`` else
        uint8) and labels ``(1797,)`` int64 in 0..9.

    Raises:
        DataFileError: the file is missing, corrupt or not what the course ships.
    """
    if path is None:
        with resources.as_file(DIGITS_RESOURCE) as packaged:
            return load_digits(packaged, scale=scale)
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"The digits file {path} is missing. {_RESTORE_HINT}")
    digest = sha256_of(path)
    if digest != DIGITS_SHA256:
        raise DataFileError(
            f"The digits file {path} is corrupt or changed: its sha256 is {digest}, "
            f"expected {DIGITS_SHA256}. {_RESTORE_HINT}"
        )
    try:
        with np.load(path, allow_pickle=False) as f:
            images, target = f["images"], f["target"]
    except Exception as exc:  # a checksum match makes this unlikely, but say so clearly
        raise DataFileError(
            f"The digits file {path} could not be read ({exc}). {_RESTORE_HINT}"
        ) from exc
    if images.shape != (DIGITS_N, 8, 8) or target.shape != (DIGITS_N,):
        raise DataFileError(
            f"The digits file {path} has images {images.shape} and target {target.shape}, "
            f"expected ({DIGITS_N}, 8, 8) and ({DIGITS_N},). {_RESTORE_HINT}"
        )
    labels = target.astype(np.int64)
    if scale:
        return images.astype(np.float64) / 16.0, labels
    return images, labels


def true_function_1d(x: np.ndarray) -> np.ndarray:
    """The smooth curve behind :func:`make_regression_1d`: ``sin(1.5 pi x) + x / 2``."""
    x = np.asarray(x, dtype=np.float64)
    return np.sin(np.pi * x * 1.5) + 0.5 * x


def make_regression_1d(n: int = 30, noise: float = 0.3, seed=0, *, x_range=(-1.0, 1.0)):
    """Noisy points around a smooth curve, for curve fitting.

    ``y = true_function_1d(x) + noise * N(0, 1)`` with ``x`` uniform in ``x_range``.

    Args:
        n: Number of points, >= 1.
        noise: Standard deviation of the Gaussian noise, >= 0.
        seed: An int seed or a ``numpy.random.Generator``.
        x_range: ``(low, high)`` with low < high.

    Returns:
        ``(x, y)``, both of shape ``(n,)``, sorted by ``x``.
    """
    n = _validate.integer("n", n, low=1)
    noise = _validate.number("noise", noise, low=0)
    low, high = _check_range(x_range)
    rng = _validate.generator(seed)
    x = np.sort(rng.uniform(low, high, size=n))
    y = true_function_1d(x) + noise * rng.standard_normal(n)
    return x, y


def _check_range(x_range) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise TypeError(f"x_range must be a pair of numbers (low, high), got {x_range!r}") from None
    if not low < high:
        raise ValueError(f"x_range must have low < high, got {x_range!r}")
    return low, high


def make_classification_2d(n: int = 200, noise: float = 0.25, seed=0):
    """Two interleaving half-moons with Gaussian jitter, for decision boundaries.

    Args:
        n: Number of points, >= 2; half in each class (class 0 gets the extra one).
        noise: Standard deviation of the jitter added to each coordinate, >= 0.
        seed: An int seed or a ``numpy.random.Generator``.

    Returns:
        ``(X, y)``: X ``(n, 2)`` float64, y ``(n,)`` int64 in {0, 1}, shuffled.
    """
    n = _validate.integer("n", n, low=2)
    noise = _validate.number("noise", noise, low=0)
    rng = _validate.generator(seed)
    n1 = n // 2
    n0 = n - n1
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n1)
    upper = np.c_[np.cos(t0), np.sin(t0)]
    lower = np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))
    X = (X - np.array([0.5, 0.25])) / np.array([1.0, 0.5])  # centre and balance the axes
    y = np.r_[np.zeros(n0, np.int64), np.ones(n1, np.int64)]
    order = rng.permutation(n)
    return X[order], y[order]


def make_sparse_linear(
    n_samples: int = 100,
    n_features: int = 30,
    n_informative: int = 5,
    noise: float = 0.5,
    seed=0,
):
    """A linear problem where only a few features matter, for L1 (LASSO).

    The first ``n_informative`` coefficients are drawn with magnitude in [1, 3] and a
    random sign; all the others are exactly zero. ``y = X @ coef + noise * N(0, 1)``.

    Args:
        n_samples: Rows of X, >= 1.
        n_features: Columns of X, >= 1.
        n_informative: How many coefficients are non-zero, in [0, n_features].
        noise: Standard deviation of the noise on y, >= 0.
        seed: An int seed or a ``numpy.random.Generator``.

    Returns:
        ``(X, y, coef)``: X ``(n_samples, n_features)``, y ``(n_samples,)`` and the
        true coefficients ``coef`` ``(n_features,)``.
    """
    n_samples = _validate.integer("n_samples", n_samples, low=1)
    n_features = _validate.integer("n_features", n_features, low=1)
    if isinstance(n_informative, bool) or not isinstance(n_informative, (int, np.integer)):
        raise TypeError(f"n_informative must be an int, got {type(n_informative).__name__}")
    if not 0 <= n_informative <= n_features:
        raise ValueError(
            f"n_informative must be in [0, n_features={n_features}], got {n_informative}"
        )
    noise = _validate.number("noise", noise, low=0)
    rng = _validate.generator(seed)
    coef = np.zeros(n_features)
    coef[:n_informative] = rng.uniform(1, 3, n_informative) * rng.choice([-1, 1], n_informative)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ coef + noise * rng.standard_normal(n_samples)
    return X, y, coef


def train_val_test_split(*arrays, val: float = 0.2, test: float = 0.2, seed=0):
    """Shuffle and split arrays (same first dimension) into train, validation, test.

    Args:
        *arrays: One or more arrays with the same length.
        val: Fraction for validation, in [0, 1).
        test: Fraction for test, in [0, 1); ``val + test`` must be < 1.
        seed: An int seed or a ``numpy.random.Generator``.

    Returns:
        A flat tuple ``(a_train, a_val, a_test, b_train, b_val, b_test, ...)``.
    """
    if not arrays:
        raise ValueError("train_val_test_split needs at least one array")
    n = len(arrays[0])
    for i, a in enumerate(arrays):
        if len(a) != n:
            raise ValueError(
                f"all arrays must have the same length; array 0 has {n}, array {i} has {len(a)}"
            )
    for name, frac in (("val", val), ("test", test)):
        if not 0 <= frac < 1:
            raise ValueError(f"{name} must be in [0, 1), got {frac}")
    if val + test >= 1:
        raise ValueError(f"val + test must be < 1 to leave training data, got {val + test}")
    rng = _validate.generator(seed)
    order = rng.permutation(n)
    n_val, n_test = round(n * val), round(n * test)
    parts = (order[n_val + n_test :], order[:n_val], order[n_val : n_val + n_test])
    return tuple(np.asarray(a)[idx] for a in arrays for idx in parts)


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """Columns ``x**1 .. x**degree`` of a 1-D input (no constant column).

    Args:
        x: Shape ``(n,)``; best kept in [-1, 1] so high powers stay well scaled.
        degree: Highest power, >= 0 (0 gives an ``(n, 0)`` array).

    Returns:
        Array of shape ``(n, degree)``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D of shape (n,), got shape {x.shape}")
    degree = _validate.integer("degree", degree, low=0)
    return x[:, None] ** np.arange(1, degree + 1)


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """One-hot encode integer labels ``y`` ``(n,)`` into ``(n, n_classes)`` floats."""
    y = np.asarray(y)
    n_classes = _validate.integer("n_classes", n_classes, low=1)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D array of integer labels, got {y.dtype} {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must be in [0, {n_classes}), got min {y.min()} and max {y.max()}")
    out = np.zeros((y.size, n_classes))
    out[np.arange(y.size), y] = 1.0
    return out
