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
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GLOB = "notebooks/[0-9][0-9]_*.ipynb"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "latest.json"
PARTS = ("notebooks", "repeat", "mlp", "setup")

# The budgets. They are reported, never asserted by tests.
BUDGET_NOTEBOOK_S = 30.0
BUDGET_COURSE_S = 150.0
BUDGET_PEAK_MB = 1024.0
BUDGET_KERAS_RATIO = 5.0  # Model.fit time / NumPy fit time, at least
BUDGET_FLOOR_RATIO = 2.0  # NumPy fit time / matmul floor, at most


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


# ---------------------------------------------------------------------------- the MLP

# The MLP the notebooks train most: the shipped digits, 64 inputs, one hidden ReLU layer,
# 10 logits, Adam, small mini-batches (notebook 05: [64, 256, 10], batches of 64;
# notebook 06, course_utils.combined: [64, 128, 10], batches of 50, Adam(0.01)).
MLP_CONFIG = {
    "data": "digits",
    "sizes": [64, 128, 10],
    "epochs": 20,
    "batch_size": 64,
    "learning_rate": 0.01,
    "repetitions": 5,
}


def _digits_split():
    from course_utils import datasets

    images, labels = datasets.load_digits()
    x = images.reshape(len(images), -1)
    x_tr, x_va, _, y_tr, y_va, _ = datasets.train_val_test_split(
        x, labels, val=0.2, test=0.2, seed=0
    )
    return x_tr, y_tr, x_va, y_va


