"""The HTTP server ``workshop serve`` runs: gevent's WSGI server, guarded against strangers.

A connection costs a file descriptor, and a server has a few hundred to a few
thousand of them. Left alone, gevent's server waits as long as a client likes:
for the request line, for the headers, and (after answering) for the rest of a
body the client declared but never sends. A few hundred such requests, from
anyone, without logging in, took the whole server down. So every connection
here is held to limits:

- a body larger than the limit for its path is refused with 413 at once, from
  its declared length, without reading it, and the connection is closed;
- the request line and headers must arrive within ``header_seconds``;
- a body must arrive within ``body_seconds``;
- no read or write may stall longer than ``idle_seconds`` (a WebSocket is
  pinged every 25 seconds, so a live one never stalls that long);
- a body the application did not read is not waited for: the connection closes;
- a connection that carried a WebSocket closes when the WebSocket does, instead
  of reading its last frames as if they were a new HTTP request;
- ``Content-Length`` must be one plain number (else 400) and
  ``Transfer-Encoding`` nothing but ``chunked`` (else 501), and the headers stay
  under ``HEADER_LIMIT`` (else 431), all answered before any body is read;
- a WebSocket message larger than the Socket.IO limit closes its WebSocket as
  soon as the limit is passed, instead of being gathered in memory first;
- the server holds at most ``max_connections`` connections at once, a number
  below the open-file limit that leaves files for the database, Redis and the
  logs (``connection_cap``), so accepting never fails for want of a file.

When the connections are all taken, a newcomer takes the place of a connection
that is waiting for a request (silent since it connected, or idle between two
requests): one from the address holding the most waiting connections, the
oldest there, passing over one whose request has arrived unread. A browser
sends its request as soon as it connects, so its connection waits for
milliseconds and is answered, while silent connections wait until they are
pushed out; a flood of them from one address pushes out its own. Connections
in use (a request being answered, a long poll, a WebSocket) are never cut for
a newcomer: when every connection is in use, a newcomer is closed at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import io
import itertools
import json
import os
import resource
import socket
from collections.abc import Mapping
from http import client as http_client
from typing import Any

import gevent
from flask import json as flask_json
from gevent import pywsgi

# Socket.IO messages are small (commands are capped at 64 KiB); forms and pastes are larger.
SOCKET_BODY_LIMIT = 64 * 1024
BODY_LIMIT = 1024 * 1024
# JSON deeper than this is refused before it is parsed (the deepest real payload is 4 deep).
MAX_JSON_DEPTH = 32
# A request's headers in all (a browser's are 1-4 KiB, cookies included).
HEADER_LIMIT = 32 * 1024
# Open files the process may need besides its connections and the files open when it starts:
# the database's connection pool (5, and 10 more when busy; under SQLite three files each: the
# database, its write-ahead log, its shared memory), Redis, exports being made.
RESERVED_FILES = 64
# Connections accepted per wake-up of the server (gevent's default is 100): each may take the
# place of a waiting one, whose file is free only once that one has closed.
ACCEPT_AT_ONCE = 8

_TOO_LARGE = (
    b"HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 23\r\n\r\nThe request is too big."
)


@dataclasses.dataclass(frozen=True)
class Limits:
    """How long a connection may take over each part of a request (settings ``HTTP_*``)."""

    header_seconds: float = 10.0
    body_seconds: float = 10.0
    idle_seconds: float = 60.0
    # Connections held at once; 0: as many as the open-file limit allows (connection_cap()).
    max_connections: int = 0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            header_seconds=float(config.get("HTTP_HEADER_SECONDS", cls.header_seconds)),
            body_seconds=float(config.get("HTTP_BODY_SECONDS", cls.body_seconds)),
            idle_seconds=float(config.get("HTTP_IDLE_SECONDS", cls.idle_seconds)),
            max_connections=int(config.get("HTTP_MAX_CONNECTIONS") or 0),
        )


def connection_cap() -> int:
    """How many connections fit under the open-file limit (``RLIMIT_NOFILE``): the limit, less
    the files open now, ``RESERVED_FILES``, and the connections that may be on their way out
    (``ACCEPT_AT_ONCE``)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    try:
        open_now = len(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: the reserve covers what a small process keeps open
        open_now = 16
    return max(8, soft - open_now - RESERVED_FILES - ACCEPT_AT_ONCE)


def body_limit(path: str) -> int:
    """The largest body accepted on a path."""
    return SOCKET_BODY_LIMIT if path.startswith("/socket.io") else BODY_LIMIT


class _Refused(Exception):
    """A request refused from its headers alone."""


class _BadFraming(ValueError):
    """A request whose headers do not say plainly where its body ends: answered ``answer``."""

    def __init__(self, status: str, text: str) -> None:
        super().__init__(text)
        body = text.encode()
        self.answer = (
            status,
            f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body,
        )


class _HeaderBudget:
    """The connection's input as the header parser reads it: ``HEADER_LIMIT`` bytes in all (the
    standard parser alone allows 100 lines of 64 KiB)."""

    def __init__(self, rfile: Any) -> None:
        self.rfile = rfile
        self.left = HEADER_LIMIT

    def readline(self, limit: int = -1) -> bytes:
        most = self.left + 1 if limit < 0 else min(limit, self.left + 1)
        line = self.rfile.readline(most)
        self.left -= len(line)
        if self.left < 0:
            raise _BadFraming("431 Request Header Fields Too Large", "The headers are too long.")
        return line


class GuardedHandler(pywsgi.WSGIHandler):
    """gevent's request handler, with the limits above."""

    _timer: gevent.Timeout | None = None

    @property
    def limits(self) -> Limits:
        return getattr(self.server, "limits", Limits())

    def handle(self) -> None:
        connection = self.socket
        self.socket.settimeout(self.limits.idle_seconds)
        try:
            super().handle()
        except gevent.Timeout:  # too slow: the socket is closed on the way out
            pass
        except OSError:
            # Pushed out for a newcomer (its socket shut down under it): nothing to report.
            if not getattr(self.server, "was_pushed_out", lambda _: False)(connection):
                raise

    def read_requestline(self) -> str:
        self._start_timer(self.limits.header_seconds)
        waiting = getattr(self.server, "waiting", None)
        if waiting is not None:
            waiting(self.socket)
        return super().read_requestline()

    def MessageClass(self, rfile: Any, *args: Any) -> Any:  # the name gevent calls
        """The headers, read within ``HEADER_LIMIT``; 101 lines or more are refused too."""
        try:
            return super().MessageClass(_HeaderBudget(rfile), *args)
        except http_client.HTTPException as error:  # more than 100 header lines
            raise _BadFraming(
                "431 Request Header Fields Too Large", "There are too many headers."
            ) from error

    def read_request(self, raw_requestline: str) -> Any:
        """gevent's parsing, then what it lets through: a ``Content-Length`` Python's ``int()``
        reads but HTTP does not (``+5``, ``1_0``), two that differ, or a transfer coding other
        than ``chunked`` (the body would be read as the next request)."""
        result = super().read_request(raw_requestline)
        lengths = set(self.headers.get_all("Content-Length") or [])
        if len(lengths) > 1 or any(not (v.isascii() and v.isdigit()) for v in lengths):
            raise _BadFraming("400 Bad Request", "The Content-Length is not one number.")
        codings = ",".join(self.headers.get_all("Transfer-Encoding") or [])
        if codings and codings.strip().lower() != "chunked":
            raise _BadFraming("501 Not Implemented", "Only chunked transfer coding is accepted.")
        return result

    def _handle_client_error(self, ex: Exception) -> Any:
        if isinstance(ex, _BadFraming):
            self.close_connection = True
            return ex.answer
        return super()._handle_client_error(ex)

    def handle_one_request(self) -> Any:
        try:
            return super().handle_one_request()
        except _Refused:
            return ("413 Content Too Large", _TOO_LARGE)
        finally:
            self._stop_timer()

    def get_environ(self) -> dict[str, Any]:
        self._stop_timer()  # the headers are in
        in_use = getattr(self.server, "in_use", None)
        if in_use is not None:
            in_use(self.socket)
        environ = super().get_environ()
        declared = self.content_length
        if declared and int(declared) > body_limit(self.path or ""):
            raise _Refused()
        if declared or environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            self._start_timer(
                self.limits.body_seconds, TimeoutError("the request body came too slowly")
            )
        return environ

    def handle_one_response(self) -> None:
        try:
            super().handle_one_response()
        finally:
            self._stop_timer()
            if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                self.close_connection = True

    def run_application(self) -> None:
        try:
            refusal = self._read_whole_body()
            if refusal is None:
                super().run_application()
            else:  # answered here, as gevent answers an application (its own result)
                status, text = refusal
                self.close_connection = True
                self.result = [text]
                self.start_response(
                    status,
                    [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Length", str(len(text))),
                    ],
                )
                self.process_result()
        finally:
            self._stop_timer()
            body = self.wsgi_input
            if body is not None and body.position < (body.content_length or 0):
                # Do not wait for the rest of a body nobody will read: close instead.
                body.content_length = body.position
                self.close_connection = True

    def _read_whole_body(self) -> tuple[str, bytes] | None:
        """Read the (size-limited) body under the body timer, then stop the timer: the timer
        is for a client that sends slowly, not for the application's own time, so a join
        answered slowly in a storm is still answered. The application reads it from memory.
        Returns the answer instead when the body is too slow or (chunked) too large."""
        body = self.wsgi_input
        if body is None or self._timer is None:
            return None
        limit = body_limit(self.path or "")
        try:
            data = body.read(limit + 1)
        except TimeoutError:
            return ("408 Request Timeout", b"The request body came too slowly.")
        finally:
            self._stop_timer()
        if len(data) > limit:  # a chunked body without a declared length, too large
            return ("413 Content Too Large", b"The request is too big.")
        self.environ["wsgi.input"] = io.BytesIO(data)
        return None

    def start_response(self, status: str, headers: list, exc_info: Any = None) -> Any:
        self._stop_timer()  # the application has what it needs
        return super().start_response(status, headers, exc_info)

    def _start_timer(self, seconds: float, exception: BaseException | None = None) -> None:
        self._stop_timer()
        self._timer = gevent.Timeout.start_new(seconds, exception)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.close()
            self._timer = None


def _depth_within(text: str | bytes, limit: int) -> bool:
    """Whether JSON text nests no deeper than ``limit`` (strings are skipped)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text.count("[") + text.count("{") <= limit:
        return True  # too few brackets to nest that deep (the common case, counted in C)
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


# What a Socket.IO packet whose JSON is too deep decodes to: a command of its own, which the
# server answers with ``invalid`` (the packet's acknowledgement id is read before its JSON).
TOO_DEEP_EVENT = "payload.too_deep"


class ShallowJSON:
    """The JSON codec for Socket.IO packets: deep nesting is caught by a bounded scan before
    parsing, instead of a recursion error and a traceback per message."""

    @staticmethod
    def dumps(value: Any, *args: Any, **kwargs: Any) -> str:
        return flask_json.dumps(value, *args, **kwargs)

    @staticmethod
    def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if not _depth_within(text, MAX_JSON_DEPTH):
            return [TOO_DEEP_EVENT]
        return json.loads(text, *args, **kwargs)


def cap_websocket_messages(engine_io: Any) -> None:
    """Make ``engine_io``'s WebSockets close as soon as a message passes its size limit
    (``max_http_buffer_size``). Engine.IO's drivers leave simple-websocket's own limit unset
    and check a message's size only once it is whole: a 48 MB message raised the server's
    memory by some 100 MB, however small the limit, before it was refused."""
    websocket: Any = engine_io._async.get("websocket")
    if websocket is None:
        return

    class CappedWebSocket(websocket):
        def __init__(self, handler: Any, server: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(handler, server, *args, **kwargs)
            if hasattr(self, "server_args"):  # the simple-websocket drivers
                self.server_args["max_message_size"] = server.max_http_buffer_size

    # A copy: the driver's table is shared by every Engine.IO server in the process.
    engine_io._async = {**engine_io._async, "websocket": CappedWebSocket}


class UncompressedWebSockets:
    """WSGI middleware: a WebSocket handshake's offer of compression (``permessage-deflate``,
    which every browser makes) is left out, so the server answers without it.

    A room's events go to every screen alike, and a compressed WebSocket deflates each
    message once per screen, with a compressor of its own per socket: in a room of 1,000
    voting, that raised the server's CPU per vote and its memory per connection from 77 to
    214 KiB (``bench/vote_storm.py --deflate``). The messages are small JSON, so little is
    saved on the wire. ``WEBSOCKET_COMPRESSION=1`` keeps the offer.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.app(environ, start_response)


