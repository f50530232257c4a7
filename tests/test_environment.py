"""The set-up files agree with each other: Binder's environment.yml installs what
pyproject.toml asks for at the versions constraints.txt pins (conda-forge for what Binder's
base already has), the constraints files sit
inside pyproject's ranges, each platform gets a TensorFlow wheel that exists for it, and
the README's two commands are the Makefile's targets."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version

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
            conda[CONDA_NAMES.get(name, name)] = version.lstrip("=")
    return conda, pip


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if m := re.match(r"([A-Za-z0-9_.-]+)==([^\s#;]+)", line):
            pins[Requirement(m[1]).name.lower().replace("_", "-")] = m[2]
    return pins


def _requirements(extra: str | None = None, **platform: str) -> list[Requirement]:
    """pyproject's requirements (and ``extra``'s) that apply on ``platform``."""
    project = _pyproject()["project"]
    texts = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    env = {**default_environment(), **platform, "extra": extra or ""}
    reqs = [Requirement(t) for t in texts]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(env)]


LINUX_X86_64 = {"sys_platform": "linux", "platform_machine": "x86_64"}
PLATFORMS = {
    "linux-x86_64": (LINUX_X86_64, "tensorflow-cpu"),
    "linux-aarch64": ({"sys_platform": "linux", "platform_machine": "aarch64"}, "tensorflow"),
    "macos-arm64": ({"sys_platform": "darwin", "platform_machine": "arm64"}, "tensorflow"),
    "windows-amd64": ({"sys_platform": "win32", "platform_machine": "AMD64"}, "tensorflow"),
}


@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_each_platform_gets_one_tensorflow_that_has_wheels_there(platform):
    # tensorflow-cpu publishes Linux x86-64 wheels only (checked with pip install --dry-run
    # --platform ... --only-binary=:all:; see the issue 16 note for the four resolutions).
    env, wanted = PLATFORMS[platform]
    names = [r.name for r in _requirements(**env) if r.name.startswith("tensorflow")]
    assert names == [wanted]


def test_environment_yml_installs_the_lab_extra_at_the_tested_versions():
    # Binder runs Linux x86-64: the package's requirements there plus its [lab] extra,
    # each at a spec that admits the version constraints.txt pins.
    from packaging.specifiers import SpecifierSet

    wanted = {r.name: r for r in _requirements("lab", **LINUX_X86_64)}
    pins = _pins("constraints.txt")
    conda, pip = _environment()
    assert not set(conda) & set(pip), "a package is both in conda's list and pip's"
    listed = {k: v for k, v in {**conda, **pip}.items() if k not in ("python", "pip")}
    assert sorted(listed) == sorted(wanted)
    for name, spec in listed.items():
        spec = spec.replace(",", ", ").strip()
        assert pins[name] in SpecifierSet(spec.replace(", ", ",")), (
            f"environment.yml asks for {name} {spec}, constraints.txt pins {pins[name]}"
        )
        assert wanted[name].specifier.contains(pins[name])
    for name, spec in pip.items():
        assert spec == f"=={pins[name]}", f"pip installs {name}{spec}, not {pins[name]}"


def test_pip_does_not_overwrite_a_package_of_binders_conda_base():
    # repo2docker installs our environment.yml on top of its own conda-forge base; what
    # that base holds must come from conda-forge here too, or pip replaces conda's copy.
    import importlib.util

    spec = importlib.util.find_spec("repo2docker")
    if spec is None:
        pytest.skip("jupyter-repo2docker is not installed")
    conda, pip = _environment()
    py = conda["python"]
    lock = Path(spec.origin).parent / "buildpacks" / "conda" / f"environment.py-{py}-linux-64.lock"
    base = set(re.findall(r"/([a-z0-9_.-]+?)-\d[^/]*\.(?:conda|tar\.bz2)", lock.read_text()))
    assert {"jupyterlab", "ipykernel", "ipywidgets"} <= base  # the check sees the base
    names = {n.lower().replace("_", "-") for n in pip}
    assert not names & {b.replace("_", "-") for b in base}, names & base
    assert {"jupyterlab", "ipykernel", "ipywidgets", "packaging"} <= set(conda)


@pytest.mark.parametrize("extra", [None, "lab", "test"])
def test_constraints_pin_versions_inside_pyprojects_ranges(extra):
    pins = _pins("constraints.txt")
    for req in _requirements(extra, **LINUX_X86_64):
        assert req.name in pins, f"constraints.txt does not pin {req.name}"
        assert req.specifier.contains(pins[req.name]), f"{req.name}=={pins[req.name]} vs {req}"


def test_lower_bounds_are_the_oldest_versions_tested():
    # constraints-oldest.txt (Colab's versions) is what the "oldest" run installs: each of
    # the package's lower bounds must be exactly a version that run tested.
    oldest = _pins("constraints-oldest.txt")
    for req in _requirements(**LINUX_X86_64):
        lower = [s.version for s in req.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{req} needs one lower bound"
        if req.name == "packaging":
            assert Version(oldest[req.name]) >= Version(lower[0])
            continue
        assert Version(oldest[req.name]) == Version(lower[0]), f"{req} vs {oldest[req.name]}"


def test_python_versions_agree():
    env = (ROOT / "environment.yml").read_text()
    py = re.search(r"- python=(\d+\.\d+)", env).group(1)
    requires = _pyproject()["project"]["requires-python"]
    assert f">={py}" in requires


def test_binder_installs_the_package_editable_without_dependencies_and_quiets_tensorflow():
    # environment.yml installs every requirement; postBuild must not let pip replace them.
    post = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps" in post and "-e ." in post
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
