"""Static checks of every notebook: stored clean, shaped like the course's design card,
no TF1 APIs, no downloads, and a Binder link that opens itself."""

import json
import re
from pathlib import Path

import pytest

from course_utils import links

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TOPIC_NOTEBOOKS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]
FORBIDDEN = [
    "tf.contrib",
    "tf.layers.",
    "tf.placeholder",
    "keep_prob =",
    "tf.Session",
    "load_data(",
    "urlopen",
    "requests.get",
    "urlretrieve",
    "get_file(",
]


def _nb(path):
    return json.loads(path.read_text())


def _source(cell):
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"
    assert NOTEBOOKS[0].name == "00_course_index.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    for i, cell in enumerate(_nb(path)["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} has stored outputs: run nbstripout"
            assert cell.get("execution_count") is None, (
                f"cell {i} has an execution count: run nbstripout"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_header_and_binder_link(path):
    nb = _nb(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    first = _source(nb["cells"][0])
    assert first.startswith("# "), "the first cell starts with the title (H1)"
    assert links.binder_url(path.name) in first, "the first cell links to this notebook on Binder"
    assert links.badges(path.name) in first, "Binder, Colab and Kaggle badges, from links.py"
    if path in TOPIC_NOTEBOOKS:
        assert "Learning objectives" in first, "objectives come before any code"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_installs_the_course_on_colab_and_kaggle_only(path):
    setup = next(_source(c) for c in _nb(path)["cells"] if c["cell_type"] == "code")
    assert f'COURSE = "{links.PIP_SOURCE}"' in setup, "install from the repository links.py names"
    assert '{"COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE"} & set(os.environ)' in setup
    assert "install_missing_requirements()" in setup and '"--no-deps"' in setup
    assert setup.index("install_missing_requirements()") < setup.index("setup_notebook(")


@pytest.mark.parametrize("path", TOPIC_NOTEBOOKS, ids=lambda p: p.name)
def test_follows_the_design_card(path):
    cells = _nb(path)["cells"]
    code = "\n".join(_source(c) for c in cells if c["cell_type"] == "code")
    headings = [
        line
        for c in cells
        if c["cell_type"] == "markdown"
        for line in _source(c).splitlines()
        if line.startswith("#")
    ]
    text = "\n".join(headings).lower()
    assert "setup_notebook(" in code, "the setup cell calls course_utils.setup_notebook"
    for part in ("numpy", "keras", "try it", "exercises", "summary"):
        assert part in text, f"no heading mentions {part!r}"
    assert "interactive_figure(" in code, "the Try it section uses course_utils.widgets"
    asserts = re.findall(r"^\s*assert\b.*$", code, flags=re.MULTILINE)
    assert len(asserts) >= 10, f"teaching claims are asserted: only {len(asserts)} asserts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_tf1_apis_and_no_downloads(path):
    for i, cell in enumerate(_nb(path)["cells"]):
        if cell["cell_type"] == "code":
            src = _source(cell)
            for bad in FORBIDDEN:
                assert bad not in src, f"cell {i} uses {bad!r}"


def test_notebooks_are_small():
    for path in NOTEBOOKS:
        assert path.stat().st_size < 200_000, f"{path.name} is {path.stat().st_size} bytes"


def test_index_and_readme_list_every_notebook():
    index = "".join(_source(c) for c in _nb(NOTEBOOKS[0])["cells"])
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS[1:]:
        assert f"]({path.name})" in index, f"the course index does not link {path.name}"
        assert f"notebooks/{path.name}" in readme, f"README's map does not list {path.name}"
    assert links.binder_url() in readme
