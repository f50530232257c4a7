"""The course is ready for Binder: what repo2docker would build, where the links lead,
and how TensorFlow behaves there (quiet logs, threads that follow ``CPU_LIMIT``).

``repo2docker --no-build --debug`` prints the Dockerfile Binder would build, offline.
These tests read it rather than trusting the files' names.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from course_utils import links

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TF_VARS = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")


def _clean_env(**extra: str) -> dict:
    """This environment without the variables under test, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (*TF_VARS, "CPU_LIMIT", "MPLBACKEND") and not k.startswith("PYTEST_")
    }
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment_python() -> str:
    return re.search(r"^\s*- python=(\d+\.\d+)", (ROOT / "environment.yml").read_text(), re.M)[1]


# ----------------------------------------------------------------- repo2docker


@pytest.fixture(scope="module")
def repo2docker():
    """``repo2docker --no-build --debug`` on the repository: (Dockerfile, log)."""
    if importlib.util.find_spec("repo2docker") is None:
        message = "jupyter-repo2docker is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(f"CI=true, but {message}", pytrace=False)
        pytest.skip(message)
    proc = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=_clean_env(),
    )
    assert proc.returncode == 0, f"repo2docker failed:\n{proc.stderr[-3000:]}"
    assert "FROM " in proc.stdout, f"no Dockerfile in repo2docker's output:\n{proc.stdout[:2000]}"
    return proc.stdout, proc.stderr


def test_binder_reads_the_root_files():
    # A binder/ (or .binder/) folder would make repo2docker ignore environment.yml,
    # postBuild and start at the root.
    for name in ("binder", ".binder"):
        assert not (ROOT / name).exists(), f"{name}/ would hide the root set-up files from Binder"
    for name in ("environment.yml", "postBuild", "start"):
        assert (ROOT / name).is_file(), f"{name} is missing"
    for name in ("postBuild", "start"):
        assert os.access(ROOT / name, os.X_OK), f"{name} must be executable (chmod +x)"


def test_dockerfile_builds_our_conda_environment(repo2docker):
    dockerfile, log = repo2docker
    assert re.search(r"^COPY .*\bsrc/environment\.yml\b", dockerfile, re.M), (
        "the Dockerfile does not copy our environment.yml"
    )
    assert re.search(r"env update -p \$\{NB_PYTHON_PREFIX\} --file \"?environment\.yml", dockerfile)
    python = _environment_python()
    assert f"python={python}" in log, f"repo2docker did not pick Python {python}:\n{log}"


def test_dockerfile_runs_postbuild_which_installs_course_utils(repo2docker):
    dockerfile, _ = repo2docker
    assert re.search(r"^RUN \./postBuild$", dockerfile, re.M), "postBuild is not run"
    # postBuild runs after our environment is installed, with its Python first on PATH.
    assert dockerfile.index("environment.yml") < dockerfile.index("./postBuild")
    assert re.search(r"^ENV PATH=\$\{NB_PYTHON_PREFIX\}/bin:", dockerfile, re.M)
    post = (ROOT / "postBuild").read_text()
    # environment.yml holds every requirement; --no-deps keeps pip from replacing them
    assert re.search(r"python -m pip install --no-deps .*-e \.$", post, re.M), (
        "postBuild must pip install --no-deps -e ."
    )
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert name == "course_utils"


def test_postbuild_can_build_without_isolation():
    # postBuild installs with --no-build-isolation, so the build backend pyproject asks
    # for must already be in Binder's environment: repo2docker's base environment
    # ships setuptools (checked in the lock file of the repo2docker installed here).
    post = (ROOT / "postBuild").read_text()
    if "--no-build-isolation" not in post:
        return
    spec = importlib.util.find_spec("repo2docker")
    if spec is None:
        pytest.skip("jupyter-repo2docker is not installed")
    python = _environment_python()
    lock = (
        Path(spec.origin).parent / "buildpacks" / "conda" / f"environment.py-{python}-linux-64.lock"
    )
    match = re.search(r"/setuptools-(\d+)\.", lock.read_text())
    assert match, f"no setuptools in {lock.name}: postBuild needs build isolation"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    needed = int(re.search(r"setuptools>=(\d+)", " ".join(requires))[1])
    assert int(match[1]) >= needed


def test_dockerfile_uses_our_start_script(repo2docker):
    dockerfile, _ = repo2docker
    assert re.search(r'^ENV R2D_ENTRYPOINT="\$\{REPO_DIR\}/start"$', dockerfile, re.M), (
        "repo2docker does not use our start script"
    )


# ---------------------------------------------------------------------- links


def test_binder_links_open_jupyterlab_on_the_course_index():
    url = links.binder_url()
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "mybinder.org"
    assert parts.path == f"/v2/gh/{links.REPOSITORY}/{links.BRANCH}"
    (urlpath,) = parse_qs(parts.query)["urlpath"]
    assert urlpath == "lab/tree/notebooks/00_course_index.ipynb"
    assert (ROOT / urlpath.removeprefix("lab/tree/")).is_file()
    assert links.binder_url() in links.binder_badge()
    assert links.binder_badge().startswith("[![Binder](https://mybinder.org/badge_logo.svg)](")


@pytest.mark.parametrize(
    "path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name
)
def test_each_notebooks_binder_link_opens_it_in_jupyterlab(path):
    (urlpath,) = parse_qs(urlsplit(links.binder_url(path.name)).query)["urlpath"]
    assert urlpath == f"lab/tree/notebooks/{path.name}"


def test_readme_has_the_binder_badge_to_the_course_index():
    readme = ROOT / "README.md"
    assert readme.is_file(), "README.md is missing"
    assert links.binder_url("00_course_index.ipynb") in readme.read_text(), (
        "README.md should carry course_utils.links.binder_badge() (it opens the course index)"
    )


