"""Where the course is published, so every launch link and badge is built from one place.

Binder, Colab and Kaggle all open a notebook straight from the GitHub repository
``REPOSITORY``; the notebooks' setup cells install the package from there too.
"""

REPOSITORY = "regularization-course/regularizing-neural-networks"
BRANCH = "HEAD"  # Binder resolves HEAD to the default branch
DEFAULT_BRANCH = "main"  # Colab and Kaggle need a branch name in their GitHub paths
BINDER_BASE = f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}"
GITHUB_BLOB = f"https://github.com/{REPOSITORY}/blob/{DEFAULT_BRANCH}"
# What a notebook's setup cell gives pip on Colab or Kaggle.
PIP_SOURCE = f"git+https://github.com/{REPOSITORY}@{DEFAULT_BRANCH}"


def _check_notebook(notebook: str) -> str:
    if not isinstance(notebook, str) or not notebook.endswith(".ipynb") or "/" in notebook:
        raise ValueError(
            f"notebook must be a file name like '01_bias_variance.ipynb', got {notebook!r}"
        )
    return notebook


def binder_url(notebook: str = "00_course_index.ipynb") -> str:
    """A Binder link that opens JupyterLab on ``notebooks/<notebook>``."""
    return f"{BINDER_BASE}?urlpath=lab/tree/notebooks/{_check_notebook(notebook)}"


def binder_badge(notebook: str = "00_course_index.ipynb") -> str:
    """Markdown for the Binder badge linking to ``notebook``."""
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(notebook)})"


def colab_url(notebook: str = "00_course_index.ipynb") -> str:
    """A Colab link that opens ``notebooks/<notebook>`` from the GitHub repository."""
    path = f"{REPOSITORY}/blob/{DEFAULT_BRANCH}/notebooks/{_check_notebook(notebook)}"
    return f"https://colab.research.google.com/github/{path}"


def colab_badge(notebook: str = "00_course_index.ipynb") -> str:
    """Markdown for the "Open in Colab" badge linking to ``notebook``."""
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open in Colab]({badge})]({colab_url(notebook)})"


def kaggle_url(notebook: str = "00_course_index.ipynb") -> str:
    """A Kaggle link that imports ``notebooks/<notebook>`` from the GitHub repository."""
    return f"https://kaggle.com/kernels/welcome?src={GITHUB_BLOB}/notebooks/{_check_notebook(notebook)}"


def kaggle_badge(notebook: str = "00_course_index.ipynb") -> str:
    """Markdown for the "Open in Kaggle" badge linking to ``notebook``."""
    badge = "https://kaggle.com/static/images/open-in-kaggle.svg"
    return f"[![Open in Kaggle]({badge})]({kaggle_url(notebook)})"


def badges(notebook: str = "00_course_index.ipynb") -> str:
    """The Binder, Colab and Kaggle badges for ``notebook``, on one line."""
    return " ".join(f(notebook) for f in (binder_badge, colab_badge, kaggle_badge))


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
    _check_notebook(notebook)
    folder = REPOSITORY.split("/")[1]  # nbgitpuller clones into a folder named like the repo
    query = urlencode(
        {
            "repo": f"https://github.com/{REPOSITORY}",
            "branch": branch,
            "urlpath": f"lab/tree/{folder}/notebooks/{notebook}",
        }
    )
    return f"https://{parts.netloc}/hub/user-redirect/git-pull?{query}"