def matmul_floor(sizes, n_train: int, n_val: int, epochs: int, batch_size: int) -> float:
    """Seconds for only the matrix products that ``training.fit`` does, same shapes.

    Per step and Dense layer ``(d_in, d_out)`` on a batch of ``b`` rows: ``x @ W``
    ``(b, d_in) @ (d_in, d_out)``, ``x.T @ dout`` and ``dout @ W.T``; per epoch, the
    forward products on the whole training and validation sets (the epoch-end
    evaluation). Float64, like the loop.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    dims = list(itertools.pairwise(sizes))
    weights = [rng.standard_normal((i, o)) for i, o in dims]
    batches = [batch_size] * (n_train // batch_size)
    if n_train % batch_size:
        batches.append(n_train % batch_size)
    acts = {b: [rng.standard_normal((b, i)) for i, _ in dims] for b in {*batches, n_train, n_val}}
    grads = {b: [rng.standard_normal((b, o)) for _, o in dims] for b in set(batches)}
    start = time.perf_counter()
    for _ in range(epochs):
        for b in batches:
            for x, w, g in zip(acts[b], weights, grads[b], strict=True):
                x @ w
                x.T @ g
                g @ w.T
        for n in (n_train, n_val):
            for x, w in zip(acts[n], weights, strict=True):
                x @ w
    return time.perf_counter() - start


def bench_mlp(config: dict | None = None) -> dict:
    """Time the course's fit loop, ``keras.Model.fit`` and the matmul floor (medians).

    Every repetition trains a freshly built model (NumPy) and a freshly built and
    compiled twin (Keras; its tracing is part of the cost a notebook pays), in turn.
    When OpenBLAS runs more than one thread, the NumPy loop and its floor are timed
    again with one BLAS thread (the matrices are small, so threads can cost more than
    they give).
    """
    config = {**MLP_CONFIG, **(config or {})}
    from course_utils import setup_notebook

    setup_notebook(seed=0, quiet=True)
    import keras

    from course_utils import keras_bridge, layers, optim, training

    x_tr, y_tr, x_va, y_va = _digits_split()
    sizes, epochs, bs, lr = (config[k] for k in ("sizes", "epochs", "batch_size", "learning_rate"))
    rows = bs or len(x_tr)

    def numpy_fit(rep):
        model = layers.mlp(sizes, seed=rep)
        t = time.perf_counter()
        hist = training.fit(
            model,
            x_tr,
            y_tr,
            loss="cross_entropy",
            optimizer=optim.Adam(lr),
            epochs=epochs,
            batch_size=bs,
            validation_data=(x_va, y_va),
            seed=rep,
        )
        return time.perf_counter() - t, hist.history["val_accuracy"][-1]

    threads = _blas_threads()
    times: dict[str, list[float]] = {"numpy": [], "keras": [], "floor": []}
    if threads and threads > 1:
        times.update({"numpy_1thread": [], "floor_1thread": []})
    acc = {}
    for rep in range(config["repetitions"]):
        # NumPy first: TensorFlow's pool threads keep spinning for a moment after they
        # worked, and on two cores they would slow down whatever is timed next.
        time.sleep(0.5)
        times["floor"].append(matmul_floor(sizes, len(x_tr), len(x_va), epochs, rows))
        seconds, acc["numpy_val_accuracy"] = numpy_fit(rep)
        times["numpy"].append(seconds)
        if "numpy_1thread" in times:
            _blas_threads(set_to=1)
            times["floor_1thread"].append(matmul_floor(sizes, len(x_tr), len(x_va), epochs, rows))
            times["numpy_1thread"].append(numpy_fit(rep)[0])
            _blas_threads(set_to=threads)
        twin = keras_bridge.to_keras(layers.mlp(sizes, seed=rep))  # the same initial weights
        twin.compile(
            optimizer=keras.optimizers.Adam(lr),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        t = time.perf_counter()
        khist = twin.fit(
            x_tr, y_tr, epochs=epochs, batch_size=bs, validation_data=(x_va, y_va), verbose=0
        )
        times["keras"].append(time.perf_counter() - t)
        acc["keras_val_accuracy"] = float(khist.history["val_accuracy"][-1])
    med = {k: statistics.median(v) for k, v in times.items()}
    steps = epochs * -(-len(x_tr) // rows)
    result = {
        "config": config,
        "n_train": len(x_tr),
        "n_val": len(x_va),
        "steps": steps,
        "seconds": times,
        "numpy_median_s": med["numpy"],
        "keras_median_s": med["keras"],
        "floor_median_s": med["floor"],
        "keras_over_numpy": med["keras"] / med["numpy"],
        "numpy_over_floor": med["numpy"] / med["floor"],
        "numpy_ms_per_step": 1000 * med["numpy"] / steps,
        "keras_ms_per_step": 1000 * med["keras"] / steps,
        **acc,
        "blas": _blas_info(),
        "blas_threads": threads,
    }
    if "numpy_1thread" in med:
        result["numpy_1thread_median_s"] = med["numpy_1thread"]
        result["floor_1thread_median_s"] = med["floor_1thread"]
    return result


def _blas_info() -> str:
    import numpy as np

    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:
        return "unknown"


def _blas_threads(set_to: int | None = None) -> int | None:
    """OpenBLAS's thread count in this process (set it first if ``set_to``); None if unknown.

    Reads the library NumPy loaded, as threadpoolctl would, without depending on it.
    """
    import ctypes

    import numpy  # noqa: F401 - loads the BLAS library

    try:
        with open("/proc/self/maps") as f:
            paths = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower() and "/" in ln})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if getter is None:
                    continue
                if set_to is not None and setter is not None:
                    setter(int(set_to))
                return int(getter())
    return None


def _run_mlp_subprocess(config: dict | None, env_extra: dict | None = None) -> dict:
    """:func:`bench_mlp` in a fresh interpreter, so TensorFlow starts clean."""
    env = {**os.environ, **(env_extra or {})}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_mlp-worker", json.dumps(config or {})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the MLP benchmark failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ set-up


def _disk_mb(path: Path) -> float:
    """Size on disk (allocated blocks) of everything under ``path``, hard links once."""
    seen, total = set(), 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total / 2**20


def _copy_repo(dest: Path) -> None:
    ignore = shutil.ignore_patterns(
        ".venv",
        ".git",
        "results",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        "*.egg-info",
        ".ipynb_checkpoints",
        "build",
    )
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def bench_setup(runs: int = 2) -> dict:
    """Time the README's install (``make venv``) in temporary copies of the repository.

    ``make venv`` creates ``.venv`` with ``python3 -m venv``, upgrades pip and runs
    ``pip install -e ".[test]"``. Run ``runs`` times, each in a new copy: the first
    fills pip's cache, so the last one is the warm-cache time. Without ``make`` the
    same commands are run directly. pip's cache size and where pip takes wheels from
    (its configured indexes) are recorded, since both change what "warm" means.
    """
    base = getattr(sys, "_base_executable", None) or sys.executable
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = _path_without_venvs()
    cache_dir = _pip_output(base, ["cache", "dir"], env)
    sources = [
        line
        for line in _pip_output(base, ["config", "list"], env).splitlines()
        if "index-url" in line or "find-links" in line
    ]
    results = []
    for i in range(runs):
        with tempfile.TemporaryDirectory(prefix="course-setup-") as tmp:
            repo = Path(tmp) / "course"
            _copy_repo(repo)
            if shutil.which("make", path=env["PATH"]):
                cmd = ["make", "--no-print-directory", "venv", f"PYTHON={base}"]
                shell = False
            else:
                cmd = (
                    f'"{base}" -m venv .venv && .venv/bin/python -m pip install -q --upgrade pip'
                    ' && .venv/bin/python -m pip install -q -e ".[test]"'
                )
                shell = True
            cache_before = _disk_mb(Path(cache_dir)) if cache_dir else None
            t = time.perf_counter()
            proc = subprocess.run(
                cmd, cwd=repo, env=env, shell=shell, capture_output=True, text=True, check=False
            )
            seconds = time.perf_counter() - t
            if proc.returncode != 0:
                raise RuntimeError(f"install {i + 1} failed: {proc.stderr.strip()[-500:]}")
            results.append(
                {
                    "seconds": seconds,
                    "venv_mb": _disk_mb(repo / ".venv"),
                    "pip_cache_mb_before": cache_before,
                }
            )
    warm = "the last run with pip's cache warm (filled by the run before it)"
    return {
        "command": "make venv  (python3 -m venv .venv; pip install -U pip; pip install -e .[test])",
        "python": base,
        "runs": results,
        "warm_seconds": results[-1]["seconds"],
        "venv_mb": results[-1]["venv_mb"],
        "pip_cache_dir": cache_dir,
        "pip_cache_mb_after": _disk_mb(Path(cache_dir)) if cache_dir else None,
        "pip_sources": sources,
        "cache_note": warm if runs > 1 else "pip's cache as found",
    }


def _pip_output(python: str, args: list[str], env: dict) -> str:
    proc = subprocess.run(
        [python, "-m", "pip", *args], capture_output=True, text=True, env=env, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _path_without_venvs() -> str:
    parts = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(p for p in parts if not (Path(p).parent / "pyvenv.cfg").exists())


# ------------------------------------------------------------------------------ report


def machine_info() -> dict:
    """What the numbers were measured on, and how busy it was."""
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        pass
    return {
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(mem_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _budget(ok: bool) -> str:
    return "ok" if ok else "MISS"


def summarize(report: dict) -> dict:
    """Totals and budget verdicts from the raw results, added to ``report``."""
    budgets, nbs = {}, report.get("notebooks") or []
    if nbs:
        ok_all = [r for r in nbs if r["all"]["status"] == "ok"]
        total_all = sum(r["all"]["seconds"] for r in nbs)
        total_one = sum(r["one"]["seconds"] for r in nbs if r.get("one"))
        runs = [r[k] for r in nbs for k in ("all", "one") if r.get(k)]
        peak = max((x["peak_rss_mb"] for x in runs), default=0.0)
        slow = [r["name"] for r in nbs if r["all"]["seconds"] >= BUDGET_NOTEBOOK_S]
        heavy = [
            r["name"]
            for r in nbs
            if max(r[k]["peak_rss_mb"] for k in ("all", "one") if r.get(k)) >= BUDGET_PEAK_MB
        ]
        report["totals"] = {
            "seconds_all_cores": total_all,
            "seconds_one_core": total_one if any(r.get("one") for r in nbs) else None,
            "peak_rss_mb": peak,
            "notebooks": len(nbs),
            "ok": len(ok_all),
        }
        budgets["notebook_under_30s"] = {"ok": not slow, "misses": slow}
        budgets["course_under_150s"] = {"ok": total_all < BUDGET_COURSE_S, "value": total_all}
        budgets["peak_under_1GB"] = {"ok": not heavy, "misses": heavy, "value": peak}
    rep = [r for r in nbs if r.get("repeat") is not None]
    if rep:
        differ = [r["name"] for r in rep if r["repeat"]["differences"]]
        budgets["identical_outputs"] = {"ok": not differ, "misses": differ}
    mlp = report.get("mlp")
    if mlp and "error" not in mlp:
        budgets["numpy_5x_faster_than_keras"] = {
            "ok": mlp["keras_over_numpy"] >= BUDGET_KERAS_RATIO,
            "value": mlp["keras_over_numpy"],
        }
        budgets["numpy_within_2x_of_floor"] = {
            "ok": mlp["numpy_over_floor"] <= BUDGET_FLOOR_RATIO,
            "value": mlp["numpy_over_floor"],
        }
    report["budgets"] = budgets
    return report


def format_table(report: dict) -> str:
    """The human-readable table of a report made by :func:`main`."""
    m = report["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}; "
        f"Python {m['python']}; load average at start {m['load_average']}",
    ]
    nbs = report.get("notebooks") or []
    if nbs:
        has_one = any(r.get("one") for r in nbs)
        has_rep = any(r.get("repeat") is not None for r in nbs)
        lines += [
            "",
            "Notebooks (fresh kernel each; wall s from kernel launch to last cell; "
            "peak = kernel's VmHWM)",
        ]
        head = f"{'notebook':<34} {'2 cores s':>9} {'cpu s':>6}"
        if has_one:
            head += f" {'1 core s':>9}"
        head += f" {'peak MB':>8}"
        if has_rep:
            head += f" {'repeat':>8}"
        head += "  status"
        lines.append(head)
        lines.append("-" * len(head))
        for r in nbs:
            a, o = r["all"], r.get("one")
            row = f"{r['name'][:34]:<34} {_fmt(a['seconds']):>9} {_fmt(a['cpu_seconds']):>6}"
            if has_one:
                row += f" {_fmt(o['seconds']) if o else '-':>9}"
            peak = max(x["peak_rss_mb"] for x in (a, o) if x)
            row += f" {peak:>8.0f}"
            if has_rep:
                rp = r.get("repeat")
                verdict = "-" if rp is None else ("same" if not rp["differences"] else "DIFFER")
                row += f" {verdict:>8}"
            problems = [
                f"{k}: {x['status']}: {x['error']}"
                for k, x in (("2 cores", a), ("1 core", o))
                if x and x["status"] != "ok"
            ]
            row += "  " + ("; ".join(problems) if problems else "ok")
            lines.append(row)
        t = report["totals"]
        label = f"total ({t['notebooks']} notebooks)"
        total = f"{label:<34} {_fmt(t['seconds_all_cores']):>9} {'':>6}"
        if has_one:
            total += f" {_fmt(t['seconds_one_core']):>9}"
        total += f" {t['peak_rss_mb']:>8.0f}"
        lines.append(total)
        slow = [
            f"  {r['name']}: "
            + ", ".join(f"cell {i} {sec:.1f} s" for i, sec in r["all"]["slowest_cells"])
            + (
                f"; memory peak reached in cell {r['all']['peak_cell']}"
                if r["all"].get("peak_cell", -1) >= 0
                else ""
            )
            for r in nbs
            if r["all"].get("slowest_cells")
        ]
        if slow:
            lines += ["Slowest cells (2 cores):", *slow]
        for r in nbs:
            rp = r.get("repeat") or {}
            for d in rp.get("differences", []):
                lines.append(f"  differs on repeat: {r['name']} {d}")
            for d in rp.get("one_core_differences", []):
                lines.append(f"  1 core vs 2 cores (info): {r['name']} {d}")
            for k in ("all", "one"):
                if r.get(k) and r[k].get("stderr"):
                    lines.append(f"  stderr ({k}): {r['name']}: {r[k]['stderr'].strip()[:200]!r}")
    mlp = report.get("mlp")
    if mlp:
        lines.append("")
        if "error" in mlp:
            lines.append(f"NumPy vs Keras: FAILED: {mlp['error']}")
        else:
            c = mlp["config"]
            lines += [
                f"NumPy vs Keras: course MLP {c['sizes']} on the digits ({mlp['n_train']} train,"
                f" {mlp['n_val']} val), {c['epochs']} epochs, batch {c['batch_size']}"
                f" ({mlp['steps']} steps), Adam({c['learning_rate']}); median of"
                f" {c['repetitions']}",
                f"  course_utils training.fit   {mlp['numpy_median_s']:7.3f} s"
                f"  ({mlp['numpy_ms_per_step']:.2f} ms/step)",
                f"  keras Model.fit             {mlp['keras_median_s']:7.3f} s"
                f"  ({mlp['keras_ms_per_step']:.2f} ms/step)"
                f"  -> NumPy {mlp['keras_over_numpy']:.1f}x faster",
                f"  matmul floor                {mlp['floor_median_s']:7.3f} s"
                f"  -> loop/floor {mlp['numpy_over_floor']:.2f}x",
            ]
            if "numpy_1thread_median_s" in mlp:
                n1, f1 = mlp["numpy_1thread_median_s"], mlp["floor_1thread_median_s"]
                lines.append(
                    f"  with 1 BLAS thread: fit {n1:.3f} s, floor {f1:.3f} s"
                    f" -> loop/floor {n1 / f1:.2f}x, Keras/NumPy {mlp['keras_median_s'] / n1:.1f}x"
                )
            lines.append(
                f"  final val accuracy: NumPy {mlp['numpy_val_accuracy']:.3f},"
                f" Keras {mlp['keras_val_accuracy']:.3f}; BLAS {mlp['blas']},"
                f" {mlp.get('blas_threads')} thread(s)"
            )
    setup = report.get("setup")
    if setup:
        lines.append("")
        if "error" in setup:
            lines.append(f"Set-up: FAILED: {setup['error']}")
        else:
            runs = ", ".join(f"{r['seconds']:.0f} s" for r in setup["runs"])
            lines.append(
                f"Set-up: {setup['command']}: {runs} ({setup['cache_note']});"
                f" venv {setup['venv_mb'] / 1024:.2f} GB on disk"
            )
            if setup.get("pip_cache_dir") is not None:
                lines.append(
                    f"  pip cache {setup['pip_cache_dir']}:"
                    f" {_fmt(setup['runs'][0].get('pip_cache_mb_before'), 0)} MB before,"
                    f" {_fmt(setup.get('pip_cache_mb_after'), 0)} MB after;"
                    f" pip's sources: {'; '.join(setup.get('pip_sources') or ['PyPI'])}"
                )
    budgets = report.get("budgets") or {}
    if budgets:
        lines += ["", "Budgets (reported, not asserted):"]
        names = {
            "notebook_under_30s": f"every notebook < {BUDGET_NOTEBOOK_S:g} s on 2 cores",
            "course_under_150s": f"whole course < {BUDGET_COURSE_S:g} s on 2 cores",
            "peak_under_1GB": f"peak kernel memory < {BUDGET_PEAK_MB:g} MB",
            "identical_outputs": "identical text outputs on a repeated run",
            "numpy_5x_faster_than_keras": (
                f"NumPy fit >= {BUDGET_KERAS_RATIO:g}x faster than Model.fit"
            ),
            "numpy_within_2x_of_floor": f"NumPy fit <= {BUDGET_FLOOR_RATIO:g}x its matmul floor",
        }
        for key, b in budgets.items():
            extra = []
            if "value" in b:
                extra.append(f"{b['value']:.2f}")
            if b.get("misses"):
                extra.append("misses: " + ", ".join(b["misses"]))
            shown = f"  ({'; '.join(extra)})" if extra else ""
            lines.append(f"  {_budget(b['ok']):<4} {names[key]}{shown}")
    lines.append("")
    lines.append(
        f"Load average at end {report.get('load_average_end')};"
        f" the benchmark took {report.get('seconds', 0):.0f} s"
    )
    return "\n".join(lines)


def format_markdown(report: dict) -> str:
    """The measured numbers as the README's "How fast" table (Markdown)."""
    m = report["machine"]
    lines = []
    nbs = report.get("notebooks") or []
    if nbs:
        lines += [
            "| notebook | 2 cores | 1 core (as on Binder) | peak memory | same output twice |",
            "|---|---:|---:|---:|:---:|",
        ]
        for r in nbs:
            a, o, rp = r["all"], r.get("one"), r.get("repeat")
            peak = max(x["peak_rss_mb"] for x in (a, o) if x)
            ok = a["status"] == "ok" and (o is None or o["status"] == "ok")
            secs = f"{a['seconds']:.0f} s" if ok else f"{a['status']}"
            one = f"{o['seconds']:.0f} s" if o and ok else "-"
            same = "-" if rp is None else ("yes" if not rp["differences"] else "**no**")
            lines.append(f"| {r['name']} | {secs} | {one} | {peak:.0f} MB | {same} |")
        t = report["totals"]
        one_total = _fmt(t["seconds_one_core"], 0) + " s" if t["seconds_one_core"] else "-"
        lines.append(
            f"| **whole course** | **{t['seconds_all_cores']:.0f} s** | **{one_total}** |"
            f" max {t['peak_rss_mb']:.0f} MB | |"
        )
        lines.append("")
    mlp = report.get("mlp")
    if mlp and "error" not in mlp:
        c = mlp["config"]
        lines.append(
            f"Training the course's MLP ({c['sizes']} on the digits, {c['epochs']} epochs,"
            f" batches of {c['batch_size']}, Adam; median of {c['repetitions']}):"
            f" `course_utils.training.fit` {mlp['numpy_median_s']:.2f} s,"
            f" `keras.Model.fit` {mlp['keras_median_s']:.2f} s"
            f" (NumPy {mlp['keras_over_numpy']:.0f}x faster at this size);"
            f" the NumPy loop takes {mlp['numpy_over_floor']:.1f}x the time of its matrix"
            " products alone."
        )
        lines.append("")
    setup = report.get("setup")
    if setup and "error" not in setup:
        lines.append(
            f"Install (`make venv`, pip's cache warm): {setup['warm_seconds']:.0f} s;"
            f" the environment takes {setup['venv_mb'] / 1024:.1f} GB on disk."
        )
        lines.append("")
    lines.append(
        f"Measured with `python3 benchmarks/run.py` on {m['cpu']}, {m['cores']} cores,"
        f" {m['memory_gb']:.0f} GB, {m['os']}, Python {m['python']}"
        f" (load average {m['load_average'][0]:.1f} at the start)."
    )
    return "\n".join(lines)


