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
  of reading its last frames as if they were a new HTTP request.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from collections.abc import Mapping
from typing import Any

import gevent
from flask import json as flask_json
from gevent import pywsgi

# Socket.IO messages are small (commands are capped at 64 KiB); forms and pastes are larger.
SOCKET_BODY_LIMIT = 64 * 1024
BODY_LIMIT = 1024 * 1024
# JSON deeper than this is refused before it is parsed (the deepest real payload is 4 deep).
MAX_JSON_DEPTH = 32

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

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            header_seconds=float(config.get("HTTP_HEADER_SECONDS", cls.header_seconds)),
            body_seconds=float(config.get("HTTP_BODY_SECONDS", cls.body_seconds)),
            idle_seconds=float(config.get("HTTP_IDLE_SECONDS", cls.idle_seconds)),
        )


def body_limit(path: str) -> int:
    """The largest body accepted on a path."""
    return SOCKET_BODY_LIMIT if path.startswith("/socket.io") else BODY_LIMIT


class _Refused(Exception):
    """A request refused from its headers alone."""


class GuardedHandler(pywsgi.WSGIHandler):
    """gevent's request handler, with the limits above."""

    _timer: gevent.Timeout | None = None

    @property
    def limits(self) -> Limits:
        return getattr(self.server, "limits", Limits())

    def handle(self) -> None:
        self.socket.settimeout(self.limits.idle_seconds)
        with contextlib.suppress(gevent.Timeout):  # too slow: the socket is closed on the way out
            super().handle()

    def read_requestline(self) -> str:
        self._start_timer(self.limits.header_seconds)
        return super().read_requestline()

    def handle_one_request(self) -> Any:
        try:
            return super().handle_one_request()
        except _Refused:
            return ("413 Content Too Large", _TOO_LARGE)
        finally:
            self._stop_timer()

    def get_environ(self) -> dict[str, Any]:
        self._stop_timer()  # the headers are in
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


def make_server(host: str, port: int, application: Any, limits: Limits) -> pywsgi.WSGIServer:
    """The server ``workshop serve`` runs (its access log stays off: the app logs errors)."""
    server = pywsgi.WSGIServer((host, port), application, handler_class=GuardedHandler, log=None)
    server.limits = limits
    return server
