"""Copy the benchmark's numbers into the documents that quote them: one source for memory
and run-time figures.

``benchmarks/reference.json`` is a committed run of ``benchmarks/run.py`` (its JSON). The
README, ``notebooks/INSTRUCTORS.md`` and the course index (notebook 00) mark each number
they quote from it with an HTML comment, invisible when rendered::

    a kernel peaks at <!-- bench:peak-max -->0.97 GB<!-- /bench --> ...

After a new benchmark run, from the repository's root::

    python3 benchmarks/run.py && cp benchmarks/results/latest.json benchmarks/reference.json
    python3 -m benchmarks.quote            # rewrite the marked numbers
    python3 -m benchmarks.quote --check    # exit 1 if a document quotes other numbers

``tests/test_benchmarks.py`` runs the check, so a hand-edited number fails the tests.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "benchmarks" / "reference.json"
DOCUMENTS = (
    ROOT / "README.md",
    ROOT / "notebooks" / "INSTRUCTORS.md",
    ROOT / "notebooks" / "00_course_index.ipynb",
)
MARK = re.compile(r"<!-- bench:([a-z0-9-]+) -->(.*?)<!-- /bench -->", re.S)


def _gb(mb: float) -> str:
    return f"{mb / 1024:.2f} GB"


def facts(report: dict) -> dict[str, str]:
    """Every quotable number of a benchmark report, as the text the documents show.

    Raises:
        ValueError: the report lacks a part the documents quote (notebooks, setup).
    """
    from benchmarks.report import format_markdown, peak_mb

    rows = report.get("notebooks") or []
    setup = report.get("setup") or {}
    if not rows or "error" in setup or not setup:
        raise ValueError(
            "the reference report must hold the 'notebooks' and 'setup' parts"
            " (run benchmarks/run.py with all its parts)"
        )
    failed = [r["name"] for r in rows if r["all"]["status"] != "ok"]
    if failed:
        raise ValueError(f"the reference report has failed notebooks: {failed}")
    peaks = [peak_mb(r) for r in rows]
    index = next((r for r in rows if r["name"].startswith("00_")), rows[0])
    table = [
        "| notebook | run time, 2 cores | 1 core (as on Binder) | peak memory |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        one = f"{r['one']['seconds']:.0f} s" if r.get("one") else "-"
        table.append(f"| {r['name']} | {r['all']['seconds']:.0f} s | {one} | {peak_mb(r):.0f} MB |")
    t = report["totals"]
    one_total = f"{t['seconds_one_core']:.0f} s" if t.get("seconds_one_core") else "-"
    table.append(
        f"| **all** | **{t['seconds_all_cores']:.0f} s** | **{one_total}** |"
        f" max {t['peak_rss_mb']:.0f} MB |"
    )
    m = report["machine"]
    return {
        "how-fast": format_markdown(report),
        "instructors-table": "\n".join(table),
        "peak-range": f"{min(peaks) / 1024:.2f}-{max(peaks) / 1024:.2f} GB",
        "peak-max": _gb(max(peaks)),
        "course-seconds": f"{t['seconds_all_cores']:.0f} s",
        "index-seconds": f"{index['all']['seconds']:.0f} s",
        "venv-size": f"{setup['venv_mb'] / 1024:.1f} GB",
        "install-seconds": f"{setup['warm_seconds']:.0f} s",
        "machine": (
            f"{m['cores']} cores ({m['cpu']}), {m['memory_gb']:.0f} GB, Python {m['python']},"
            f" load average {m['load_average'][0]:.1f} at the start"
        ),
    }


def quote(text: str, values: dict[str, str]) -> str:
    """``text`` with every marked number replaced by its value in ``values``.

    A block mark (its text starts on a new line) keeps its text on lines of its own.

    Raises:
        KeyError: a mark names a number the benchmark does not have.
    """

    def replace(match: re.Match) -> str:
        name, old = match.group(1), match.group(2)
        if name not in values:
            raise KeyError(f"unknown benchmark number {name!r}; known: {sorted(values)}")
        new = f"\n{values[name]}\n" if old.startswith("\n") else values[name]
        return f"<!-- bench:{name} -->{new}<!-- /bench -->"

    return MARK.sub(replace, text)


def _read(path: Path) -> list[str]:
    """The texts of a document: the file, or a notebook's markdown cells."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    return [path.read_text(encoding="utf-8")]


def _write(path: Path, values: dict[str, str]) -> bool:
    """Rewrite the marks of one document; return whether it changed."""
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(path, as_version=4)
        changed = False
        for cell in nb.cells:
            if cell.cell_type == "markdown" and MARK.search(cell.source):
                new = quote(cell.source, values)
                changed |= new != cell.source
                cell.source = new
        if changed:
            nbformat.write(nb, path)
        return changed
    text = path.read_text(encoding="utf-8")
    new = quote(text, values)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def stale(documents=DOCUMENTS, reference: Path = REFERENCE) -> list[str]:
    """The marks whose text differs from the reference report, as ``file: name`` lines."""
    values = facts(json.loads(reference.read_text(encoding="utf-8")))
    found = []
    for path in documents:
        for text in _read(path):
            for match in MARK.finditer(text):
                name, old = match.group(1), match.group(2)
                if name not in values or old.strip() != values[name].strip():
                    found.append(f"{path.relative_to(ROOT)}: {name}")
    return found


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.quote [--check]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quote", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale numbers")
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args(argv)
    if args.check:
        found = stale(reference=args.reference)
        for line in found:
            print(f"stale: {line}")
        return 1 if found else 0
    values = facts(json.loads(args.reference.read_text(encoding="utf-8")))
    for path in DOCUMENTS:
        if _write(path, values):
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
