"""Build the rendered course: executed copies of the notebooks as HTML, and an index.

Usage (from the repository's root)::

    python -m course_utils.render                      # every notebook -> build/html/
    python -m course_utils.render --out /tmp/course notebooks/06_putting_it_together.ipynb

Each notebook is read, executed in memory by a fresh kernel of the *current* Python
environment (nbclient; one kernel per notebook, started in ``notebooks/`` so relative
paths behave as in Jupyter), and written as ``<out>/<name>.html`` by nbconvert's
HTMLExporter, figures embedded as data URIs. The notebooks in ``notebooks/`` are never
written to. ``<out>/index.html`` links every rendered notebook with its title and the
minutes its run took; ``<out>/timings.json`` holds the same numbers for scripts.

Widgets need a live kernel, so each "Try it" widget is replaced in the HTML by the
figure it showed after the run, with the values of its controls: a page that prints.
The pages need no network: MathJax (for the formulas) is copied into ``<out>/mathjax/``
and loaded from there, and every figure carries alt text (see
:mod:`course_utils.html_export`).

Exit status: 0 when every notebook ran; 1 when one failed (its HTML is still written,
up to and with the error, and the message names it); 2 for a bad argument such as a
notebook path that does not exist.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import html
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

from course_utils import runner
from course_utils.cells import WIDGET_VIEW

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "build" / "html"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@dataclasses.dataclass
class Rendered:
    """One rendered notebook.

    Attributes:
        source: The notebook that was read.
        html: The HTML file written.
        title: The notebook's title (its first H1).
        seconds: Wall-clock time of the run, kernel start included.
        error: None when every cell ran; otherwise which cell failed and why.
    """

    source: Path
    html: Path
    title: str
    seconds: float
    error: str | None = None
    learner: dict | None = None

    @property
    def minutes(self) -> float:
        return self.seconds / 60.0


def find_notebooks(paths: Sequence[str | os.PathLike] | None = None) -> list[Path]:
    """The notebooks to render: the given paths, or every ``notebooks/NN_*.ipynb``.

    Raises:
        FileNotFoundError: a given path does not exist or is not a file.
        ValueError: a given path is not an ``.ipynb`` file, or there is nothing to render.
    """
    if not paths:
        found = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
        if not found:
            raise ValueError(f"no notebooks named NN_*.ipynb in {NOTEBOOKS_DIR}")
        return found
    result = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(
                f"notebook not found: {p} (give paths like notebooks/NN_name.ipynb)"
            )
        if path.suffix != ".ipynb":
            raise ValueError(f"not a notebook (.ipynb): {p}")
        result.append(path.resolve())
    return result


def notebook_title(nb) -> str:
    """The text of the first level-1 heading of a notebook's markdown, or ''."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return ""


#: Assumptions of :func:`learner_minutes` (see notebooks/INSTRUCTORS.md).
#: Calibrated on a timed learner reading (issue 22: notebooks 01-06 read, run, every
#: figure looked at and every exercise done, a wrong attempt first): 70 / 130 / 120 /
#: 120 / 110 / 120 minutes, where 120 words a minute had estimated 65 / 110 / 100 / 110 /
#: 100 / 95. The words are what the old rate undercounted: they stand for reading *and*
#: looking at the outputs and figures that the prose describes. At 70 words a minute
#: (code, exercises and widgets unchanged) the model gives 72 / 126 / 116 / 126 / 115 /
#: 115 for the notebooks as they were read: each within 5% of the reading.
READING_WORDS_PER_MINUTE = 70  # prose with formulas, read closely, with its outputs
CODE_LINES_PER_MINUTE = 10  # code read and run, not typed
MINUTES_PER_EXERCISE = 6
MINUTES_PER_WIDGET = 3


