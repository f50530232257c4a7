"""Installing the course on a hosted notebook platform (Colab, Kaggle) without breaking it.

A notebook's setup cell, on Colab or Kaggle, first installs this package with
``pip install --no-deps`` and then calls :func:`install_missing_requirements`. That
installs only the requirements the platform lacks or has in a version older than the
course's minimum. A platform's own TensorFlow, Keras, NumPy or Matplotlib is kept when
it is new enough, even if it is newer than the versions the course was tested with:
replacing them would force a runtime restart (NumPy, Matplotlib) or break the
platform's other packages.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib import metadata

# Distributions that provide the same ``import tensorflow``: any one of them will do.
TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos")
PIP_QUIET = ("-q", "--disable-pip-version-check", "--root-user-action=ignore")


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _installed(name: str, installed_version: Callable[[str], str | None]) -> tuple[str, str | None]:
    """``(distribution, version)`` for ``name``; for TensorFlow, whichever build is there."""
    names = TENSORFLOW_DISTRIBUTIONS if name in TENSORFLOW_DISTRIBUTIONS else (name,)
    for candidate in names:
        if (version := installed_version(candidate)) is not None:
            return candidate, version
    return name, None


def _pip_install(requirements: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", *PIP_QUIET, *requirements],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"pip could not install {' '.join(requirements)}:\n{proc.stderr[-3000:]}"
        )


def missing_requirements(
    requirements: list[str] | None = None,
    installed_version: Callable[[str], str | None] = _installed_version,
) -> list[str]:
    """The requirements that are absent or older than the course's minimum.

    Args:
        requirements: Requirement strings (PEP 508); by default those of the installed
            ``course_utils``. Ones whose marker does not apply here are skipped.
        installed_version: Returns the installed version of a distribution, or None.

    Returns:
        The requirements to install, without their markers. A requirement that is
        installed in a version at least its lower bound is not listed, even when that
        version is above the upper bound: the platform's copy is never downgraded.
    """
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    if requirements is None:
        requirements = metadata.requires("course_utils") or []
    needed = []
    for text in requirements:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        lower = SpecifierSet(",".join(str(s) for s in req.specifier if s.operator in (">=", ">")))
        # An old TensorFlow is upgraded under its own name: two builds would share a folder.
        dist, have = _installed(req.name, installed_version)
        if have is None or not lower.contains(have, prereleases=True):
            needed.append(f"{dist}{req.specifier}")
    return needed


def install_missing_requirements(
    requirements: list[str] | None = None,
    *,
    installed_version: Callable[[str], str | None] = _installed_version,
    pip_install: Callable[[list[str]], None] = _pip_install,
) -> list[str]:
    """Install what :func:`missing_requirements` lists, and say what was kept.

    Args:
        requirements: As for :func:`missing_requirements`.
        installed_version: As for :func:`missing_requirements`.
        pip_install: Installs a list of requirement strings (pip by default).

    Returns:
        The requirements that were installed (empty when the platform had them all).
    """
    needed = missing_requirements(requirements, installed_version)
    if needed:
        pip_install(needed)
    from packaging.requirements import Requirement

    installed = {Requirement(n).name for n in needed}
    found = {
        n: _installed(n, installed_version) for n in ("tensorflow", "keras", "numpy", "matplotlib")
    }
    kept = [
        f"{name} {version}"
        for name, (dist, version) in found.items()
        if dist not in installed and version is not None
    ]
    print(
        "Installed the course's package"
        + (f" and {', '.join(needed)}" if needed else "")
        + (f"; kept this platform's {', '.join(kept)}" if kept else "")
        + "."
    )
    if installed & {"numpy", "matplotlib"}:
        print("NumPy or Matplotlib changed: restart the session, then run this cell again.")
    return needed
