"""Repository-wide pytest setup.

- Notebook cells run by nbval fail when they write anything to stderr: a warning, a
  TensorFlow log line or a stray traceback would confuse a learner, so the course keeps
  its output clean and this hook makes that a test.
- nbval's cell time limit is the course's one (``course_utils.runner.cell_timeout``,
  60 s): a stalled cell fails within a minute, naming its notebook and cell.
- What nbval's run of each notebook printed is kept (``notebook_runs``), so that the
  repeatability test compares it with one more run instead of running a notebook twice
  more (``tests/test_repeatability.py``); that test runs last, after the browser tests,
  whose run can be the second one.
"""

import os

import pytest

from course_utils import cells, runner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
# Notebook kernels inherit this: one BLAS thread is faster for the course's tiny matrices
# and 10-30x faster on a busy machine (measured by three notebooks' authors).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

NBVAL_DEFAULT_CELL_TIMEOUT = 2000.0  # nbval's own default: 33 minutes


class NotebookRuns:
    """What each run of a notebook printed, by run kind ("nbval", "browser") and name.

    Tests reach it through the ``notebook_runs`` fixture.
    """

    def __init__(self):
        self._runs: dict[str, dict[str, dict]] = {}

    def record(self, kind: str, name: str, cells: dict[int, str], complete: bool) -> None:
        """Keep what a run of notebook ``name`` printed: ``{cell index: cell_text}``."""
        run = self._runs.setdefault(kind, {}).setdefault(name, {"cells": {}, "complete": True})
        run["cells"].update(cells)
        run["complete"] = run["complete"] and complete

    def get(self, kind: str, name: str) -> list[tuple[int, str]] | None:
        """A complete recorded run as ``cells.text_outputs`` pairs, else None."""
        run = self._runs.get(kind, {}).get(name)
        if not run or not run["complete"]:
            return None
        return sorted(run["cells"].items())


RUNS = pytest.StashKey[NotebookRuns]()


def pytest_configure(config):
    if config.pluginmanager.hasplugin("nbval"):
        given = config.getoption("nbval_cell_timeout", None)
        if given is None or float(given) == NBVAL_DEFAULT_CELL_TIMEOUT:
            config.option.nbval_cell_timeout = runner.cell_timeout()
    config.stash[RUNS] = NotebookRuns()


KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _write_notebook(path, *cells, title="# A tiny notebook"):
    """Write a notebook of a markdown ``title`` and ``cells`` (a string is a code cell's
    source, anything else an nbformat cell) with the python3 kernelspec, which JupyterLab
    and nbclient need to start the kernel without asking; return ``path``."""
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC})
    nb.cells = [nbformat.v4.new_markdown_cell(title)] if title else []
    nb.cells += [nbformat.v4.new_code_cell(c) if isinstance(c, str) else c for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def write_notebook():
    """The tests' one way to write a tiny notebook: ``write_notebook(path, *cells, title=)``."""
    return _write_notebook


@pytest.fixture(scope="session")
def notebook_runs(pytestconfig) -> NotebookRuns:
    """The printed text of this session's notebook runs (nbval's, the browser's)."""
    return pytestconfig.stash[RUNS]


def _nbval_cell(item):
    """``(notebook name, cell index, marked)`` of an nbval item, or None for other tests."""
    nb = getattr(getattr(item, "parent", None), "nb", None)
    cell = getattr(item, "cell", None)
    if nb is None or cell is None or not hasattr(item, "cell_num"):
        return None
    index = next(i for i, c in enumerate(nb.cells) if c is cell)
    ignored = cells.markers(cell.source) & {"NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP"}
    return item.parent.path.name, index, bool(ignored)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    where = _nbval_cell(item)
    try:
        result = yield
    except pytest.skip.Exception:  # a cell marked # NBVAL_SKIP: nothing to compare
        raise
    except BaseException:
        if where is not None:
            item.config.stash[RUNS].record("nbval", where[0], {}, complete=False)
        raise
    outputs = getattr(item, "test_outputs", None) or []
    if where is not None:
        name, index, ignored = where
        cell = {"source": item.cell.source, "outputs": outputs}
        text = {} if ignored else {index: cells.cell_text(cell)}
        item.config.stash[RUNS].record("nbval", name, text, complete=True)
    stderr = [
        o.get("text", "")
        for o in outputs
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    if stderr:
        text = "".join(stderr)
        pytest.fail(
            f"this notebook cell wrote to stderr (a warning or log line):\n{text[:2000]}",
            pytrace=False,
        )
    return result


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The repeatability test last: after nbval's run and the browser's, which it reuses."""
    last = [item for item in items if item.nodeid.startswith("tests/test_repeatability.py")]
    if last:
        chosen = set(map(id, last))
        items[:] = [item for item in items if id(item) not in chosen] + last
