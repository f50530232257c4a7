"""How fast, how heavy and how repeatable the course is, measured.

One command, from the repository's root::

    python3 benchmarks/run.py                  # everything: about 15 minutes on 2 cores
    python3 benchmarks/run.py --only notebooks,repeat --notebooks "notebooks/03_*"

(Run with any ``python3``: without the course's packages it re-runs itself with
``.venv/bin/python``, creating ``.venv`` first with ``make venv`` when it is missing.)

Parts (``--only``, comma-separated; all by default):

* ``notebooks``: every notebook executed headless by nbclient in a fresh kernel of the
  current environment, once on all cores and once pinned to one core with
  ``CPU_LIMIT=1`` (as on Binder). Wall seconds from the kernel's launch to the end of
  the last cell, the kernel's CPU seconds, and its peak resident memory (``VmHWM`` read
  from ``/proc`` before the kernel is shut down; child processes sampled). Totals.
* ``repeat``: every notebook run a second time on all cores; the text outputs of the
  cells (``text/plain``, stdout, error names) are compared with the first run. Images,
  widget views and cells marked ``# NBVAL_IGNORE_OUTPUT`` are left out, and durations
  (``1.2 s``, ``35 ms``), memory sizes (``558 MB``) and addresses are masked. With
  ``notebooks`` the first run is reused, and the one-core run is compared too (reported,
  not a failure).
* ``mlp``: the course's MLP trained by ``course_utils.training.fit`` and by
  ``keras.Model.fit`` on its twin (same data, epochs, batch size, optimizer, validation
  set): medians of several repetitions and their ratio; and the NumPy loop against its
  floor, the same matrix multiplications done alone.
* ``setup``: the README's install (``make venv``: a fresh venv, ``pip install -e
  ".[test]"``) timed in a temporary copy of the repository, twice so that the second
  run has pip's cache warm, and the venv's size on disk.

The table goes to stdout and the JSON to ``benchmarks/results/latest.json``
(``--json``). The exit code is 1 when a notebook fails or times out, when a repeated
run prints different text, or when a part cannot be measured; budget misses are
reported in the table but do not change the exit code.

This file is the command line and the order of the parts; the MLP, install and machine
measurements are in ``measure.py``, the totals, budgets, table and exit code in
``report.py``, and every notebook run goes through ``course_utils.runner``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script, `python3 benchmarks/run.py`
    sys.path.insert(0, str(ROOT))

# after the path: as a script, `benchmarks` is found through ROOT
from benchmarks import measure  # noqa: E402
from benchmarks import report as reporting  # noqa: E402

DEFAULT_GLOB = "notebooks/[0-9][0-9]_*.ipynb"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "latest.json"
PARTS = ("notebooks", "repeat", "mlp", "setup")


# --------------------------------------------------------------------------- notebooks

# One runner for the whole course: kernel, environment, markers, cell time limit,
# peak memory and the comparison of two runs live in course_utils.runner (imported in
# the functions, so that a bare `python3 benchmarks/run.py` can first find the venv).


def find_notebooks(pattern: str = DEFAULT_GLOB, root: Path = ROOT) -> list[Path]:
    """The notebooks matching ``pattern`` (relative to ``root`` unless absolute), sorted."""
    if not os.path.isabs(pattern):
        pattern = str(root / pattern)
    return sorted(Path(p) for p in glob.glob(pattern) if p.endswith(".ipynb"))


def run_notebook(path: Path, *, cpus: list[int] | None = None, timeout: float | None = None):
    """One run of a notebook as a learner runs it: every cell, ``# NBVAL_SKIP`` too,
    with the learner's inline backend (figures rendered); see :func:`runner.run`."""
    from course_utils import runner

    return runner.run(path, cpus=cpus, timeout=timeout, skip_marked=False)


