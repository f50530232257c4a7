"""Installing on Colab or Kaggle: only what is missing or too old, never a downgrade."""

import pytest

from course_utils import platforms

REQUIREMENTS = [
    "numpy>=2.1.3,<2.5",
    "keras>=3.13.2,<3.16",
    "tensorflow-cpu>=2.20,<2.22; sys_platform == 'linux' and platform_machine == 'x86_64'",
    "tensorflow>=2.20,<2.22; sys_platform != 'linux' or platform_machine != 'x86_64'",
    "jupyterlab>=4.6; extra == 'lab'",
]
COLAB = {"tensorflow": "2.20.0", "keras": "3.13.2", "numpy": "2.1.3", "matplotlib": "3.10.0"}


def _versions(installed):
    return lambda name: installed.get(name)


def test_colabs_versions_are_all_kept():
    assert platforms.missing_requirements(REQUIREMENTS, _versions(COLAB)) == []


def test_newer_than_tested_is_kept_older_is_upgraded_missing_is_installed():
    installed = {"tensorflow": "2.23.0", "keras": "3.12.0"}  # numpy missing
    missing = platforms.missing_requirements(REQUIREMENTS, _versions(installed))
    assert missing == ["numpy<2.5,>=2.1.3", "keras<3.16,>=3.13.2"]


@pytest.mark.parametrize("dist", platforms.TENSORFLOW_DISTRIBUTIONS)
def test_any_tensorflow_distribution_satisfies_either_requirement(dist):
    installed = {k: v for k, v in COLAB.items() if k != "tensorflow"} | {dist: "2.20.0"}
    assert platforms.missing_requirements(REQUIREMENTS, _versions(installed)) == []
    installed[dist] = "2.19.0"
    missing = platforms.missing_requirements(REQUIREMENTS, _versions(installed))
    assert missing == [f"{dist}<2.22,>=2.20"]  # upgraded under its own name, never a second build


def test_install_calls_pip_with_what_is_missing_and_reports_what_it_kept(capsys):
    calls = []
    installed = dict(COLAB, keras="3.10.0")
    done = platforms.install_missing_requirements(
        REQUIREMENTS, installed_version=_versions(installed), pip_install=calls.append
    )
    assert calls == [["keras<3.16,>=3.13.2"]] and done == calls[0]
    out = capsys.readouterr().out
    assert "and keras<3.16,>=3.13.2" in out
    assert "kept this platform's tensorflow 2.20.0, numpy 2.1.3, matplotlib 3.10.0." in out


def test_an_upgraded_numpy_asks_for_a_restart(capsys):
    installed = {k: v for k, v in COLAB.items() if k != "numpy"}
    platforms.install_missing_requirements(
        REQUIREMENTS, installed_version=_versions(installed), pip_install=lambda reqs: None
    )
    assert "restart the session" in capsys.readouterr().out


def test_nothing_missing_means_no_pip_call(capsys):
    def fail(requirements):
        raise AssertionError(f"pip should not run, got {requirements}")

    assert (
        platforms.install_missing_requirements(
            REQUIREMENTS, installed_version=_versions(COLAB), pip_install=fail
        )
        == []
    )
    out = capsys.readouterr().out
    assert "Installed the course's package; kept" in out and "restart" not in out


def test_a_failed_pip_install_says_what_and_why(monkeypatch):
    import subprocess

    class Done:
        returncode, stderr = 1, "ERROR: No matching distribution found for keras>=99"

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Done())
    with pytest.raises(RuntimeError, match=r"could not install keras>=99:\nERROR: No matching"):
        platforms._pip_install(["keras>=99"])


def test_installed_package_requirements_are_the_default():
    # This environment has everything the installed course_utils asks for.
    assert platforms.missing_requirements() == []
