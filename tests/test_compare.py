"""course_utils.compare: paired differences over draws (notebooks 04 and 05)."""

import numpy as np
import pytest

from course_utils import compare


def test_paired_difference_is_the_mean_of_per_draw_differences_and_its_standard_error():
    a, b = [0.92, 0.92, 0.89, 0.92], [0.885, 0.905, 0.875, 0.88]
    p = compare.paired_difference(a, b)
    diffs = np.subtract(a, b)
    np.testing.assert_allclose(p.diffs, diffs)
    assert p.mean == pytest.approx(diffs.mean())
    assert p.se == pytest.approx(np.std(diffs, ddof=1) / 2)  # sqrt(4 draws) = 2
    # pairing removes what a draw does to both runs: shifting a draw leaves the SE alone
    shifted = compare.paired_difference(
        np.add(a, [0.05, -0.05, 0, 0]), np.add(b, [0.05, -0.05, 0, 0])
    )
    assert shifted.se == pytest.approx(p.se) and shifted.mean == pytest.approx(p.mean)
    assert str(p).startswith("+2.6 ± 0.7 points (draws: +3.5 +1.5 +1.5 +4.0)")


def test_equal_runs_differ_by_zero_with_zero_error():
    p = compare.paired_difference([1.0, 2.0], [1.0, 2.0])
    assert p.mean == 0.0 and p.se == 0.0 and list(p.diffs) == [0.0, 0.0]


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([0.9, 0.8], [0.9], "one score per draw"),
        ([0.9], [0.8], "one score per draw"),
        ([[0.9, 0.8]], [[0.9, 0.8]], "1 dimensions"),
    ],
)
def test_bad_input_is_rejected_clearly(a, b, message):
    with pytest.raises(ValueError, match=message):
        compare.paired_difference(a, b)