def _run_mlp_subprocess(config: dict | None, env_extra: dict | None = None) -> dict:
    """:func:`measure.bench_mlp` in a fresh interpreter, so TensorFlow starts clean."""
    env = {**os.environ, **(env_extra or {})}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_mlp-worker", json.dumps(config or {})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the MLP benchmark failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -------------------------------------------------------------------------------- main


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Measure the course: notebook time and memory, repeatability, "
        "NumPy vs Keras, install time.",
    )
    p.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, from {','.join(PARTS)} (default: all)",
    )
    p.add_argument(
        "--notebooks",
        default=DEFAULT_GLOB,
        metavar="GLOB",
        help=f"which notebooks, relative to the repository (default: {DEFAULT_GLOB})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds one cell may run (default: the course's cell time limit, "
        "60 s, or $COURSE_CELL_TIMEOUT)",
    )
    p.add_argument("--no-one-core", action="store_true", help="skip the run pinned to one core")
    p.add_argument("--mlp-repetitions", type=int, default=measure.MLP_CONFIG["repetitions"])
    p.add_argument(
        "--mlp-config",
        default="{}",
        metavar="JSON",
        help='change the MLP set-up, e.g. \'{"batch_size": 256, "epochs": 10}\'',
    )
    p.add_argument("--setup-runs", type=int, default=2, help="installs to time (default: 2)")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the JSON")
    p.add_argument(
        "--markdown", action="store_true", help='also print the README\'s "How fast" table'
    )
    p.add_argument("--_mlp-worker", dest="mlp_worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    parts = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = [x for x in parts if x not in PARTS]
    if unknown or not parts:
        p.error(f"--only takes parts from {','.join(PARTS)}, got {args.only!r}")
    args.parts = parts
    try:
        config = json.loads(args.mlp_config)
    except ValueError:
        config = None
    if not isinstance(config, dict):
        p.error(f"--mlp-config must be a JSON object, got {args.mlp_config!r}")
    args.mlp_config = config
    unknown = sorted(set(config) - set(measure.MLP_CONFIG))
    if unknown:
        p.error(f"--mlp-config keys must be among {sorted(measure.MLP_CONFIG)}, got {unknown}")
    if args.timeout is not None and args.timeout <= 0:
        p.error(f"--timeout must be > 0 seconds, got {args.timeout}")
    if args.mlp_repetitions < 1 or args.setup_runs < 1:
        p.error("--mlp-repetitions and --setup-runs must be >= 1")
    return args


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _repeat_differences(first, second) -> list[str]:
    """How two :class:`runner.NotebookRun` differ: their outcome, else their text outputs.

    Runs that fail the same way are compared up to the failing cell.
    """
    from course_utils.cells import compare_outputs

    if (first.status, first.error) != (second.status, second.error):
        return [f"run 1 {first.status} {first.error}, run 2 {second.status} {second.error}"]
    return compare_outputs(first.outputs, second.outputs)


def _bench_notebook(path: Path, args: argparse.Namespace) -> dict:
    """A notebook's row: its run on all cores, on one core, and repeated, as asked."""
    row: dict = {"name": path.name}
    _log(f"[notebooks] {path.name}: all cores ...")
    first = run_notebook(path, timeout=args.timeout)
    row["all"] = first.to_json()
    one = None
    if "notebooks" in args.parts and not args.no_one_core:
        _log(f"[notebooks] {path.name}: one core ...")
        first_core = sorted(os.sched_getaffinity(0))[0]
        one = run_notebook(path, cpus=[first_core], timeout=args.timeout)
        row["one"] = one.to_json()
    if "repeat" in args.parts:
        _log(f"[repeat] {path.name}: again, all cores ...")
        second = run_notebook(path, timeout=args.timeout)
        row["repeat"] = {
            "status": second.status,
            "error": second.error,
            "seconds": second.seconds,
            "differences": _repeat_differences(first, second),
            "one_core_differences": [] if one is None else _repeat_differences(first, one),
        }
    return row


def run_parts(args: argparse.Namespace) -> dict:
    """Run the selected parts; never raises for a failing notebook or part."""
    started = time.monotonic()
    report: dict = {"machine": measure.machine_info(), "parts": args.parts}
    paths = find_notebooks(args.notebooks)
    if ("notebooks" in args.parts or "repeat" in args.parts) and not paths:
        report["notebooks"] = []
        report["notebooks_error"] = f"no notebook matches {args.notebooks!r}"
    wanted = "notebooks" in args.parts or "repeat" in args.parts
    rows = [_bench_notebook(path, args) for path in (paths if wanted else [])]
    if rows:
        report["notebooks"] = rows
    if "mlp" in args.parts:
        _log("[mlp] NumPy vs Keras ...")
        try:
            config = {**args.mlp_config, "repetitions": args.mlp_repetitions}
            report["mlp"] = _run_mlp_subprocess(config)
        except Exception as exc:
            report["mlp"] = {"error": str(exc)}
    if "setup" in args.parts:
        _log(f"[setup] {args.setup_runs} install(s) into fresh venvs ...")
        try:
            report["setup"] = measure.bench_setup(args.setup_runs)
        except Exception as exc:
            report["setup"] = {"error": str(exc)}
    report["seconds"] = time.monotonic() - started
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return reporting.summarize(report)


def _ensure_course_python() -> None:
    """Re-run with the course's venv when this interpreter lacks its packages."""
    import importlib.util

    if all(importlib.util.find_spec(m) for m in ("nbclient", "psutil", "course_utils")):
        return
    venv_python = ROOT / ".venv" / "bin" / "python"
    if Path(sys.executable) == venv_python:
        return  # nothing better to try: the imports below will say what is missing
    if not venv_python.exists():
        _log("[setup] creating .venv with `make venv` (the README's install) ...")
        subprocess.run(["make", "-C", str(ROOT), "venv"], check=True)
    os.execv(str(venv_python), [str(venv_python), *sys.argv])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the table, write the JSON; return the exit code."""
    args = _parse(argv)
    if args.mlp_worker is not None:
        print(json.dumps(measure.bench_mlp(json.loads(args.mlp_worker))))
        return 0
    report = run_parts(args)
    print(reporting.format_table(report))
    if args.markdown:
        print("\n" + reporting.format_markdown(report))
    if report.get("notebooks_error"):
        print(f"\nERROR: {report['notebooks_error']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1))
    print(f"\nJSON written to {args.json}")
    code = reporting.exit_code(report)
    if report.get("notebooks_error"):
        code = 1
    return code


if __name__ == "__main__":
    _ensure_course_python()
    sys.exit(main())
