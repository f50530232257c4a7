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


def nbgitpuller_url(
    hub: str, notebook: str = "00_course_index.ipynb", *, branch: str = "main"
) -> str:
    """An nbgitpuller link: clones the course into the learner's home on ``hub`` (or pulls
    its new commits, keeping the learner's changes) and opens ``notebooks/<notebook>``.

    Args:
        hub: The hub's address, e.g. ``https://hub.example.org`` (https, no path).
        notebook: A file name in ``notebooks/``.
        branch: The branch learners follow.
    """
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(hub)
    if parts.scheme != "https" or not parts.netloc or parts.path.strip("/"):
        raise ValueError(
            f"hub must be an https address like 'https://hub.example.org', got {hub!r}"
        )
    binder_url(notebook)  # the same check of the notebook's name
    folder = REPOSITORY.split("/")[1]  # nbgitpuller clones into a folder named like the repo
    query = urlencode(
        {
            "repo": f"https://github.com/{REPOSITORY}",
            "branch": branch,
            "urlpath": f"lab/tree/{folder}/notebooks/{notebook}",
        }
    )
    return f"https://{parts.netloc}/hub/user-redirect/git-pull?{query}"