def learner_minutes(nb, run_seconds: float) -> dict[str, float]:
    """Estimate a learner's time on a notebook, from its content and its measured run.

    ``reading`` = markdown words / 70 per minute (:data:`READING_WORDS_PER_MINUTE`,
    calibrated on a timed reading); ``code`` = non-empty code lines / 10 per minute;
    ``exercises`` = 6 minutes per cell that calls the notebook's own checker
    (``nbNN.check_k``, NN from the title "# NN · ...");
    ``widgets`` = 3 minutes per ``interactive_figure``; ``running`` = the measured run.
    ``total`` is their sum rounded up to the next 5 minutes.
    """
    import math
    import re

    words = code_lines = exercises = widgets = 0
    # the notebook's own checkers, nbNN.check_k with NN its number (the index only demos them)
    number = re.match(r"#\s*(\d\d)", next((c.source for c in nb.cells), "") or "")
    checker = re.compile(rf"\bnb{number.group(1) if number else '__'}\.check_\d")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            words += len(cell.source.split())
        elif cell.cell_type == "code":
            code_lines += sum(1 for line in cell.source.splitlines() if line.strip())
            exercises += bool(checker.search(cell.source))
            widgets += cell.source.count("interactive_figure(")
    parts = {
        "reading": words / READING_WORDS_PER_MINUTE,
        "code": code_lines / CODE_LINES_PER_MINUTE,
        "exercises": exercises * MINUTES_PER_EXERCISE,
        "widgets": widgets * MINUTES_PER_WIDGET,
        "running": run_seconds / 60.0,
    }
    parts = {k: round(v, 1) for k, v in parts.items()}
    parts["total"] = float(5 * math.ceil(sum(parts.values()) / 5))
    parts["n_exercises"] = exercises
    return parts


# ------------------------------------------------------------------------- execution
def execute(nb, cwd: Path, timeout: float | None = None, name: str | None = None):
    """Run every cell of ``nb`` (changed in place) in a fresh kernel started in ``cwd``.

    The course's one runner (:mod:`course_utils.runner`) does it: cells marked
    ``# NBVAL_SKIP`` are skipped, a cell may run :func:`runner.cell_timeout` seconds
    unless ``timeout`` says otherwise, and the widgets' state is kept for the page.

    Returns:
        ``(seconds, error)``: the wall-clock time and None, or a one-line description
        naming the notebook and the first cell that failed (the notebook then holds the
        outputs up to it).
    """
    result = runner.run(nb, cwd=cwd, name=name, timeout=timeout, widget_state=True)
    return result.seconds, (result.error or None)


# --------------------------------------------------------------------------- widgets
def freeze_widgets(nb) -> int:
    """Replace each widget's output by what it showed (figures) and its controls' values.

    Uses the widget state nbclient stored in the notebook's metadata. Returns how many
    widget outputs were replaced; the widget state is then removed from the metadata.
    """
    import nbformat

    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(out)
                continue
            shown, controls = [], []
            _walk_widget(view.get("model_id", ""), state, shown, controls, set())
            note = "Interactive in Jupyter: run the notebook to move the controls."
            if controls:
                values = ", ".join(
                    f"{html.escape(str(k))} = {html.escape(str(v))}" for k, v in controls
                )
                note = f"Controls: {values}. {note}"
            outputs.append(
                nbformat.v4.new_output(
                    "display_data",
                    data={"text/html": f"<p><em>{note}</em></p>", "text/plain": note},
                )
            )
            outputs.extend(nbformat.from_dict(o) for o in shown)
            replaced += 1
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return replaced


#: Widgets that show text and take no input: never listed as controls.
_DISPLAY_ONLY = ("HTMLModel", "HTMLMathModel", "LabelModel")


def _walk_widget(model_id, state, shown, controls, seen) -> None:
    if model_id in seen or model_id not in state:
        return
    seen.add(model_id)
    model = state[model_id]
    st = model.get("state", {})
    if model.get("model_name") == "OutputModel":
        shown.extend(st.get("outputs", []))
    elif model.get("model_name") in _DISPLAY_ONLY:  # text, such as a widget's error message
        if st.get("value"):  # InteractiveFigure empties its message when it hides it
            data = {"text/html": str(st["value"]), "text/plain": html.escape(str(st["value"]))}
            shown.append({"output_type": "display_data", "data": data, "metadata": {}})
    elif "children" not in st and ("value" in st or "_options_labels" in st):
        label = st.get("description") or model.get("model_name", "control")
        if "_options_labels" in st:  # a selection (Dropdown, ToggleButtons...) syncs its index
            index = st.get("index")
            labels = st["_options_labels"]
            value = labels[index] if isinstance(index, int) and 0 <= index < len(labels) else None
        else:
            value = st["value"]
        controls.append((label, value))
    for child in st.get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            _walk_widget(child[len("IPY_MODEL_") :], state, shown, controls, seen)


# ------------------------------------------------------------------------------ html
def to_html(nb, mathjax_url: str) -> str:
    """The notebook as one HTML page (nbconvert's lab template, images embedded, with alt
    text), loading MathJax from ``mathjax_url``: see :mod:`course_utils.html_export`."""
    from course_utils import html_export

    return html_export.to_html(nb, mathjax_url)


