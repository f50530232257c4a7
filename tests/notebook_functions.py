"""The functions a notebook writes for the learner, extracted from its ``.ipynb``.

Some of what a notebook writes out also lives in the package, because other code reuses
it (e.g. ``course_utils.coadaptation.unit_ablation`` serves ``dropout_vs_l2`` too). The
notebook compares its own version with the package's, but only when the whole notebook
runs. :func:`notebook_functions` lets a fast unit test do the same, so that a change to
either copy fails in seconds (d2l's single-source idea, kept as a test).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def notebook_functions(notebook: str, *, preamble: str = "import numpy as np") -> dict:
    """Every undecorated top-level ``def`` of the notebook's code cells, in one namespace.

    Only the function definitions are taken (no cell is run), in the notebook's order,
    after ``preamble`` (the imports they use). Returns ``{name: function}``.
    """
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    defs = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a cell of IPython magics; it defines nothing we test
            continue
        # a decorated def (``@tf.function``) needs the notebook's state: left out
        defs += [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.decorator_list]
    namespace: dict = {}
    exec(preamble, namespace)  # the course's own notebook, from the repository
    module = ast.Module(body=defs, type_ignores=[])
    exec(compile(module, notebook, "exec"), namespace)
    return {node.name: namespace[node.name] for node in defs}
