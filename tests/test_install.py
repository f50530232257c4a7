"""The course as an installed package, away from the repository.

A wheel and an sdist are built from the repository and must carry the digits. The wheel is
installed into a fresh virtual environment in a temporary folder, and a notebook copied
alone into an empty folder is run there three ways: as on a laptop without the course
(its setup cell does nothing, so the import fails), as on Colab (the setup cell installs
the course from the wheel and keeps every library already there), and as on a laptop
with the course installed.

To save the 1.3 GB TensorFlow install, the fresh environment sees this environment's
libraries through a ``.pth`` file (every one but ``course_utils``): pip then finds
TensorFlow, Keras and NumPy already installed, as it does on Colab. Run under the Colab
versions (constraints-oldest.txt), this is the Colab simulation. ``COURSE_SIM_NOTEBOOKS=all``
runs every notebook instead of the index alone (about 15 s more per notebook).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIGITS = "course_utils/data/digits.npz"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SIM_NOTEBOOKS = (
    NOTEBOOKS if os.environ.get("COURSE_SIM_NOTEBOOKS") == "all" else NOTEBOOKS[:1]
)  # 00_course_index: fast, and it loads the digits
KERNEL = "course-sim"

RUNNER = """
import sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, kernel_name=sys.argv[3], timeout=600,
                        resources={"metadata": {"path": sys.argv[2]}})
try:
    client.execute()
finally:
    nbformat.write(nb, sys.argv[1])
"""


def _build(kind: str, out: Path) -> Path:
    """Build a wheel or sdist of the repository with setuptools, no network."""
    code = f"from setuptools import build_meta as b; print(b.build_{kind}({str(out)!r}))"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return _build("wheel", tmp_path_factory.mktemp("dist"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_wheel_carries_the_package_and_the_digits(wheel):
    from course_utils import datasets

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert _sha256(zf.read(DIGITS)) == datasets.DIGITS_SHA256
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "course_utils").rglob("*.py")}
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"
    assert not any(n.startswith(("data/", "notebooks/", "tests/")) for n in names)
    assert "Provides-Extra: lab" in metadata
    assert (
        "Requires-Python: <3.14,>=3.11" in metadata or "Requires-Python: >=3.11,<3.14" in metadata
    )


def test_sdist_carries_the_digits_their_readme_and_the_constraints(tmp_path):
    from course_utils import datasets

    sdist = _build("sdist", tmp_path)
    with tarfile.open(sdist) as tf:
        top = tf.getnames()[0].split("/")[0]
        assert _sha256(tf.extractfile(f"{top}/{DIGITS}").read()) == datasets.DIGITS_SHA256
        readme = tf.extractfile(f"{top}/data/README.md").read().decode()
        assert datasets.DIGITS_SHA256 in readme
        assert tf.extractfile(f"{top}/constraints.txt") is not None


# ------------------------------------------------------- a fresh environment


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A new venv, outside the repository, that sees this one's libraries but not the course."""
    base = tmp_path_factory.mktemp("fresh")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    libs = base / "libs"  # this environment's site-packages, minus course_utils
    libs.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("course_utils", "__editable__", "_course")):
            (libs / entry.name).symlink_to(entry)
    (site / "_course_sim_libs.pth").write_text(f"{libs}\n")
    spec = venv / "share" / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python"}))
    return python


def _env(**extra: str) -> dict:
    hosted = ("COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE", "COURSE_UTILS_SOURCE", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k not in hosted}
    env["MPLBACKEND"] = "Agg"
    env.update(extra)
    return env


def _site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def _run_notebook(python: Path, notebook: Path, folder: Path, **env: str):
    """Run ``notebook`` copied alone into the empty ``folder``; (returncode, stdout, stderr)."""
    folder.mkdir()
    copy = folder / notebook.name
    shutil.copy(notebook, copy)
    runner = folder.parent / f"{folder.name}-runner.py"
    runner.write_text(RUNNER)
    proc = subprocess.run(
        [python, runner, copy, folder, KERNEL],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=folder,
        env=_env(**env),
    )
    nb = json.loads(copy.read_text())
    streams = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    text = {
        name: "".join("".join(o["text"]) for o in streams if o.get("name") == name)
        for name in ("stdout", "stderr")
    }
    return proc, text


def test_the_installed_wheel_loads_the_digits_from_an_empty_folder(wheel, fresh, tmp_path):
    install = [sys.executable, "-m", "pip", "--python", str(fresh), "install", "-q"]
    # _env() drops PYTHONPATH: with it pointing at a checkout, pip would see the course
    # "already installed" there and leave the fresh venv without it.
    proc = subprocess.run(
        [*install, "--no-deps", str(wheel)], capture_output=True, text=True, env=_env()
    )
    assert proc.returncode == 0, proc.stderr
    try:
        code = (
            "from course_utils import datasets; x, y = datasets.load_digits(); "
            "print(x.shape, datasets.DIGITS_PATH)"
        )
        out = subprocess.run(
            [fresh, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=_env()
        )
        assert out.returncode == 0, out.stderr
        shape, path = out.stdout.strip().rsplit(" ", 1)
        assert shape == "(1797, 8, 8)"
        assert Path(path).is_relative_to(_site_packages(fresh)), path
    finally:
        uninstall = [sys.executable, "-m", "pip", "--python", str(fresh), "uninstall", "-y", "-q"]
        subprocess.run([*uninstall, "course_utils"], check=True, capture_output=True, env=_env())


@pytest.mark.kernel  # runs notebook 00 three times in a kernel
@pytest.mark.parametrize("notebook", SIM_NOTEBOOKS, ids=lambda p: p.name)
def test_simulated_colab_installs_the_course_then_the_notebook_runs_anywhere(
    notebook, wheel, fresh, tmp_path
):
    site = _site_packages(fresh)
    before = sorted(p.name for p in site.iterdir())
    assert "course_utils" not in before

    # A laptop without the course: the setup cell installs nothing, so the import fails.
    proc, _ = _run_notebook(fresh, notebook, tmp_path / "off-missing")
    assert proc.returncode != 0
    assert "No module named 'course_utils'" in proc.stderr
    assert sorted(p.name for p in site.iterdir()) == before, "pip ran although not on Colab"

    # Colab: the setup cell installs the course from the wheel, and nothing else.
    proc, out = _run_notebook(
        fresh,
        notebook,
        tmp_path / "colab",
        COLAB_RELEASE_TAG="simulated",
        COURSE_UTILS_SOURCE=str(wheel),
    )
    try:
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert out["stderr"] == "", out["stderr"]
        assert "Installed the course's package; kept this platform's tensorflow" in out["stdout"]
        added = sorted(set(p.name for p in site.iterdir()) - set(before))
        assert [n.split("-")[0] for n in added] == ["course_utils", "course_utils"], added

        # Anywhere else, with the course installed: the cell does nothing, the notebook runs.
        proc, out = _run_notebook(fresh, notebook, tmp_path / "off")
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert out["stderr"] == "", out["stderr"]
        assert "Installed the course's package" not in out["stdout"]
    finally:
        uninstall = [sys.executable, "-m", "pip", "--python", str(fresh), "uninstall", "-y", "-q"]
        subprocess.run([*uninstall, "course_utils"], capture_output=True)
