"""The benchmark script (benchmarks/run.py) on tiny inputs: notebooks that pass, raise or
time out; its table, JSON and exit code; the output comparison used for repeatability."""

import json
from pathlib import Path

import pytest

from benchmarks import measure
from benchmarks import report as reporting
from benchmarks import run as bench

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, write_notebook):
    d = tmp_path_factory.mktemp("nbs")
    write_notebook(d / "01_ok.ipynb", "x = 6 * 7\nprint('answer', x)", "x / 2")
    write_notebook(
        d / "02_raises.ipynb", "print('before')", "x = 2\nassert x + x == 5\n", "print('no')"
    )
    write_notebook(d / "03_slow.ipynb", "import time\ntime.sleep(60)")
    return d


@pytest.mark.kernel
def test_main_reports_failures_in_the_table_and_json_and_exits_1(tiny, tmp_path, capsys):
    out = tmp_path / "r.json"
    args = ["--only", "notebooks", "--no-one-core", "--timeout", "3", "--json", str(out)]
    code = bench.main([*args, "--notebooks", str(tiny / "*.ipynb")])
    table = capsys.readouterr().out
    assert code == 1
    rows = {line.split()[0]: line for line in table.splitlines() if ".ipynb" in line}
    assert rows["01_ok.ipynb"].endswith("ok")
    assert (
        "code cell 2 (`x = 2`) raised AssertionError at `assert x + x == 5`"
        in (rows["02_raises.ipynb"])
    )
    assert (
        "code cell 1 (`import time`) ran past the cell time limit of 3 s" in (rows["03_slow.ipynb"])
    )
    assert "total (3 notebooks)" in table and "Budgets" in table
    report = json.loads(out.read_text())
    runs = {r["name"]: r["all"] for r in report["notebooks"]}
    assert [runs[n]["status"] for n in sorted(runs)] == ["ok", "error", "timeout"]
    ok = runs["01_ok.ipynb"]
    # The kernel's own peak memory and CPU time, read from /proc: a Python kernel is tens
    # of MB, far more than nothing and far less than the 1 GB budget.
    assert 20 < ok["peak_rss_mb"] < 1000 and ok["cpu_seconds"] > 0
    assert 0 < ok["startup_seconds"] < ok["seconds"]
    assert [c[0] for c in ok["slowest_cells"]] in ([1, 2], [2, 1])
    assert report["totals"]["notebooks"] == 3 and report["totals"]["ok"] == 1


def _report(**parts):
    nb_run = {
        "status": "ok",
        "error": "",
        "seconds": 12.0,
        "cpu_seconds": 15.0,
        "slowest_cells": [[5, 6.0], [2, 1.0]],
    }
    report = {
        "machine": measure.machine_info(),
        "notebooks": [
            {
                "name": "01_fast.ipynb",
                "all": {**nb_run, "peak_rss_mb": 600.0},
                "one": {**nb_run, "seconds": 14.0, "peak_rss_mb": 610.0},
                "repeat": {"status": "ok", "differences": [], "one_core_differences": []},
            },
            {
                "name": "02_slow.ipynb",
                "all": {**nb_run, "seconds": 40.0, "peak_rss_mb": 1100.0},
                "one": {**nb_run, "seconds": 55.0, "peak_rss_mb": 1100.0},
                "repeat": {
                    "status": "ok",
                    "differences": ["cell 4: 'a' vs 'b'"],
                    "one_core_differences": [],
                },
            },
        ],
        **parts,
    }
    return reporting.summarize(report)


def test_summary_budgets_table_and_exit_code():
    mlp = {
        "config": measure.MLP_CONFIG,
        "n_train": 1079,
        "n_val": 359,
        "steps": 340,
        "numpy_median_s": 0.1,
        "keras_median_s": 2.0,
        "floor_median_s": 0.04,
        "keras_over_numpy": 20.0,
        "numpy_over_floor": 2.5,
        "numpy_ms_per_step": 0.3,
        "keras_ms_per_step": 5.9,
        "numpy_val_accuracy": 0.95,
        "keras_val_accuracy": 0.95,
        "blas": "openblas",
    }
    setup = {
        "command": "make venv",
        "runs": [{"seconds": 90.0, "venv_mb": 1900.0, "pip_cache_mb_before": 0.0}],
        "venv_mb": 1900.0,
        "warm_seconds": 90.0,
        "cache_note": "warm",
        "pip_cache_dir": "/root/.cache/pip",
        "pip_cache_mb_after": 812.0,
        "pip_sources": [],
    }
    report = _report(mlp=mlp, setup=setup)
    b = report["budgets"]
    assert b["notebook_under_30s"] == {"ok": False, "misses": ["02_slow.ipynb"]}
    assert b["course_under_150s"]["ok"] and b["course_under_150s"]["value"] == 52.0
    assert not b["peak_under_1GB"]["ok"] and not b["identical_outputs"]["ok"]
    assert b["numpy_5x_faster_than_keras"]["ok"] and not b["numpy_within_2x_of_floor"]["ok"]
    table = reporting.format_table(report)
    assert "02_slow.ipynb" in table and "DIFFER" in table and "cell 4: 'a' vs 'b'" in table
    assert "0 MB before, 812 MB after; pip's sources: PyPI" in table
    assert "NumPy 20.0x faster" in table and "loop/floor 2.50x" in table and "1.86 GB" in table
    assert "MISS every notebook < 30 s" in table and "02_slow.ipynb: cell 5 6.0 s, cell 2" in table
    md = reporting.format_markdown(report)
    assert "| 02_slow.ipynb | 40 s | 55 s | 1100 MB | **no** |" in md
    assert "| **whole course** | **52 s** | **69 s** | max 1100 MB | |" in md
    assert "NumPy 20x faster" in md and "Install (`make venv`, pip's cache warm): 90 s" in md
    assert reporting.exit_code(report) == 1  # a repeat differed
    report["notebooks"][1]["repeat"]["differences"] = []
    assert reporting.exit_code(report) == 0  # budget misses alone do not fail the run
    assert reporting.exit_code({**report, "mlp": {"error": "boom"}}) == 1


def test_matmul_floor_grows_with_the_work_it_times():
    def floor(epochs):
        return measure.matmul_floor(
            [64, 128, 10], n_train=500, n_val=100, epochs=epochs, batch_size=8
        )

    # 50 epochs of products against 1: far more time, whatever the machine's load
    assert 0 < floor(1) < floor(50) < 60


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--only", "nope"], "--only takes parts from notebooks,repeat,mlp,setup"),
        (["--timeout", "0"], "--timeout must be > 0"),
        (["--setup-runs", "0"], "must be >= 1"),
        (["--mlp-config", "[1]"], "--mlp-config must be a JSON object"),
        (["--mlp-config", '{"width": 3}'], "--mlp-config keys must be among"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        bench.main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_no_matching_notebook_is_an_error(tmp_path, capsys):
    code = bench.main(
        [
            "--only",
            "repeat",
            "--notebooks",
            str(tmp_path / "none*.ipynb"),
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    assert code == 1 and "no notebook matches" in capsys.readouterr().out
