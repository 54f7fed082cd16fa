"""Browser tests: the real pages, served from a thread on 127.0.0.1, in the system Chromium.

Chromium comes from the operating system (Debian: ``apt-get install chromium
fonts-wqy-microhei``); Playwright never downloads a browser here. Where Chromium is missing the
tests are skipped and the run says so plainly, unless ``REQUIRE_BROWSER_TESTS=1`` (as in
``.ci/run``), which turns the skip into a failure.

Data written by a test must be committed before the page is opened: the server thread reads
through its own database session.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)
REQUIRED = os.environ.get("REQUIRE_BROWSER_TESTS") == "1"
HOW = ("install it (Debian: apt-get install -y chromium fonts-wqy-microhei, as root) and run "
       "make test again, or point CHROMIUM at the executable")
_not_run: list[str] = []


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    ours = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    if HAVE_CHROMIUM or not ours:
        return
    if REQUIRED:
        raise pytest.UsageError(f"REQUIRE_BROWSER_TESTS=1 but Chromium is not at {CHROMIUM}")
    skip = pytest.mark.skip(reason=f"browser test not run: Chromium not found; {HOW}")
    for item in ours:
        item.add_marker(skip)
    _not_run.extend(item.nodeid for item in ours)


def pytest_terminal_summary(terminalreporter):
    if _not_run:
        terminalreporter.write_sep(
            "!", f"{len(_not_run)} BROWSER TESTS WERE NOT RUN: Chromium was not found", red=True)
        terminalreporter.write_line(f"To run them, {HOW}.")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture(scope="session")
def live_server(app):
    """The app served by a real HTTP server in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url(live_server):
    """``page.goto("/path")`` opens the live server."""
    return live_server


@pytest.fixture(autouse=True)
def _empty_database_after(db):
    """Every browser test starts from an empty database, as the other tests do."""
    yield
