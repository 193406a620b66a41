"""Strangers cannot take the server down: attacks over the network on a real ``workshop serve``
whose open-file limit is lowered, so that connections held open would exhaust it."""

from __future__ import annotations

import contextlib
import json
import re
import selectors
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import requests
import socketio
import websocket

from tests.live_server import csrf, open_workshop, running_server
from workshop.server import UncompressedWebSockets

pytestmark = pytest.mark.waits

OPEN_FILES = 200
LIMIT_SECONDS = 1  # the server's header and body limits, lowered for the test


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("limits")
    env = {
        "HTTP_HEADER_SECONDS": str(LIMIT_SECONDS),
        "HTTP_BODY_SECONDS": str(LIMIT_SECONDS),
    }
    with running_server(folder, open_files=OPEN_FILES, env=env) as live:
        yield live


def health(url: str) -> tuple[int | None, float]:
    """/healthz's status (None when it did not answer within 2 s) and how long it took."""
    started = time.monotonic()
    try:
        response = requests.get(f"{url}/healthz", timeout=2)
        return response.status_code, time.monotonic() - started
    except requests.RequestException:
        return None, time.monotonic() - started


def engine_io_session(url: str) -> str:
    """A fresh Engine.IO long-polling session id, as any stranger can get one."""
    with urllib.request.urlopen(f"{url}/socket.io/?EIO=4&transport=polling", timeout=5) as r:
        return json.loads(r.read().decode()[1:])["sid"]


