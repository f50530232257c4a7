"""The HTML side of the rendered course: pages that work offline and describe their figures.

nbconvert's ``lab`` template loads MathJax and require.js from a CDN, so offline (a
workshop room with bad Wi-Fi, a handout read on a train) every formula shows as raw
LaTeX. Here the page loads MathJax from a copy beside it, taken from the
``jupyter-server-mathjax`` package (MathJax 2.7, the version nbconvert's template is
written for), and leaves require.js out: the rendered course has no output that uses it
(widgets are frozen into their figures before export). Each image gets alt text: its
own ``alt`` metadata when the notebook gave one, else the sentence after the figure
that says what to see in it, else which cell drew it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

#: Where :func:`copy_mathjax` puts MathJax, relative to the HTML pages.
MATHJAX_FOLDER = "mathjax"
#: MathJax 2.7's combined configuration that the package ships (TeX in, HTML out).
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
#: Parts of MathJax a page never loads (translations of its menus; English is built in).
_MATHJAX_UNUSED = ("localization",)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
ALT_MAX_CHARS = 300

# The lab template, with require.js left out and each image's alt text taken from its
# output metadata (nbconvert's own template puts a placeholder there and warns).
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
{{ super() }}
<script type="text/x-mathjax-config">
// jupyter-server-mathjax ships the STIX-Web fonts only (not MathJax's TeX fonts)
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null,
                                 webFont: "STIX-Web", imageFont: null}});
</script>
{%- endblock html_head_js_mathjax -%}
{% macro with_alt(html, alt) -%}
{%- if alt -%}{{ html | replace('<img ', '<img alt="' ~ (alt | escape_html) ~ '" ', 1) }}
{%- else -%}{{ html }}{%- endif -%}
{%- endmacro %}
{% block data_png scoped %}{{ with_alt(super(), output | get_metadata('alt', 'image/png')) }}
{%- endblock data_png %}
{% block data_jpg scoped %}{{ with_alt(super(), output | get_metadata('alt', 'image/jpeg')) }}
{%- endblock data_jpg %}
"""
_TEMPLATE_NAME = "course_lab.html.j2"


def mathjax_source() -> Path:
    """The folder of MathJax 2.7 that ``jupyter-server-mathjax`` installs.

    Raises:
        ModuleNotFoundError: the package is not installed (it comes with the test extra).
    """
    try:
        import jupyter_server_mathjax
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "the rendered course needs a local MathJax: install the course's test extra "
            "(pip install -e '.[test]', which brings jupyter-server-mathjax)"
        ) from exc
    folder = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (folder / "MathJax.js").is_file():
        raise FileNotFoundError(f"no MathJax.js in {folder}: reinstall jupyter-server-mathjax")
    return folder


def copy_mathjax(out: str | Path) -> str:
    """Copy MathJax into ``out/mathjax`` (once) and return the URL the pages load it from.

    The URL is relative, so the folder ``out`` can be moved, zipped or opened from disk
    (``file://``) and its formulas still typeset, with no network.
    """
    from importlib.metadata import version

    source = mathjax_source()
    target = Path(out) / MATHJAX_FOLDER
    marker = target / ".copied-from"  # written last: a copy cut short is made again
    origin = f"jupyter-server-mathjax {version('jupyter-server-mathjax')} {source}"
    if not marker.is_file() or marker.read_text(encoding="utf-8") != origin:
        shutil.copytree(
            source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*_MATHJAX_UNUSED)
        )
        marker.write_text(origin, encoding="utf-8")
    return f"{MATHJAX_FOLDER}/MathJax.js?config={MATHJAX_CONFIG}"


def _first_sentence(markdown: str) -> str:
    """The first sentence of a paragraph of markdown, as plain text for a screen reader."""
    text = " ".join(markdown.split())
    text = re.sub(r"^what to see[^:]*:\s*", "", text, flags=re.I)  # the sentence's own lead-in
    text = text[:1].upper() + text[1:]
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"[*_`]+", "", text)  # emphasis and code marks
    match = re.search(r"^(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) > ALT_MAX_CHARS:
        sentence = sentence[: ALT_MAX_CHARS - 1].rstrip() + "…"
    return sentence


def figure_sentence(nb, index: int) -> str:
    """The sentence that follows code cell ``index``: the first of the next markdown cell,
    unless that cell starts a new section (a heading) or there is none; then ''."""
    for cell in nb.cells[index + 1 :]:
        if cell.cell_type != "markdown":
            return ""
        source = cell.source.strip()
        if not source or source.startswith("#"):
            return ""
        return _first_sentence(source.split("\n\n", 1)[0])
    return ""


def add_alt_text(nb) -> int:
    """Give every image output of ``nb`` (changed in place) an ``alt`` in its metadata.

    Kept as is when the output already has one; else the sentence after the figure
    (:func:`figure_sentence`); else "Figure k drawn by code cell n". Returns how many
    images got a new alt text.
    """
    added = 0
    code_number = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        code_number += 1
        images = [
            (out, mime)
            for out in cell.get("outputs", [])
            for mime in IMAGE_TYPES
            if mime in out.get("data", {})
        ]
        sentence = figure_sentence(nb, index)
        for k, (out, mime) in enumerate(images, start=1):
            meta = out.setdefault("metadata", {}).setdefault(mime, {})
            if meta.get("alt"):
                continue
            where = f"figure {k} of {len(images)}" if len(images) > 1 else "figure"
            if sentence:
                meta["alt"] = f"{where.capitalize()}: {sentence}"
            else:
                meta["alt"] = f"{where.capitalize()} drawn by code cell {code_number}"
            added += 1
    return added


def to_html(nb, mathjax_url: str) -> str:
    """The notebook as one HTML page: nbconvert's lab template, images embedded, MathJax
    loaded from ``mathjax_url`` (see :func:`copy_mathjax`), no require.js, alt texts."""
    import jinja2
    from nbconvert import HTMLExporter

    add_alt_text(nb)
    exporter = HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[jinja2.DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        mathjax_url=mathjax_url,
    )
    body, _ = exporter.from_notebook_node(nb)
    return body