# ------------------------------------------------------------ TensorFlow on Binder


def _run_through_start(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python the way Binder starts everything: through our ``start`` script."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not available")
    return subprocess.run(
        [bash, str(ROOT / "start"), sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT / "notebooks",
        env=_clean_env(**env),
    )


def test_start_script_quiets_tensorflow():
    proc = _run_through_start(
        "import os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'], os.environ['TF_ENABLE_ONEDNN_OPTS'])"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["3", "0"]


def test_start_script_keeps_a_value_the_user_set():
    proc = _run_through_start(
        "import os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])", TF_CPP_MIN_LOG_LEVEL="1"
    )
    assert proc.stdout.split() == ["1"]


def test_tensorflow_threads_follow_binders_cpu_limit_and_stay_quiet():
    # Binder sets CPU_LIMIT (e.g. "1.0"); setup_notebook sizes TensorFlow's pools to it.
    code = (
        "from course_utils import setup_notebook\n"
        "setup_notebook(seed=0, quiet=True)\n"
        "import tensorflow as tf\n"
        "t = tf.config.threading\n"
        "print(t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads())\n"
        "print(float(tf.reduce_sum(tf.ones((4, 4)))))\n"  # run an op: logs would appear now
    )
    proc = _run_through_start(code, CPU_LIMIT="1.0")
    assert proc.returncode == 0, proc.stderr
    threads, total = proc.stdout.strip().splitlines()[-2:]
    assert threads.split() == ["1", "1"], f"TensorFlow threads with CPU_LIMIT=1: {threads}"
    assert float(total) == 16.0
    assert proc.stderr == "", f"TensorFlow wrote to stderr on Binder:\n{proc.stderr[:2000]}"


def test_without_cpu_limit_tensorflow_keeps_its_defaults(monkeypatch):
    from course_utils.environment import configure_tensorflow_threads

    monkeypatch.delenv("CPU_LIMIT", raising=False)
    assert configure_tensorflow_threads() is None
    monkeypatch.setenv("CPU_LIMIT", "not-a-number")
    assert configure_tensorflow_threads() is None


# ------------------------------------------------------- JupyterLab's settings

LAB_OVERRIDES = ROOT / "jupyter-config" / "labconfig" / "default_setting_overrides.json"
TRACKER = "@jupyterlab/notebook-extension:tracker"


def test_the_course_ships_kernel_shutdown_on_close_as_a_jupyterlab_default():
    overrides = json.loads(LAB_OVERRIDES.read_text())
    assert overrides == {TRACKER: {"kernelShutdown": True}}
    # the setting exists in the JupyterLab that is installed, and is off by default there
    import jupyterlab

    schemas = Path(jupyterlab.__file__).parent / "schemas"
    if not schemas.is_dir():  # an installed JupyterLab keeps them in share/jupyter/lab
        schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    schema = json.loads(
        (schemas / "@jupyterlab" / "notebook-extension" / "tracker.json").read_text()
    )
    assert schema["properties"]["kernelShutdown"] == {
        **schema["properties"]["kernelShutdown"],
        "type": "boolean",
        "default": False,
    }
    # both ways of starting JupyterLab go through ./start, which adds jupyter-config/
    assert re.search(r"^\t\./start \$\(BIN\)/jupyter lab ", (ROOT / "Makefile").read_text(), re.M)
    assert "jupyter-config" in (ROOT / "start").read_text()


def _lab_setting(tmp_path: Path, through_start: bool) -> dict:
    """Start JupyterLab (through ``start`` or not) and read the tracker's settings."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    scratch = {
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    env = {k: v for k, v in _clean_env(**scratch).items() if k != "JUPYTER_CONFIG_PATH"}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}"]
    command += ["--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--allow-root"]
    command += [f"--ServerApp.root_dir={tmp_path}"]
    if through_start:
        command = ["bash", str(ROOT / "start"), *command]
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}/lab/api/settings/{TRACKER}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    return json.loads(response.read())
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer:\n{(tmp_path / 'lab.log').read_text()}")
                time.sleep(0.5)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.kernel  # starts JupyterLab twice
def test_jupyterlab_started_through_start_shuts_kernels_down_on_close(tmp_path):
    # what a learner gets on Binder and with `make lab`: the default is now on
    ours = _lab_setting(tmp_path / "course", through_start=True)
    assert ours["schema"]["properties"]["kernelShutdown"]["default"] is True
    assert ours["settings"].get("kernelShutdown", True) is True  # no user setting overrides it
    # the control: the same JupyterLab started without it keeps JupyterLab's default
    plain = _lab_setting(tmp_path / "plain", through_start=False)
    assert plain["schema"]["properties"]["kernelShutdown"]["default"] is False


def test_nbgitpuller_link_clones_the_course_and_opens_a_notebook():
    url = links.nbgitpuller_url("https://hub.example.org", "03_dropout.ipynb")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "hub.example.org")
    assert parts.path == "/hub/user-redirect/git-pull"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "repo": f"https://github.com/{links.REPOSITORY}",
        "branch": "main",
        "urlpath": "lab/tree/regularizing-neural-networks/notebooks/03_dropout.ipynb",
    }
    assert links.nbgitpuller_url("https://hub.example.org/") == links.nbgitpuller_url(
        "https://hub.example.org"
    )
    for bad in ("hub.example.org", "http://hub.example.org", "https://hub.example.org/hub"):
        with pytest.raises(ValueError, match="hub must be an https address"):
            links.nbgitpuller_url(bad)
    with pytest.raises(ValueError, match="notebook must be a file name"):
        links.nbgitpuller_url("https://hub.example.org", "notebooks/03_dropout.ipynb")
