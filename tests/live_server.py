"""A real ``workshop serve`` process for tests that need one: the browser tests, and the
tests that attack the server over the network.

The server runs exactly as in production (``workshop serve`` under gevent, a
SQLite file, accounts made with ``workshop create-user``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import engineio
import pytest
import requests
import socketio

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
    pid: int = 0
    env: tuple[tuple[str, str], ...] = ()
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


def workshop_executable() -> Path:
    executable = Path(sys.executable).parent / "workshop"
    if not executable.exists():
        pytest.fail(f"The `workshop` command is not installed next to {sys.executable}.")
    return executable


# Servers listen on ports below the kernel's range for outgoing connections (32768 and up
# on Linux), each test worker in a block of its own: a port the kernel hands out as free
# (bind to port 0) comes from that range, and between its release and the server's bind any
# of the thousands of connections the tests open could take it as its own source port.
_PORTS_FROM, _PORTS_PER_WORKER = 20_000, 1_500


def _free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = _PORTS_FROM + (int(worker) % 8 if worker.isdigit() else 0) * _PORTS_PER_WORKER
    for port in random.sample(range(first, first + _PORTS_PER_WORKER), 50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (this worker's last server may still be closing)
            return port
    raise RuntimeError(f"no free port from {first} on")


def _server_env(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("SOCKETIO_MESSAGE_QUEUE", "SOCKETIO_ASYNC_MODE", "FLASK_APP", "HOST", "PORT"):
        env.pop(key, None)
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="e2e-test-secret-key-not-for-production",
        PUBLIC_URL="",  # join links must point at this test server
        SESSION_COOKIE_SECURE="",  # plain http on 127.0.0.1
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1",  # scrypt costs 0.1 s a login; nothing to guard
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start one ``workshop`` command; :func:`_finish_cli` waits for it."""
    return subprocess.Popen(
        [str(workshop_executable()), *args],
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


def healthy(url: str) -> bool:
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


_template: Path | None = None
PACKAGE = Path(__file__).resolve().parent.parent / "workshop"


def _template_key() -> str:
    """What the template is made from: the package's code and migrations (and this file), so
    a change to any of them makes a new one."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for source in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(source.relative_to(PACKAGE)).encode() + source.read_bytes())
    return digest.hexdigest()[:16]


def _template_database() -> Path:
    """A migrated SQLite file holding the facilitator and the leadership account, made by the
    real commands (``workshop db upgrade``, ``workshop create-user``) and copied for each
    server. Each command is a process of its own (a second or more of work), so the file is
    made once for every test process of every run on this machine that has the same code:
    the first to take the lock makes it, the others wait for it and copy it."""
    global _template
    if _template is None:
        folder = Path(tempfile.gettempdir()) / f"workshop-test-template-{_template_key()}"
        folder.mkdir(exist_ok=True)
        database = folder / "template.sqlite3"
        with (folder / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / "made").exists():
                _make_template(database, folder / "commands.log")
                (folder / "made").touch()
        _template = database
    return _template


def _make_template(database: Path, log_path: Path) -> None:
    for leftover in (database, log_path, database.with_name(database.name + "-wal")):
        leftover.unlink(missing_ok=True)  # a run stopped half-way
    env = _server_env(database)
    _run_cli(["db", "upgrade"], env, log_path)
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
    for account in accounts:
        _finish_cli(account, log_path)


def _copy_database(template: Path, database: Path, log_path: Path) -> None:
    """A fresh copy of the template (with its write-ahead log, if one is left), and the
    commands that made it at the top of the server's log."""
    for suffix in ("", "-wal"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copyfile(source, database.with_name(database.name + suffix))
    log_path.write_text((template.parent / "commands.log").read_text())


@dataclass
class _Starting:
    """A server process launched and not yet known to answer."""

    process: subprocess.Popen[bytes]
    server: LiveServer


def _launch(
    folder: Path, *, open_files: int | None = None, env: dict[str, str] | None = None
) -> _Starting:
    """Start ``workshop serve`` on a fresh copy of the template in ``folder``, without
    waiting for it."""
    database = folder / "e2e.sqlite3"
    log_path = folder / "server.log"
    server_env = {**_server_env(database), **(env or {})}
    _copy_database(_template_database(), database, log_path)
    port = _free_port()

    def limit_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(workshop_executable()), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit_files,
        )
    server = LiveServer(
        url=f"http://127.0.0.1:{port}",
        log_path=log_path,
        pid=process.pid,
        env=tuple(server_env.items()),
    )
    return _Starting(process, server)


def _wait_until_healthy(starting: _Starting) -> None:
    process, server = starting.process, starting.server
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not healthy(server.url):
        if process.poll() is not None:
            pytest.fail(
                f"`workshop serve` exited with {process.returncode} before it answered "
                f"/healthz:\n{server.log()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(
                f"`workshop serve` did not answer {server.url}/healthz with 200 within "
                f"{STARTUP_TIMEOUT:.0f} s:\n{server.log()}"
            )
        time.sleep(0.05)


@contextmanager
def _serving(starting: _Starting) -> Iterator[LiveServer]:
    failed = True
    try:
        _wait_until_healthy(starting)
        yield starting.server
        failed = False
    finally:
        _stop(starting.process)
        if failed:
            log = starting.server.log()
            print(f"\n----- workshop serve log ({starting.server.log_path}) -----\n{log}")


@contextmanager
def running_server(
    tmp_path: Path,
    *,
    open_files: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """A real ``workshop serve`` on a free port, with a facilitator and a leadership account;
    ``open_files`` lowers the server's open-file limit (to attack it)."""
    with _serving(_launch(tmp_path, open_files=open_files, env=env)) as server:
        yield server


class ServerPool:
    """Servers for one test process, each test its own, the next one always starting while
    the current test runs: a server takes about 2 s of work to answer (the app's imports),
    which the browser tests otherwise waited for 24 times."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._made = 0
        self._spare: _Starting | None = None

    def _launch_next(self) -> _Starting:
        self._made += 1
        folder = self._folder / f"server-{self._made}"
        folder.mkdir()
        return _launch(folder)

    @contextmanager
    def server(self) -> Iterator[LiveServer]:
        """A server of its own, on a fresh copy of the template, for one test."""
        starting = self._spare or self._launch_next()
        self._spare = None
        with _serving(starting) as server:
            self._spare = self._launch_next()
            yield server

    def close(self) -> None:
        if self._spare is not None:
            _stop(self._spare.process)
            self._spare = None


class _EngineIOInArrivalOrder(engineio.Client):
    """python-engineio's client hands each message to its handler in a thread of its own, so
    two events that arrive back to back can be handled (and recorded) the other way round:
    under load, about one pair in a hundred. Here the handler runs in the read loop, in the
    order the server sent, as in a browser."""

    def _trigger_event(self, event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class InOrderClient(socketio.Client):
    """A Socket.IO client whose event handlers run in the order the events arrived, for
    tests that check the order the server sends in. Its handlers must not wait for the
    server (a ``call`` from a handler would wait for an answer that the same loop reads)."""

    def _engineio_client_class(self):
        return _EngineIOInArrivalOrder


def connect_screen(
    client: socketio.Client, url: str, cookies: dict[str, str], workshop_id: int, wait: float
) -> None:
    """Connect ``client`` to a workshop's room over a WebSocket as the person these cookies
    are, as their room page does (register its handlers first: the snapshot comes at once)."""
    client.connect(
        url,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
        auth={"workshop_id": workshop_id},
        transports=["websocket"],
        wait_timeout=wait,
    )


def csrf(page: str) -> str:
    """The CSRF token of the (first) form on a page."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def open_workshop(
    url: str, title: str = "Split room", departments: str = ""
) -> tuple[requests.Session, int, str]:
    """The facilitator logs in on the server at ``url`` and creates a workshop, as in her
    browser: (her session, its id, its join code)."""
    fac = requests.Session()
    fac.post(
        f"{url}/login",
        data={
            "email": FACILITATOR_EMAIL,
            "password": FACILITATOR_PASSWORD,
            "csrf_token": csrf(fac.get(f"{url}/login").text),
        },
    )
    created = fac.post(
        f"{url}/workshops/new",
        allow_redirects=False,
        data={
            "title": title,
            "organisation": "Org",
            "levels": "Frontline\nManager",
            "departments": departments,
            "dots_per_participant": "3",
            "csrf_token": csrf(fac.get(f"{url}/workshops/new").text),
        },
    )
    workshop_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    code = re.search(r"/j/([A-Z0-9]{8})", fac.get(f"{url}/workshops/{workshop_id}").text).group(1)
    return fac, workshop_id, code


def join_over_http(url: str, code: str, name: str) -> requests.Session:
    """A participant joins the workshop with its code, as the join form does: their session
    (its cookie is who they are)."""
    person = requests.Session()
    page = person.get(f"{url}/j/{code}").text
    answer = person.post(
        f"{url}/j/{code}",
        data={"display_name": name, "level": "Frontline", "csrf_token": csrf(page)},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    return person
