"""Two ``workshop serve`` processes behind a real Redis message queue, one room split
across them: a vote on one process reaches a client on the other, every client sees the same
numbered events with no gaps, and a participant's cookie from one process works on the other.

The processes share one SQLite file and one SECRET_KEY, as several processes of a deployment
share a database and a key.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import socketio

from tests.live_server import (
    LEADERSHIP_EMAIL,
    LEADERSHIP_PASSWORD,
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
    workshop_executable,
)

REDIS = Path("/usr/bin/redis-server")
pytestmark = [
    pytest.mark.skipif(
        not REDIS.exists(), reason="needs /usr/bin/redis-server (apt-get install redis-server)"
    ),
    pytest.mark.waits,
]
WAIT = 15.0
PRESENCE_SECONDS = 0.25


def wait_until(condition, what: str, seconds: float = WAIT, every: float = 0.02) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    """A Redis server on a free port, keeping nothing on disk: (process, queue URL)."""
    port = _free_port()
    redis = subprocess.Popen(
        [str(REDIS), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return redis, f"redis://127.0.0.1:{port}/0"


def start_server(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """One more ``workshop serve`` on a free port: (process, URL)."""
    port = _free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(workshop_executable()), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return process, f"http://127.0.0.1:{port}"


def wait_until_serving(servers: list[tuple[subprocess.Popen, str]], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while not all(healthy(url) for _, url in servers):
        if any(p.poll() is not None for p, _ in servers) or time.monotonic() > deadline:
            pytest.fail(f"the servers did not start:\n{log_path.read_text()}")
        time.sleep(0.2)


class Deployment:
    """Redis and ``workshop serve`` processes sharing one database through it, with what a
    test opens on them: every screen and session is closed, and every process stopped, at
    the end."""

    def __init__(self, folder: Path, heartbeat_seconds: float | None):
        self.log_path = folder / "servers.log"
        _copy_database(_template_database(), folder / "shared.sqlite3", self.log_path)
        self.redis, queue = start_redis(folder)
        self.env = {
            **_server_env(folder / "shared.sqlite3"),
            "SOCKETIO_MESSAGE_QUEUE": queue,
            # Presence news at most every 0.25 s (2 s by default): a test waits for it briefly.
            "LIVE_PRESENCE_SECONDS": str(PRESENCE_SECONDS),
        }
        if heartbeat_seconds is not None:
            self.env["SERVER_HEARTBEAT_SECONDS"] = str(heartbeat_seconds)
        self.servers: list[tuple[subprocess.Popen, str]] = []
        self.screens: list[Screen] = []
        self.people: list[requests.Session] = []

    def start(self, count: int = 1) -> list[str]:
        """Start ``count`` more processes; their URLs once they answer."""
        started = [start_server(self.env, self.log_path) for _ in range(count)]
        self.servers += started
        wait_until_serving(self.servers, self.log_path)
        return [url for _, url in started]

    def process(self, url: str) -> subprocess.Popen:
        return next(process for process, served in self.servers if served == url)

    def open(self, url: str, person: requests.Session, workshop_id: int, **options) -> Screen:
        """A screen of ``person`` (kept, and closed at the end) on the process at ``url``."""
        if person not in self.people:
            self.people.append(person)
        screen = Screen(url, person.cookies.get_dict(), workshop_id, **options)
        self.screens.append(screen)
        return screen

    def close(self) -> None:
        for screen in self.screens:
            screen.close()
        for person in self.people:
            person.close()
        for process in [*(p for p, _ in self.servers), self.redis]:
            _stop(process)


@contextmanager
def deployment(folder: Path, *, heartbeat_seconds: float | None = None) -> Iterator[Deployment]:
    running = Deployment(folder, heartbeat_seconds)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Redis, and two servers on one database using it as their queue (one pair for the
    module: each test opens a workshop of its own)."""
    with deployment(tmp_path_factory.mktemp("two-servers")) as running:
        a, b = running.start(2)
        yield a, b


