"""The course's one notebook runner (course_utils.runner), on tiny notebooks: a cell that
raises, stalls or kills its kernel is named; two runs are compared on their text; the
one cell time limit is also nbval's."""

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_utils import cells, runner

ROOT = Path(__file__).resolve().parent.parent
# A cell that would hold a run for two minutes; a stalled kernel looks like this.
SLEEPS_120_S = "import time\n\ntime.sleep(120)"


def test_the_cell_time_limit_is_60_s_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv(runner.CELL_TIMEOUT_ENV, raising=False)
    assert runner.cell_timeout() == runner.CELL_TIMEOUT == 60
    monkeypatch.setenv(runner.CELL_TIMEOUT_ENV, "2.5")
    assert runner.cell_timeout() == 2.5
    for bad in ("0", "-1", "soon", "inf", "nan"):
        monkeypatch.setenv(runner.CELL_TIMEOUT_ENV, bad)
        with pytest.raises(ValueError, match="COURSE_CELL_TIMEOUT must be a number of seconds"):
            runner.cell_timeout()


@pytest.mark.kernel
def test_a_stalled_cell_fails_at_the_limit_naming_notebook_and_cell(
    tmp_path, monkeypatch, write_notebook
):
    path = write_notebook(tmp_path / "07_stalls.ipynb", "x = 1", SLEEPS_120_S, "print('never')")
    monkeypatch.setenv(runner.CELL_TIMEOUT_ENV, "2")
    start = time.monotonic()
    run = runner.run(path, mpl_backend="Agg")
    seconds = time.monotonic() - start
    assert run.status == "timeout" and run.failed_cell == 2
    assert run.error == (
        "07_stalls.ipynb: code cell 2 (`import time`) ran past the cell time limit of 2 s"
    )
    assert seconds < 30, f"the stalled cell was stopped only after {seconds:.0f} s"


@pytest.mark.kernel
def test_an_error_and_a_dead_kernel_are_named(tmp_path, write_notebook):
    raises = write_notebook(
        tmp_path / "a.ipynb", "print('before')", "x = 2\nassert x + x == 5\n", "1"
    )
    run = runner.run(raises, mpl_backend="Agg")
    assert run.status == "error" and run.failed_cell == 2
    assert (
        run.error == "a.ipynb: code cell 2 (`x = 2`) raised AssertionError at `assert x + x == 5`"
    )
    assert dict(run.outputs)[1] == "before\n"  # the outputs up to the failure are kept
    dies = write_notebook(tmp_path / "b.ipynb", "x = 1", "import os\nos._exit(1)")
    run = runner.run(dies, mpl_backend="Agg")
    assert run.status == "died"
    assert run.error.startswith("b.ipynb: the kernel died")
    assert run.error.endswith("while running code cell 2 (`import os`)")


# A figure drawn into an Output widget, as every "Try it" cell of the course does.
WIDGET_CELL = """import ipywidgets as widgets
import matplotlib.pyplot as plt
from course_utils.widgets import interactive_figure


def line(a=1.0):
    fig, ax = plt.subplots()
    ax.plot([0, a])
    return fig


interactive_figure(line, a=widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.5))"""


@pytest.mark.kernel
def test_a_widget_cell_runs_and_a_client_failure_is_not_called_a_dead_kernel(
    tmp_path, write_notebook, monkeypatch
):
    # nbclient 0.11 without widget state raised a KeyError on the Output widget's output,
    # and the runner, checking only after the kernel was shut down, called it a death.
    path = write_notebook(tmp_path / "w.ipynb", WIDGET_CELL, "print('after')")
    run = runner.run(path, mpl_backend="Agg")
    assert run.status == "ok", run.error
    assert dict(run.outputs)[2] == "after\n" and "widgets" not in run.nb.metadata
    with_state = runner.run(path, mpl_backend="Agg", widget_state=True)
    assert with_state.status == "ok" and "widgets" in with_state.nb.metadata

    import nbclient

    def broken(self, *args, **kwargs):
        raise KeyError("a client-side bug")

    monkeypatch.setattr(nbclient.NotebookClient, "async_execute_cell", broken)
    run = runner.run(path, mpl_backend="Agg")
    assert run.status == "error", run.error
    assert "KeyError" in run.error and "died" not in run.error


@pytest.mark.kernel
def test_markers_are_comment_lines_and_skips_are_honoured(tmp_path, write_notebook):
    assert cells.markers("# NBVAL_SKIP\nx = 1") == {"NBVAL_SKIP"}
    assert cells.markers("x = 1  # NBVAL_SKIP would be a comment after code") == set()
    assert cells.markers("print('# NBVAL_SKIP')") == set()
    path = write_notebook(
        tmp_path / "m.ipynb",
        "# NBVAL_SKIP\nraise SystemExit('not run under nbval')",
        "# NBVAL_RAISES_EXCEPTION\nraise KeyError('allowed')",
        "print('after')",
    )
    run = runner.run(path, mpl_backend="Agg")
    assert run.status == "ok" and dict(run.outputs)[3] == "after\n"
    learner = runner.run(path, mpl_backend="Agg", skip_marked=False)  # runs every cell
    assert learner.status == "error" and learner.failed_cell == 1


