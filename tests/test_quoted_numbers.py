"""One source for memory and run-time figures: the README, INSTRUCTORS.md and the course
index quote the committed benchmark run (``benchmarks/reference.json``) through marks
that ``python -m benchmarks.quote`` fills, and nothing else."""

import json
import re

import pytest

from benchmarks import quote

# A measured figure written by hand: "peaks at about 0.6 GB", "uses up to 886 MB", or a
# table cell "| 886 MB |" / "| 13 s |".
PROSE = re.compile(
    r"\b(?:peaks?|peaking|uses?|takes|needs)\b(?: [\w-]+){0,3} "
    r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)? ?(?:GB|MB)\b"
)
CELL = re.compile(r"\|\s*\**(?:max )?\d+(?:\.\d+)? ?(?:MB|GB|s)\**\s*\|")


def _reference() -> dict:
    return json.loads(quote.REFERENCE.read_text(encoding="utf-8"))


def test_documents_quote_the_committed_benchmark_run():
    stale = quote.stale()
    assert not stale, (
        "these documents quote numbers that differ from benchmarks/reference.json; "
        f"run `python3 -m benchmarks.quote`: {stale}"
    )
    names = set()
    for path in quote.DOCUMENTS:
        for text in quote._read(path):
            names |= {m.group(1) for m in quote.MARK.finditer(text)}
    # every document quotes the memory peak, and the README quotes the whole table
    assert {"how-fast", "instructors-table", "peak-max", "peak-range", "venv-size"} <= names


def test_every_notebook_is_in_the_reference_run():
    measured = {r["name"] for r in _reference()["notebooks"]}
    notebooks = {p.name for p in (quote.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert measured == notebooks, "re-run benchmarks/run.py and copy its JSON to reference.json"


def test_no_measured_figure_is_written_by_hand():
    by_hand = []
    for path in quote.DOCUMENTS:
        for text in quote._read(path):
            outside = quote.MARK.sub("", text)
            flat = " ".join(outside.split())  # a figure may wrap onto the next line
            by_hand += [f"{path.name}: {m.group(0)}" for m in PROSE.finditer(flat)]
            by_hand += [
                f"{path.name}: {ln.strip()[:120]}" for ln in outside.splitlines() if CELL.search(ln)
            ]
    assert not by_hand, "quote these from the benchmark (<!-- bench:NAME -->):\n" + "\n".join(
        by_hand
    )


def test_quote_fills_marks_and_refuses_an_unknown_one():
    values = {"peak-max": "0.95 GB", "how-fast": "| a | b |"}
    text = (
        "peaks at <!-- bench:peak-max -->old<!-- /bench -->.\n"
        "<!-- bench:how-fast -->\nx\n<!-- /bench -->"
    )
    assert quote.quote(text, values) == (
        "peaks at <!-- bench:peak-max -->0.95 GB<!-- /bench -->.\n"
        "<!-- bench:how-fast -->\n| a | b |\n<!-- /bench -->"
    )
    with pytest.raises(KeyError, match="unknown benchmark number 'nope'"):
        quote.quote("<!-- bench:nope -->1<!-- /bench -->", values)


def test_facts_come_from_the_report():
    report = _reference()
    values = quote.facts(report)
    peak = max(r[k]["peak_rss_mb"] for r in report["notebooks"] for k in ("all", "one") if r.get(k))
    assert values["peak-max"] == f"{peak / 1024:.2f} GB"
    assert values["venv-size"] == f"{report['setup']['venv_mb'] / 1024:.1f} GB"
    for r in report["notebooks"]:
        assert f"| {r['name']} | {r['all']['seconds']:.0f} s |" in values["instructors-table"]
    with pytest.raises(ValueError, match="must hold the 'notebooks' and 'setup' parts"):
        quote.facts({**report, "setup": {"error": "boom"}})
