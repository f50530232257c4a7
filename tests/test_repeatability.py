"""Determinism is a correctness property: every notebook, run twice in fresh kernels,
prints the same text (stdout, results and errors; images, widget views, durations and
cells marked ``# NBVAL_IGNORE_OUTPUT`` left out: ``course_utils.cells.text_outputs``).

The suite runs each notebook as few times as its checks need. The first run is nbval's
(the root ``conftest.py`` keeps what each cell printed); the second is the browser
tests' run in JupyterLab when they ran, else one more headless run here. This test
comes last so that both are there. Run alone (``pytest tests/test_repeatability.py``),
it runs each notebook twice itself, the two runs side by side, each on its own core.

A stalled cell fails within the course's cell time limit (60 s), naming the cell.
"""

import asyncio

import pytest

from course_utils import cells, runner
from course_utils.render import find_notebooks

NOTEBOOKS = find_notebooks()
pytestmark = pytest.mark.kernel


def _fresh_run(path):
    """One more headless run, as nbval runs a notebook (Agg backend, skips honoured)."""
    run = runner.run(path, mpl_backend="Agg")
    assert run.status == "ok", f"the second run failed: {run.error}"
    return run.outputs


def _fresh_pair(path):
    def pair():
        return asyncio.run(runner.run_pair_async(path, mpl_backend="Agg"))

    first, second = runner.run_in_thread(pair)
    for run in (first, second):
        assert run.status == "ok", f"a run failed ({run.cores}): {run.error}"
    return first.outputs, second.outputs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_two_runs_print_the_same(path, notebook_runs):
    first = notebook_runs.get("nbval", path.name)
    second = notebook_runs.get("browser", path.name)
    sources = ["nbval", "browser (JupyterLab)"]
    if first is None and second is None:
        first, second = _fresh_pair(path)
        sources = ["run 1", "run 2"]
    elif first is None or second is None:
        if first is None:
            first, sources[0] = second, sources[1]
        second, sources[1] = _fresh_run(path), "a headless run"
    differences = cells.compare_outputs(first, second)
    assert not differences, (
        f"{path.name} printed different text in two runs ({sources[0]} vs {sources[1]}):\n"
        + "\n".join(differences)
    )