class Screen:
    """One socket, keeping every numbered event it receives."""

    def __init__(
        self, url: str, cookies: dict[str, str], workshop_id: int, *, reconnects: bool = False
    ):
        self.events: list[tuple[int, str, dict]] = []  # arrival order
        self.snapshot_seq = 0
        self.lock = threading.Lock()
        self.client = InOrderClient(reconnection=reconnects, reconnection_delay=0.2)
        self.client.on("*", self._event)
        self.client.on("disconnect", self._let_go)
        connect_screen(self.client, url, cookies, workshop_id, WAIT)

    def _event(self, name: str, data: dict) -> None:
        with self.lock:
            if name == "state.snapshot":
                self.snapshot_seq = data["seq"]
            elif "seq" in data:
                self.events.append((data["seq"], name, data))

    def _let_go(self, reason: object = None) -> None:
        """The server dropped the connection (or died): close our end of it, which the client
        keeps open until the garbage collector finds it, before any reconnect. Not when we
        disconnect: the client closes it then, and waits for the close to be answered."""
        if reason == socketio.Client.reason.CLIENT_DISCONNECT:
            return
        websocket = getattr(self.client.eio, "ws", None)
        if websocket is not None:
            websocket.shutdown()

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()

    def call(self, name: str, payload: dict) -> dict:
        answer = self.client.call(name, payload, timeout=WAIT)
        assert answer["ok"], (name, answer)
        return answer

    def since(self, seq: int) -> list[tuple[int, str, dict]]:
        with self.lock:
            return sorted(e for e in self.events if e[0] > seq)

    def voters(self, round_id: int) -> int:
        with self.lock:
            return max(
                (
                    d["voters"]
                    for _, n, d in self.events
                    if n == "round.tallied" and d["round_id"] == round_id
                ),
                default=-1,
            )


def test_a_room_split_across_two_processes_sees_one_ordered_stream(two_servers) -> None:
    a, b = two_servers
    fac, workshop_id, code = open_workshop(a)

    # Amira joins on A and stays there; Bo joins on A but his screen lands on B; Cleo joins on B.
    amira, bo, cleo = (
        join_over_http(a, code, "Amira"),
        join_over_http(a, code, "Bo"),
        join_over_http(b, code, "Cleo"),
    )
    # A participant's session cookie from A is good on B: B's room page knows Bo.
    room = bo.get(f"{b}/w/{workshop_id}", allow_redirects=False)
    assert room.status_code == 200 and "Bo" in room.text
    screens = {}
    for name, url, cookies in (
        ("staff@A", a, fac.cookies.get_dict()),
        ("amira@A", a, amira.cookies.get_dict()),
        ("bo@B", b, bo.cookies.get_dict()),
        ("cleo@B", b, cleo.cookies.get_dict()),
    ):
        screens[name] = Screen(url, cookies, workshop_id)
        time.sleep(0.3)  # each connect's presence news goes out before the next screen opens
    staff, on_a, on_b, cleo_b = (
        screens["staff@A"],
        screens["amira@A"],
        screens["bo@B"],
        screens["cleo@B"],
    )
    # Everyone in, and the room quiet: what follows must reach all four screens alike.
    wait_until(
        lambda: staff.call("state.sync", {})["snapshot"]["presence"]["online"] == 3,
        "three participants online",
        every=0.5,  # within the socket's command budget (5 a second)
    )
    time.sleep(0.5)  # the coalesced presence news is out
    baseline = staff.call("state.sync", {})["snapshot"]["seq"]

    staff.call("phase.set", {"phase": "propose"})
    first = on_a.call("proposal.submit", {"body": "We serve the harbour"})["proposal_id"]
    second = cleo_b.call("proposal.submit", {"body": "We keep people well"})["proposal_id"]
    staff.call("phase.set", {"phase": "vote"})
    round_id = staff.call("state.sync", {})["snapshot"]["current_round_id"]
    staff.call("round.reveal", {"round_id": round_id})

    # A vote on A reaches the screens on B (and a vote on B the screens on A).
    on_a.call("vote.set", {"proposal_id": first, "dots": 2})
    wait_until(lambda: on_b.voters(round_id) >= 1, "Amira's vote (on A) reaching Bo on B")
    wait_until(lambda: cleo_b.voters(round_id) >= 1, "Amira's vote (on A) reaching Cleo on B")
    cleo_b.call("vote.set", {"proposal_id": second, "dots": 3})
    on_b.call("vote.set", {"proposal_id": first, "dots": 1})
    for screen in screens.values():
        wait_until(lambda s=screen: s.voters(round_id) == 3, "the third vote on every screen")
    last = staff.call("state.sync", {})["snapshot"]["seq"]
    for screen in screens.values():
        wait_until(lambda s=screen: any(e[0] == last for e in s.events), "the last event")
    time.sleep(0.3)  # nothing more should come; if it does, it must come to all

    streams = {name: s.since(baseline) for name, s in screens.items()}
    for name, stream in streams.items():
        numbers = [seq for seq, _, _ in stream]
        assert numbers == list(range(baseline + 1, numbers[-1] + 1)), (name, numbers)
        assert numbers[-1] >= last, (name, numbers)
    # The participants on A and on B got the very same events, numbers, names and payloads.
    assert streams["amira@A"] == streams["bo@B"] == streams["cleo@B"]
    # Staff see the same numbers (some with their own payloads or names).
    assert [e[0] for e in streams["staff@A"]] == [e[0] for e in streams["amira@A"]]
    names = [name for _, name, _ in streams["bo@B"]]
    assert "proposal.submitted" in names and "round.tallied" in names
    # The final totals on B are the truth: two dots and one on the first, three on the second.
    final = [d for _, n, d in streams["bo@B"] if n == "round.tallied"][-1]
    dots = {item["proposal_id"]: item["dots"] for item in final["results"]["items"]}
    assert dots == {first: 3, second: 3} and final["voters"] == 3
    for screen in screens.values():
        screen.client.disconnect()


