"""The set-up files agree with each other: Binder's environment.yml installs what
pyproject.toml asks for at the versions constraints.txt pins, the constraints files sit
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


def _env_pip_lines():
    text = (ROOT / "environment.yml").read_text()
    block = text.split("- pip:", 1)[1]
    return [m.group(1).strip() for m in re.finditer(r"^\s+- (\S.*)$", block, re.M)]


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
    # Binder runs Linux x86-64: the package's requirements there plus its [lab] extra.
    wanted = {r.name: r for r in _requirements("lab", **LINUX_X86_64)}
    pins = _pins("constraints.txt")
    lines = dict(line.split("==") for line in _env_pip_lines())
    assert sorted(lines) == sorted(wanted)
    for name, version in lines.items():
        assert version == pins[name], f"environment.yml pins {name} {version}, constraints {pins}"


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


def test_binder_installs_the_package_editable_with_its_lab_extra_and_quiets_tensorflow():
    post = (ROOT / "postBuild").read_text()
    assert "pip install" in post and '-e ".[lab]"' in post and "-c constraints.txt" in post
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
