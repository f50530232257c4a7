"""Run a notebook in a fresh kernel of this Python: the one runner of the course's tools.

``make html`` (:mod:`course_utils.render`), the benchmarks (``benchmarks/run.py``) and
the repeatability test all execute notebooks through :func:`run` (what a run printed, and
how two runs compare, is read by :mod:`course_utils.cells`); nbval and the browser
tests take their cell time limit from :func:`cell_timeout`. So there is one answer to
each question: which kernel (this very Python, optionally pinned to some cores), which
environment (TensorFlow's log lines off), which nbval comment markers are honoured (the rule is
:func:`course_utils.cells.markers`), how
long a cell may run, and how a failure is named.

A failure always names the notebook, the code cell (numbered from 1, in the order the
notebook shows them) and the cell's first line, for example::

    03_dropout.ipynb: code cell 12 (`history = fit(model, ...)`) ran past the cell time
    limit of 60 s

Nothing here raises for a failing notebook: the :class:`NotebookRun` says what happened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

from course_utils.cells import cell_label, failing_line, honour_markers, text_outputs

#: No cell of the course needs more than this many seconds; a cell that runs longer has
#: stalled. The one cell time limit of nbval, the browser tests, ``make html``, the
#: benchmarks and the repeatability test. ``COURSE_CELL_TIMEOUT`` overrides it.
CELL_TIMEOUT = 60.0
CELL_TIMEOUT_ENV = "COURSE_CELL_TIMEOUT"
#: Seconds a kernel may take to start and answer.
STARTUP_TIMEOUT = 60.0


def cell_timeout() -> float:
    """Seconds one cell may run: ``COURSE_CELL_TIMEOUT`` if set, else :data:`CELL_TIMEOUT`.

    Raises:
        ValueError: ``COURSE_CELL_TIMEOUT`` is set to something that is not a number > 0.
    """
    raw = os.environ.get(CELL_TIMEOUT_ENV, "").strip()
    if not raw:
        return CELL_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(
            f"{CELL_TIMEOUT_ENV} must be a number of seconds > 0, got {raw!r} "
            f"(unset it for the default of {CELL_TIMEOUT:g} s)"
        )
    return value


# ---------------------------------------------------------------------------- kernel


def kernel_env(*, cpus: list[int] | None = None, mpl_backend: str | None = None) -> dict:
    """The environment of a notebook kernel: this one, with TensorFlow's logs off.

    ``mpl_backend=None`` removes ``MPLBACKEND`` (the learner's inline backend, figures
    rendered); 'Agg' is what the test suite uses. With ``cpus``, ``CPU_LIMIT`` is set to
    their number, as Binder does (``course_utils`` reads it).
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    if mpl_backend:
        env["MPLBACKEND"] = mpl_backend
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    if cpus is not None:
        env["CPU_LIMIT"] = str(len(cpus))
    return env


def kernel_manager_class(cpus: list[int] | None = None):
    """An AsyncKernelManager whose kernel is this very Python, pinned to ``cpus`` if given.

    Pinning wraps the launch in a tiny Python that calls ``sched_setaffinity`` and then
    ``execv``s the kernel, so every thread the kernel starts (TensorFlow's and
    OpenBLAS's pools included) inherits the mask, and the pid stays the kernel's.
    """
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class CurrentEnvKernelSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(
                resource_dir=ipykernel.kernelspec.RESOURCES,
                **ipykernel.kernelspec.get_kernel_dict(),
            )

    prefix = []
    if cpus is not None:
        mask = "{" + ",".join(str(int(c)) for c in cpus) + "}"
        prefix = [
            sys.executable,
            "-c",
            f"import os, sys; os.sched_setaffinity(0, {mask}); os.execv(sys.argv[1], sys.argv[1:])",
        ]

    class CourseKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return CurrentEnvKernelSpecs(data_dir=self.data_dir)

        def format_kernel_cmd(self, extra_arguments=None):
            return prefix + super().format_kernel_cmd(extra_arguments)

    return CourseKernelManager