def exit_code(report: dict) -> int:
    """1 if a notebook failed, a repeat differed or a part could not run; else 0."""
    bad = False
    for r in report.get("notebooks") or []:
        for k in ("all", "one"):
            bad |= bool(r.get(k)) and r[k]["status"] != "ok"
        rp = r.get("repeat")
        bad |= bool(rp) and (bool(rp["differences"]) or rp["status"] != "ok")
    for part in ("mlp", "setup"):
        bad |= bool(report.get(part)) and "error" in report[part]
    return 1 if bad else 0


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
    p.add_argument("--mlp-repetitions", type=int, default=MLP_CONFIG["repetitions"])
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
    unknown = sorted(set(config) - set(MLP_CONFIG))
    if unknown:
        p.error(f"--mlp-config keys must be among {sorted(MLP_CONFIG)}, got {unknown}")
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


def run_parts(args: argparse.Namespace) -> dict:
    """Run the selected parts; never raises for a failing notebook or part."""
    started = time.monotonic()
    report: dict = {"machine": machine_info(), "parts": args.parts}
    paths = find_notebooks(args.notebooks)
    if ("notebooks" in args.parts or "repeat" in args.parts) and not paths:
        report["notebooks"] = []
        report["notebooks_error"] = f"no notebook matches {args.notebooks!r}"
    rows = []
    for path in paths if ("notebooks" in args.parts or "repeat" in args.parts) else []:
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
        rows.append(row)
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
            report["setup"] = bench_setup(args.setup_runs)
        except Exception as exc:
            report["setup"] = {"error": str(exc)}
    report["seconds"] = time.monotonic() - started
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return summarize(report)


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
        print(json.dumps(bench_mlp(json.loads(args.mlp_worker))))
        return 0
    report = run_parts(args)
    print(format_table(report))
    if args.markdown:
        print("\n" + format_markdown(report))
    if report.get("notebooks_error"):
        print(f"\nERROR: {report['notebooks_error']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1))
    print(f"\nJSON written to {args.json}")
    code = exit_code(report)
    if report.get("notebooks_error"):
        code = 1
    return code


if __name__ == "__main__":
    _ensure_course_python()
    sys.exit(main())
