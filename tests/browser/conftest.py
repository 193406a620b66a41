"""Fixtures for end-to-end browser tests: a real ``workshop serve`` process and Chromium.

The server runs exactly as in production (``workshop serve`` under gevent, a
SQLite file, a facilitator and a leadership account made with ``workshop create-user``);
the browser is the system's Chromium driven by Playwright's sync API. Every simulated
person gets their own browser context, so their cookies never mix.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_TIMEOUT = 20.0
FACILITATOR_EMAIL = "fac@example.org"
FACILITATOR_NAME = "Fran Facilitator"
FACILITATOR_PASSWORD = "correct-horse-battery"
LEADERSHIP_EMAIL = "lead@example.org"
LEADERSHIP_NAME = "Lena Leader"
LEADERSHIP_PASSWORD = "staple-battery-horse"


@dataclass(frozen=True)
class LiveServer:
    url: str  # without trailing slash
    log_path: Path
    facilitator_email: str = FACILITATOR_EMAIL
    facilitator_password: str = FACILITATOR_PASSWORD
    # An account with the leadership role; a facilitator adds it to a workshop as staff.
    leadership_email: str = LEADERSHIP_EMAIL
    leadership_name: str = LEADERSHIP_NAME
    leadership_password: str = LEADERSHIP_PASSWORD

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the test item so fixtures can tell a failure at teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _test_failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


def _workshop_executable() -> Path:
    executable = Path(sys.executable).parent / "workshop"
    if not executable.exists():
        pytest.fail(f"The `workshop` command is not installed next to {sys.executable}.")
    return executable


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("SOCKETIO_MESSAGE_QUEUE", "SOCKETIO_ASYNC_MODE", "FLASK_APP", "HOST", "PORT"):
        env.pop(key, None)
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="e2e-test-secret-key-not-for-production",
        PUBLIC_URL="",  # join links must point at this test server
        SESSION_COOKIE_SECURE="",  # plain http on 127.0.0.1
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start one ``workshop`` command; :func:`_finish_cli` waits for it."""
    return subprocess.Popen(
        [str(_workshop_executable()), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _finish_cli(process: subprocess.Popen[str], log_path: Path) -> None:
    """Wait for a ``workshop`` command; fail the test with its output when it fails."""
    args = process.args[1:]
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    with log_path.open("a") as log:
        log.write(f"$ workshop {' '.join(args)}\n{stdout}{stderr}\n")
    if process.returncode != 0:
        pytest.fail(
            f"`workshop {' '.join(args)}` exited with {process.returncode}:\n{stdout}\n{stderr}"
        )


def _run_cli(args: list[str], env: dict[str, str], log_path: Path) -> None:
    """Run one ``workshop`` command; fail the test with its output when it fails."""
    _finish_cli(_start_cli(args, env), log_path)


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def live_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A real ``workshop serve`` on a free port, with a facilitator and a leadership account."""
    database = tmp_path / "e2e.sqlite3"
    log_path = tmp_path / "server.log"
    env = _server_env(database)

    _run_cli(["db", "upgrade"], env, log_path)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(_workshop_executable()), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    # The accounts are made while the server starts (each command takes a second or so).
    accounts = [
        _start_cli(
            ["create-user", "--role", role, "--email", email, "--name", name],
            {**env, "WORKSHOP_PASSWORD": password},
        )
        for role, email, name, password in (
            ("facilitator", FACILITATOR_EMAIL, FACILITATOR_NAME, FACILITATOR_PASSWORD),
            ("leadership", LEADERSHIP_EMAIL, LEADERSHIP_NAME, LEADERSHIP_PASSWORD),
        )
    ]
    server = LiveServer(url=url, log_path=log_path)
    try:
        for account in accounts:
            _finish_cli(account, log_path)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(
                    f"`workshop serve` exited with {process.returncode} before it answered "
                    f"/healthz:\n{server.log()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`workshop serve` did not answer {url}/healthz with 200 within "
                    f"{STARTUP_TIMEOUT:.0f} s:\n{server.log()}"
                )
            time.sleep(0.2)
        yield server
    finally:
        for account in accounts:
            if account.poll() is None:
                account.kill()
                account.wait(timeout=10)
        _stop(process)
        if _test_failed(request):
            print(f"\n----- workshop serve log ({log_path}) -----\n{server.log()}")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per module (the system's, as CI installs it)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is required for the browser tests but {CHROMIUM} does not exist. "
            "Install it (Debian/Ubuntu: apt-get install chromium)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_person(browser, live_server: LiveServer):
    """Open a fresh browser context (own cookies) for each simulated person.

    Returns a function ``new_person(name) -> Page``; JavaScript errors on any
    page are collected in ``new_person.page_errors`` so the test can assert none.
    """
    contexts = []
    page_errors: list[str] = []

    def open_person(name: str):
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(f"{name}: {error}"))
        return page

    open_person.page_errors = page_errors
    yield open_person
    for context in contexts:
        context.close()