def _proc_status_kb(pid: int, field: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


async def _sample_children(pid: int, peak: list[float], period: float = 0.25) -> None:
    import psutil

    try:
        parent = psutil.Process(pid)
    except psutil.Error:
        return
    while True:
        try:
            rss = sum(c.memory_info().rss for c in parent.children(recursive=True))
            peak[0] = max(peak[0], rss / 2**20)
        except psutil.Error:
            pass
        await asyncio.sleep(period)


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _log_tail(log, chars: int = 200) -> str:
    """The end of a kernel's own log, without jupyter's transport warning."""
    try:
        log.seek(0)
        text = log.read().decode(errors="replace")
    except (OSError, ValueError):
        return ""
    lines = [ln for ln in text.splitlines() if "without encryption" not in ln and ln.strip()]
    return "\n".join(lines)[-chars:]


# ------------------------------------------------------------------------------- run


@dataclasses.dataclass
class NotebookRun:
    """One execution of one notebook in a fresh kernel.

    ``status`` is ok, error (a cell raised, or the kernel could not start), timeout (a
    cell ran past the limit) or died (the kernel crashed or was killed); ``error`` then
    names the notebook, the cell and what happened, and ``failed_cell`` is the index
    of that cell in ``nb.cells``. ``nb`` is the executed notebook, outputs included.
    """

    name: str
    cores: str  # "all" or the CPU list it was pinned to, e.g. "0"
    status: str = "ok"
    error: str = ""
    failed_cell: int = -1
    seconds: float = 0.0  # kernel launch -> end of the last cell
    startup_seconds: float = 0.0  # kernel launch -> kernel ready
    cpu_seconds: float = 0.0  # the kernel's user + system time
    peak_rss_mb: float = 0.0  # the kernel's VmHWM
    children_peak_mb: float = 0.0  # sampled peak of the kernel's child processes
    peak_cell: int = -1  # the cell after which VmHWM last grew (by more than 1 MB)
    cell_seconds: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    cell_peak_mb: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    nb: object = dataclasses.field(default=None, repr=False)

    @property
    def outputs(self) -> list[tuple[int, str]]:
        """The text that a repeated run must print again
        (:func:`course_utils.cells.text_outputs`)."""
        return text_outputs(self.nb) if self.nb is not None else []

    @property
    def stderr(self) -> str:
        """Everything the cells wrote to stderr."""
        if self.nb is None:
            return ""
        return "".join(
            o.get("text", "")
            for c in self.nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr"
        )

    def slowest_cells(self, n: int = 3) -> list[tuple[int, float]]:
        """The ``n`` slowest code cells as ``(cell index, seconds)``, slowest first."""
        return sorted(self.cell_seconds, key=lambda c: -c[1])[:n]

    def to_json(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "nb"}
        d["slowest_cells"] = self.slowest_cells()
        return d


def _read(notebook):
    import nbformat

    if isinstance(notebook, (str, os.PathLike)):
        path = Path(notebook)
        return nbformat.read(path, as_version=4), path.name, path.parent
    return notebook, None, None


async def run_async(
    notebook,
    *,
    cwd: str | os.PathLike | None = None,
    name: str | None = None,
    cpus: list[int] | None = None,
    timeout: float | None = None,
    skip_marked: bool = True,
    mpl_backend: str | None = None,
    widget_state: bool = False,
) -> NotebookRun:
    """Execute a notebook in a fresh kernel of this Python, cell by cell, and measure it.

    Args:
        notebook: A path to an ``.ipynb`` file (read, never written), or a notebook
            node (run in place: its outputs are replaced).
        cwd: The kernel's working folder; by default the notebook file's folder.
        name: How messages name the notebook; by default its file name.
        cpus: Pin the kernel to these CPUs (``[0]``: one core, ``CPU_LIMIT=1``).
        timeout: Seconds one cell may run, > 0; None: :func:`cell_timeout`.
        skip_marked: Skip cells marked ``# NBVAL_SKIP``, as nbval does.
        mpl_backend: The kernel's matplotlib backend; None: the learner's (inline).
        widget_state: Store the widgets' state in the notebook's metadata (for HTML).

    Returns:
        A :class:`NotebookRun`; failures are recorded in it, never raised.

    Raises:
        ValueError: ``timeout`` is not > 0.
    """
    timeout = cell_timeout() if timeout is None else float(timeout)
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
    run = NotebookRun(name=name or "notebook", cores="all")
    if cpus is not None:
        run.cores = ",".join(map(str, cpus))
    try:
        nb, file_name, folder = _read(notebook)
    except Exception as exc:
        run.status, run.error = "error", f"{notebook}: unreadable notebook: {exc}"
        return run
    run.name = name or file_name or run.name
    run.nb = nb
    honour_markers(nb, skip=skip_marked)
    client = _client(nb, cpus=cpus, timeout=timeout, cwd=cwd or folder or os.getcwd())
    await _execute(
        client, nb, run, timeout, cpus=cpus, mpl_backend=mpl_backend, widget_state=widget_state
    )
    return run


def _client(nb, *, cpus, timeout: float, cwd):
    """An nbclient client for ``nb`` whose kernel is this Python (see :func:`run_async`)."""
    from nbclient import NotebookClient

    return NotebookClient(
        nb,
        timeout=max(1, round(timeout)),
        startup_timeout=int(STARTUP_TIMEOUT),
        kernel_manager_class=kernel_manager_class(cpus),
        kernel_name="python3",
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
        # Always on: nbclient 0.11 with it off still routes an Output widget's output to
        # a widget-state entry it never made (KeyError). Dropped below unless asked for.
        store_widget_state=True,
        # the kernel's own log (e.g. its note about local TCP) is not part of the run
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )


async def _execute(client, nb, run, timeout, *, cpus, mpl_backend, widget_state) -> None:
    """Start the kernel, run every cell measuring time and memory, and record in ``run``
    how it went (a failure is named by :func:`_record_failure`, never raised)."""
    index, start, sampler, pid = -1, time.monotonic(), None, None
    alive_at_failure = None  # was the kernel alive when the client failed?
    peak_children = [0.0]
    kernel_log = tempfile.TemporaryFile()  # the kernel process's own output, for a crash
    try:
        async with client.async_setup_kernel(
            env=kernel_env(cpus=cpus, mpl_backend=mpl_backend),
            stdout=kernel_log,
            stderr=kernel_log,
        ):
            pid = client.km.provisioner.process.pid
            _poll_in_slices(client.kc.shell_channel)
            run.startup_seconds = time.monotonic() - start
            sampler = asyncio.ensure_future(_sample_children(pid, peak_children))
            try:
                for index, cell in enumerate(nb.cells):
                    t_cell = time.monotonic()
                    await client.async_execute_cell(
                        cell, index, execution_count=client.code_cells_executed + 1
                    )
                    if cell.cell_type == "code":
                        _measure_cell(run, pid, index, time.monotonic() - t_cell)
            except Exception:
                # checked now: leaving the block below shuts the kernel down
                alive_at_failure = _alive(pid)
                raise
            if widget_state:
                client.set_widgets_metadata()
            else:
                nb.metadata.pop("widgets", None)
            run.seconds = time.monotonic() - start
            run.peak_rss_mb = _proc_status_kb(pid, "VmHWM") / 1024
            run.cpu_seconds = _cpu_seconds(pid)
    except Exception as exc:
        _record_failure(run, exc, timeout, pid, alive_at_failure, kernel_log)
    finally:
        if sampler is not None:
            sampler.cancel()
        kernel_log.close()
    if not run.seconds:
        run.seconds = time.monotonic() - start
    run.children_peak_mb = peak_children[0]
    if run.status != "ok":
        _name_failure(run, nb, index, started=pid is not None)


def _measure_cell(run, pid: int, index: int, seconds: float) -> None:
    """Record a code cell's time and the kernel's peak memory after it."""
    run.cell_seconds.append((index, seconds))
    hwm = _proc_status_kb(pid, "VmHWM") / 1024
    run.cell_peak_mb.append((index, round(hwm, 1)))
    if hwm > run.peak_rss_mb + 1:  # where the peak grew last
        run.peak_rss_mb, run.peak_cell = hwm, index


def _record_failure(run, exc, timeout, pid, alive_at_failure, kernel_log) -> None:
    """Set ``run.status`` and ``run.error`` from the exception a run ended with."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if isinstance(exc, CellTimeoutError):
        run.status = "timeout"
        run.error = f"ran past the cell time limit of {timeout:g} s"
    elif isinstance(exc, CellExecutionError):
        run.status = "error"
        run.error = f"raised {exc.ename}: {exc.evalue}".strip().rstrip(":")
        if not exc.evalue.strip():  # a bare assert: show the line that failed
            run.error += f" at `{failing_line(exc.traceback)}`"
    elif isinstance(exc, DeadKernelError):
        run.status = "died"
        run.error = "the kernel died (crashed, killed or out of memory)"
        tail = _log_tail(kernel_log)
        if tail:
            run.error += f"; its log: {tail}"
    # the kernel did not start or died mid-message, zmq trouble
    elif pid is not None and not (_alive(pid) if alive_at_failure is None else alive_at_failure):
        run.status = "died"
        run.error = "the kernel died (crashed, killed or out of memory)"
    else:
        run.status = "error"
        first = (str(exc).strip().splitlines() or [""])[0]
        run.error = f"{type(exc).__name__}: {first} {_log_tail(kernel_log)}".strip()


def _name_failure(run, nb, index: int, *, started: bool) -> None:
    """Prefix ``run.error`` with the notebook and the cell it happened in."""
    run.failed_cell = index
    where = cell_label(nb, index) if started else "the kernel's start"
    verb = "while running" if run.status == "died" else ""
    detail = " ".join(run.error.split())[:300]
    if verb:
        run.error = f"{run.name}: {detail}, {verb} {where}"
    else:
        run.error = f"{run.name}: {where} {detail}"


def _poll_in_slices(channel, slice_seconds: float = 1.0) -> None:
    """Make ``channel.get_msg(timeout)`` wait in slices of ``slice_seconds``.

    Under load, a run sometimes sat at a finished widget cell for exactly the cell
    time limit and then went on as if nothing happened (01, 05 and 06 at their Try-it
    cells, about one run in three), with the kernel idle. The likely cause (not proven):
    the reply had arrived, but the socket's poll missed its wake-up and looked again
    only when its timeout ran out. nbval, which polls differently, never showed it.
    Short slices bound such a wait to one slice; the cell's own limit is unchanged (the
    deadline is kept)."""
    get_msg = channel.get_msg

    async def sliced(timeout: float | None = None):
        from queue import Empty

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_seconds if deadline is None else deadline - time.monotonic()
            try:
                return await get_msg(timeout=max(0.0, min(slice_seconds, left)))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = sliced


def run_in_thread(function):
    """``function()``, called in a thread of its own when this one runs an event loop
    (as Playwright's leaves it), where ``asyncio.run`` would refuse to start."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function()
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(function).result()


def run(notebook, **kwargs) -> NotebookRun:
    """Synchronous :func:`run_async`; works even where an event loop already runs."""
    return run_in_thread(lambda: asyncio.run(run_async(notebook, **kwargs)))


async def run_pair_async(path, **kwargs) -> tuple[NotebookRun, NotebookRun]:
    """The same notebook twice at the same time, each pinned to its own core.

    With two cores this costs about one one-core run, and both runs see the same
    conditions (one core each, ``CPU_LIMIT=1``). With one core they run in turn.
    """
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) >= 2:
        return tuple(
            await asyncio.gather(
                run_async(path, cpus=[cores[0]], **kwargs),
                run_async(path, cpus=[cores[1]], **kwargs),
            )
        )
    a = await run_async(path, cpus=[cores[0]], **kwargs)
    b = await run_async(path, cpus=[cores[0]], **kwargs)
    return a, b
