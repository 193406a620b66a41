"""How fast does one change reach everybody in a room, and what does the server hold?

Starts a real ``workshop serve`` (gevent) on a loopback port with a fresh
SQLite file, joins N participants over HTTP, opens N WebSocket clients,
then measures, for a phase change and for a proposal, the time from the
command being sent until the last of the N clients has the event. Also
reports the server's resident memory. Everything stays on 127.0.0.1 and
stops by itself.

    .venv/bin/python bench/room_fanout.py --people 300 --rounds 5
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import socketio

PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf(page: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Listener:
    """One participant's socket, counting arrivals of the events we wait for."""

    def __init__(self, url: str, cookies: dict[str, str], workshop_id: int, board: dict):
        self.client = socketio.Client(reconnection=False)
        self.board = board
        for name in ("phase.changed", "proposal.submitted"):
            self.client.on(name, self._arrived(name))
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.client.connect(
            url,
            headers={"Cookie": header},
            auth={"workshop_id": workshop_id},
            transports=["websocket"],
            wait_timeout=30,
        )

    def _arrived(self, name: str):
        def handler(data):
            with self.board["lock"]:
                self.board[name].append(time.perf_counter())
                if len(self.board[name]) == self.board["expected"]:
                    self.board["done"].set()

        return handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="workshop-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SECRET_KEY": "bench",
        "WORKSHOP_PASSWORD": PASSWORD,
    }
    cli = str(Path(sys.executable).parent / "workshop")
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            cli,
            "create-user",
            "--role",
            "facilitator",
            "--email",
            "b@example.org",
            "--name",
            "Bench",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    listeners: list[Listener] = []
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        fac = requests.Session()
        fac.post(
            base + "/login",
            data={
                "email": "b@example.org",
                "password": PASSWORD,
                "csrf_token": csrf(fac.get(base + "/login").text),
            },
        )
        form = fac.get(base + "/workshops/new").text
        created = fac.post(
            base + "/workshops/new",
            allow_redirects=False,
            data={
                "title": "Bench",
                "organisation": "Bench Org",
                "levels": "Frontline\nManager",
                "dots_per_participant": "3",
                "csrf_token": csrf(form),
            },
        )
        workshop_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
        console = fac.get(base + f"/workshops/{workshop_id}").text
        code = re.search(r"/j/([A-Z0-9]{8})", console).group(1)

        board = {
            "lock": threading.Lock(),
            "done": threading.Event(),
            "expected": args.people,
            "phase.changed": [],
            "proposal.submitted": [],
        }
        started = time.perf_counter()
        author_cookies = None
        for i in range(args.people):
            person = requests.Session()
            page = person.get(base + f"/j/{code}").text
            person.post(
                base + f"/j/{code}",
                data={"display_name": f"P{i}", "level": "Frontline", "csrf_token": csrf(page)},
            )
            cookies = person.cookies.get_dict()
            author_cookies = author_cookies or cookies
            listeners.append(Listener(base, cookies, workshop_id, board))
        print(
            f"{args.people} people joined and connected in {time.perf_counter() - started:.1f} s; "
            f"server RSS {rss_mib(server.pid):.0f} MiB"
        )

        staff = socketio.Client(reconnection=False)
        staff.connect(
            base,
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in fac.cookies.get_dict().items())},
            auth={"workshop_id": workshop_id},
            transports=["websocket"],
        )
        author = listeners[0].client
        results: dict[str, list[float]] = {"phase.changed": [], "proposal.submitted": []}
        for round_no in range(args.rounds):
            for name, send in [
                (
                    "phase.changed",
                    lambda r=round_no: staff.call(
                        "phase.set", {"phase": "propose" if r % 2 == 0 else "lobby"}, timeout=60
                    ),
                ),
                ("proposal.submitted", None),
            ]:
                if name == "proposal.submitted":
                    if round_no % 2 == 1:
                        continue  # proposals only while the propose phase is open
                    send = lambda r=round_no: author.call(  # noqa: E731
                        "proposal.submit", {"body": f"Bench wording {r}"}, timeout=60
                    )
                board[name].clear()
                board["done"].clear()
                t0 = time.perf_counter()
                ack = send()
                assert ack and ack.get("ok"), ack
                if not board["done"].wait(60):
                    raise SystemExit(f"only {len(board[name])}/{args.people} got {name}")
                results[name].append(max(board[name]) - t0)
        for name, times in results.items():
            if times:
                median_ms, worst_ms = statistics.median(times) * 1000, max(times) * 1000
                print(
                    f"{name:20s} to all {args.people}: median {median_ms:.0f} ms, "
                    f"worst {worst_ms:.0f} ms over {len(times)} runs"
                )
        print(f"server RSS after the runs: {rss_mib(server.pid):.0f} MiB")
        staff.disconnect()
    finally:
        for listener in listeners:
            with contextlib.suppress(Exception):  # best effort on the way out
                listener.client.disconnect()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
