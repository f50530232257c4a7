"""The instructor's guide (notebooks/INSTRUCTORS.md) points into the notebooks: its
timetables, exercise table and misconception table name sections by their headings.
Those references must stay true when a notebook changes."""

import json
import re
from pathlib import Path

from course_utils import checks

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "notebooks" / "INSTRUCTORS.md"
_TOKEN = re.compile(r'(?<![\d.])(0\d)(?![\d])|"([^"]+)"')


def _headings() -> dict[str, set[str]]:
    """{'04': {'Shift', 'Gaussian blur', ...}} from every notebook's ## and ### headings."""
    out = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        found = set()
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for line in "".join(cell["source"]).splitlines():
                match = re.match(r"#{2,4} (.+)", line)
                if match:
                    found.add(match.group(1).strip().replace("$\\lambda$", "λ"))
        out[path.name[:2]] = found
    return out


def _table_rows():
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            yield [cell.strip() for cell in line.strip("|").split("|")]


def _references():
    """(notebook, heading, row) for each quoted heading that follows a notebook number."""
    for row in _table_rows():
        notebook = None  # a quote before any number (a misconception) is no heading
        for cell in row:
            for number, quoted in _TOKEN.findall(cell):
                if number:
                    notebook = number
                elif notebook is not None:
                    yield notebook, quoted, row


def test_every_heading_the_guide_names_exists():
    headings = _headings()
    refs = list(_references())
    assert len(refs) > 40  # the parser found the guide's references
    missing = [
        f"{nb} {heading!r} (row: {' | '.join(row)[:80]})"
        for nb, heading, row in refs
        if heading not in headings.get(nb, set())
    ]
    assert not missing, "INSTRUCTORS.md names sections that do not exist:\n" + "\n".join(missing)


def test_every_exercise_is_in_the_exercise_table():
    listed = {row[0].split()[0] for row in _table_rows() if re.match(r"\d\d\.\d ", row[0])}
    registered = set(checks.load_all())
    assert registered == listed, (
        f"only in the registry: {sorted(registered - listed)}; "
        f"only in INSTRUCTORS.md: {sorted(listed - registered)}"
    )
