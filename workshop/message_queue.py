"""Several server processes on one Redis queue, with every room's events in number order.

Each process commits a change and then publishes its events to the queue; every process
delivers what it reads from the queue (and what it made itself) to its own sockets. Two
processes that commit events 10 and 11 a moment apart may publish them the other way round,
and a client that gets 11 before 10 must ask for a fresh snapshot (docs/protocol.md §2). So
each process delivers a workshop room's numbered events in order: one that comes early is
held until the numbers before it arrive, for at most ``hold_seconds`` (two by default: a
process far behind in a storm publishes a second or more after its commit, and a resync on
every screen costs the room far more than the wait). A number that never
comes (its process died between commit and publish) is given up on after that time, the
held events go out, and the clients resync on the gap as the protocol says.

Only events to a workshop's shared rooms carry the room's sequence (participants and the
projector get one stream, staff another, with the same numbers); personal messages, answers
and snapshots pass straight through.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import socketio

from .realtime import WORKSHOP_ROOM_PREFIX


@dataclasses.dataclass
class _Stream:
    """One room's numbered events on this process: the last delivered, and those held (with
    when each was held)."""

    last: int | None = None
    held: dict[int, tuple[dict[str, Any], float]] = dataclasses.field(default_factory=dict)
    waiting: bool = False  # a task gives up on missing numbers in time


def _numbered(message: dict[str, Any]) -> tuple[tuple[str, ...], int] | None:
    """The workshop room(s) and sequence number of a numbered room event, else None."""
    room = message.get("room")
    rooms = tuple(room) if isinstance(room, list | tuple) else (room,)
    if not all(isinstance(r, str) and r.startswith(WORKSHOP_ROOM_PREFIX) for r in rooms):
        return None
    data = message.get("data")
    payload = data[0] if isinstance(data, list) and len(data) == 1 else data
    seq = payload.get("seq") if isinstance(payload, dict) else None
    return (rooms, seq) if isinstance(seq, int) else None


class InOrderRedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, delivering each workshop room's events in order."""

    def __init__(self, *args: Any, hold_seconds: float = 2.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hold_seconds = hold_seconds
        self._streams: dict[tuple[str, ...], _Stream] = {}
        self._lock = threading.RLock()

    def _handle_emit(self, message: dict[str, Any]) -> None:
        numbered = _numbered(message)
        if numbered is None:
            super()._handle_emit(message)
            return
        rooms, seq = numbered
        with self._lock:
            stream = self._streams.setdefault(rooms, _Stream())
            if stream.last is not None and seq > stream.last + 1:
                stream.held[seq] = (message, time.monotonic())  # wait for those before it
                if not stream.waiting:
                    stream.waiting = True
                    self.server.start_background_task(self._give_up_in_time, rooms)
                return
            self._deliver(stream, seq, message)
            self._deliver_following(stream)

    def _deliver(self, stream: _Stream, seq: int, message: dict[str, Any]) -> None:
        """Send to this process's sockets (a late straggler goes out as it is: clients ignore
        numbers they already have)."""
        super()._handle_emit(message)
        stream.last = seq if stream.last is None else max(stream.last, seq)

    def _deliver_following(self, stream: _Stream) -> None:
        while stream.last is not None and stream.last + 1 in stream.held:
            following = stream.last + 1
            self._deliver(stream, following, stream.held.pop(following)[0])

    def _give_up_in_time(self, rooms: tuple[str, ...]) -> None:
        """While events are held: once the first has waited ``hold_seconds``, the numbers
        before it are not coming; send it and those that follow it without a gap."""
        while True:
            with self._lock:
                stream = self._streams[rooms]
                if not stream.held:
                    stream.waiting = False
                    return
                first = min(stream.held)
                message, since = stream.held[first]
                wait = since + self.hold_seconds - time.monotonic()
                if wait <= 0:
                    del stream.held[first]
                    self._deliver(stream, first, message)
                    self._deliver_following(stream)
                    continue
            self.server.sleep(wait)
