"""Every notebook, run in JupyterLab in headless Chromium, as a learner would run it.

For each notebook in ``notebooks/``: open it, run all cells with JupyterLab's own
"Run All Cells" command, wait until the kernel is idle, then check what the page
shows: every code cell ran, no cell shows an error or anything on stderr, every figure
is an image that loaded (non-zero natural size) and every widget rendered. Then the
"Try it" widgets: a slider is moved from the keyboard (focus, End or Home) and the
figure beside it must change, with no error on the page or in the kernel's log.

The fixtures (JupyterLab server, browser, screenshots) are in ``conftest.py`` here.
"""

from __future__ import annotations

import re
import time

import pytest
from lab_harness import NOTEBOOK_DIR, TIMINGS, CellStalled

from course_utils import runner

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
# A second net under the kernel's error messages: what the kernel process logs (say,
# an exception in one of its message handlers) lands in the server's log.
KERNEL_LOG_ERROR = re.compile(r"Traceback \(most recent call last\)|\bException in \w+")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Harmless: JupyterLab's widget manager asks a new kernel for its widgets before the
# notebook has imported ipywidgets, and the kernel answers that it knows no such comm.
BENIGN_KERNEL_ERRORS = re.compile(
    r"No such comm target registered: jupyter\.widget\.control|No such comm: [0-9a-f-]+\s*$"
)


def _real_kernel_errors(errors: list[dict]) -> list[dict]:
    return [e for e in errors if not BENIGN_KERNEL_ERRORS.search(e["text"])]


def _kernel_error_text(errors: list[dict]) -> str:
    return "\n".join(
        f"[{e['parent']}] {e['text'].strip()}\n{ANSI.sub('', e['traceback'])}" for e in errors
    )


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.name)
def executed(request, open_notebook, notebook_runs):
    """The notebook opened in JupyterLab, all its cells run, its kernel idle.

    What the run printed is kept: the repeatability test compares it with nbval's run.
    """
    page = open_notebook(request.param)
    page.run_all()
    TIMINGS.append(
        f"{request.param.name}: opened in {page.open_seconds:.1f} s, "
        f"Run All until idle {page.run_seconds:.1f} s"
    )
    printed = page.text_outputs()
    if printed is not None:
        notebook_runs.record("browser", request.param.name, dict(printed), complete=True)
    yield page
    page.close()


def _describe(cell: dict) -> str:
    return f"cell {cell['index']} ({cell['source']!r})"


def test_runs_clean_and_figures_render(executed):
    cells = executed.report()
    assert cells, f"{executed.rel} has no code cells"
    problems, first_bad = [], None
    result = executed.run_all_result or {}
    if not result.get("ok"):
        problems.append(f"Run All did not succeed: {result}")
    for cell in cells:
        where = _describe(cell)
        known = len(problems)
        if cell["count"] is None:
            problems.append(f"{where} did not run")
        # The model's errors and stderr, or else what the page shows (widget outputs).
        shown = cell["modelErrors"] + cell["modelStderr"] or cell["shownErrors"]
        for error in shown:
            problems.append(f"{where} shows an error or stderr output: {error.strip()}")
        if len(cell["images"]) < cell["modelImages"]:
            problems.append(
                f"{where} has {cell['modelImages']} figure(s) but the page shows "
                f"{len(cell['images'])} image(s)"
            )
        if cell["figuresAsText"]:
            problems.append(f"{where} shows a figure as text, not as an image")
        for width, height in cell["images"]:
            if not (width > 0 and height > 0):
                problems.append(f"{where} has an image that did not render ({width}x{height})")
        if cell["widgetViews"] < cell["modelWidgets"]:
            problems.append(
                f"{where} has {cell['modelWidgets']} widget(s) but the page shows "
                f"{cell['widgetViews']}"
            )
        for error in cell["widgetErrors"]:
            problems.append(f"{where}: {error}")
        if first_bad is None and len(problems) > known:
            first_bad = cell["index"]
    # Errors no cell shows, e.g. from a widget's callback (they go to the log console).
    outside = [
        e for e in _real_kernel_errors(executed.kernel_errors()) if e["parent"] != "execute_request"
    ]
    if outside:
        problems.append(
            "the kernel reported errors outside any cell:\n" + _kernel_error_text(outside)
        )
    if first_bad is not None:
        executed.show_cell(first_bad)  # so the failure's screenshot shows it
    assert not problems, f"{executed.rel} in JupyterLab:\n" + "\n".join(problems)
    if "interactive_figure(" in executed.path.read_text():
        assert any(cell["widgetViews"] for cell in cells), "the Try it widget is not shown"
        assert any(cell["images"] for cell in cells), "no figure is shown"


