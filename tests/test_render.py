"""The rendered course: `python -m course_utils.render` executes copies of notebooks,
writes HTML with the figures inside, and an index that links every one of them."""

import re
import subprocess
import sys

import nbformat
import pytest

from course_utils import render

INDEX_NOTEBOOK = render.NOTEBOOKS_DIR / "00_course_index.ipynb"


@pytest.fixture(scope="module")
def built(tmp_path_factory, write_notebook):
    """One build of a tiny notebook, a failing one and (if present) the course index."""
    tmp = tmp_path_factory.mktemp("render")

    def _notebook(path, *cells):
        return write_notebook(path, *cells, title=None)

    tiny = _notebook(
        tmp / "01_tiny.ipynb",
        nbformat.v4.new_markdown_cell("# 01 · A tiny notebook\n\nSome text."),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots()\n"
            "ax.plot([0, 1], [1, 0])\n"
            "print('six times seven is', 6 * 7)"
        ),
        nbformat.v4.new_code_cell("# NBVAL_RAISES_EXCEPTION\nraise KeyError('expected')"),
        nbformat.v4.new_code_cell("# NBVAL_SKIP\nraise SystemExit('never run')"),
    )
    broken = _notebook(
        tmp / "02_broken.ipynb",
        nbformat.v4.new_markdown_cell("# 02 · A broken notebook"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('on purpose')"),
    )
    dies = _notebook(
        tmp / "03_dies.ipynb",
        nbformat.v4.new_markdown_cell("# 03 · A kernel that dies"),
        nbformat.v4.new_code_cell("import os\n\nos._exit(1)"),
    )
    paths = [tiny, broken, dies]
    if INDEX_NOTEBOOK.exists():
        paths.append(INDEX_NOTEBOOK)
    before = {p: p.read_bytes() for p in paths}
    out = tmp / "html"
    code = render.main([*map(str, paths), "--out", str(out)])
    return {"paths": paths, "before": before, "out": out, "code": code}


def _row(index: str, notebook: str) -> str:
    """The index's table row of one notebook."""
    rows = [r for r in index.split("<tr>") if f"<code>{notebook}</code>" in r]
    assert len(rows) == 1, f"{notebook} has {len(rows)} rows in the index"
    return rows[0]


@pytest.mark.kernel
def test_a_failing_notebook_makes_the_build_fail_and_is_named(built):
    assert built["code"] == 1
    index = (built["out"] / "index.html").read_text()
    assert index.count("FAILED") == 2  # the tiny one ran: its expected error is allowed
    assert "FAILED" not in _row(index, "01_tiny.ipynb")
    broken = _row(index, "02_broken.ipynb")
    assert "FAILED" in broken and "ValueError: on purpose" in broken
    assert "code cell 2 (`raise ValueError(&#x27;on purpose&#x27;)`)" in broken  # which cell
    dies = _row(index, "03_dies.ipynb")
    assert "FAILED" in dies and "03_dies.ipynb: the kernel died" in dies
    assert "while running code cell 1 (`import os`)" in dies


@pytest.mark.kernel
def test_index_links_every_rendered_notebook_with_title_and_minutes(built):
    index = (built["out"] / "index.html").read_text()
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', index)
    assert [href for href, _ in links] == [p.stem + ".html" for p in built["paths"]]
    for href, _ in links:
        assert (built["out"] / href).is_file()
    titles = [title for _, title in links]
    assert titles[:3] == [
        "01 · A tiny notebook",
        "02 · A broken notebook",
        "03 · A kernel that dies",
    ]
    assert index.count(" min (") == len(built["paths"])
    timings = (built["out"] / "timings.json").read_text()
    assert all(p.name in timings for p in built["paths"])


@pytest.mark.kernel
def test_html_holds_outputs_and_figures_and_notebooks_are_untouched(built):
    page = (built["out"] / "01_tiny.html").read_text()
    assert "six times seven is 42" in page
    assert "KeyError" in page and "never run" in page  # the marked error shows; skipped cell kept
    assert "data:image/png;base64," in page  # the figure is embedded, not linked
    assert "on purpose" in (built["out"] / "02_broken.html").read_text()  # written up to the error
    for path, content in built["before"].items():
        assert path.read_bytes() == content, f"{path.name} was modified"


def test_missing_notebook_is_a_clear_error(tmp_path, capsys):
    code = render.main([str(tmp_path / "nope.ipynb"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "notebook not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="not a notebook"):
        render.find_notebooks([__file__])
    with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
        render.render([str(INDEX_NOTEBOOK)], tmp_path, timeout=0)


def test_default_is_every_numbered_notebook():
    found = render.find_notebooks()
    assert found == sorted(render.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def test_widgets_become_their_last_figure_with_the_control_values():
    view = "application/vnd.jupyter.widget-view+json"
    png = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}, "metadata": {}}
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("interactive_figure(...)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={view: {"model_id": "box"}, "text/plain": "VBox"}
        )
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {
        render.WIDGET_STATE: {
            "state": {
                "box": {
                    "model_name": "VBoxModel",
                    "state": {
                        "children": [
                            "IPY_MODEL_slider",
                            "IPY_MODEL_menu",
                            "IPY_MODEL_message",
                            "IPY_MODEL_out",
                        ]
                    },
                },
                "slider": {
                    "model_name": "IntSliderModel",
                    "state": {"description": "k", "value": 3},
                },
                "menu": {
                    "model_name": "DropdownModel",
                    "state": {"description": "kind", "_options_labels": ["a", "b"], "index": 1},
                },
                "message": {"model_name": "HTMLModel", "state": {"value": ""}},  # no error
                "out": {"model_name": "OutputModel", "state": {"outputs": [png]}},
            }
        }
    }
    assert render.freeze_widgets(nb) == 1
    outputs = nb.cells[0].outputs
    assert "Controls: k = 3, kind = b. Interactive" in outputs[0].data["text/plain"]
    assert outputs[1].data["image/png"] == "iVBORw0KGgo="
    assert "widgets" not in nb.metadata


def test_command_line_help_runs():
    result = subprocess.run(
        [sys.executable, "-m", "course_utils.render", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--out" in result.stdout and "build/html" in result.stdout


def test_learner_minutes_counts_reading_code_exercises_and_widgets():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 07 · Title\n\n" + "word " * 278),  # 280 words: 4 min
        nbformat.v4.new_code_cell(
            "\n".join(f"x{i} = {i}" for i in range(20))
        ),  # 20 of the 24 code lines
        nbformat.v4.new_code_cell("answer = ...\n\nnb07.check_1(answer)"),  # 1 exercise
        nbformat.v4.new_code_cell("nb01.check_2(...)"),  # another notebook's: a demo
        nbformat.v4.new_code_cell("interactive_figure(f, a=slider)"),
    ]
    est = render.learner_minutes(nb, run_seconds=30)
    assert render.READING_WORDS_PER_MINUTE == 70  # calibrated on a timed reading
    assert est["reading"] == 4.0 and est["n_exercises"] == 1
    assert est["exercises"] == render.MINUTES_PER_EXERCISE
    assert est["widgets"] == render.MINUTES_PER_WIDGET and est["running"] == 0.5
    assert est["code"] == 2.4  # 24 non-empty code lines at 10 a minute
    assert est["total"] == 20.0  # 4 + 2.4 + 6 + 3 + 0.5 = 15.9, up to the next 5


def test_every_image_gets_alt_text_from_the_sentence_after_it_or_its_cell():
    from course_utils import html_export

    def image(**meta):
        return nbformat.v4.new_output(
            "display_data", data={"image/png": "iVBORw0KGgo="}, metadata=meta
        )

    nb = nbformat.v4.new_notebook()
    one = nbformat.v4.new_code_cell("plot()")
    one.outputs = [image()]
    two = nbformat.v4.new_code_cell("plot(); plot()")
    two.outputs = [image(), image(**{"image/png": {"alt": "given by the notebook"}})]
    nb.cells = [
        one,
        nbformat.v4.new_markdown_cell("The *dashed* curve [rises](x.md) after epoch 5. Then more."),
        two,
        nbformat.v4.new_markdown_cell("## A new section"),
    ]
    assert html_export.add_alt_text(nb) == 2
    assert one.outputs[0].metadata["image/png"]["alt"] == (
        "Figure: The dashed curve rises after epoch 5."
    )
    alts = [o.metadata["image/png"]["alt"] for o in two.outputs]
    assert alts == ["Figure 1 of 2 drawn by code cell 2", "given by the notebook"]
    page = html_export.to_html(nb, "mathjax/MathJax.js")
    assert 'alt="Figure: The dashed curve rises after epoch 5."' in page
    assert "No description has been provided" not in page and "require.min.js" not in page
