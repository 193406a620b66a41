"""A whole room votes within ten seconds: how fast, what is lost, what does it cost?

Starts the real server (``workshop serve`` under gevent; with ``--processes K``,
K of them on their own ports behind a Redis message queue, started here from
/usr/bin/redis-server unless ``--redis`` names one), on a fresh SQLite file in
a temporary folder. A facilitator logs in and creates a workshop; a participant
submits proposals. Then N participants join exactly as docs/protocol.md says
(GET the join form, POST it with its CSRF token, then a Socket.IO connection
with ``auth: {"workshop_id": ...}`` and the session cookie), spread over the
server processes; with ``--pages`` each also loads the room page and every file
it needs (stylesheets, scripts, the modules they import), as a browser's first
visit does. The facilitator opens a dot vote on the proposals (and
reveals it, so every ``round.tallied`` carries the totals, as on a projector),
and every participant sends one ``vote.set``, the room spread evenly over
``--window`` seconds.

Reported per run:

* join time: the first join form fetched until all N are joined and connected
  (their snapshot received);
* vote ack: from a ``vote.set`` being sent until its acknowledgement arrives;
* vote -> every client: from a vote being sent until every client holds a
  ``round.tallied`` whose ``voters`` includes it. Votes are serialised by the
  workshop lock and acknowledged after commit, so the k-th acknowledgement (in
  time, over all clients) is taken as the k-th ballot committed, and a tally
  with ``voters >= k`` includes it;
* lost updates: clients that missed an event number for good, or whose state
  (kept from their snapshot and the events, as the protocol's client rule says)
  differs from a fresh ``state.sync`` snapshot at the end; also the number of
  events that came after a higher number (the client rule copes with those by
  a resync) and whether the final totals equal the votes sent;
* server CPU seconds per vote (user + system of the server processes, from
  /proc/<pid>/stat, over the voting until every client has the final tally),
  and memory per connection (resident memory after the joins minus before,
  divided by N).

The load generator is a small asyncio client written here (HTTP/1.1, RFC 6455
frames, Engine.IO 4 / Socket.IO 5 text packets, WebSocket transport only, so
no sticky sessions are needed), in one process per few hundred clients.
Everything runs on 127.0.0.1 and stops by itself; the temporary folder is
removed.

    .venv/bin/python bench/vote_storm.py --people 1000
    .venv/bin/python bench/vote_storm.py --people 1000 --compare --threading
    .venv/bin/python bench/vote_storm.py --people 1000 --processes 2

``--compare`` adds a run with LIVE_COALESCE_SECONDS=0 (every counter published
at once, as before coalescing); ``--threading`` adds a run of the app in
Flask-SocketIO's threading mode (the Werkzeug server, ``socketio.run``). Each
extra run is made after the first, on the same machine, and the table shows
each figure's ratio to the first run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import gzip
import json
import logging
import math
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSWORD = "bench-password-123"
FACILITATOR = "bench@example.org"
PROPOSALS = 5
CLIENTS_PER_WORKER = 400
JOIN_TIMEOUT = 180.0  # seconds for one person's form, post and connect
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STATIC_IN_PAGE = re.compile(r'(?:src|href)="(/static/[^"?#]+)')
# As workshop/static_files.py reads the live client's imports; written out here because the load
# generator imports nothing of the app (its servers may run another copy of the code).
MODULE_IMPORT = re.compile(r'^import [^;]*?from "\./([^"]+)"', re.M)

# ---------------------------------------------------------------------------------------------
# A light client: HTTP/1.1 requests and a WebSocket speaking Engine.IO 4 / Socket.IO 5.


async def http(
    port: int, method: str, path: str, cookies: dict[str, str], form: dict | None = None
) -> tuple[int, dict[str, str], str]:
    """One request on a fresh connection; Set-Cookie values are stored into ``cookies``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Connection: close",
            "Accept-Encoding: gzip",  # as every browser (which also offers br and zstd)
        ]
        if cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        if form is not None:
            head += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
            headers[name] = value
        if "content-length" in headers:
            text = await reader.readexactly(int(headers["content-length"]))
        else:
            text = await reader.read()
        if headers.get("content-encoding") == "gzip":
            text = gzip.decompress(text)
        return status, headers, text.decode("utf-8", "replace")
    finally:
        writer.close()