def test_changes_made_at_once_on_both_processes_reach_every_screen_in_number_order(
    two_servers,
) -> None:
    """Two processes commit events a moment apart and publish them in the order they finish;
    every screen must still receive them in number order (a client that sees 11 before 10
    throws its state away and asks for a snapshot)."""
    a, b = two_servers
    fac, workshop_id, code = open_workshop(a)
    writers = [
        (url, join_over_http(url, code, f"{name}")) for url, name in ((a, "Ade"), (b, "Bea"))
    ]
    watchers = [
        (url, join_over_http(url, code, f"Watcher {i}")) for i, url in enumerate((a, b, a, b))
    ]
    screens = [Screen(a, fac.cookies.get_dict(), workshop_id)]
    screens += [Screen(url, person.cookies.get_dict(), workshop_id) for url, person in watchers]
    typing = [Screen(url, person.cookies.get_dict(), workshop_id) for url, person in writers]
    screens += typing
    screens[0].call("phase.set", {"phase": "propose"})
    # The joins' presence news is out (the last within one presence interval and one
    # coalescing interval), so it cannot land among the proposals.
    time.sleep(PRESENCE_SECONDS + 0.5)
    start = screens[0].call("state.sync", {})["snapshot"]["seq"]

    def submit_many(screen: Screen, who: str) -> None:
        for n in range(12):
            screen.call("proposal.submit", {"body": f"{who} proposes wording {n}"})

    threads = [
        threading.Thread(target=submit_many, args=(screen, who))
        for screen, who in zip(typing, ("Ade", "Bea"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    last = screens[0].call("state.sync", {})["snapshot"]["seq"]
    assert last - start >= 24  # every proposal was one numbered event at least
    for screen in screens:
        wait_until(lambda s=screen: any(e[0] == last for e in s.events), "the last event")
    for index, screen in enumerate(screens):
        with screen.lock:
            arrived = [seq for seq, _, _ in screen.events if seq > start]
        assert arrived == list(range(start + 1, last + 1)), (index, arrived)
    for screen in screens:
        screen.client.disconnect()


def test_wrong_passwords_on_one_process_count_on_the_other(two_servers) -> None:
    """With the Redis queue set, the throttles count in Redis too: a guesser cannot spread
    guesses over the processes behind a load balancer (5 failed logins per account in 15
    minutes, the default, across both)."""
    a, b = two_servers

    def log_in(url: str, password: str) -> int:
        browser = requests.Session()
        token = csrf(browser.get(f"{url}/login").text)
        answer = browser.post(
            f"{url}/login",
            data={"email": LEADERSHIP_EMAIL, "password": password, "csrf_token": token},
            allow_redirects=False,
        )
        return answer.status_code

    # Five wrong guesses, three on one process and two on the other: each is still answered.
    assert [log_in(url, "wrong password!") for url in (a, b, a, b, a)] == [200] * 5
    # The sixth is refused on both, even with the right password: they shared the count.
    assert log_in(b, "wrong password!") == 429
    assert log_in(b, LEADERSHIP_PASSWORD) == 429
    assert log_in(a, LEADERSHIP_PASSWORD) == 429
    assert log_in(a, "still not it") == 429


def online(screen: Screen) -> int:
    """How many participants are here, as the server counts them now."""
    return screen.call("state.sync", {})["snapshot"]["presence"]["online"]


def told_online(screen: Screen, count: int) -> bool:
    """Whether the screen was sent a ``presence.changed`` saying ``count`` are here."""
    return any(
        name == "presence.changed" and data["presence"]["online"] == count
        for _, name, data in screen.since(0)
    )


def test_a_process_starting_or_dying_beside_others_leaves_who_is_here_true(tmp_path) -> None:
    """A process that starts (a restart, one more for a busy hour) must not forget the
    screens the others hold, as the only process does; and one that dies without a word
    (a crash, kill -9) must not keep its people counted as here: the others forget its
    screens once it has been silent for three heartbeats, and tell the room."""
    with deployment(tmp_path, heartbeat_seconds=0.5) as running:
        a, b = running.start(2)
        fac, workshop_id, code = open_workshop(a)
        staff = running.open(a, fac, workshop_id)
        amira = running.open(a, join_over_http(a, code, "Amira"), workshop_id, reconnects=True)
        running.open(b, join_over_http(b, code, "Bo"), workshop_id)
        wait_until(lambda: online(staff) == 2, "Amira (on A) and Bo (on B) here", every=0.5)

        # A third process starts beside them: Amira and Bo are still here.
        (c,) = running.start()
        assert online(staff) == 2
        time.sleep(1.0)  # two heartbeats: nobody alive is taken for dead
        assert online(staff) == 2

        # B dies without a word, and Bo's screen with it. Within three heartbeats of
        # silence the others forget Bo's screen, and the staff screen hears it live.
        running.process(b).kill()
        running.process(b).wait()
        wait_until(lambda: online(staff) == 1, "Bo's screen forgotten", every=0.5)
        wait_until(lambda: told_online(staff, 1), "the staff screen told one is here")

        # A stalls for longer than the others wait: they count it dead and forget Amira's
        # screen. Running again, it finds itself forgotten and closes its sockets, so Amira's
        # screen connects again: here again, and her commands answered (not refused as an
        # unregistered connection).
        watcher = running.open(c, fac, workshop_id)

        def amira_answered() -> bool:
            try:
                return amira.client.call("state.sync", {}, timeout=2)["ok"]
            except socketio.exceptions.SocketIOError:
                return False  # reconnecting

        running.process(a).send_signal(signal.SIGSTOP)
        try:
            wait_until(lambda: online(watcher) == 0, "Amira forgotten while A stalls", every=0.5)
        finally:
            running.process(a).send_signal(signal.SIGCONT)
        wait_until(lambda: online(watcher) == 1, "Amira here again", every=0.5)
        wait_until(amira_answered, "Amira's commands answered again", every=0.5)


def test_a_process_stopped_cleanly_tells_the_room_at_once(tmp_path) -> None:
    """A process stopped with SIGTERM (a deploy, a restart) forgets the screens it held and
    tells their rooms as it stops; the others would otherwise count its people as here until
    it had missed three heartbeats (here three minutes, so only the clean stop explains it)."""
    with deployment(tmp_path, heartbeat_seconds=60) as running:
        a, b = running.start(2)
        fac, workshop_id, code = open_workshop(a)
        staff = running.open(a, fac, workshop_id)
        running.open(b, join_over_http(b, code, "Bo"), workshop_id)
        wait_until(lambda: online(staff) == 1, "Bo (on B) here", every=0.5)
        running.process(b).terminate()
        assert running.process(b).wait(timeout=WAIT) == 0
        assert online(staff) == 0
        wait_until(lambda: told_online(staff, 0), "the staff screen told that nobody is here")


def test_a_vote_acknowledged_on_a_process_that_dies_reaches_the_screens_on_the_others(
    tmp_path,
) -> None:
    """Room counters go out once per interval from the process that counted the vote. Killed
    between the acknowledgement and that publish, it took the news with it: the vote was in
    the database, but the screens on the other process (and the snapshot kept for the room's
    number) showed the old count until something else changed. Once the others count it
    dead, every room with a screen left has its counters sent again (found by an audit)."""
    with deployment(tmp_path, heartbeat_seconds=0.5) as running:
        # An interval long enough for the kill to land inside it every time.
        running.env["LIVE_COALESCE_SECONDS"] = "1.5"
        a, b = running.start(2)
        fac, workshop_id, code = open_workshop(a)
        staff = running.open(b, fac, workshop_id)
        voter = running.open(a, join_over_http(a, code, "Voter"), workshop_id)
        watcher = running.open(b, join_over_http(b, code, "Watcher"), workshop_id)
        staff.call("phase.set", {"phase": "propose"})
        card = voter.call("proposal.submit", {"body": "One card"})["proposal_id"]
        staff.call("phase.set", {"phase": "vote"})
        round_id = staff.call("state.sync", {})["snapshot"]["current_round_id"]
        wait_until(lambda: watcher.voters(round_id) == 0, "the round's first count", every=0.1)

        voter.call("vote.set", {"proposal_id": card, "dots": 1, "round_id": round_id})
        running.process(a).kill()  # right after the acknowledgement
        running.process(a).wait()

        wait_until(lambda: watcher.voters(round_id) == 1, "the vote reaches the watcher")
        snapshot = watcher.call("state.sync", {})["snapshot"]
        assert snapshot["vote"]["voters"] == 1