def test_run_rejects_a_bad_timeout(tmp_path):
    with pytest.raises(ValueError, match="timeout must be > 0 seconds, got 0"):
        runner.run(tmp_path / "x.ipynb", timeout=0)


@pytest.mark.kernel
def test_nbval_takes_the_same_cell_limit_and_names_the_cell(tmp_path, write_notebook):
    """nbval, as `make test` runs it with this repository's conftest.py, stops a cell
    that would sleep 120 s at the course's limit (2 s here, set in the environment)."""
    path = write_notebook(tmp_path / "08_stalls.ipynb", "x = 1", SLEEPS_120_S)
    env = {**os.environ, runner.CELL_TIMEOUT_ENV: "2", "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider"),
            *("--nbval-lax", "--nbval-current-env", "--rootdir", str(tmp_path), str(path)),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=110,
    )
    seconds = time.monotonic() - start
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "08_stalls.ipynb::Cell 1" in out and "Timeout of 2 seconds exceeded" in out, out[-3000:]
    assert "time.sleep(120)" in out  # nbval prints the cell's source
    assert seconds < 60, f"nbval stopped the stalled cell only after {seconds:.0f} s"


@pytest.mark.kernel
def test_pinned_pair_runs_in_parallel_and_finds_a_difference(tmp_path, write_notebook):
    path = write_notebook(
        tmp_path / "01_pair.ipynb",
        "import os\nprint(len(os.sched_getaffinity(0)), os.environ['CPU_LIMIT'])",
        "import random\nprint(random.random())  # unseeded: differs between runs",
        "import time\nt = time.perf_counter()\nprint(f'took {time.perf_counter() - t:.4f} s')",
        "# NBVAL_IGNORE_OUTPUT\nprint(random.random())",
    )
    a, b = asyncio.run(runner.run_pair_async(path, timeout=30, mpl_backend="Agg"))
    assert a.status == b.status == "ok"
    assert dict(a.outputs)[1] == "1 1\n"  # pinned to one core, CPU_LIMIT set like Binder
    assert a.cores != b.cores  # each run had its own core
    diffs = cells.compare_outputs(a.outputs, b.outputs)
    assert len(diffs) == 1 and diffs[0].startswith("cell 2: '0.")  # timing masked, cell 4 ignored


def test_text_outputs_keep_text_and_drop_images_widgets_and_timings():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("f()")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="loss 0.1234 in 12.5 ms\n"),
        nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
        nbformat.v4.new_output(
            "display_data", data={"image/png": "iVBOR", "text/plain": "<Figure 1>"}
        ),
        nbformat.v4.new_output(
            "display_data",
            data={cells.WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "VBox(...)"},
        ),
        nbformat.v4.new_output(
            "execute_result", data={"text/plain": "<obj at 0x7f12345678ab>"}, execution_count=1
        ),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[]),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), cell]
    assert cells.text_outputs(nb) == [
        (1, "loss 0.1234 in <time>\n<obj at 0x<address>>\nValueError: bad\n")
    ]
    assert cells.mask_volatile("NumPy is 7.5x faster, 3 epochs, 2 samples, 1.5 s, 558 MB") == (
        "NumPy is <ratio> faster, 3 epochs, 2 samples, <time>, <memory>"
    )


def test_compare_outputs_names_the_cell_and_the_first_differing_line():
    a = [(1, "same\n"), (3, "acc 0.91\nloss 0.2\n")]
    b = [(1, "same\n"), (3, "acc 0.91\nloss 0.3\n")]
    assert cells.compare_outputs(a, a) == []
    assert cells.compare_outputs(a, b) == ["cell 3: 'loss 0.2' vs 'loss 0.3'"]
    many = cells.compare_outputs([(i, "x") for i in range(15)], [(i, "y") for i in range(15)])
    assert len(many) == 11 and many[-1] == "... and 5 more cells"


def test_figures_and_quiet_results_are_not_part_of_the_text():
    """nbval under Agg shows a figure as text and a `;` cell's result; JupyterLab shows
    neither: the comparison of two runs leaves both out."""
    figure = nbformat.v4.new_output(
        "display_data", data={"text/plain": "<Figure size 560x320.5 with 2 Axes>"}
    )
    result = nbformat.v4.new_output(
        "execute_result", data={"text/plain": "<History at 0x7f00>"}, execution_count=1
    )
    quiet = {"source": "model.fit(x, y);  # quiet", "outputs": [figure, result]}
    loud = {"source": "model.fit(x, y)", "outputs": [figure, result]}
    assert cells.cell_text(quiet) == ""
    assert cells.cell_text(loud) == "<History at 0x7f00>\n"
    not_quiet = {"source": "x = 'a;'\nx", "outputs": [result]}
    assert cells.cell_text(not_quiet) == "<History at 0x7f00>\n"
