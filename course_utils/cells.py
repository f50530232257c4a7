"""Notebook cells as the course's tools read them: nbval markers, labels, printed text.

:mod:`course_utils.runner` executes notebooks; this module reads their cells. The one
rule for nbval's comment markers (:func:`markers`: a comment line of its own, anywhere
in the cell, as nbval reads them) and their nbclient tags (:func:`honour_markers`); how
a failure names its cell (:func:`cell_label`); and the text a cell printed
(:func:`cell_text`), with what may change between two correct runs masked
(:func:`mask_volatile`), per code cell (:func:`text_outputs`), and the first difference
between two runs, cell by cell (:func:`compare_outputs`). The repeatability
test, the benchmarks' ``repeat`` part, nbval's ``conftest.py`` and the browser tests
all compare runs with these functions.
"""

from __future__ import annotations

import difflib
import re

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MARKERS = ("NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION", "NBVAL_IGNORE_OUTPUT")


# --------------------------------------------------------------------- markers, labels


def markers(source: str) -> set[str]:
    """The nbval markers written as comment lines in a cell (``# NBVAL_SKIP``)."""
    found = set()
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("#"):
            word = line.lstrip("#").strip()
            if word in MARKERS:
                found.add(word)
    return found


def honour_markers(nb, *, skip: bool = True) -> None:
    """Give nbval's comment markers their nbclient tags, in place.

    A cell marked ``# NBVAL_RAISES_EXCEPTION`` may raise; one marked ``# NBVAL_SKIP`` is
    not run when ``skip`` (as under nbval; a learner's run, ``skip=False``, runs it).
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        found = markers(cell.source)
        tags = list(cell.get("metadata", {}).get("tags", []))
        if "NBVAL_RAISES_EXCEPTION" in found and "raises-exception" not in tags:
            tags.append("raises-exception")
        if skip and "NBVAL_SKIP" in found and "skip-execution" not in tags:
            tags.append("skip-execution")
        if tags:
            cell.metadata["tags"] = tags


def cell_label(nb, index: int) -> str:
    """``code cell 3 (`first line`)`` for the cell at ``index`` of ``nb.cells``."""
    if not 0 <= index < len(nb.cells):
        return "before the first cell"
    cell = nb.cells[index]
    if cell.cell_type != "code":
        return f"cell {index + 1} (markdown)"
    number = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    lines = [ln for ln in cell.source.strip().splitlines() if ln.strip()]
    first = lines[0].strip()[:70] if lines else ""
    return f"code cell {number} (`{first}`)"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failing_line(traceback: str) -> str:
    """The source line IPython's traceback points at (``---->``), or ''."""
    found = re.findall(r"^\s*-+>\s*\d*\s(.*)$", _ANSI.sub("", traceback), flags=re.MULTILINE)
    return found[-1].strip() if found else ""


_TIMING = re.compile(
    r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?"
    r"(?:ns|µs|us|ms|s|sec|secs|seconds?)(?:/step)?\b"
)
_SPEEDUP = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?[x×](?=\s+(?:faster|slower|quicker))")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_MEMORY = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:[kKMGT]i?B)\b")  # measured sizes


def mask_volatile(text: str) -> str:
    """Mask what may change between two correct runs: durations, speed-ups, memory
    sizes (a process's peak memory moves by a MB or so) and addresses."""
    text = _TIMING.sub("<time>", text)
    text = _SPEEDUP.sub("<ratio>", text)
    text = _MEMORY.sub("<memory>", text)
    return _ADDRESS.sub("0x<address>", text)


_FIGURE_TEXT = re.compile(r"<Figure size [\d.]+x[\d.]+ with \d+ Axes>")


def _quiet(source: str) -> bool:
    """Whether IPython hides the cell's result: its last code token is a ``;``."""
    import io
    import tokenize

    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER}
    skip |= {tokenize.INDENT, tokenize.DEDENT}
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        last = [t.string for t in tokens if t.type not in skip][-1:]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return last == [";"]


def cell_text(cell) -> str:
    """What a code cell printed: stdout, the ``text/plain`` of its results and displays,
    and error names and messages, in order, with :func:`mask_volatile` applied.

    Images, figures and widget views are left out, their plain-text stand-ins too (a
    figure is ``<Figure size ...>`` text alone under the Agg backend), and so is the
    result of a cell ending in ``;``, which a learner's JupyterLab does not show (nbval
    does).
    """
    parts = []
    quiet = _quiet(cell.get("source", ""))
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            parts.append(out.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            if WIDGET_VIEW in data or any(k.startswith("image/") for k in data):
                continue
            if kind == "execute_result" and quiet:
                continue
            text = data.get("text/plain")
            if text is not None and not _FIGURE_TEXT.fullmatch(text.strip()):
                parts.append(text + "\n")
        elif kind == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
    return mask_volatile("".join(parts))


def text_outputs(nb) -> list[tuple[int, str]]:
    """``(cell index, text)`` for each code cell: what repeated runs must agree on.

    The text is :func:`cell_text`; cells marked ``# NBVAL_IGNORE_OUTPUT`` or
    ``# NBVAL_SKIP`` are left out (nbval does not run the latter).
    """
    return [
        (i, cell_text(cell))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and not markers(cell.source) & {"NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP"}
    ]


def compare_outputs(
    first: list[tuple[int, str]], second: list[tuple[int, str]], limit: int = 10
) -> list[str]:
    """Differences between two runs' :func:`text_outputs`, one line each (empty: same)."""
    diffs = []
    a, b = dict(first), dict(second)
    for index in sorted(set(a) | set(b)):
        ta, tb = a.get(index, ""), b.get(index, "")
        if ta == tb:
            continue
        la, lb = ta.splitlines(), tb.splitlines()
        sm = difflib.SequenceMatcher(None, la, lb, autojunk=False)
        _, i1, _, j1, _ = next(op for op in sm.get_opcodes() if op[0] != "equal")
        old = la[i1] if i1 < len(la) else "<nothing>"
        new = lb[j1] if j1 < len(lb) else "<nothing>"
        diffs.append(f"cell {index}: {old.strip()[:100]!r} vs {new.strip()[:100]!r}")
    if len(diffs) > limit:
        diffs = [*diffs[:limit], f"... and {len(diffs) - limit} more cells"]
    return diffs