def write_index(results: Sequence[Rendered], out: Path) -> Path:
    """Write ``index.html`` and ``timings.json`` in ``out``; return the index's path."""
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    rows = []
    for r in results:
        status = "ran" if r.error is None else f"FAILED: {html.escape(r.error)}"
        title = html.escape(r.title or r.source.stem)
        learner = f"about {r.learner['total']:.0f} min" if r.learner else ""
        rows.append(
            "<tr>"
            f'<td><a href="{html.escape(r.html.name)}">{title}</a></td>'
            f"<td><code>{html.escape(r.source.name)}</code></td>"
            f'<td class="num">{r.minutes:.1f} min ({r.seconds:.0f} s)</td>'
            f'<td class="num">{learner}</td>'
            f"<td>{status}</td>"
            "</tr>"
        )
    total = sum(r.seconds for r in results)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Regularizing neural networks: the rendered course</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #ddd; }}
td.num {{ white-space: nowrap; }}
</style>
</head>
<body>
<h1>Regularizing neural networks: the rendered course</h1>
<p>Executed copies of the notebooks, with every output and figure, for reading before
running and for printing. The widgets show the figure they drew after the run; open
the notebooks in Jupyter to use them. Run time is the machine's time to execute the
notebook top to bottom (kernel start included). Learner time is an estimate from the
notebook's length, its exercises and widgets, and that run (see notebooks/INSTRUCTORS.md).</p>
<table>
<thead><tr>
<th>Notebook</th><th>File</th><th>Run time</th><th>Learner time</th><th>Status</th>
</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p>Total run time {total / 60:.1f} min. Built {now} with Python {platform.python_version()}.</p>
</body>
</html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    timings = [
        {
            "notebook": r.source.name,
            "title": r.title,
            "html": r.html.name,
            "seconds": round(r.seconds, 2),
            "learner_minutes": r.learner,
            "error": r.error,
        }
        for r in results
    ]
    (out / "timings.json").write_text(json.dumps(timings, indent=1) + "\n", encoding="utf-8")
    return index


def render(
    paths: Sequence[str | os.PathLike] | None = None,
    out: str | os.PathLike = DEFAULT_OUT,
    *,
    timeout: float | None = None,
    log=None,
) -> list[Rendered]:
    """Execute and convert the notebooks; write the HTML pages and the index into ``out``.

    Args:
        paths: Notebook files; every ``notebooks/NN_*.ipynb`` when empty or None.
        out: Output folder (created if needed).
        timeout: Seconds one cell may run before it counts as failed, > 0; None: the
            course's one cell time limit (:func:`course_utils.runner.cell_timeout`).
        log: Where progress lines go (a callable taking a string), or None for none.

    Returns:
        One :class:`Rendered` per notebook, in order.
    """
    import nbformat

    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        raise ValueError(f"timeout must be a number of seconds > 0, or None, got {timeout!r}")
    notebooks = find_notebooks(paths)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    from course_utils import html_export

    mathjax_url = html_export.copy_mathjax(out)  # the pages typeset formulas offline
    results = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)  # an in-memory copy; the file is not touched
        title = notebook_title(nb)
        if log:
            log(f"running {path.name} ...")
        seconds, error = execute(nb, path.parent, timeout, name=path.name)
        freeze_widgets(nb)
        target = out / (path.stem + ".html")
        target.write_text(to_html(nb, mathjax_url), encoding="utf-8")
        learner = learner_minutes(nbformat.read(path, as_version=4), seconds)
        results.append(Rendered(path, target, title, seconds, error, learner))
        if log:
            outcome = "ok" if error is None else f"FAILED: {error}"
            log(f"  {seconds:5.1f} s  {target}  {outcome}")
    write_index(results, out)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m course_utils.render [--out DIR] [--timeout S] [notebooks...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.render",
        description="Execute copies of the course notebooks and write them as HTML, "
        "with an index page (the notebooks themselves are not changed).",
    )
    parser.add_argument(
        "notebooks", nargs="*", help="notebook files (default: every notebooks/NN_*.ipynb)"
    )
    parser.add_argument(
        "--out", default=str(DEFAULT_OUT), help="output folder (default: build/html)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"seconds a cell may run (default: the course's cell time limit, "
        f"{runner.CELL_TIMEOUT:g} s, or ${runner.CELL_TIMEOUT_ENV})",
    )
    args = parser.parse_args(argv)
    try:
        notebooks = find_notebooks(args.notebooks)
    except (FileNotFoundError, ValueError) as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 2
    results = render(notebooks, args.out, timeout=args.timeout, log=print)
    failed = [r for r in results if r.error is not None]
    print(f"index: {Path(args.out) / 'index.html'}")
    if failed:
        for r in failed:
            print(f"render: {r.source.name} failed: {r.error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