class WebSocket:
    """The client side of RFC 6455, text frames only; with ``deflate``, it offers compression
    as every browser does (``permessage-deflate``, RFC 7692) and inflates what the server
    compressed (it sends its own messages uncompressed, which the extension allows)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, inflate: bool
    ):
        self.reader, self.writer = reader, writer
        # One stream per connection: the server keeps its window between messages.
        self.inflater = zlib.decompressobj(-15) if inflate else None

    @classmethod
    async def open(
        cls, port: int, path: str, cookies: dict[str, str], *, deflate: bool = False
    ) -> WebSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        head = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()),
        ]
        if deflate:  # what Chromium and Firefox send
            head.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        status = await reader.readline()
        if b" 101 " not in status:
            writer.close()
            raise ConnectionError(f"WebSocket refused: {status!r}")
        accepted = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            accepted |= line.lower().startswith(b"sec-websocket-extensions: permessage-deflate")
        return cls(reader, writer, inflate=accepted)

    def send(self, text: str) -> None:
        data = text.encode()
        n = len(data)
        if n < 126:
            head = bytes((0x81, 0x80 | n))
        elif n < 65536:
            head = bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
        else:
            head = bytes((0x81, 0x80 | 127)) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        keystream = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(data, "little") ^ int.from_bytes(keystream, "little")).to_bytes(
            n, "little"
        )
        self.writer.write(head + mask + masked)

    async def receive(self) -> str | None:
        """The next text message; None once the connection is closed."""
        parts: list[bytes] = []
        while True:
            try:
                b0, b1 = await self.reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(await self.reader.readexactly(2), "big")
                elif n == 127:
                    n = int.from_bytes(await self.reader.readexactly(8), "big")
                payload = await self.reader.readexactly(n)
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            opcode = b0 & 0x0F
            if opcode == 8:
                return None
            if opcode == 9:  # ping: answer with a pong carrying the same data
                self.writer.write(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
                continue
            if opcode == 10:
                continue
            if not parts:
                compressed = bool(b0 & 0x40)  # RSV1 on a message's first frame
            parts.append(payload)
            if b0 & 0x80:
                data = b"".join(parts)
                if compressed and self.inflater is not None:
                    data = self.inflater.decompress(data + b"\x00\x00\xff\xff")
                return data.decode()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.write(bytes((0x88, 0x80)) + b"\0\0\0\0")
            self.writer.close()


ROUND_VOLATILE = ("server_now", "remaining_seconds")


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """The parts of a participant's state that the room's events keep up to date."""
    return {
        "phase": (state.get("workshop") or {}).get("phase"),
        "rounds": [
            {k: v for k, v in r.items() if k not in ROUND_VOLATILE} for r in state.get("rounds", [])
        ],
        "current_round_id": state.get("current_round_id"),
        "vote": state.get("vote"),
        "presence": state.get("presence"),
        "proposals": sorted(p["id"] for p in state.get("proposals", [])),
        "me": state.get("me"),
    }


@dataclass
class Participant:
    """One simulated person: cookies, one socket, and the state the protocol says to keep."""

    index: int  # global index, 0..N-1
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    ws: WebSocket | None = None
    state: dict[str, Any] | None = None
    seq: int = 0
    early: list[dict] = field(default_factory=list)  # events before the snapshot
    missing: set[int] = field(default_factory=set)
    late: int = 0  # events that came after a higher number
    late_in_vote: int = 0
    resyncs: int = 0
    unknown: set[str] = field(default_factory=set)
    tallies: list[tuple[float, int]] = field(default_factory=list)
    acks: dict[int, asyncio.Future] = field(default_factory=dict)
    next_ack: int = 0
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    failure: str = ""
    closed: bool = False  # the socket closed (the server dropped it)
    vote_round: int = 0
    snapshot_seq: int = 0
    seq_at_vote: int = 0

    # -- protocol ---------------------------------------------------------------------------

    async def join(self, code: str, workshop_id: int) -> None:
        _, _, page = await http(self.port, "GET", f"/j/{code}", self.cookies)
        token = CSRF.search(page)
        if not token:
            raise RuntimeError("no join form")
        form = {"display_name": f"P{self.index}", "level": "Frontline", "csrf_token": token[1]}
        status, _, _ = await http(self.port, "POST", f"/j/{code}", self.cookies, form)
        if status != 302:
            raise RuntimeError(f"join answered {status}")
        if PAGES:
            await self.load_room_page(workshop_id)
        self.ws = await WebSocket.open(
            self.port, "/socket.io/?EIO=4&transport=websocket", self.cookies, deflate=DEFLATE
        )
        opened = await self.ws.receive()
        if not opened or opened[0] != "0":
            raise RuntimeError(f"no Engine.IO open packet: {opened!r}")
        self.ws.send("40" + json.dumps({"workshop_id": workshop_id}))
        asyncio.get_running_loop().create_task(self.read())
        await asyncio.wait_for(self.connected.wait(), 120)
        if self.failure:
            raise RuntimeError(self.failure)

    async def load_room_page(self, workshop_id: int) -> None:
        """What a browser loads on its first visit before its socket: the room page, then
        every stylesheet, script and image it names and every module those scripts import,
        each once, with no cache."""
        status, _, page = await http(self.port, "GET", f"/w/{workshop_id}", self.cookies)
        if status != 200:
            raise RuntimeError(f"the room page answered {status}")
        wanted = STATIC_IN_PAGE.findall(page)
        seen: set[str] = set()
        while wanted:
            path = wanted.pop()
            if path in seen:
                continue
            seen.add(path)
            status, _, text = await http(self.port, "GET", path, self.cookies)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            if path.endswith(".js"):
                folder = path.rsplit("/", 1)[0]
                wanted += [f"{folder}/{name}" for name in MODULE_IMPORT.findall(text)]

    async def read(self) -> None:
        ws = self.ws
        assert ws is not None
        while (packet := await ws.receive()) is not None:
            now = time.perf_counter()
            kind = packet[:2]
            if packet == "2":
                ws.send("3")
            elif kind == "42":
                name, data = json.loads(packet[2:])
                self.on_event(name, data, now)
            elif kind == "43":
                bracket = packet.index("[")
                future = self.acks.pop(int(packet[2:bracket]), None)
                if future is not None and not future.done():
                    future.set_result((now, json.loads(packet[bracket:])[0]))
            elif kind == "40":
                pass  # connected; the snapshot (already received) is what we wait for
            elif kind == "44":
                self.failure = f"connect refused: {packet}"
                self.connected.set()
            elif packet[0] == "1":
                break
        if not self.connected.is_set():
            self.failure = self.failure or "closed before the snapshot"
            self.connected.set()
        self.closed = True
        ws.close()
        for future in self.acks.values():
            if not future.done():
                future.set_exception(ConnectionError("socket closed"))

    def call(self, name: str, payload: dict) -> asyncio.Future:
        assert self.ws is not None
        self.next_ack += 1
        future = asyncio.get_running_loop().create_future()
        self.acks[self.next_ack] = future
        self.ws.send(f"42{self.next_ack}" + json.dumps([name, payload]))
        return future

    def on_event(self, name: str, data: dict, now: float) -> None:
        if name == "state.snapshot":
            self.state = data
            self.seq = self.snapshot_seq = data["seq"]
            early, self.early = sorted(self.early, key=lambda e: e["data"]["seq"]), []
            for event in early:
                self.on_event(event["name"], event["data"], now)
            self.connected.set()
            return
        if name == "round.tallied" and data.get("round_id") == self.vote_round:
            self.tallies.append((now, data["voters"]))
        seq = data.get("seq")
        if seq is None:  # a personal message
            if name == "ballot.mine" and self.state is not None:
                self.state["me"] = data  # the whole `me` object
            return
        if self.state is None:
            self.early.append({"name": name, "data": data})
            return
        if seq <= self.seq:
            if seq in self.missing:
                self.missing.discard(seq)
                self.late += 1
                if seq > self.seq_at_vote > 0:
                    self.late_in_vote += 1
            return
        if seq > self.seq + 1:  # the client rule would send state.sync here
            self.missing.update(range(self.seq + 1, seq))
            self.resyncs += 1
        self.seq = seq
        self.apply(name, data)

    def apply(self, name: str, data: dict) -> None:
        state = self.state
        assert state is not None
        if name == "round.tallied":
            state["vote"] = {
                "round_id": data["round_id"],
                "voters": data["voters"],
                "results": data.get("results"),
            }
            me = state.get("me")
            if me is None or me.get("round_id") != data["round_id"]:
                state["me"] = {"round_id": data["round_id"], "voted": False, "ballot": None}
        elif name == "presence.changed":
            state["presence"] = data["presence"]
        elif name == "agenda.changed":
            state["rounds"] = data["rounds"]
            current = [r["id"] for r in data["rounds"] if r["status"] in ("running", "paused")]
            state["current_round_id"] = current[0] if current else None
        elif name == "phase.changed":
            state["workshop"]["phase"] = data["phase"]
            state["workshop"]["phase_changed_at"] = data["phase_changed_at"]
        elif name in ("proposal.submitted", "proposal.updated"):
            others = [p for p in state["proposals"] if p["id"] != data["proposal"]["id"]]
            state["proposals"] = [*others, data["proposal"]]
        elif name == "proposal.removed":
            state["proposals"] = [p for p in state["proposals"] if p["id"] != data["proposal_id"]]
        elif name == "workshop.updated":
            state["workshop"] = data["workshop"]
        elif name == "round.updated":
            state["rounds"] = [
                data["round"] if r["id"] == data["round"]["id"] else r for r in state["rounds"]
            ]
        elif name != "seq.skip":
            self.unknown.add(name)


# ---------------------------------------------------------------------------------------------
# A worker process: a few hundred participants on one asyncio loop, driven over a pipe.


# Whether the simulated browsers offer WebSocket compression (``--deflate``) and load the
# room page and its files (``--pages``); a worker process learns it from its environment.
DEFLATE = os.environ.get("VOTE_STORM_DEFLATE") == "1"
PAGES = os.environ.get("VOTE_STORM_PAGES") == "1"


def worker_main(conn: Any, indices: list[int], ports: list[int]) -> None:
    raise_open_file_limit()
    # A few hundred simulated browsers in one Python process: its own garbage collector's full
    # passes paused them all at once, and the pause counted as the server's latency (real
    # browsers each have their own). Collected as the server collects (server.GC_THRESHOLDS),
    # with everything made by the joins frozen out of the passes; the pauses are reported.
    gc.set_threshold(50_000, 20, 10)
    gc.callbacks.append(_time_collections)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Worker(conn, indices, ports).serve())


_gc_started = 0.0
GC_PAUSES: list[float] = []


def _time_collections(phase: str, info: dict[str, int]) -> None:
    global _gc_started
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        GC_PAUSES.append(time.perf_counter() - _gc_started)


class Worker:
    def __init__(self, conn: Any, indices: list[int], ports: list[int]):
        self.conn = conn
        self.people = [Participant(i, ports[i % len(ports)]) for i in indices]

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            command, args = await loop.run_in_executor(None, self.conn.recv)
            if command == "stop":
                for person in self.people:
                    if person.ws:
                        person.ws.close()
                await asyncio.sleep(0.2)
                self.conn.send(None)
                return
            self.conn.send(await getattr(self, command)(**args))

    async def join(self, code: str, workshop_id: int, in_flight: int) -> dict:
        gate = asyncio.Semaphore(in_flight)

        async def one(person: Participant) -> str:
            async with gate:
                try:
                    await asyncio.wait_for(person.join(code, workshop_id), JOIN_TIMEOUT)
                    return ""
                except Exception as error:  # reported, not raised: a failed join is a result
                    if person.ws is not None and not person.connected.is_set():
                        person.ws.close()
                        person.ws = None
                    return f"{type(error).__name__}: {error}"

        failures = await asyncio.gather(*(one(p) for p in self.people))
        gc.collect()
        gc.freeze()  # the joined clients live to the end
        GC_PAUSES.clear()
        return {"failures": [f for f in failures if f], "done": time.perf_counter()}

    async def vote(
        self, start: float, window: float, people: int, round_id: int, proposal_ids: list[int]
    ) -> dict:
        for person in self.people:
            person.vote_round = round_id
            person.seq_at_vote = person.seq

        async def one(person: Participant) -> tuple[float, float, str]:
            due = start + (person.index + 0.5) * window / people
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent = time.perf_counter()
            if person.ws is None:
                return sent, math.inf, "not connected"
            payload = {
                "proposal_id": proposal_ids[person.index % len(proposal_ids)],
                "dots": 1 + person.index % 3,
            }
            try:
                acked, answer = await asyncio.wait_for(person.call("vote.set", payload), 180)
            except Exception as error:
                return sent, math.inf, f"{type(error).__name__}: {error}"
            return sent, acked, "" if answer.get("ok") else json.dumps(answer)

        results = await asyncio.gather(*(one(p) for p in self.people))
        return {
            "votes": [(s, a) for s, a, _ in results],
            "voted": [p.index for p, (_, a, e) in zip(self.people, results, strict=True) if not e],
            "errors": [e for *_, e in results if e],
        }

    async def settled(self, voters: int, timeout: float) -> dict:
        """Wait until every client here holds a tally with ``voters``; then, per rank k, the
        latest time any client here first held a tally including the k-th ballot."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if all(
                p.closed or p.ws is None or (p.tallies and max(v for _, v in p.tallies) >= voters)
                for p in self.people
            ):
                break
            await asyncio.sleep(0.05)
        latest = [0.0] * (voters + 1)
        for person in self.people:
            if person.ws is None:
                continue  # never connected: counted as a failed join, not as a slow client
            reached = 0
            for at, count in sorted(person.tallies):
                while reached < min(count, voters):
                    reached += 1
                    latest[reached] = max(latest[reached], at)
            for k in range(reached + 1, voters + 1):
                latest[k] = math.inf
        short = sum(
            1 for p in self.people if not p.tallies or max(v for _, v in p.tallies) < voters
        )
        dropped = sum(1 for p in self.people if p.closed or p.ws is None)
        pauses = {"longest": max(GC_PAUSES, default=0.0), "total": sum(GC_PAUSES)}
        return {"latest": latest, "short": short, "dropped": dropped, "gc": pauses}

    async def check(self) -> dict:
        """Each client asks for a fresh snapshot and compares it with the state it kept."""
        mismatched, gaps, vote_gaps, late, unknown, examples = 0, 0, 0, 0, set(), []
        late_in_vote = sum(p.late_in_vote for p in self.people)
        resyncs = sum(p.resyncs for p in self.people)
        gap_examples = []

        async def one(person: Participant) -> None:
            nonlocal mismatched, gaps, vote_gaps, late
            unknown.update(person.unknown)
            late += person.late
            if person.missing:
                gaps += 1
                if max(person.missing) > person.seq_at_vote:
                    vote_gaps += 1
                if len(gap_examples) < 3:
                    gap_examples.append((person.snapshot_seq, sorted(person.missing)[:6]))
            if person.ws is None or person.state is None:
                return  # never joined: a failed join, reported as such
            for _attempt in range(5):
                try:
                    _, answer = await asyncio.wait_for(person.call("state.sync", {}), 120)
                except Exception:
                    continue
                fresh = answer.get("snapshot")
                if fresh is None:
                    await asyncio.sleep(1)
                    continue
                if fresh["seq"] > person.seq:
                    await asyncio.sleep(1)  # events still on their way
                    continue
                if comparable(fresh) != comparable(person.state):
                    mine, theirs = comparable(person.state), comparable(fresh)
                    if len(examples) < 2:
                        examples.append(
                            {k: (mine[k], theirs[k]) for k in mine if mine[k] != theirs[k]}
                        )
                    break
                return
            mismatched += 1

        gate = asyncio.Semaphore(50)

        async def gated(person: Participant) -> None:
            async with gate:
                await one(person)

        await asyncio.gather(*(gated(p) for p in self.people))
        return {
            "mismatched": mismatched,
            "gaps": gaps,
            "vote_gaps": vote_gaps,
            "gap_examples": gap_examples,
            "late": late,
            "late_in_vote": late_in_vote,
            "resyncs": resyncs,
            "unknown": sorted(unknown),
            "examples": examples,
        }


