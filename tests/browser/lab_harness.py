"""The machinery of the browser tests: a private JupyterLab server and a notebook page.

Kept apart from ``conftest.py`` so the test module can import its constants.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from course_utils import cells, runner

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
SCREENSHOT_DIR = ROOT / "build" / "browser-screenshots"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI containers run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

# Generous limits (seconds) for what is not a cell: CI machines are slow and shared; a
# limit that is hit only means something hangs, since a normal run is far below each.
SERVER_START_TIMEOUT = 120
SERVER_START_ATTEMPTS = 2
SERVER_STOP_TIMEOUT = 30
PAGE_TIMEOUT = 120
KERNEL_READY_TIMEOUT = 180
# A cell, or a widget's redraw, has the course's one cell time limit
# (course_utils.runner.cell_timeout(), 60 s): a stalled cell fails within a minute,
# named, instead of holding the run for ten.

# What the tests did and how long it took, for the end of pytest's report.
TIMINGS: list[str] = []

# The kernel's matplotlib backend must be JupyterLab's inline one, as for a learner.
_ENV_DROPPED = ("MPLBACKEND", "JPY_PARENT_PID", "JUPYTER_TOKEN", "JUPYTER_PASSWORD")


def browser_unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    problems = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(
            f"Chromium not found at {CHROMIUM} (install Debian's package: "
            "apt-get install chromium; .ci/run does this)"
        )
    for module in ("playwright", "pytest_playwright"):
        if importlib.util.find_spec(module) is None:
            problems.append(f"Python package {module} is not installed (pip install -e '.[test]')")
    return "; ".join(problems) or None


# --------------------------------------------------------------------------- server


class LabStartError(RuntimeError):
    """JupyterLab did not come up."""


class CellStalled(TimeoutError):
    """A cell ran past the course's cell time limit in JupyterLab."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


