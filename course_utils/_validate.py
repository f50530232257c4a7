"""Small argument checks shared by the package; each message says what is allowed.

Every check raises TypeError for a value of the wrong kind (a bool or a float where an
int is wanted, a string where a number is) and ValueError for a value of the right kind
out of range (``-1`` where a count or a seed is wanted); the message names the argument
and what is allowed.

Seeds follow one rule (:func:`seed`, :func:`generator`): an int >= 0 (NumPy's ints too),
or, where a generator is accepted, a ``numpy.random.Generator`` used as it is. ``None``
is not a seed: a function that may run unseeded says so in its own signature (``rng=None``
draws from fresh entropy) and handles None before it calls these.
"""

from __future__ import annotations

import numbers

import numpy as np


def number(name: str, value, *, low=None, high=None, low_open=False, high_open=False) -> float:
    """Check that ``value`` is a finite real number within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    allowed = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        raise ValueError(f"{name} must be in {allowed}, got {value:g}")
    return value


def integer(name: str, value, *, low=None, high=None) -> int:
    """Check that ``value`` is an int within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be an int in [{lo}, {hi}], got {value}")
    return value


def seed(value, name: str = "seed", *, high: int | None = None) -> int:
    """The package's one seed rule: an int >= 0 (and <= ``high`` if given).

    ``-1`` is a ValueError; ``True``, ``1.0``, ``None`` and ``"1"`` are TypeErrors.
    """
    return integer(name, value, low=0, high=high)


def generator(value, name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator`` as it is, else a new one seeded by :func:`seed`."""
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an int seed >= 0 or a numpy Generator, got {type(value).__name__}"
        )
    return np.random.default_rng(seed(value, name))


def array(name: str, value, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert to a float array and check its number of dimensions and finiteness."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            dims = " or ".join(map(str, allowed))
            raise ValueError(f"{name} must have {dims} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers only (no NaN or inf)")
    return arr


def same_rows(x_name: str, x: np.ndarray, y_name: str, y: np.ndarray) -> None:
    """Check that two arrays have the same number of rows (a data set's inputs and targets)."""
    if len(x) != len(y):
        raise ValueError(
            f"{x_name} and {y_name} must have the same number of rows, got {len(x)} and {len(y)}"
        )


def xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``X (N, D)`` and targets ``y (N,)`` as float arrays: finite, same ``N >= 1``."""
    X = array("X", X, ndim=2)
    y = array("y", y, ndim=1)
    same_rows("X", X, "y", y)
    if len(X) == 0:
        raise ValueError("X and y must have at least one row")
    return X, y


def choice(name: str, value, allowed) -> str:
    """Check that ``value`` is one of the ``allowed`` strings."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value
