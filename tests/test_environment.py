"""The set-up files agree with each other: Binder's environment.yml installs what
pyproject.toml asks for, and the README's two commands are the Makefile's targets."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


# conda-forge's names for what pyproject.toml names otherwise
CONDA_NAMES = {"matplotlib-base": "matplotlib"}
NAME = re.compile(r"^([A-Za-z0-9_.-]+)\s*(.*)$")


def _environment():
    """``(conda specs, pip specs)`` of environment.yml, each ``{name: version spec}``."""
    import yaml

    deps = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda, pip = {}, {}
    for dep in deps:
        if isinstance(dep, dict):
            for spec in dep["pip"]:
                name, version = NAME.match(spec).groups()
                pip[name] = version
        else:
            name, version = NAME.match(dep).groups()
            conda[CONDA_NAMES.get(name, name)] = version
    return conda, pip


def test_environment_yml_matches_pyproject():
    deps = _pyproject()["project"]["dependencies"]
    linux = {}
    for dep in deps:
        spec, _, marker = dep.partition(";")
        if marker and "!=" in marker and "linux" in marker:
            continue  # the non-Linux TensorFlow; Binder runs Linux
        name, version = NAME.match(spec.strip()).groups()
        linux[name] = version
    conda, pip = _environment()
    assert not set(conda) & set(pip), "a package is both in conda's list and pip's"
    listed = {k: v for k, v in {**conda, **pip}.items() if k not in ("python", "pip")}
    assert listed == linux


def test_pip_does_not_overwrite_a_package_of_binders_conda_base():
    # repo2docker installs our environment.yml on top of its own conda-forge base; what
    # that base holds must come from conda-forge here too, or pip replaces conda's copy.
    import importlib.util

    spec = importlib.util.find_spec("repo2docker")
    if spec is None:
        pytest.skip("jupyter-repo2docker is not installed")
    conda, pip = _environment()
    py = conda["python"].lstrip("=")
    lock = Path(spec.origin).parent / "buildpacks" / "conda" / f"environment.py-{py}-linux-64.lock"
    base = set(re.findall(r"/([a-z0-9_.-]+?)-\d[^/]*\.(?:conda|tar\.bz2)", lock.read_text()))
    assert {"jupyterlab", "ipykernel", "ipywidgets"} <= base  # the check sees the base
    names = {n.lower().replace("_", "-") for n in pip}
    assert not names & {b.replace("_", "-") for b in base}, names & base
    assert {"jupyterlab", "ipykernel", "ipywidgets"} <= set(conda)


def test_python_versions_agree():
    env = (ROOT / "environment.yml").read_text()
    py = re.search(r"- python=(\d+\.\d+)", env).group(1)
    requires = _pyproject()["project"]["requires-python"]
    assert f">={py}" in requires


def test_binder_installs_the_package_editable_and_quiets_tensorflow():
    post = (ROOT / "postBuild").read_text()
    assert "pip install" in post and "-e ." in post
    start = (ROOT / "start").read_text()
    assert "TF_CPP_MIN_LOG_LEVEL" in start and 'exec "$@"' in start


def test_readme_two_commands_exist_in_makefile_and_ci_runs_the_test_command():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    commands = re.findall(r"^make (\w+)$", readme, re.M)
    assert commands[:2] == ["lab", "test"], commands
    for target in ("lab", "test"):
        assert re.search(rf"^{target}:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "--ServerApp.ip=127.0.0.1" in makefile and "token=" not in makefile.lower()


def test_pre_commit_has_ruff_and_nbstripout():
    cfg = (ROOT / ".pre-commit-config.yaml").read_text()
    assert "ruff" in cfg and "nbstripout" in cfg


def test_no_file_over_1_mb():
    import subprocess

    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    big = [f for f in files if (ROOT / f).is_file() and (ROOT / f).stat().st_size > 1_000_000]
    assert not big


def test_ci_workflow_runs_ci_run_on_pushes_and_pull_requests():
    import yaml

    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    assert workflows, "no CI workflow in .github/workflows"
    flow = yaml.safe_load(workflows[0].read_text())
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on:` as True
    assert {"push", "pull_request"} <= set(triggers), triggers
    (job,) = flow["jobs"].values()
    runs = [step.get("run", "").strip() for step in job["steps"]]
    assert "bash .ci/run" in runs, runs
    uses = [step.get("uses", "") for step in job["steps"]]
    checkout = next(i for i, u in enumerate(uses) if u.startswith("actions/checkout@"))
    assert checkout < runs.index("bash .ci/run"), "the repository is checked out before the run"
    assert job["timeout-minutes"] <= 90
    # the container's Python is the one environment.yml and pyproject.toml name
    py = re.search(r"- python=(\d+\.\d+)", (ROOT / "environment.yml").read_text()).group(1)
    assert job["container"].startswith(f"python:{py}-"), job["container"]
