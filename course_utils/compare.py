"""Comparing two ways of training over several draws of the data, draw by draw.

Notebooks 04 and 05 run each method on the same draws (training set, label noise,
validation set) and compare them pair by pair: a draw that is easy or hard for both
drops out of the difference, so a few draws can separate methods that one draw cannot.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from course_utils import _validate

__all__ = ["Paired", "paired_difference"]


@dataclasses.dataclass(frozen=True)
class Paired:
    """Draw-by-draw differences ``a - b`` (accuracies), their mean and its standard error."""

    diffs: np.ndarray
    mean: float
    se: float

    def __str__(self) -> str:
        per = " ".join(f"{100 * d:+.1f}" for d in self.diffs)
        return f"{100 * self.mean:+.1f} ± {100 * self.se:.1f} points (draws: {per})"


def paired_difference(a, b) -> Paired:
    """Compare two runs draw by draw: the differences ``a - b``, their mean and its SE.

    Both runs must use the same draws, in the same order, so each difference removes
    what the draw does to both (an easy or hard validation set, a lucky training set).
    The standard error is ``std(diffs, ddof=1) / sqrt(D)`` over the ``D`` draws.

    Args:
        a, b: One score per draw ``(D,)``, ``D >= 2``, in the same order.

    Returns:
        A :class:`Paired` with ``diffs (D,)``, ``mean`` and ``se``; ``str()`` prints them
        in percentage points.
    """
    a = _validate.array("a", a, ndim=1)
    b = _validate.array("b", b, ndim=1)
    if a.shape != b.shape or len(a) < 2:
        raise ValueError(
            f"a and b need one score per draw, the same number (>= 2), got {len(a)} and {len(b)}"
        )
    diffs = a - b
    return Paired(diffs, float(diffs.mean()), float(diffs.std(ddof=1) / np.sqrt(len(diffs))))