class GuardedServer(pywsgi.WSGIServer):
    """gevent's WSGI server holding at most ``max_connections`` connections (see the module's
    docstring): each is *waiting* (for its request line and headers) or *in use*."""

    max_accept = ACCEPT_AT_ONCE

    def __init__(self, listener: Any, application: Any, limits: Limits, max_connections: int):
        super().__init__(listener, application, handler_class=GuardedHandler, log=None)
        self.limits = limits
        self.max_connections = max_connections
        self.connections = 0  # open, pushed-out ones until they have closed included
        self._waiting: dict[Any, dict[socket.socket, None]] = {}  # by address, oldest first
        self._address: dict[socket.socket, Any] = {}
        self._pushed_out: set[socket.socket] = set()

    def do_read(self) -> tuple[socket.socket, Any] | None:
        """Accept a connection, and make room for it when every place is taken."""
        full = self.connections - len(self._pushed_out) >= self.max_connections
        if full and len(self._pushed_out) >= ACCEPT_AT_ONCE:
            return None  # the room made is not free yet: accept more once those have closed
        accepted = super().do_read()
        if not accepted:
            return None
        connection, address = accepted
        if full and not self._push_out_one():
            connection.close()  # every connection is in use
            return None
        self.connections += 1
        self._address[connection] = address[0] if isinstance(address, tuple) else address
        self.waiting(connection)
        return accepted

    def do_close(self, connection: socket.socket, *args: Any) -> None:
        super().do_close(connection, *args)
        self.in_use(connection)
        if self._address.pop(connection, None) is not None or connection in self._pushed_out:
            self.connections -= 1
        self._pushed_out.discard(connection)

    def waiting(self, connection: socket.socket) -> None:
        """The connection waits for a request (it has just connected, or answered one)."""
        address = self._address.get(connection)
        if address is not None:
            self._waiting.setdefault(address, {}).setdefault(connection, None)

    def in_use(self, connection: socket.socket) -> None:
        """The connection's request is in (or it has closed)."""
        address = self._address.get(connection)
        queue = self._waiting.get(address) if address is not None else None
        if queue is not None:
            queue.pop(connection, None)
            if not queue:
                del self._waiting[address]

    def was_pushed_out(self, connection: socket.socket) -> bool:
        return connection in self._pushed_out

    def _push_out_one(self) -> bool:
        """Shut down the oldest waiting connection of the address with the most of them (its
        handler reads the end of the input and closes it); False when none is waiting. One
        whose request has arrived but is not read yet (the server is busy) is passed over."""
        if not self._waiting:
            return False
        busiest = max(self._waiting, key=lambda a: len(self._waiting[a]))
        others = (address for address in self._waiting if address != busiest)
        for address in itertools.chain([busiest], others):
            for connection in self._waiting[address]:
                if not _has_unread_input(connection):
                    break
            else:
                continue
            self.in_use(connection)
            self._address.pop(connection, None)
            self._pushed_out.add(connection)
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            return True
        return False


