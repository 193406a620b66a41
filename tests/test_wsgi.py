"""``wsgi.py`` under gunicorn, as README offers it (``gunicorn -k gevent -w 1 wsgi:app``): it
must run the room as ``workshop serve`` does, from a brand-new database to a restart after a
crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.live_server import (
    InOrderClient,
    _copy_database,
    _free_port,
    _server_env,
    _stop,
    _template_database,
    connect_screen,
    csrf,
    healthy,
    join_over_http,
    open_workshop,
)

pytestmark = pytest.mark.waits
ROOT = Path(__file__).resolve().parent.parent
WAIT = 20.0


@contextmanager
def gunicorn(database: Path, log_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """README's gunicorn command on a free port (without gunicorn's control socket, which
    every gunicorn on the machine would share): (its process group's leader, URL)."""
    executable = Path(sys.executable).parent / "gunicorn"
    if not executable.exists():
        pytest.fail(
            f"gunicorn is not installed next to {sys.executable} (pip install -e '.[test]')"
        )
    port = _free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(executable), "-k", "gevent", "-w", "1", "wsgi:app"]
            + ["--bind", f"127.0.0.1:{port}", "--no-control-socket"],
            cwd=ROOT,
            env=_server_env(database),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # the master and its worker, to kill together
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield process, url
    finally:
        _stop(process)


def crash(process: subprocess.Popen) -> None:
    """The machine loses the server at once: master and worker, with no chance to tidy up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextmanager
def screen(url: str, person: requests.Session, workshop_id: int) -> Iterator[InOrderClient]:
    client = InOrderClient(reconnection=False)
    connect_screen(client, url, person.cookies.get_dict(), workshop_id, WAIT)
    try:
        yield client
    finally:
        client.disconnect()


def people_here(url: str, staff: requests.Session, workshop_id: int) -> int:
    """How many participants the facilitator's screen counts as here (her own screen is not
    one of them)."""
    with screen(url, staff, workshop_id) as console:
        answer = console.call("state.sync", {}, timeout=WAIT)
    assert answer["ok"], answer
    return int(answer["snapshot"]["presence"]["online"])


def counted(
    url: str, staff: requests.Session, workshop_id: int, expected: int, settle: float = 0.0
) -> None:
    """The facilitator's screen comes to count ``expected`` participants as here, and still
    does ``settle`` seconds later."""
    deadline = time.monotonic() + WAIT
    while (here := people_here(url, staff, workshop_id)) != expected:
        assert time.monotonic() < deadline, f"{here} counted as here, not {expected}"
        time.sleep(0.25)
    time.sleep(settle)
    assert people_here(url, staff, workshop_id) == expected


def test_a_brand_new_database_is_made_ready_for_the_first_facilitator(tmp_path):
    """The first thing anyone does on a new deployment works: the home page offers the set-up,
    and the facilitator account it makes can log in and reach the dashboard."""
    with gunicorn(tmp_path / "new.sqlite3", tmp_path / "gunicorn.log") as (_, url):
        first = requests.Session()
        home = first.get(f"{url}/", timeout=WAIT)
        assert home.status_code == 200 and 'href="/setup"' in home.text, home.text[:500]
        made = first.post(
            f"{url}/setup",
            data={
                "display_name": "Fran",
                "email": "fran@example.org",
                "password": "a long password",
                "csrf_token": csrf(first.get(f"{url}/setup", timeout=WAIT).text),
            },
            timeout=WAIT,
        )
        assert made.status_code == 200 and "Create your first workshop" in made.text, made.text
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log and "Worker exiting" in log, log  # it stopped cleanly too


def test_after_a_crash_nobody_from_the_last_run_is_counted_as_here(tmp_path):
    database, log_path = tmp_path / "w.sqlite3", tmp_path / "gunicorn.log"
    _copy_database(_template_database(), database, log_path)
    with gunicorn(database, log_path) as (process, url):
        fac, workshop_id, code = open_workshop(url)
        amira = join_over_http(url, code, "Amira")
        with screen(url, amira, workshop_id):
            counted(url, fac, workshop_id, 1)
            crash(process)
    with gunicorn(database, log_path) as (_, url):
        # Amira's screen went with the crash. (Presence news waits up to two seconds, so the
        # count is read until then and a little more.)
        counted(url, fac, workshop_id, 0, settle=3.0)
        with screen(url, amira, workshop_id):  # she comes back, and is counted once
            counted(url, fac, workshop_id, 1)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()
