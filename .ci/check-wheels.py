"""Check that every platform the course supports gets wheels: pip --dry-run per platform.

Needs the network (PyPI), so it is not a test. Run it when changing pyproject's bounds:
    .venv/bin/python .ci/check-wheels.py 3.13
It evaluates pyproject's markers for Linux x86-64, Linux aarch64, macOS arm64 and Windows
(pip does not evaluate markers for --platform), then resolves the chosen requirements
plus the [lab] extra with --only-binary=:all: for that platform, and prints TensorFlow's.
"""

import json
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

proj = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())[
    "project"
]
PLATFORMS = {
    "linux-x86_64": (
        {
            "sys_platform": "linux",
            "platform_machine": "x86_64",
            "platform_system": "Linux",
            "os_name": "posix",
        },
        [f"manylinux_2_{v}_x86_64" for v in range(5, 40)]
        + ["manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64"],
    ),
    "linux-aarch64": (
        {
            "sys_platform": "linux",
            "platform_machine": "aarch64",
            "platform_system": "Linux",
            "os_name": "posix",
        },
        [f"manylinux_2_{v}_aarch64" for v in range(17, 40)] + ["manylinux2014_aarch64"],
    ),
    "macos-arm64": (
        {
            "sys_platform": "darwin",
            "platform_machine": "arm64",
            "platform_system": "Darwin",
            "os_name": "posix",
        },
        ["macosx_15_0_arm64"],
    ),
    "windows-amd64": (
        {
            "sys_platform": "win32",
            "platform_machine": "AMD64",
            "platform_system": "Windows",
            "os_name": "nt",
        },
        ["win_amd64"],
    ),
}
pyver = sys.argv[1]
for name, (env, tags) in PLATFORMS.items():
    e = {**default_environment(), **env, "python_version": pyver, "extra": ""}
    reqs = [Requirement(t) for t in proj["dependencies"] + proj["optional-dependencies"]["lab"]]
    chosen = [f"{r.name}{r.specifier}" for r in reqs if r.marker is None or r.marker.evaluate(e)]
    chosen = list(dict.fromkeys(chosen))
    with tempfile.TemporaryDirectory() as d:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--ignore-installed",
            "--only-binary=:all:",
            "--python-version",
            pyver,
            "--target",
            d,
            "--report",
            f"{d}/r.json",
            *[arg for t in tags for arg in ("--platform", t)],
            *chosen,
        ]
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode:
            print(name, "FAILED", p.stderr[-1500:])
            continue
        rep = json.load(open(f"{d}/r.json"))
    got = {
        i["metadata"]["name"].lower(): (
            i["metadata"]["version"],
            i["download_info"]["url"].rsplit("/", 1)[-1],
        )
        for i in rep["install"]
    }
    tf = {k: v for k, v in got.items() if k.startswith("tensorflow")}
    print(
        f"py{pyver} {name}: {len(got)} packages resolved in {time.time() - t0:.0f} s; "
        + "; ".join(f"{k}=={v[0]} ({v[1]})" for k, v in tf.items())
        + f"; keras {got['keras'][0]}, numpy {got['numpy'][0]}, jupyterlab {got['jupyterlab'][0]}"
    )