def _has_unread_input(connection: socket.socket) -> bool:
    """Whether bytes wait in the connection's input that its handler has not read yet."""
    raw = getattr(connection, "_sock", connection)  # gevent's socket wraps a standard one
    try:
        return bool(raw.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:  # nothing to read (BlockingIOError), or the connection is gone
        return False


# Young objects collected after 50,000 new ones rather than 700, and the full collection
# considered after every 20 of the middle one's rather than 10 of 10 (see
# :func:`tune_garbage_collection`).
GC_THRESHOLDS = (50_000, 20, 10)


def tune_garbage_collection() -> None:
    """Keep Python's garbage collector from pausing a full room.

    A server holding 1,000 sockets holds a million objects, and the collector's full passes
    walked them all: every four or five seconds, 145 to 245 ms in which nothing else ran, so
    votes and their tallies waited (``bench/vote_storm.py --people 1000 --deflate``: vote ack
    p95 199 ms, every client 385 ms; with this, 86 ms and 269 ms). What the server holds once it
    has started (modules, the app, its mappers) is frozen out of the collector's passes, and
    passes run less often; objects in reference cycles are still collected, later.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def make_server(host: str, port: int, application: Any, limits: Limits) -> GuardedServer:
    """The server ``workshop serve`` runs (its access log stays off: the app logs errors)."""
    return GuardedServer(
        (host, port), application, limits, limits.max_connections or connection_cap()
    )