class JupyterLabServer:
    """A private JupyterLab on 127.0.0.1 serving a copy of the course's notebooks.

    The copy keeps the repository's layout (``notebooks/`` beside links to ``data/``
    and the rest), so a kernel runs in the notebook's folder as it does for a learner,
    while nothing the browser does (autosave, checkpoints) can touch the real files.
    Jupyter's config, data, settings and workspaces live in a scratch folder too, so a
    developer's own JupyterLab set-up cannot change what the tests see.
    """

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.root = workdir / "course"
        self.log_path = workdir / "jupyterlab.log"
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._log = None

    # ---- set-up
    def prepare(self) -> None:
        self.root.mkdir(parents=True)
        shutil.copytree(
            NOTEBOOK_DIR,
            self.root / "notebooks",
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        for entry in ROOT.iterdir():
            if entry.name not in {"notebooks", ".git", ".venv", "build"}:
                (self.root / entry.name).symlink_to(entry)
        # The kernel is this Python (the course's virtual environment), whatever
        # kernels the machine has installed elsewhere.
        _write_json(
            self.workdir / "jupyter-path" / "kernels" / "python3" / "kernel.json",
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
        )
        settings = self.workdir / "lab-settings" / "@jupyterlab"
        # Never save: the notebooks stay as they are, even in the copy.
        _write_json(
            settings / "docmanager-extension" / "plugin.jupyterlab-settings",
            {"autosave": False},
        )
        # Every cell in the DOM, so every output can be inspected.
        _write_json(
            settings / "notebook-extension" / "tracker.jupyterlab-settings",
            {"windowingMode": "none"},
        )
        # No news or update pop-ups over the notebook (and no request to the Internet).
        _write_json(
            settings / "apputils-extension" / "notification.jupyterlab-settings",
            {"fetchNews": "false", "checkForUpdates": False},
        )

    def environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in _ENV_DROPPED}
        w = self.workdir
        env.update(
            TF_CPP_MIN_LOG_LEVEL="3",
            TF_ENABLE_ONEDNN_OPTS="0",
            PYTHONUNBUFFERED="1",
            JUPYTER_CONFIG_DIR=str(w / "jupyter-config"),
            JUPYTER_DATA_DIR=str(w / "jupyter-data"),
            JUPYTER_RUNTIME_DIR=str(w / "jupyter-runtime"),
            JUPYTER_PATH=str(w / "jupyter-path"),
            JUPYTERLAB_SETTINGS_DIR=str(w / "lab-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(w / "lab-workspaces"),
            IPYTHONDIR=str(w / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
        )
        return env

    def command(self, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            # No token, for this loopback-only test server alone (the course's
            # `make lab` keeps JupyterLab's token).
            "--IdentityProvider.token=",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            # Safety net should pytest itself be killed: idle kernels are culled and
            # the server then exits by itself. A normal run never gets near these.
            "--MappingKernelManager.cull_idle_timeout=900",
            "--MappingKernelManager.cull_interval=60",
            "--ServerApp.shutdown_no_activity_timeout=1800",
        ]

    # ---- life cycle
    def start(self) -> None:
        """Start JupyterLab and wait until it answers; one retry on another port."""
        failures = []
        for attempt in range(1, SERVER_START_ATTEMPTS + 1):
            try:
                self._start_once()
                return
            except LabStartError as exc:
                failures.append(f"attempt {attempt}: {exc}")
                self.stop()
        raise LabStartError("JupyterLab did not start:\n" + "\n".join(failures))

    def _start_once(self) -> None:
        self.port = _free_port()
        self._log = open(self.log_path, "a", encoding="utf-8")
        self._log.write(f"\n===== starting JupyterLab on port {self.port}\n")
        self._log.flush()
        self.proc = subprocess.Popen(
            self.command(self.port),
            cwd=self.root,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one at the end
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LabStartError(
                    f"the server exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            if self._answers("api/status") and self._answers("lab"):
                return
            time.sleep(0.5)
        raise LabStartError(
            f"no answer on port {self.port} after {SERVER_START_TIMEOUT} s:\n{self.log_tail()}"
        )

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            f.seek(offset)
            return f.read()

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log_since(0)
        return text[-chars:]

    def stop(self) -> list[str]:
        """Stop the server, its kernels and anything they started; return survivors."""
        import psutil

        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                family = psutil.Process(proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                family = []
            # SIGTERM lets Jupyter shut its kernels down (they run in sessions of
            # their own, outside the server's process group).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
            _, alive = psutil.wait_procs(family, timeout=10)
            for p in alive:
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
            _, alive = psutil.wait_procs(alive, timeout=10)
            survivors = [f"{p.pid} {p.name()}" for p in alive if p.is_running()]
        else:
            survivors = []
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group, should anything remain
        if self._log is not None:
            self._log.close()
            self._log = None
        return survivors


# ------------------------------------------------------------------ notebook page

_JS_FIND = """
const findPanel = (path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
  }
  return null;
};
"""

_JS_KERNEL_READY = (
    "(path) => {"
    + _JS_FIND
    + """
  const w = findPanel(path);
  if (!w || !w.context.isReady || !w.sessionContext.isReady) return false;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}"""
)

# Everything the kernel sends on stderr or as an error, also what no cell shows (a
# widget callback's traceback goes to JupyterLab's log console, not to a cell).
_JS_LISTEN = (
    "(path) => {"
    + _JS_FIND
    + """
  const w = findPanel(path);
  window.__courseKernelErrors = [];
  w.sessionContext.iopubMessage.connect((_, msg) => {
    const type = msg.header.msg_type;
    const c = msg.content;
    if (type === 'error' || (type === 'stream' && c.name === 'stderr')) {
      window.__courseKernelErrors.push({
        parent: (msg.parent_header && msg.parent_header.msg_type) || '',
        text: type === 'error' ? c.ename + ': ' + c.evalue : String(c.text).slice(0, 2000),
        traceback: type === 'error' ? (c.traceback || []).join('\\n').slice(-3000) : '',
      });
    }
  });
  return true;
}"""
)

_JS_RUN_ALL = (
    "(path) => {"
    + _JS_FIND
    + """
  const app = window.jupyterapp;
  const w = findPanel(path);
  app.shell.activateById(w.id);
  window.__courseRunAll = {done: false};
  app.commands.execute('notebook:run-all-cells').then(
    (ok) => { window.__courseRunAll = {done: true, ok: ok}; },
    (err) => { window.__courseRunAll = {done: true, ok: false, error: String(err)}; });
  return true;
}"""
)

# The code cell the kernel is running now: the first one whose prompt shows [*].
_JS_RUNNING = (
    "(path) => {"
    + _JS_FIND
    + """
  const w = findPanel(path);
  if (!w) return null;
  let number = 0;
  const cells = w.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    if (cells[i].model.type !== 'code') continue;
    number += 1;
    const prompt = cells[i].node.querySelector('.jp-InputPrompt');
    if (prompt && prompt.textContent.includes('*')) {
      const lines = cells[i].model.sharedModel.getSource().split('\\n')
        .filter((line) => line.trim());
      return {index: i, number: number, first: (lines[0] || '').trim().slice(0, 70)};
    }
  }
  return null;
}"""
)

# Every cell's source and outputs, as the notebook model holds them.
_JS_CELLS = (
    "(path) => {"
    + _JS_FIND
    + """
  const w = findPanel(path);
  return w.content.widgets.map((cell) => ({
    cell_type: cell.model.type,
    source: cell.model.sharedModel.getSource(),
    execution_count: cell.model.type === 'code' ? cell.model.executionCount : null,
    outputs: cell.model.type === 'code' ? cell.model.outputs.toJSON() : [],
  }));
}"""
)

_JS_IDLE = (
    "(path) => {"
    + _JS_FIND
    + """
  const w = findPanel(path);
  if (!w) return false;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const prompts = w.content.node.querySelectorAll('.jp-InputPrompt');
  for (const p of prompts) { if (p.textContent.includes('*')) return false; }
  const indicator = w.node.querySelector('.jp-Notebook-ExecutionIndicator');
  return !indicator || indicator.getAttribute('data-status') === 'idle';
}"""
)

_JS_IMAGES_SETTLED = (
    "(path) => {"
    + _JS_FIND
    + """
  const w = findPanel(path);
  if (!w) return false;
  const imgs = w.content.node.querySelectorAll('.jp-OutputArea-output img');
  for (const img of imgs) { if (!img.complete) return false; }
  const outputs = w.content.node.querySelectorAll('.jp-OutputArea-output');
  for (const o of outputs) {
    if (o.textContent.includes('Loading widget')) return false;
  }
  return true;
}"""
)

_JS_REPORT = (
    "(path) => {"
    + _JS_FIND
    + """
  const w = findPanel(path);
  const cells = [];
  w.content.widgets.forEach((cell, index) => {
    const model = cell.model;
    if (model.type !== 'code') return;
    const outputs = model.outputs.toJSON();
    const node = cell.node;
    const imgs = Array.from(node.querySelectorAll('.jp-OutputArea-output img'));
    const errors = Array.from(node.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'));
    // A widget's view is a .jupyter-widgets element right inside an output.
    const widgetViews = Array.from(node.querySelectorAll('.jp-OutputArea-output'))
      .filter((o) => o.querySelector(':scope > .jupyter-widgets'));
    const outputText = Array.from(node.querySelectorAll('.jp-OutputArea-output'))
      .map((o) => o.textContent).join('\\n');
    cells.push({
      index: index,
      source: model.sharedModel.getSource().split('\\n')[0].slice(0, 80),
      count: model.executionCount,
      outputTypes: outputs.map((o) => o.output_type + (o.name ? ':' + o.name : '')),
      modelErrors: outputs.filter((o) => o.output_type === 'error')
        .map((o) => o.ename + ': ' + o.evalue),
      modelStderr: outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr')
        .map((o) => String(o.text).slice(0, 500)),
      modelImages: outputs.filter((o) => o.data && o.data['image/png']).length,
      // A figure shown as its text ("<Figure size 560x320 with 1 Axes>"), not an image.
      figuresAsText: outputs.filter((o) => o.data && !o.data['image/png'] &&
        /^<Figure size/.test(String(o.data['text/plain'] || ''))).length,
      modelWidgets: outputs.filter((o) =>
        o.data && o.data['application/vnd.jupyter.widget-view+json']).length,
      shownErrors: errors.map((e) => e.textContent.slice(0, 500)),
      images: imgs.map((img) => [img.naturalWidth, img.naturalHeight]),
      widgetViews: widgetViews.length,
      widgetErrors: (outputText.match(/Error displaying widget[^\\n]*/g) || []),
    });
  });
  return cells;
}"""
)


class NotebookPage:
    """One notebook opened in JupyterLab in its own browser context."""

    def __init__(self, browser, server: JupyterLabServer, path: Path, workspace: str):
        self.server = server
        self.path = path
        self.rel = f"notebooks/{path.name}"
        self.workspace = workspace
        self.context = browser.new_context(viewport={"width": 1400, "height": 1400})
        self.context.set_default_timeout(PAGE_TIMEOUT * 1000)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"page error: {exc}"))
        self.run_all_result: dict | None = None
        self.open_seconds: float | None = None
        self.run_seconds: float | None = None
        self.closed = False

    def open(self) -> None:
        """Open the notebook (a fresh workspace) and wait for its kernel to be idle."""
        start = time.monotonic()
        self.page.goto(
            self.server.url(f"lab/workspaces/{self.workspace}/tree/{self.rel}"),
            wait_until="domcontentloaded",
        )
        self.page.wait_for_function(
            _JS_KERNEL_READY, arg=self.rel, timeout=KERNEL_READY_TIMEOUT * 1000, polling=250
        )
        self.open_seconds = time.monotonic() - start
        self.page.evaluate(_JS_LISTEN, self.rel)

    def run_all(self) -> None:
        """Run all cells with JupyterLab's own command; wait until the kernel is idle.

        Raises:
            CellStalled: a cell ran past the course's cell time limit; the message
                names the notebook, the cell and its first line.
        """
        start = time.monotonic()
        limit = runner.cell_timeout()
        self.page.evaluate(_JS_RUN_ALL, self.rel)
        running, since = None, time.monotonic()
        while not self.page.evaluate("() => window.__courseRunAll.done"):
            now = self.page.evaluate(_JS_RUNNING, self.rel)
            key = now and now["index"]
            if key != (running and running["index"]):
                running, since = now, time.monotonic()
            elif running is not None and time.monotonic() - since > limit:
                self.interrupt_kernel()
                raise CellStalled(
                    f"{self.rel}: code cell {running['number']} (`{running['first']}`) ran "
                    f"past the cell time limit of {limit:g} s in JupyterLab"
                )
            self.page.wait_for_timeout(250)
        self.run_all_result = self.page.evaluate("() => window.__courseRunAll")
        self.wait_idle()
        self.run_seconds = time.monotonic() - start
        self.wait_outputs_settled()

    def cells(self) -> list[dict]:
        """Every cell as the notebook model holds it: type, source, count, outputs."""
        return self.page.evaluate(_JS_CELLS, self.rel)

    def text_outputs(self) -> list[tuple[int, str]] | None:
        """What the run printed (``cells.text_outputs``), or None when it is incomplete
        (Run All failed, or a code cell did not run)."""
        shown = self.cells()
        if not (self.run_all_result or {}).get("ok") or any(
            c["cell_type"] == "code" and c["execution_count"] is None
            for c in shown
            if "NBVAL_SKIP" not in cells.markers(c["source"])
        ):
            return None
        import nbformat

        return cells.text_outputs(nbformat.from_dict({"cells": shown}))

    def interrupt_kernel(self) -> None:
        with contextlib.suppress(Exception):
            self.page.evaluate(
                "(path) => {"
                + _JS_FIND
                + "const k = findPanel(path).sessionContext.session.kernel;"
                " return k.interrupt(); }",
                self.rel,
            )

    def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until the kernel is idle, no cell shows [*] and the indicator says idle.

        The state must hold twice in a row, half a second apart, so a gap between two
        messages of the kernel is not taken for the end of its work.
        """
        timeout = runner.cell_timeout() if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(1.0, deadline - time.monotonic())
            self.page.wait_for_function(
                _JS_IDLE, arg=self.rel, timeout=remaining * 1000, polling=250
            )
            self.page.wait_for_timeout(500)
            if self.page.evaluate(_JS_IDLE, self.rel):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel of {self.rel} did not stay idle")

    def wait_outputs_settled(self, timeout: float = 60) -> None:
        """Wait until every image has loaded and no widget still says 'Loading'."""
        self.page.wait_for_function(
            _JS_IMAGES_SETTLED, arg=self.rel, timeout=timeout * 1000, polling=250
        )

    def kernel_errors(self) -> list[dict]:
        """Errors and stderr the kernel sent since the notebook opened, in order.

        Each is ``{"parent": msg_type of the request, "text": ..., "traceback": ...}``;
        ``parent`` is "comm_msg" for a widget's callback.
        """
        return self.page.evaluate("() => window.__courseKernelErrors || []")

    def report(self) -> list[dict]:
        """What each code cell shows: outputs in the model and in the page."""
        return self.page.evaluate(_JS_REPORT, self.rel)

    def show_cell(self, index: int) -> None:
        """Scroll cell ``index`` into view (before a screenshot of a failure)."""
        with contextlib.suppress(Exception):
            self.page.evaluate(
                "([path, i]) => {" + _JS_FIND + "findPanel(path).content.widgets[i].node"
                ".scrollIntoView({block: 'center'}); }",
                [self.rel, index],
            )

    def shutdown_kernels(self) -> None:
        with contextlib.suppress(Exception):
            self.page.evaluate(
                "async () => { await window.jupyterapp.serviceManager.sessions.shutdownAll(); }"
            )

    def screenshot(self, name: str) -> Path | None:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / (re.sub(r"[^\w.-]+", "_", name).strip("_") + ".png")
        try:
            self.page.screenshot(path=str(path), full_page=True, timeout=30_000)
        except Exception:  # a screenshot must never hide the real failure
            return None
        return path

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.shutdown_kernels()
        with contextlib.suppress(Exception):
            self.context.close()
