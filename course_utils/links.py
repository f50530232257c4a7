"""Where the course is published, so every Binder link is built from one place."""

REPOSITORY = "regularization-course/regularizing-neural-networks"
BRANCH = "HEAD"
BINDER_BASE = f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}"


def binder_url(notebook: str = "00_course_index.ipynb") -> str:
    """A Binder link that opens JupyterLab on ``notebooks/<notebook>``."""
    if not notebook.endswith(".ipynb") or "/" in notebook:
        raise ValueError(
            f"notebook must be a file name like '01_bias_variance.ipynb', got {notebook!r}"
        )
    return f"{BINDER_BASE}?urlpath=lab/tree/notebooks/{notebook}"


def binder_badge(notebook: str = "00_course_index.ipynb") -> str:
    """Markdown for the Binder badge linking to ``notebook``."""
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(notebook)})"