_JS_FIND_SLIDERS = """(path) => {
  const app = window.jupyterapp;
  let w = null;
  for (const x of app.shell.widgets('main')) { if (x.context && x.context.path === path) w = x; }
  const candidates = Array.from(w.content.node.querySelectorAll('.widget-vbox')).filter(
    (box) => box.querySelector('.widget-output') && box.querySelector('.noUi-handle'));
  // The innermost boxes: controls plus the Output with their figure.
  const boxes = candidates.filter((box) => !candidates.some((o) => o !== box && box.contains(o)));
  // Every slider of every such box: one entry per slider handle.
  const found = [];
  boxes.forEach((box, i) => {
    box.setAttribute('data-course-widget', String(i));
    box.querySelectorAll('.noUi-handle').forEach((handle) => {
      const key = String(found.length);
      handle.setAttribute('data-course-slider', key);
      const slider = handle.closest('.widget-slider, .widget-hslider, .jupyter-widgets');
      const label = slider ? slider.querySelector('.widget-label') : null;
      found.push({
        index: i,
        key: key,
        label: label ? label.textContent : '',
        now: handle.getAttribute('aria-valuenow'),
        max: handle.getAttribute('aria-valuemax'),
      });
    });
  });
  return found;
}"""

_JS_FIGURE = """(i) => {
  const box = document.querySelector(`[data-course-widget="${i}"]`);
  const img = box && box.querySelector('.widget-output img');
  if (!img) return null;
  return {src: img.getAttribute('src'), complete: img.complete,
          width: img.naturalWidth, height: img.naturalHeight};
}"""

_JS_FIGURE_CHANGED = """([i, before]) => {
  const box = document.querySelector(`[data-course-widget="${i}"]`);
  const img = box && box.querySelector('.widget-output img');
  return !!img && img.getAttribute('src') !== before && img.complete && img.naturalWidth > 0;
}"""


def test_every_try_it_slider_redraws_from_the_keyboard(executed):
    source = executed.path.read_text()
    if "interactive_figure(" not in source:
        pytest.skip(f"{executed.rel} has no Try it widget")
    if "Slider(" not in source:  # e.g. notebook 06: a Dropdown and ToggleButtons
        pytest.skip(f"{executed.rel}'s Try it widget has no slider; this test moves sliders")
    result = executed.run_all_result or {}
    if not result.get("ok"):
        pytest.skip("the notebook did not run clean (see test_runs_clean_and_figures_render)")
    page = executed.page
    sliders = page.evaluate(_JS_FIND_SLIDERS, executed.rel)
    assert sliders, f"{executed.rel} calls interactive_figure but shows no slider beside a figure"
    for slider in sliders:
        i = slider["index"]
        name = f"{executed.rel} widget {i} (slider {slider['label']!r})"
        before = page.evaluate(_JS_FIGURE, i)
        assert before and before["width"] > 0, f"{name}: no figure before moving the slider"
        log_offset = executed.server.log_size()
        errors_before = len(_real_kernel_errors(executed.kernel_errors()))
        handle = page.locator(f'[data-course-slider="{slider["key"]}"]')
        handle.scroll_into_view_if_needed()
        handle.focus()
        # End (Home at the top) moves any slider, int or float, by a visible amount
        key = "Home" if slider["now"] == slider["max"] else "End"
        page.keyboard.press(key)
        # Wait for the new figure; stop early if the kernel logs an error instead.
        limit = runner.cell_timeout()  # a redraw is a cell's work: the same limit
        changed, deadline = False, time.monotonic() + limit
        while not changed and time.monotonic() < deadline:
            changed = page.evaluate(_JS_FIGURE_CHANGED, [i, before["src"]])
            if len(_real_kernel_errors(executed.kernel_errors())) > errors_before:
                break
            page.wait_for_timeout(250)
        executed.wait_idle(limit)
        after_value = handle.get_attribute("aria-valuenow")
        assert after_value != slider["now"], f"{name}: {key} did not move the slider"
        new_errors = _real_kernel_errors(executed.kernel_errors())[errors_before:]
        assert not new_errors, (
            f"{name}: the kernel reported an error while redrawing:\n"
            + _kernel_error_text(new_errors)
        )
        log = executed.server.log_since(log_offset)
        assert not KERNEL_LOG_ERROR.search(log), (
            f"{name}: the kernel logged an error while redrawing:\n{log[-3000:]}"
        )
        assert changed, f"{name}: the figure did not change within {limit:g} s of {key}"
        errors = [e for cell in executed.report() for e in cell["shownErrors"]]
        assert not errors, f"{name}: errors on the page after moving the slider: {errors}"
        TIMINGS.append(f"{name}: {key} moved it {slider['now']} -> {after_value}, new figure")


def test_a_stalled_cell_fails_within_the_cell_limit_and_is_named(
    open_notebook, jupyterlab, monkeypatch, write_notebook
):
    """A cell that would sleep 120 s fails at the course's cell time limit (here set to
    3 s through COURSE_CELL_TIMEOUT, as a learner's machine never needs), named."""
    path = jupyterlab.root / "notebooks" / "99_stalls.ipynb"
    write_notebook(
        path, "x = 1", "import time\n\ntime.sleep(120)", title="# 99 · A notebook that stalls"
    )
    monkeypatch.setenv(runner.CELL_TIMEOUT_ENV, "3")
    page = open_notebook(path)
    start = time.monotonic()
    with pytest.raises(CellStalled) as info:
        page.run_all()
    seconds = time.monotonic() - start
    page.close()
    assert seconds < 20, f"the stalled cell failed only after {seconds:.0f} s"
    assert str(info.value) == (
        "notebooks/99_stalls.ipynb: code cell 2 (`import time`) ran past the cell time "
        "limit of 3 s in JupyterLab"
    )
