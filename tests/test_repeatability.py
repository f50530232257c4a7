"""Determinism is a correctness property: every notebook, run twice in fresh kernels,
prints the same text (stdout, results and errors; images, widget views, durations and
cells marked ``# NBVAL_IGNORE_OUTPUT`` left out).

To stay cheap, the two runs of a notebook go at the same time, each pinned to its own
core with ``CPU_LIMIT=1`` (as on Binder), with the Agg backend and nbval's markers
honoured, as in the nbval run. The comparison is the one ``benchmarks/run.py`` reports.

A run normally takes 5-16 s. Rarely, a run stalls for minutes and then goes on (with
ipykernel 6.31 on this 2-core machine: one pair in the 14 pairs of two full CI runs, on
2026-11-22; a review's nbconvert run also sat with an idle kernel once). That one stall
cost a CI run about 10 minutes. So each pair has 150 s, and a pair that runs out of time
is run once more, with a warning that names it. A notebook that is merely slow, or hangs
for real, still fails: it runs out of time twice.
"""

import asyncio
import warnings

import pytest

from benchmarks import run as bench

NOTEBOOKS = bench.find_notebooks()
PAIR_TIMEOUT = 150.0


def _run_pair(path):
    return asyncio.run(
        bench.run_pair_async(path, timeout=PAIR_TIMEOUT, nbval_markers=True, mpl_backend="Agg")
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_two_runs_print_the_same(path):
    first, second = _run_pair(path)
    if "timeout" in (first.status, second.status):
        stalled = first if first.status == "timeout" else second
        warnings.warn(
            f"{path.name}: a run stalled ({stalled.error}); running the pair once more",
            stacklevel=1,
        )
        first, second = _run_pair(path)
    for run in (first, second):
        assert run.status == "ok", f"{path.name} did not run ({run.cores}): {run.error}"
    differences = bench.compare_outputs(first.outputs, second.outputs)
    assert not differences, f"{path.name} printed different text on a second run:\n" + "\n".join(
        differences
    )