def open_files(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def connect(url: str, source: str = "127.0.0.1") -> socket.socket:
    """A TCP connection to the server from ``source`` (any 127.x.y.z address is this machine)."""
    return socket.create_connection(
        ("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5, source_address=(source, 0)
    )


def server_memory_peak(pid: int) -> int:
    """The server's peak resident memory so far, in KiB (``VmHWM``)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))


def exchange(url: str, request: bytes, seconds: float = LIMIT_SECONDS + 3) -> tuple[bytes, float]:
    """Send a whole raw request; the server's answer (up to its closing the connection) and
    how long after the request was sent it closed."""
    with connect(url) as connection:
        connection.sendall(request)
        started = time.monotonic()
        return read_until_closed(connection, seconds), time.monotonic() - started


def read_until_closed(connection: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection (fails if it does not)."""
    connection.settimeout(seconds)
    received = b""
    with contextlib.suppress(ConnectionResetError):  # closed with input left unread
        while chunk := connection.recv(4096):
            received += chunk
    return received


def test_declared_oversized_bodies_are_answered_at_once_and_the_server_stays_up(server):
    """The attack that took the server down: long-polling POSTs declaring a body over 64 KiB
    that never comes, from as many connections as the server has files for."""
    sessions = [engine_io_session(server.url) for _ in range(OPEN_FILES - 14)]
    attackers = []
    try:
        for sid in sessions:
            attacker = connect(server.url)
            attacker.sendall(
                f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: text/plain\r\nContent-Length: 100000\r\n\r\n".encode()
            )
            attackers.append(attacker)
        status, seconds = health(server.url)
        assert status == 200 and seconds < 2, "during the attack"
        for attacker in attackers:
            assert read_until_closed(attacker, 2).startswith(b"HTTP/1.1 413 ")
    finally:
        for attacker in attackers:
            attacker.close()
    status, seconds = health(server.url)
    assert status == 200 and seconds < 2, "after the attack"


def test_slow_bodies_and_silent_connections_are_closed_in_time(server):
    baseline = open_files(server.pid)
    slow, silent = [], []
    try:
        for _ in range(60):
            attacker = connect(server.url)
            attacker.sendall(
                b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nemail=a"
            )
            slow.append(attacker)
            silent.append(connect(server.url))
        held = max(open_files(server.pid) for _ in range(10) if time.sleep(0.05) is None)
        assert held > baseline + 60  # the server accepted them and holds them, for now
        assert health(server.url)[0] == 200
        started = time.monotonic()
        for attacker in slow + silent:
            read_until_closed(attacker, LIMIT_SECONDS + 3)
        assert time.monotonic() - started < LIMIT_SECONDS + 3
        deadline = time.monotonic() + 2
        while open_files(server.pid) > baseline + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert open_files(server.pid) <= baseline + 2
    finally:
        for attacker in slow + silent:
            attacker.close()


def test_a_bounded_body_is_answered_and_a_larger_one_refused(server):
    small = requests.post(f"{server.url}/login", data={"email": "a" * 1000}, timeout=5)
    assert small.status_code in (200, 400)  # an answer (the form's CSRF token is missing)
    large = requests.post(f"{server.url}/login", data={"email": "a" * 2_000_000}, timeout=5)
    assert large.status_code == 413


def joined_participant(server, code: str | None = None) -> tuple[requests.Session, int]:
    """A browser-like session of a participant who joined a workshop over HTTP (the
    server's, unless ``code`` is given: see ``demo_code``)."""
    code = code or demo_code(server)
    person = requests.Session()
    page = person.get(f"{server.url}/j/{code}", timeout=5)
    token = csrf(page.text)
    joined = person.post(
        f"{server.url}/j/{code}",
        data={
            "csrf_token": token,
            "display_name": "Amira",
            "level": "Frontline",
            "department": "IT",
        },
        timeout=5,
        allow_redirects=False,
    )
    assert joined.status_code == 302, joined.text
    workshop_id = int(joined.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return person, workshop_id


_demo_codes: dict[str, str] = {}


def demo_code(server) -> str:
    """The join code of a workshop the facilitator opened on the server over HTTP, the first
    time a test asks; joins are throttled per address, not per workshop, so the tests can
    all join the same one."""
    if server.url not in _demo_codes:
        _demo_codes[server.url] = open_workshop(server.url, "Limits", departments="IT")[2]
    return _demo_codes[server.url]


def test_deeply_nested_json_gets_an_answer_not_a_traceback(server):
    person, workshop_id = joined_participant(server)
    client = socketio.Client(reconnection=False, http_session=person)
    client.connect(server.url, auth={"workshop_id": workshop_id}, transports=["websocket"])
    try:
        nested: object = []
        for _ in range(100):  # deeper than the server accepts (32), shallow enough to send
            nested = [nested]
        answer = client.call("state.sync", {"token": nested}, timeout=5)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid"
        assert client.call("state.sync", {}, timeout=5)["ok"]  # the socket still works
    finally:
        client.disconnect()
    assert "RecursionError" not in server.log() and "Traceback" not in server.log(), server.log()


def test_a_websocket_closes_cleanly(server):
    person, workshop_id = joined_participant(server)
    client = socketio.Client(reconnection=False, http_session=person)
    client.connect(server.url, auth={"workshop_id": workshop_id}, transports=["websocket"])
    started = time.monotonic()
    client.disconnect()
    assert time.monotonic() - started < 1.5
    time.sleep(0.5)
    assert "Invalid HTTP method" not in server.log()


class SilentCrowd:
    """An attacker holding ``size`` connections that send nothing, from ``sources`` in turn,
    and opening a new one as soon as the server closes one (pushed out or timed out)."""

    def __init__(self, url: str, size: int, sources: list[str]) -> None:
        self.url, self.size, self.sources = url, size, sources
        self.reopened = 0
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep_up, daemon=True)

    def __enter__(self) -> SilentCrowd:
        for n in range(self.size):
            self._open(self.sources[n % len(self.sources)])
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()
        self._selector.close()

    def _open(self, source: str) -> None:
        try:
            connection = socket.create_connection(
                ("127.0.0.1", int(self.url.rsplit(":", 1)[1])),
                timeout=1,
                source_address=(source, 0),
            )
        except OSError:  # not accepted in time: try again on the next round
            return
        connection.setblocking(False)
        self._selector.register(connection, selectors.EVENT_READ, source)

    def _keep_up(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):  # readable: closed by the server
                self._selector.unregister(key.fileobj)
                key.fileobj.close()
                self.reopened += 1
                self._open(key.data)
            missing = self.size - len(self._selector.get_map())
            for n in range(missing):
                self._open(self.sources[n % len(self.sources)])


@pytest.mark.parametrize(
    "sources",
    [["127.0.0.1"], [f"127.0.0.{n}" for n in range(2, 6)]],
    ids=["from-one-address", "from-four-addresses"],
)
def test_more_silent_connections_than_files_leave_the_server_answering(server, sources):
    """More connections that send nothing than the server has files for, held open by an
    attacker who reopens each one the server closes: /healthz answers within 2 s during and
    after, a person joins (pages and a form) and her Socket.IO connection works."""
    baseline = open_files(server.pid)
    code = demo_code(server)
    with SilentCrowd(server.url, OPEN_FILES + 20, sources) as crowd:
        for moment in range(3):
            status, seconds = health(server.url)
            assert status == 200 and seconds < 2, f"during the attack ({moment}): {seconds:.1f} s"
        person, workshop_id = joined_participant(server, code)
        assert person.get(f"{server.url}/login", timeout=2).status_code == 200
        client = socketio.Client(reconnection=False, http_session=person)
        client.connect(
            server.url,
            auth={"workshop_id": workshop_id},
            transports=["websocket"],
            wait_timeout=5,
        )
        try:
            assert client.call("state.sync", {}, timeout=5)["ok"]
        finally:
            client.disconnect()
        time.sleep(LIMIT_SECONDS + 0.5)  # the first silent ones have timed out and come back
        status, seconds = health(server.url)
        assert status == 200 and seconds < 2, f"later in the attack: {seconds:.1f} s"
        assert crowd.reopened > 20  # the server did close silent connections
    status, seconds = health(server.url)
    assert status == 200 and seconds < 2, f"after the attack: {seconds:.1f} s"
    deadline = time.monotonic() + 3
    while open_files(server.pid) > baseline + 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_files(server.pid) <= baseline + 5
    assert "Traceback" not in server.log(), server.log()


CHUNKED_POST = (
    b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
)


def chunked(data: bytes, size: int = 64 * 1024) -> bytes:
    """``data`` as the chunks of a chunked body, with the last (empty) chunk."""
    pieces = [data[at : at + size] for at in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize(
    ("head", "size"),
    [
        (CHUNKED_POST, 1024 * 1024 + 64 * 1024),  # a form: 1 MiB at most
        (
            b"POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n",
            96 * 1024,
        ),
    ],
    ids=["form", "long-polling"],
)
def test_an_oversized_chunked_body_without_a_declared_length_is_refused(server, head, size):
    answer, seconds = exchange(server.url, head + chunked(b"a" * size))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert seconds < 1


def test_a_slow_chunked_body_is_answered_408_in_time(server):
    with connect(server.url) as connection:
        connection.sendall(CHUNKED_POST + b"5\r\nemail\r\n")  # and the rest never comes
        started = time.monotonic()
        answer = read_until_closed(connection, LIMIT_SECONDS + 3)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert time.monotonic() - started < LIMIT_SECONDS + 1


@pytest.mark.parametrize(
    "lengths",
    [["abc"], ["-1"], ["1, 2"], ["+3"], ["1_0"], ["0x3"], ["3", "5"]],
    ids=["letters", "negative", "list", "plus-sign", "underscore", "hex", "two-that-differ"],
)
def test_a_malformed_content_length_is_answered_400_at_once(server, lengths):
    """Answered by the server from the headers, before any body is read: Python's ``int()``
    reads ``+3`` and ``1_0``, HTTP does not (and a proxy in front may read them otherwise)."""
    headers = b"".join(b"Content-Length: %s\r\n" % value.encode() for value in lengths)
    answer, seconds = exchange(
        server.url,
        b"POST /login HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\nabc",
    )
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert seconds < 1  # not after waiting for a body or for another request


def test_a_transfer_coding_other_than_chunked_is_refused(server):
    """``gzip, chunked`` is not read as chunked by gevent: the body would be taken for the
    next request on the connection."""
    answer, seconds = exchange(
        server.url,
        b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"5\r\nemail\r\n0\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 501 "), answer[:200]
    assert seconds < 1
    assert "Invalid HTTP method" not in server.log()


@pytest.mark.parametrize("many", [False, True], ids=["long", "numerous"])
def test_oversized_headers_are_refused(server, many):
    headers = (
        b"".join(b"X-%d: a\r\n" % n for n in range(120))
        if many
        else b"".join(b"X-%d: %s\r\n" % (n, b"a" * 8000) for n in range(8))
    )
    answer, seconds = exchange(
        server.url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert seconds < 1
    assert "Traceback" not in server.log()


def test_a_browser_asking_for_websocket_compression_gets_plain_frames(server):
    """Every browser offers permessage-deflate; the server declines it, so a room's events are
    not deflated once per screen (see ``server.UncompressedWebSockets``)."""
    with connect(server.url) as connection:
        connection.sendall(
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
        )
        received = b""
        while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < 2:
            chunk = connection.recv(4096)
            assert chunk, received
            received += chunk
    head, frames = received.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"sec-websocket-extensions" not in head.lower(), head
    first = frames[0]
    assert first & 0x0F == 1 and not first & 0x40, hex(first)  # a text frame, not compressed
    assert frames[2:3] == b"0"  # Engine.IO's open packet, readable as it is


def test_only_a_websocket_handshake_loses_the_compression_offer():
    """The middleware leaves every other header, and every other request, as it came."""
    seen: list[dict] = []

    def app(environ, start_response):
        seen.append(dict(environ))
        return [b""]

    offer = {"HTTP_SEC_WEBSOCKET_EXTENSIONS": "permessage-deflate", "HTTP_COOKIE": "session=x"}
    UncompressedWebSockets(app)({**offer, "HTTP_UPGRADE": "websocket"}, None)
    UncompressedWebSockets(app)(dict(offer), None)  # not an upgrade: nothing to decline
    assert seen[0] == {"HTTP_UPGRADE": "websocket", "HTTP_COOKIE": "session=x"}
    assert seen[1] == offer


def test_an_oversized_websocket_message_closes_that_websocket_without_holding_it(server):
    """A 32 MB WebSocket message (Socket.IO's limit is 64 KiB) closes its connection once the
    limit is passed, without the server gathering it in memory; others go on."""
    person, workshop_id = joined_participant(server)
    bystander = socketio.Client(reconnection=False, http_session=person)
    bystander.connect(server.url, auth={"workshop_id": workshop_id}, transports=["websocket"])
    try:
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # the memory peak starts anew
        peak_before = server_memory_peak(server.pid)
        attacker = websocket.create_connection(
            server.url.replace("http:", "ws:") + "/socket.io/?EIO=4&transport=websocket",
            timeout=5,
            suppress_origin=True,
        )
        try:
            assert attacker.recv().startswith("0")  # Engine.IO's open packet: no login needed
            with contextlib.suppress(OSError, websocket.WebSocketException):
                attacker.send("4" + "x" * (32 * 1024 * 1024))  # cut off half-way
                while attacker.recv():  # (or, once all sent, until the server closes)
                    pass
        finally:
            attacker.close()
        grown = server_memory_peak(server.pid) - peak_before
        assert grown < 8 * 1024, f"the server's memory peaked {grown} KiB higher"
        assert bystander.call("state.sync", {}, timeout=5)["ok"]
    finally:
        bystander.disconnect()
    status, seconds = health(server.url)
    assert status == 200 and seconds < 2
    assert "Traceback" not in server.log(), server.log()


def test_the_body_timer_stops_once_the_body_is_in_so_a_slow_answer_still_comes():
    """In a storm the application may take longer than the body limit to answer a join; the
    limit is for a client that sends slowly, so a whole body sent at once is answered however
    long the application then takes (gevent's server and client in this one process)."""
    import gevent
    from gevent import pywsgi
    from gevent import socket as green_socket

    from workshop.server import GuardedHandler, Limits

    def slow_app(environ, start_response):
        body = environ["wsgi.input"].read()
        gevent.sleep(0.6)  # longer than the body limit below
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"got " + body]

    server = pywsgi.WSGIServer(("127.0.0.1", 0), slow_app, handler_class=GuardedHandler, log=None)
    server.limits = Limits(header_seconds=0.3, body_seconds=0.3, idle_seconds=2)
    server.start()
    try:

        def post(body: bytes) -> bytes:
            with green_socket.create_connection(("127.0.0.1", server.server_port)) as connection:
                return exchange(connection, body)

        def exchange(connection, body: bytes) -> bytes:
            connection.sendall(
                b"POST /j/CODE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            received = b""
            while chunk := connection.recv(4096):
                received += chunk
            return received

        answer = gevent.spawn(post, b"display_name=Amira").get(timeout=5)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"got display_name=Amira")
    finally:
        server.stop()


def test_a_newcomer_takes_the_place_of_a_waiting_connection_never_of_one_in_use():
    """The policy itself, on a server of four places (gevent's server and clients in this one
    process): a newcomer pushes out the oldest silent connection of the address holding the
    most; connections whose request is in are kept; when all four are in use, the newcomer is
    closed at once and the others are still answered."""
    import gevent
    from gevent import socket as green_socket

    from workshop.server import GuardedServer, Limits

    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"got " + body]

    server = GuardedServer(
        ("127.0.0.1", 0), app, Limits(header_seconds=5, body_seconds=5, idle_seconds=5), 4
    )
    server.start()
    opened: list[green_socket.socket] = []

    def open_from(source: str) -> green_socket.socket:
        connection = green_socket.create_connection(
            ("127.0.0.1", server.server_port), source_address=(source, 0)
        )
        opened.append(connection)
        gevent.sleep(0.05)  # accepted, in this order
        return connection

    def closed(connection: green_socket.socket) -> bool:
        """Whether the server has closed the connection (without a word)."""
        connection.settimeout(0.3)
        try:
            return connection.recv(1) == b""
        except TimeoutError:
            return False

    def slow_post(connection: green_socket.socket) -> None:
        """A request whose body is still to come: the connection is in use."""
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n\r\nab"
        )

    def answer(connection: green_socket.socket) -> bytes:
        connection.settimeout(2)
        received = b""
        while chunk := connection.recv(4096):
            received += chunk
        return received

    def scenario() -> None:
        other = open_from("127.0.0.3")  # the oldest, but its address holds fewer waiting
        first, second = open_from("127.0.0.2"), open_from("127.0.0.2")
        busy = open_from("127.0.0.3")
        slow_post(busy)
        gevent.sleep(0.05)
        newcomer = open_from("127.0.0.4")
        newcomer.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer(newcomer).startswith(b"HTTP/1.1 200")
        assert closed(first)  # the oldest of 127.0.0.2, which held two
        assert not closed(second) and not closed(other) and not closed(busy)
        fourth = open_from("127.0.0.4")
        for connection in (second, other, fourth):
            slow_post(connection)
        gevent.sleep(0.05)
        late = open_from("127.0.0.5")  # four in use: no place to take
        assert closed(late)
        for connection in (second, other, busy, fourth):
            connection.sendall(b"cd")
            assert answer(connection).startswith(b"HTTP/1.1 200")

    try:
        gevent.spawn(scenario).get(timeout=15)
    finally:
        for connection in opened:
            connection.close()
        server.stop()


def test_a_connection_whose_request_has_arrived_unread_is_not_pushed_out():
    """On a busy server a request may have arrived before its handler has run: that connection
    is not silent, and the next one of its address gives way instead."""
    from workshop.server import GuardedServer, Limits

    server = GuardedServer(("127.0.0.1", 0), lambda environ, start: [], Limits(), 2)
    pairs = [socket.socketpair() for _ in range(2)]
    try:
        (older, older_peer), (newer, _) = pairs
        for connection in (older, newer):
            server._address[connection] = "127.0.0.2"
            server.waiting(connection)
        older_peer.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert server._push_out_one()
        assert server.was_pushed_out(newer) and not server.was_pushed_out(older)
        assert newer.recv(1) == b""  # shut down
    finally:
        for pair in pairs:
            for end in pair:
                end.close()
        server.close()