# ---------------------------------------------------------------------------------------------
# The servers.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def serve_threading(port: int) -> None:
    """The app in Flask-SocketIO's threading mode (Werkzeug), prepared as `workshop serve`
    prepares it."""
    os.environ["SOCKETIO_ASYNC_MODE"] = "threading"
    from workshop import create_app
    from workshop.extensions import socketio
    from workshop.migrate import upgrade_database
    from workshop.server import tune_garbage_collection
    from workshop.services.servers import forget_every_socket

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    app = create_app()
    with app.app_context():
        upgrade_database(app)
        forget_every_socket()
    tune_garbage_collection()  # as `workshop serve` does: the comparison is of the two modes
    socketio.run(
        app,
        host="127.0.0.1",
        port=port,
        allow_unsafe_werkzeug=True,
        use_reloader=False,
        log_output=False,
    )


@dataclass
class Setup:
    name: str
    processes: int = 1
    coalesce: float | None = None  # None: the server's default
    threading: bool = False


class Servers:
    """A database, a facilitator account, K server processes (and Redis when K > 1)."""

    def __init__(
        self, setup: Setup, workdir: Path, redis_url: str | None, source: Path | None = None
    ):
        self.setup = setup
        self.workdir = workdir
        self.redis: subprocess.Popen | None = None
        self.processes: list[subprocess.Popen] = []
        self.ports = [free_port() for _ in range(setup.processes)]
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("SOCKETIO_MESSAGE_QUEUE", "SOCKETIO_ASYNC_MODE", "FLASK_APP")
        }
        self.env.update(
            DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
            SECRET_KEY="bench-secret-key",
            WORKSHOP_PASSWORD=PASSWORD,
            JOIN_LIMIT_PER_ADDRESS="1000000 per minute",  # every client comes from 127.0.0.1
            PUBLIC_URL="",
            SESSION_COOKIE_SECURE="",
        )
        if setup.coalesce is not None:
            self.env["LIVE_COALESCE_SECONDS"] = str(setup.coalesce)
        if source is not None:  # run that copy of the code (e.g. `git archive HEAD`)
            self.env["PYTHONPATH"] = str(source)
        if setup.processes > 1:
            if redis_url is None:
                redis_port = free_port()
                self.redis = subprocess.Popen(
                    [
                        "/usr/bin/redis-server",
                        "--port",
                        str(redis_port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        str(workdir),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                redis_url = f"redis://127.0.0.1:{redis_port}/0"
                wait_for_port(redis_port, self.redis)
            self.env["SOCKETIO_MESSAGE_QUEUE"] = redis_url

    def start(self) -> None:
        cli = str(Path(sys.executable).parent / "workshop")
        subprocess.run([cli, "db", "upgrade"], env=self.env, check=True, capture_output=True)
        subprocess.run(
            [cli, "create-user", "--role", "facilitator", "--email", FACILITATOR, "--name", "B"],
            env=self.env,
            check=True,
            capture_output=True,
        )
        for number, port in enumerate(self.ports):
            if self.setup.threading:
                command = [sys.executable, __file__, "--serve-threading", str(port)]
            else:
                command = [cli, "serve", "--port", str(port)]
            log = open(self.workdir / f"server{number}.log", "wb")  # noqa: SIM115
            self.processes.append(
                subprocess.Popen(
                    command,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=raise_open_file_limit,
                )
            )
        for port, process in zip(self.ports, self.processes, strict=True):
            wait_for_port(port, process)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def log_tail(self) -> str:
        return "".join(
            (self.workdir / f"server{n}.log").read_text(errors="replace")[-3000:]
            for n in range(len(self.processes))
        )

    def errors(self) -> str:
        """How many tracebacks the servers logged, and the last line of each kind."""
        kinds: dict[str, int] = {}
        for n in range(len(self.processes)):
            lines = (self.workdir / f"server{n}.log").read_text(errors="replace").splitlines()
            for i, line in enumerate(lines):
                if line.startswith("Traceback"):
                    end = next(
                        (j for j in range(i + 1, len(lines)) if not lines[j].startswith(" ")),
                        len(lines) - 1,
                    )
                    kind = lines[end][:160]
                    kinds[kind] = kinds.get(kind, 0) + 1
        return "; ".join(f"{count} × {kind}" for kind, count in kinds.items())

    def stop(self) -> None:
        for process in [*self.processes, *([self.redis] if self.redis else [])]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.processes, *([self.redis] if self.redis else [])]:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing answers on port {port}")


# ---------------------------------------------------------------------------------------------
# One run.


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 in ms (inf when a value never came)."""
    if not values:
        return (math.nan,) * 3
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1000

    return at(0.50), at(0.95), at(0.99)


def staff_setup(base: str, people: int) -> tuple[Any, int, str]:
    """Log in, create a workshop for ``people`` and the one who writes the proposals (its
    participant cap, 500 unless set, raised as a facilitator of a larger room would); the
    facilitator's HTTP session, the workshop id, its code."""
    import requests

    fac = requests.Session()
    page = fac.get(base + "/login").text
    fac.post(
        base + "/login",
        data={"email": FACILITATOR, "password": PASSWORD, "csrf_token": CSRF.search(page)[1]},
    )
    form = fac.get(base + "/workshops/new").text
    created = fac.post(
        base + "/workshops/new",
        allow_redirects=False,
        data={
            "title": "Vote storm",
            "organisation": "Bench Org",
            "levels": "Frontline\nManager",
            "dots_per_participant": "3",
            "max_participants": str(people + 1),
            "csrf_token": CSRF.search(form)[1],
        },
    )
    workshop_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    console = fac.get(base + f"/workshops/{workshop_id}").text
    code = re.search(r"/j/([A-Z0-9]{8})", console)[1]
    return fac, workshop_id, code


def socket_for(base: str, cookies: dict[str, str], workshop_id: int) -> Any:
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(
        base,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
        auth={"workshop_id": workshop_id},
        transports=["websocket"],
        wait_timeout=60,
    )
    return client


def run(setup: Setup, args: argparse.Namespace) -> dict[str, Any]:
    import requests

    people = args.people
    workdir = Path(tempfile.mkdtemp(prefix="workshop-vote-storm-"))
    servers = Servers(setup, workdir, args.redis, args.source)
    workers: list[tuple[Any, Any]] = []
    staff = author = None
    result: dict[str, Any] = {"name": setup.name, "load_before": os.getloadavg()[0]}
    try:
        servers.start()
        base = f"http://127.0.0.1:{servers.ports[0]}"
        fac, workshop_id, code = staff_setup(base, people)
        staff = socket_for(base, fac.cookies.get_dict(), workshop_id)

        def command(name: str, payload: dict) -> dict:
            nonlocal staff
            if not staff.connected:  # dropped by a server too busy to answer its pings
                staff = socket_for(base, fac.cookies.get_dict(), workshop_id)
            answer = staff.call(name, payload, timeout=120)
            if not answer.get("ok"):
                raise SystemExit(f"{name} refused: {answer}")
            return answer

        # Proposals, written by one participant during a propose round.
        command("phase.set", {"phase": "propose"})
        writer = requests.Session()
        page = writer.get(base + f"/j/{code}").text
        writer.post(
            base + f"/j/{code}",
            data={"display_name": "Author", "level": "Manager", "csrf_token": CSRF.search(page)[1]},
        )
        author = socket_for(base, writer.cookies.get_dict(), workshop_id)
        proposal_ids = [
            author.call("proposal.submit", {"body": f"We serve option {n}"}, timeout=60)[
                "proposal_id"
            ]
            for n in range(PROPOSALS)
        ]
        author.disconnect()
        author = None

        # Load generators: client g goes to server g % K and to worker g % W.
        count = max(1, min(16, math.ceil(people / CLIENTS_PER_WORKER)))
        context = mp.get_context("spawn")
        for w in range(count):
            parent, child = context.Pipe()
            indices = list(range(w, people, count))
            process = context.Process(
                target=worker_main, args=(child, indices, servers.ports), daemon=True
            )
            process.start()
            workers.append((parent, process))

        def everyone(name: str, **kwargs: Any) -> list[Any]:
            for parent, _ in workers:
                parent.send((name, kwargs))
            return [parent.recv() for parent, _ in workers]

        time.sleep(0.5)
        rss_before = rss_mib(servers.pids)
        cpu_before_join = cpu_seconds(servers.pids)
        result["load_join"] = os.getloadavg()[0]
        started = time.perf_counter()
        in_flight = max(1, args.join_concurrency // len(workers))
        joined = everyone("join", code=code, workshop_id=workshop_id, in_flight=in_flight)
        result["join_s"] = max(j["done"] for j in joined) - started
        result["join_failures"] = sum(len(j["failures"]) for j in joined)
        failures = [f for j in joined for f in j["failures"]]
        if failures:
            print(f"  {len(failures)} joins failed, e.g. {failures[:3]}", flush=True)
        time.sleep(1.0)  # presence news settles
        result["join_cpu_s"] = cpu_seconds(servers.pids) - cpu_before_join
        result["rss_mib"] = rss_mib(servers.pids)
        result["kib_per_conn"] = (result["rss_mib"] - rss_before) * 1024 / people
        print(
            f"  [{setup.name}] {people} joined in {result['join_s']:.1f} s, "
            f"{result['join_failures']} failed",
            flush=True,
        )

        # The vote opens (and is revealed: every tally carries the totals).
        command("phase.set", {"phase": "vote"})
        round_id = command("state.sync", {})["snapshot"]["current_round_id"]
        if not args.blind:
            command("round.reveal", {"round_id": round_id})
        time.sleep(1.0)
        cpu_before = cpu_seconds(servers.pids)
        client_pids = [process.pid for _, process in workers]
        clients_cpu_before = cpu_seconds(client_pids)
        result["load_vote"] = os.getloadavg()[0]
        start = time.perf_counter() + 1.0
        voted = everyone(
            "vote",
            start=start,
            window=args.window,
            people=people,
            round_id=round_id,
            proposal_ids=proposal_ids,
        )
        votes = [v for w in voted for v in w["votes"]]
        errors = [e for w in voted for e in w["errors"]]
        if errors:
            print(f"  {len(errors)} votes failed, e.g. {errors[:3]}", flush=True)
        acked = sorted((a, s) for s, a in votes if a != math.inf)
        settled = everyone("settled", voters=len(acked), timeout=args.timeout)
        cpu_after = cpu_seconds(servers.pids)
        clients_cpu = cpu_seconds(client_pids) - clients_cpu_before
        latest = [max(col) for col in zip(*(s["latest"] for s in settled), strict=True)]
        result["ack"] = percentiles([a - s for a, s in acked] + [math.inf] * len(errors))
        reach = [latest[rank] - sent for rank, (_, sent) in enumerate(acked, start=1)]
        result["reach"] = percentiles(reach + [math.inf] * len(errors))
        result["vote_errors"] = len(errors)
        result["short"] = sum(s["short"] for s in settled)
        result["dropped"] = sum(s["dropped"] for s in settled)
        result["cpu_ms_per_vote"] = (cpu_after - cpu_before) * 1000 / max(1, len(acked))
        # The load generator shares the machine: what it takes is not the server's to use.
        result["client_cpu_ms_per_vote"] = clients_cpu * 1000 / max(1, len(acked))
        result["client_gc_ms"] = (
            max(s["gc"]["longest"] for s in settled) * 1000,
            max(s["gc"]["total"] for s in settled) * 1000,
        )
        result["vote_span_s"] = (max(latest[1:]) if acked else math.nan) - start

        # The final totals must be the votes sent, and every client's state a fresh snapshot.
        final = command("state.sync", {})["snapshot"]["vote"]
        expected: dict[int, int] = {}
        for g in (g for w in voted for g in w["voted"]):
            pid = proposal_ids[g % len(proposal_ids)]
            expected[pid] = expected.get(pid, 0) + 1 + g % 3
        if final.get("results"):
            got = {i["proposal_id"]: i["dots"] for i in final["results"]["items"]}
            result["totals_ok"] = got == expected and final["voters"] == len(acked)
        else:
            result["totals_ok"] = final["voters"] == len(acked)
        checked = everyone("check")
        result["mismatched"] = sum(c["mismatched"] for c in checked)
        result["gaps"] = sum(c["gaps"] for c in checked)
        result["vote_gaps"] = sum(c["vote_gaps"] for c in checked)
        gap_examples = [e for c in checked for e in c["gap_examples"]]
        if gap_examples:
            print(f"  seq gaps (snapshot seq, missing seqs): {gap_examples[:4]}", flush=True)
        result["late"] = sum(c["late"] for c in checked)
        result["late_in_vote"] = sum(c["late_in_vote"] for c in checked)
        result["resyncs"] = sum(c["resyncs"] for c in checked)
        unknown = sorted({u for c in checked for u in c["unknown"]})
        examples = [e for c in checked for e in c["examples"]]
        if unknown:
            print(f"  events the bench client does not apply: {unknown}", flush=True)
        if examples:
            print(f"  a client that differs from its snapshot: {str(examples[0])[:600]}")
        result["server_alive"] = all(p.poll() is None for p in servers.processes)
        errors = servers.errors()
        if errors:
            print(f"  server log: {errors}", flush=True)
        return result
    except BaseException:
        print(servers.log_tail(), file=sys.stderr)
        raise
    finally:
        for parent, _process in workers:
            with contextlib.suppress(Exception):
                parent.send(("stop", {}))
        for parent, process in workers:
            with contextlib.suppress(Exception):
                if parent.poll(10):
                    parent.recv()
            process.join(5)
            if process.is_alive():
                process.kill()
        for client in (staff, author):
            with contextlib.suppress(Exception):
                if client is not None:
                    client.disconnect()
        servers.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The report.


def fmt_ms(value: float) -> str:
    if math.isinf(value):
        return "never"
    if math.isnan(value):
        return "-"
    return f"{value / 1000:.1f} s" if value >= 10000 else f"{value:.0f} ms"


ROWS: list[tuple[str, Any]] = [
    ("join (all joined + connected)", lambda r: f"{r['join_s']:.1f} s"),
    ("joins failed", lambda r: str(r["join_failures"])),
    ("vote ack p50 / p95 / p99", lambda r: " / ".join(fmt_ms(v) for v in r["ack"])),
    ("vote -> every client p50 / p95 / p99", lambda r: " / ".join(fmt_ms(v) for v in r["reach"])),
    ("votes failed", lambda r: str(r["vote_errors"])),
    ("clients without the final tally", lambda r: str(r["short"])),
    ("clients not connected at the end", lambda r: str(r["dropped"])),
    ("lost: clients != fresh snapshot", lambda r: str(r["mismatched"])),
    ("clients with seq gaps (all / in the vote)", lambda r: f"{r['gaps']} / {r['vote_gaps']}"),
    (
        "events after a higher seq (all / in the vote)",
        lambda r: f"{r['late']} / {r['late_in_vote']}",
    ),
    ("resyncs the client rule would make", lambda r: str(r["resyncs"])),
    ("final totals = votes sent", lambda r: "yes" if r["totals_ok"] else "NO"),
    ("server CPU per vote", lambda r: f"{r['cpu_ms_per_vote']:.1f} ms"),
    ("server CPU for the joins", lambda r: f"{r['join_cpu_s']:.1f} s"),
    ("load generator CPU per vote", lambda r: f"{r['client_cpu_ms_per_vote']:.1f} ms"),
    (
        "load generator GC pauses (longest / all, one process)",
        lambda r: "{:.0f} / {:.0f} ms".format(*r["client_gc_ms"]),
    ),
    ("memory per connection", lambda r: f"{r['kib_per_conn']:.0f} KiB"),
    ("server RSS", lambda r: f"{r['rss_mib']:.0f} MiB"),
    (
        "load avg before / joins / vote",
        lambda r: "{:.1f} / {:.1f} / {:.1f}".format(
            r["load_before"], r["load_join"], r["load_vote"]
        ),
    ),
]

RATIOS = {
    "join (all joined + connected)": lambda r: r["join_s"],
    "vote ack p50 / p95 / p99": lambda r: r["ack"][1],
    "vote -> every client p50 / p95 / p99": lambda r: r["reach"][1],
    "server CPU per vote": lambda r: r["cpu_ms_per_vote"],
    "memory per connection": lambda r: r["kib_per_conn"],
}


def report(results: list[dict[str, Any]], people: int) -> None:
    names = [r["name"] for r in results]
    header = [f"{people} people", *names]
    if len(results) > 1:
        header += [f"{n} / {names[0]} (p95)" for n in names[1:]]
    lines = [header]
    for label, cell in ROWS:
        row = [label, *(cell(r) for r in results)]
        if len(results) > 1:
            for other in results[1:]:
                if label in RATIOS:
                    base, value = RATIOS[label](results[0]), RATIOS[label](other)
                    row.append(f"{value / base:.1f}×" if base and not math.isinf(value) else "-")
                else:
                    row.append("")
        lines.append(row)
    print()
    print("| " + " | ".join(lines[0]) + " |")
    print("|" + "---|" * len(lines[0]))
    for row in lines[1:]:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-threading":
        serve_threading(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--processes", type=int, default=1, help="server processes (Redis)")
    parser.add_argument("--redis", help="redis:// URL of a running Redis (default: start one)")
    parser.add_argument("--window", type=float, default=10.0, help="seconds the votes spread over")
    parser.add_argument("--timeout", type=float, default=180.0, help="most seconds to wait")
    parser.add_argument(
        "--compare", action="store_true", help="also run with LIVE_COALESCE_SECONDS=0"
    )
    parser.add_argument("--threading", action="store_true", help="also run the threading mode")
    parser.add_argument("--blind", action="store_true", help="keep the results hidden")
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="clients offer WebSocket compression (permessage-deflate), as browsers do",
    )
    parser.add_argument(
        "--pages",
        action="store_true",
        help="each joiner also loads the room page and its files, as a browser's first visit",
    )
    parser.add_argument(
        "--join-concurrency", type=int, default=40, help="people joining at the same moment"
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="serve the code in this folder (e.g. a `git archive HEAD` copy), not this checkout",
    )
    args = parser.parse_args()
    if args.processes > 1 and not args.redis and not Path("/usr/bin/redis-server").exists():
        raise SystemExit("--processes needs /usr/bin/redis-server or --redis URL")
    raise_open_file_limit()
    if args.deflate:
        os.environ["VOTE_STORM_DEFLATE"] = "1"  # for the client processes, started later
    if args.pages:
        os.environ["VOTE_STORM_PAGES"] = "1"
    random.seed(13)
    label = "coalesced" if args.processes == 1 else f"{args.processes} processes, Redis"
    setups = [Setup(label, processes=args.processes)]
    if args.compare:
        setups.append(Setup("coalesce 0", processes=args.processes, coalesce=0))
    if args.threading:
        setups.append(Setup("threading", processes=1, threading=True))
    print(
        f"{args.people} people, votes over {args.window:.0f} s, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    results = []
    for setup in setups:
        print(f"- {setup.name} ...", flush=True)
        try:
            results.append(run(setup, args))
        except Exception as error:  # one setup failing still reports the others
            print(f"  [{setup.name}] FAILED: {type(error).__name__}: {error}", flush=True)
            continue
        report(results[-1:], args.people)
    if len(results) > 1:
        report(results, args.people)
    if not results:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
