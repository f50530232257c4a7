"""Real-browser tests: the course's notebooks run in JupyterLab, in headless Chromium.

A learner meets the course in JupyterLab, often on Binder, not through nbval. These
tests serve a copy of ``notebooks/`` with JupyterLab on 127.0.0.1 (a free port, the
token switched off for this private test server only), open every notebook in
Debian's Chromium driven by Playwright (``pytest-playwright``), run all its cells and
look at what a learner would see: error outputs, figures, widgets.

Run them alone with ``python -m pytest -m browser``; leave them out with
``-m "not browser"``. They need Debian's ``chromium`` (``apt-get install chromium``;
Playwright's own browser download is never used). Without it they are skipped, with
the reason in pytest's ``-ra`` summary; with ``CI=true`` they fail instead, so CI can
never pass without having run them. On failure a screenshot is saved under
``build/browser-screenshots/`` and its path is printed with the failure.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest
from lab_harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IN_CI,
    PAGE_TIMEOUT,
    TIMINGS,
    JupyterLabServer,
    NotebookPage,
    browser_unavailable_reason,
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: runs the notebooks in JupyterLab in headless Chromium (select with "
        '-m browser, leave out with -m "not browser"); needs /usr/bin/chromium',
    )


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    # Run them last: they are the slowest, and once started Playwright's sync API
    # leaves its asyncio loop marked as running in this thread until the session ends,
    # which the other tests (nbval's kernel clients) had better not see.
    chosen = set(map(id, browser_items))
    items[:] = [item for item in items if id(item) not in chosen] + browser_items
    reason = browser_unavailable_reason()
    if reason and not IN_CI:
        skip = pytest.mark.skip(
            reason=f"browser tests skipped: {reason} (with CI=true this is a failure)"
        )
        for item in browser_items:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _browser_requirements():
    """In CI the browser tests must run: a missing requirement is an error, not a skip."""
    reason = browser_unavailable_reason()
    if reason:
        pytest.fail(f"CI=true, but the browser tests cannot run: {reason}", pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium: no browser download, ever."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "timeout": PAGE_TIMEOUT * 1000,
    }


@pytest.fixture(scope="session")
def jupyterlab():
    """A JupyterLab server for the whole browser session, stopped with all it started."""
    workdir = Path(tempfile.mkdtemp(prefix="course-browser-"))
    server = JupyterLabServer(workdir)
    start = time.monotonic()
    try:
        server.prepare()
        server.start()
        TIMINGS.append(f"JupyterLab answered after {time.monotonic() - start:.1f} s")
        yield server
    finally:
        survivors = server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        TIMINGS.append(f"browser tests: {time.monotonic() - start:.0f} s from server start to stop")
    assert not survivors, f"processes left behind after stopping JupyterLab: {survivors}"


class _Current:
    """The page the running test works on, for the failure screenshot."""

    page: NotebookPage | None = None


@pytest.fixture(scope="module")
def open_notebook(browser, jupyterlab):
    """A factory: ``open_notebook(path)`` opens the notebook in a fresh browser context.

    The caller closes the page (``page.close()`` also shuts its kernel down); pages
    still open when the module's tests are done are closed then.
    """
    pages: list[NotebookPage] = []

    def _open(path: Path) -> NotebookPage:
        workspace = f"course-test-{len(pages)}"
        page = NotebookPage(browser, jupyterlab, path, workspace=workspace)
        pages.append(page)
        _Current.page = page
        page.open()
        return page

    yield _open
    for page in pages:
        page.close()
    _Current.page = None


# ----------------------------------------------------------- failure screenshots

_SCREENSHOTS = pytest.StashKey[list]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and report.when in ("setup", "call"):
        page = _Current.page if item.get_closest_marker("browser") else None
        if page is not None and not page.closed:
            path = page.screenshot(item.name)
            where = str(path) if path else "(the screenshot could not be taken)"
            report.sections.append(("browser screenshot", where))
            item.config.stash.setdefault(_SCREENSHOTS, []).append(f"{item.nodeid}: {where}")
            log = page.server.log_tail(3000)
            report.sections.append(("JupyterLab server log (last lines)", log))
            if page.console_errors:
                report.sections.append(
                    ("browser console errors", "\n".join(page.console_errors[-20:]))
                )
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if TIMINGS:
        terminalreporter.section("browser tests: notebooks run in JupyterLab")
        for line in TIMINGS:
            terminalreporter.write_line(line)
    shots = config.stash.get(_SCREENSHOTS, [])
    if shots:
        terminalreporter.section("browser screenshots of failures")
        for line in shots:
            terminalreporter.write_line(line)
