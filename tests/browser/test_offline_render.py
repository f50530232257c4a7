"""The rendered course (``make html``) typesets its formulas with no network.

A notebook made of a formula, a figure and every markdown cell of the course is rendered
by ``course_utils.render`` (the code behind ``make html``), then opened from disk in
headless Chromium with the network switched off. Every formula must be typeset by the
local MathJax (no TeX error, no raw ``$...$`` or ``\\command`` left in the text), the page
must not even try to reach the network, and the figure must carry its alt text. A
screenshot of the typeset formula is kept under ``build/offline-render/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from lab_harness import NOTEBOOK_DIR, PAGE_TIMEOUT, ROOT, TIMINGS
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from course_utils import links, render

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "build" / "offline-render" / "offline-formula.png"
FORMULA = r"J(\theta) = L(\theta) + \lambda R(\theta)"
# the launch badges' images, from the one place that builds them
LAUNCH_BADGES = set(re.findall(r"!\[[^]]*\]\((https://[^)]+)\)", links.badges()))
SENTENCE = "The falling line is the only curve in this figure."
MATHJAX_DONE = """() => window.MathJax && MathJax.Hub && MathJax.Hub.queue
    && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0
    && document.querySelectorAll('script[type^="math/tex"]').length > 0"""


def _course_markdown() -> list[str]:
    cells = []
    for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells += [c.source for c in nb.cells if c.cell_type == "markdown"]
    return cells


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """``(html page, number of course markdown cells with a $)`` of one offline render."""
    tmp = tmp_path_factory.mktemp("offline-render")
    course = _course_markdown()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"# 99 · Formulas offline\n\nThe regularized cost is ${FORMULA}$, and\n\n"
            r"$$R(\theta) = \frac{1}{2} \sum_j \theta_j^2$$"
        ),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1], [1, 0]);"
        ),
        nbformat.v4.new_markdown_cell(f"{SENTENCE} Nothing else is drawn."),
        *map(nbformat.v4.new_markdown_cell, course),
    ]
    path = tmp / "99_formulas.ipynb"
    nbformat.write(nb, path)
    (result,) = render.render([path], tmp / "html")
    assert result.error is None, result.error
    with_math = sum("$" in source for source in course)
    return result.html, with_math


@pytest.fixture
def offline_page(browser):
    """A page in a browser context with the network off; every request it makes is logged."""
    context = browser.new_context(offline=True, viewport={"width": 1000, "height": 700})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT * 1000)
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.resource_type, request.url)))
    yield page, requests
    context.close()


def test_rendered_course_typesets_every_formula_offline(rendered, offline_page):
    html, course_cells_with_math = rendered
    page, requests = offline_page
    page.goto(html.as_uri())
    try:
        page.wait_for_function(MATHJAX_DONE, timeout=60_000)
    except PlaywrightTimeout:
        scripts = [u for kind, u in requests if kind == "script"]
        pytest.fail(f"MathJax did not typeset the page offline within 60 s; scripts: {scripts}")

    jax = page.evaluate("MathJax.Hub.getAllJax().map(j => [j.originalText, !!j.texError])")
    errors = [tex for tex, failed in jax if failed]
    assert not errors, f"MathJax could not typeset: {errors[:5]}"
    assert jax[0][0] == FORMULA
    # at least one typeset formula per course cell that has math, plus this test's two
    assert len(jax) >= course_cells_with_math + 2, (len(jax), course_cells_with_math)
    typeset = page.locator(".MathJax, .MathJax_Display").count()
    assert typeset >= len(jax), f"{len(jax)} formulas, {typeset} typeset"

    texts = page.evaluate(
        "[...document.querySelectorAll('.jp-MarkdownOutput')].map(e => e.innerText)"
    )
    raw = [t for t in texts if "$" in t or re.search(r"\\[a-zA-Z]+", t)]
    assert not raw, f"raw LaTeX left in the page: {raw[0][:300]!r}"

    online = [(kind, u) for kind, u in requests if not u.startswith(("file:", "data:", "about:"))]
    # The only online things a page may name are the launch badges (Binder, Colab, Kaggle),
    # images in the course's own markdown with alt text: offline each shows that text, a link.
    badges = [u for kind, u in online if kind == "image" and u in LAUNCH_BADGES]
    assert len(badges) == len(online), f"the page tried to reach the network: {online}"
    mathjax = [u for _, u in requests if "/mathjax/" in u]
    assert mathjax and all(u.startswith(html.parent.as_uri()) for u in mathjax)

    alts = page.evaluate(
        "[...document.querySelectorAll('.jp-OutputArea-output img')].map(i => i.alt)"
    )
    assert alts == [f"Figure: {SENTENCE}"]

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.locator(".jp-MarkdownOutput").first.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 1000
    TIMINGS.append(f"offline render: {len(jax)} formulas typeset; screenshot {SCREENSHOT}")


def test_the_page_names_no_cdn(rendered):
    html, _ = rendered
    page = Path(html).read_text(encoding="utf-8")
    scripts = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", page)
    assert scripts == ["mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"], scripts
    assert "No description has been provided for this image" not in page
