"""The benchmarks' report: totals and budget verdicts, the table, the README's Markdown
and the exit code, from the raw results ``run.py`` gathers (a JSON-able dict)."""

from __future__ import annotations

# The budgets. They are reported, never asserted by tests.
BUDGET_NOTEBOOK_S = 30.0
BUDGET_COURSE_S = 150.0
BUDGET_PEAK_MB = 1024.0
BUDGET_KERAS_RATIO = 5.0  # Model.fit time / NumPy fit time, at least
BUDGET_FLOOR_RATIO = 2.0  # NumPy fit time / matmul floor, at most


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
        heavy = [r["name"] for r in nbs if peak_mb(r) >= BUDGET_PEAK_MB]
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
    """The human-readable table of a report made by ``run.py``'s ``main``."""
    m = report["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}; "
        f"Python {m['python']}; load average at start {m['load_average']}",
    ]
    lines += _table_notebooks(report)
    lines += _table_mlp(report.get("mlp"))
    lines += _table_setup(report.get("setup"))
    lines += _table_budgets(report.get("budgets") or {})
    lines.append("")
    lines.append(
        f"Load average at end {report.get('load_average_end')};"
        f" the benchmark took {report.get('seconds', 0):.0f} s"
    )
    return "\n".join(lines)


def peak_mb(row: dict) -> float:
    """A notebook's peak memory over its runs (all cores, and one core if run)."""
    return max(row[k]["peak_rss_mb"] for k in ("all", "one") if row.get(k))


def _table_notebooks(report: dict) -> list[str]:
    """The table's notebook rows, their total, the slowest cells and what differed."""
    nbs = report.get("notebooks") or []
    if not nbs:
        return []
    has_one = any(r.get("one") for r in nbs)
    has_rep = any(r.get("repeat") is not None for r in nbs)
    lines = [
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
    lines += [_notebook_row(r, has_one, has_rep) for r in nbs]
    t = report["totals"]
    label = f"total ({t['notebooks']} notebooks)"
    total = f"{label:<34} {_fmt(t['seconds_all_cores']):>9} {'':>6}"
    if has_one:
        total += f" {_fmt(t['seconds_one_core']):>9}"
    total += f" {t['peak_rss_mb']:>8.0f}"
    lines.append(total)
    return lines + _notebook_notes(nbs)


def _notebook_row(r: dict, has_one: bool, has_rep: bool) -> str:
    a, o = r["all"], r.get("one")
    row = f"{r['name'][:34]:<34} {_fmt(a['seconds']):>9} {_fmt(a['cpu_seconds']):>6}"
    if has_one:
        row += f" {_fmt(o['seconds']) if o else '-':>9}"
    row += f" {peak_mb(r):>8.0f}"
    if has_rep:
        rp = r.get("repeat")
        verdict = "-" if rp is None else ("same" if not rp["differences"] else "DIFFER")
        row += f" {verdict:>8}"
    problems = [
        f"{k}: {x['status']}: {x['error']}"
        for k, x in (("2 cores", a), ("1 core", o))
        if x and x["status"] != "ok"
    ]
    return row + "  " + ("; ".join(problems) if problems else "ok")


def _notebook_notes(nbs: list[dict]) -> list[str]:
    """The slowest cells of each notebook, then what differed or went to stderr."""
    lines = []
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
    return lines


def _table_mlp(mlp: dict | None) -> list[str]:
    if not mlp:
        return []
    if "error" in mlp:
        return ["", f"NumPy vs Keras: FAILED: {mlp['error']}"]
    c = mlp["config"]
    lines = [
        "",
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
    return lines


def _table_setup(setup: dict | None) -> list[str]:
    if not setup:
        return []
    if "error" in setup:
        return ["", f"Set-up: FAILED: {setup['error']}"]
    runs = ", ".join(f"{r['seconds']:.0f} s" for r in setup["runs"])
    lines = [
        "",
        f"Set-up: {setup['command']}: {runs} ({setup['cache_note']});"
        f" venv {setup['venv_mb'] / 1024:.2f} GB on disk",
    ]
    if setup.get("pip_cache_dir") is not None:
        lines.append(
            f"  pip cache {setup['pip_cache_dir']}:"
            f" {_fmt(setup['runs'][0].get('pip_cache_mb_before'), 0)} MB before,"
            f" {_fmt(setup.get('pip_cache_mb_after'), 0)} MB after;"
            f" pip's sources: {'; '.join(setup.get('pip_sources') or ['PyPI'])}"
        )
    return lines


#: How the table names each budget.
BUDGET_NAMES = {
    "notebook_under_30s": f"every notebook < {BUDGET_NOTEBOOK_S:g} s on 2 cores",
    "course_under_150s": f"whole course < {BUDGET_COURSE_S:g} s on 2 cores",
    "peak_under_1GB": f"peak kernel memory < {BUDGET_PEAK_MB:g} MB",
    "identical_outputs": "identical text outputs on a repeated run",
    "numpy_5x_faster_than_keras": f"NumPy fit >= {BUDGET_KERAS_RATIO:g}x faster than Model.fit",
    "numpy_within_2x_of_floor": f"NumPy fit <= {BUDGET_FLOOR_RATIO:g}x its matmul floor",
}


def _table_budgets(budgets: dict) -> list[str]:
    if not budgets:
        return []
    lines = ["", "Budgets (reported, not asserted):"]
    for key, b in budgets.items():
        extra = []
        if "value" in b:
            extra.append(f"{b['value']:.2f}")
        if b.get("misses"):
            extra.append("misses: " + ", ".join(b["misses"]))
        shown = f"  ({'; '.join(extra)})" if extra else ""
        lines.append(f"  {_budget(b['ok']):<4} {BUDGET_NAMES[key]}{shown}")
    return lines


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
            peak = peak_mb(r)
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
