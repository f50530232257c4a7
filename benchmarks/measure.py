"""What the benchmarks measure, apart from the notebooks: the MLP, the install, the machine.

* :func:`bench_mlp`: the course's MLP trained by ``course_utils.training.fit`` and by
  ``keras.Model.fit`` on its twin, and the NumPy loop's floor (:func:`matmul_floor`).
* :func:`bench_setup`: the README's install (``make venv``) timed in copies of the
  repository, and the venv's size on disk.
* :func:`machine_info`: what the numbers were measured on.

The notebooks themselves are run by :mod:`course_utils.runner` (see ``run.py``). The
course's packages are imported inside the functions, so that a bare ``python3
benchmarks/run.py`` can first find the venv.
"""

from __future__ import annotations

import itertools
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
    data = _digits_split()
    x_tr, _, x_va, _ = data
    sizes, epochs, bs = (config[k] for k in ("sizes", "epochs", "batch_size"))
    rows = bs or len(x_tr)
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
        seconds, acc["numpy_val_accuracy"] = _numpy_fit(config, data, rep)
        times["numpy"].append(seconds)
        if "numpy_1thread" in times:
            _blas_threads(set_to=1)
            times["floor_1thread"].append(matmul_floor(sizes, len(x_tr), len(x_va), epochs, rows))
            times["numpy_1thread"].append(_numpy_fit(config, data, rep)[0])
            _blas_threads(set_to=threads)
        seconds, acc["keras_val_accuracy"] = _keras_fit(config, data, rep)
        times["keras"].append(seconds)
    return _mlp_result(config, data, times, acc, threads)


def _numpy_fit(config: dict, data, rep: int) -> tuple[float, float]:
    """Seconds and final validation accuracy of ``training.fit`` on a fresh MLP."""
    from course_utils import layers, optim, training

    x_tr, y_tr, x_va, y_va = data
    model = layers.mlp(config["sizes"], seed=rep)
    t = time.perf_counter()
    hist = training.fit(
        model,
        x_tr,
        y_tr,
        loss="cross_entropy",
        optimizer=optim.Adam(config["learning_rate"]),
        epochs=config["epochs"],
        batch_size=config["batch_size"],
        validation_data=(x_va, y_va),
        seed=rep,
    )
    return time.perf_counter() - t, hist.history["val_accuracy"][-1]


def _keras_fit(config: dict, data, rep: int) -> tuple[float, float]:
    """Seconds and final validation accuracy of ``Model.fit`` on the MLP's Keras twin
    (the same initial weights), compiled afresh."""
    import keras

    from course_utils import keras_bridge, layers

    x_tr, y_tr, x_va, y_va = data
    twin = keras_bridge.to_keras(layers.mlp(config["sizes"], seed=rep))
    twin.compile(
        optimizer=keras.optimizers.Adam(config["learning_rate"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    t = time.perf_counter()
    khist = twin.fit(
        x_tr,
        y_tr,
        epochs=config["epochs"],
        batch_size=config["batch_size"],
        validation_data=(x_va, y_va),
        verbose=0,
    )
    return time.perf_counter() - t, float(khist.history["val_accuracy"][-1])


def _mlp_result(config: dict, data, times: dict, acc: dict, threads: int | None) -> dict:
    """The MLP part's report: every time, their medians, ratios and steps."""
    x_tr, _, x_va, _ = data
    med = {k: statistics.median(v) for k, v in times.items()}
    steps = config["epochs"] * -(-len(x_tr) // (config["batch_size"] or len(x_tr)))
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
    results = [_install_once(i, base, env, cache_dir) for i in range(runs)]
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


def _install_once(i: int, base: str, env: dict, cache_dir: str) -> dict:
    """Install number ``i``, into a fresh copy of the repository: its time and venv size."""
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
        return {
            "seconds": seconds,
            "venv_mb": _disk_mb(repo / ".venv"),
            "pip_cache_mb_before": cache_before,
        }


def _pip_output(python: str, args: list[str], env: dict) -> str:
    proc = subprocess.run(
        [python, "-m", "pip", *args], capture_output=True, text=True, env=env, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _path_without_venvs() -> str:
    parts = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(p for p in parts if not (Path(p).parent / "pyvenv.cfg").exists())


# ----------------------------------------------------------------------------- machine


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
