"""Determinism is a correctness property: every notebook, run twice in fresh kernels,
prints the same text (stdout, results and errors; images, widget views, durations and
cells marked ``# NBVAL_IGNORE_OUTPUT`` left out).

To stay cheap, the two runs of a notebook go at the same time, each pinned to its own
core with ``CPU_LIMIT=1`` (as on Binder), with the Agg backend and nbval's markers
honoured, as in the nbval run. The comparison is the one ``benchmarks/run.py`` reports.
"""

import asyncio

import pytest

from benchmarks import run as bench

NOTEBOOKS = bench.find_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_two_runs_print_the_same(path):
    first, second = asyncio.run(
        bench.run_pair_async(path, timeout=600, nbval_markers=True, mpl_backend="Agg")
    )
    for run in (first, second):
        assert run.status == "ok", f"{path.name} did not run ({run.cores}): {run.error}"
    differences = bench.compare_outputs(first.outputs, second.outputs)
    assert not differences, f"{path.name} printed different text on a second run:\n" + "\n".join(
        differences
    )
