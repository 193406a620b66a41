"""Live updates: rooms, event sequence numbers, and the only code that emits.

Every change to a workshop goes through :func:`workshop_change`, which

1. takes the workshop's write lock first, so concurrent changes (two tabs
   spending the same dots) are serialised on every database;
2. commits the change together with the event sequence numbers it used;
3. only then emits the events, each with its number.

Clients load a snapshot (which carries the current number) and then apply
events in order; a gap in the numbers means something was missed and the
client asks for a fresh snapshot. Every event is an absolute, idempotent
update (``upsert this proposal``, ``these are the totals``), so applying one
twice is harmless.

Who receives what is decided here: participants (and the projector, which
gets exactly what participants get) and staff are in separate rooms, and an
event may carry a different payload for each.

**Coalesced updates.** Counters that change many times a second (how many have
voted, who is here, who is editing, consent counts) would cost N messages per
change in a room of N: a room of 1,000 voting in 10 s is a million messages. A
change marks such news with :meth:`WorkshopChange.soon` instead; the coalescer
builds it at most once per interval (``LIVE_COALESCE_SECONDS``, 0.2 s by
default) per room from the database as it is then, and publishes it as an
ordinary change with its own sequence number. Each publish is one message per
screen, so a large room waits longer between publishes: one process sends a
room's screens at most ``LIVE_FANOUT_PER_SECOND`` counter messages a second
(10,000 by default: every 0.2 s up to 2,000 screens, every 0.3 s for 3,000),
and a process with no processor time to spare half that, so that the votes it
is handling get the processor. The values are absolute, so sending the latest
one is the same as sending every one; a person's own acknowledgement and
personal messages are never delayed.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context

from .database import rows_changed
from .errors import NotFound
from .extensions import app_itself, db, socketio
from .locales import room_language
from .models import Audience, Connection, Workshop

log = logging.getLogger(__name__)


# The rooms that share a workshop's numbered events begin with this (message_queue.py keeps
# their order across processes).
WORKSHOP_ROOM_PREFIX = "workshop:"


def participants_room(workshop_id: int) -> str:
    """Everybody taking part in a workshop without a staff role."""
    return f"{WORKSHOP_ROOM_PREFIX}{workshop_id}:participants"


def staff_room(workshop_id: int) -> str:
    """Facilitators and leadership following a workshop."""
    return f"{WORKSHOP_ROOM_PREFIX}{workshop_id}:staff"


def projector_room(workshop_id: int) -> str:
    """The room's big screens: they get exactly what participants get, and nothing personal."""
    return f"{WORKSHOP_ROOM_PREFIX}{workshop_id}:projector"


def person_room(participant_id: int) -> str:
    """All tabs and devices of one participant."""
    return f"participant:{participant_id}"


def rooms_for(workshop_id: int, audience: Audience, person_id: int) -> list[str]:
    """The rooms a screen joins, from who it is (a client never names a room): the projector
    and staff their own room, a participant the participants' room and their own."""
    if audience == Audience.PROJECTOR:
        return [projector_room(workshop_id)]
    if audience == Audience.STAFF:
        return [staff_room(workshop_id)]
    return [participants_room(workshop_id), person_room(person_id)]


@dataclasses.dataclass
class _Event:
    name: str
    participants_payload: dict[str, Any] | None
    staff_payload: dict[str, Any]
    staff_name: str


@dataclasses.dataclass
class _PersonalMessage:
    participant_id: int
    name: str
    payload: dict[str, Any]


@dataclasses.dataclass
class WorkshopChange:
    """Events queued during one change; published only after it commits."""

    workshop_id: int
    events: list[_Event] = dataclasses.field(default_factory=list)
    personal: list[_PersonalMessage] = dataclasses.field(default_factory=list)
    after_commit: list[Callable[[], None]] = dataclasses.field(default_factory=list)
    coalesced: dict[str, Callable[[WorkshopChange], None]] = dataclasses.field(default_factory=dict)

    def emit(
        self,
        name: str,
        payload: dict[str, Any],
        *,
        staff_payload: dict[str, Any] | None = None,
        participants: bool = True,
        staff_name: str | None = None,
    ) -> None:
        """Queue a workshop event; staff may get a richer payload, another name, or be alone."""
        self.events.append(
            _Event(
                name,
                payload if participants else None,
                staff_payload or payload,
                staff_name or name,
            )
        )

    def tell(self, participant_id: int, name: str, payload: dict[str, Any]) -> None:
        """Queue a message for one participant's tabs (their own votes, say); no sequence."""
        self.personal.append(_PersonalMessage(participant_id, name, payload))

    def soon(self, key: str, build: Callable[[WorkshopChange], None]) -> None:
        """Publish a counter's news (built by ``build`` in a change of its own, from the
        database as it is then) within the coalescing interval; many marks with one ``key``
        in one interval make one event."""
        self.coalesced[key] = build


# Every change runs these two; built once.
_LOCK_WORKSHOP = (
    sa.update(Workshop)
    .where(Workshop.id == sa.bindparam("wid"))
    .values(event_seq=Workshop.event_seq)
    .execution_options(synchronize_session=False)
)
_NUMBER_EVENTS = (
    sa.update(Workshop)
    .where(Workshop.id == sa.bindparam("wid"))
    .values(event_seq=Workshop.event_seq + sa.bindparam("count"))
    .returning(Workshop.event_seq)
    .execution_options(synchronize_session=False)
)


@contextmanager
def workshop_change(workshop_id: int) -> Iterator[WorkshopChange]:
    """Lock the workshop, run a change, commit it, then publish its events.

    Any exception rolls the whole change back and publishes nothing, which
    is how a refused command leaves the database untouched.
    """
    session = db.session
    # A no-op write takes the workshop's write lock now (a row lock on
    # PostgreSQL, the database write lock on SQLite) so the reads that follow
    # cannot be invalidated by a concurrent change before we commit.
    locked = session.execute(_LOCK_WORKSHOP, {"wid": workshop_id})
    if rows_changed(locked) == 0:
        session.rollback()
        raise NotFound("This workshop does not exist.")
    change = WorkshopChange(workshop_id)
    try:
        yield change
        if change.coalesced and current_app.config["LIVE_COALESCE_SECONDS"] <= 0:
            # Not coalescing: the counters' news is built in this change and goes out with
            # it, numbered after its events (as a change of its own would have been), without
            # a second turn of the lock and a second commit.
            builds, change.coalesced = change.coalesced, {}
            with _background_language(workshop_id):
                for build in builds.values():
                    build(change)
        first_seq = 0
        if change.events:
            last_seq = session.execute(
                _NUMBER_EVENTS, {"wid": workshop_id, "count": len(change.events)}
            ).scalar_one()
            first_seq = last_seq - len(change.events) + 1
        session.commit()
    except BaseException:
        session.rollback()
        raise
    _publish(change, first_seq)
    # After the news: a follow-up (a closed scope's vacuum) may wait on the database, and
    # news published meanwhile is numbered after this change's, so it must not go first
    # (every screen would see a gap and ask for a snapshot at once).
    for follow_up in change.after_commit:
        follow_up()
    if change.coalesced:
        coalescer.mark(change.workshop_id, change.coalesced)


@contextmanager
def counter_change(workshop_id: int) -> Iterator[WorkshopChange]:
    """A change that only feeds coalesced counters (a screen opening or closing): commit it
    without the workshop's lock, then mark the counters pending.

    No lock is needed because nothing here is read to decide anything, and the counters are
    rebuilt from the database when they are published; a connect in a room of 3,000 then
    costs its one insert, not a turn in the room's queue.
    """
    session = db.session
    change = WorkshopChange(workshop_id)
    try:
        yield change
        if change.events or change.personal or change.after_commit:
            raise RuntimeError("a counter change only marks coalesced news")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if change.coalesced:
        coalescer.mark(change.workshop_id, change.coalesced)


# News that may wait longer than the others (setting per key): how many people are here
# matters to a screen, but not five times a second while a room of thousands arrives, each
# publish going to every screen. The first such news after a quiet spell goes out at once.
SLOW_NEWS = {"presence": "LIVE_PRESENCE_SECONDS"}


# The publisher comes round this many times per interval, so that each room's publishes
# keep to its own interval (a large room's may be 0.3 s, not only 0.2 or 0.4), and news
# after a quiet spell goes out within a quarter of it.
TICKS_PER_INTERVAL = 4

# A process that has no processor time to spare (its share of one processor, smoothed over
# about half a second, above SATURATED_ABOVE) sends large rooms' screens fewer messages, down
# to FANOUT_BACKOFF times LIVE_FANOUT_PER_SECOND, so the votes and commands it is handling get
# the processor; once it is below KEEPING_UP_BELOW again the pace climbs back.
FANOUT_BACKOFF = 0.5
KEEPING_UP_BELOW, SATURATED_ABOVE = 0.88, 0.95


class Coalescer:
    """Pending counter news per workshop, published at most once per interval each.

    One per server process: a change marks news on the process that made it, and the
    events reach every process's clients through the message queue like any other.
    """

    def __init__(self) -> None:
        self._pending: dict[int, dict[str, Callable[[WorkshopChange], None]]] = {}
        self._not_before: dict[tuple[int, str], float] = {}  # slow news: when it may go again
        self._room_due: dict[int, float] = {}  # when a room's next publish may go
        self.clock: Callable[[], float] = time.monotonic
        self._guard = threading.Lock()
        self._app: Flask | None = None
        self._running = False
        self._pace = 1.0  # the present fan-out pace, in LIVE_FANOUT_PER_SECOND
        self._busy = 0.0  # the process's smoothed share of one processor

    def mark(self, workshop_id: int, builds: dict[str, Callable[[WorkshopChange], None]]) -> None:
        interval = current_app.config["LIVE_COALESCE_SECONDS"]
        with self._guard:
            self._pending.setdefault(workshop_id, {}).update(builds)
            start = interval > 0 and not self._running
            if start:
                self._running = True
                self._app = app_itself()
        if interval <= 0:
            self.flush(workshop_id)  # no coalescing: publish right after the change
        elif start:
            socketio.start_background_task(self._run, interval)

    def pending(self) -> dict[int, list[str]]:
        with self._guard:
            return {wid: list(builds) for wid, builds in self._pending.items() if builds}

    def fanout_per_second(self) -> float:
        """How many counter messages a second one room's screens may be sent now (0: no
        limit)."""
        return float(current_app.config.get("LIVE_FANOUT_PER_SECOND", 0)) * self._pace

    def follow_load(self, busy: float, weight: float = 0.1) -> None:
        """Follow how busy the process was over the last tick (``busy``: its share of one
        processor), smoothed with ``weight``: a saturated process sends large rooms their
        counters less often, so the votes and commands it is handling get the processor."""
        self._busy += (busy - self._busy) * weight
        self._pace = fanout_pace(self._pace, self._busy)

    def flush(self, workshop_id: int | None = None, *, due_only: bool = False) -> None:
        """Publish what is pending (for one workshop, or all), each workshop in one change;
        with ``due_only`` (the background publisher), each room's news waits for its own
        interval and slow news for theirs."""
        now = self.clock()
        with self._guard:
            ids = [workshop_id] if workshop_id is not None else list(self._pending)
            if due_only:
                ids = [wid for wid in ids if now >= self._room_due.get(wid, 0.0)]
            work = {wid: self._pending.pop(wid, {}) for wid in ids}
            for wid, builds in work.items():
                for key in [k for k in builds if k in SLOW_NEWS]:
                    if due_only and now < self._not_before.get((wid, key), 0.0):
                        self._pending.setdefault(wid, {})[key] = builds.pop(key)
                    else:
                        wait = float(current_app.config.get(SLOW_NEWS[key], 0))
                        self._not_before[(wid, key)] = now + wait
        interval = float(current_app.config["LIVE_COALESCE_SECONDS"])
        fanout = self.fanout_per_second()
        for wid, builds in work.items():
            if not builds:
                continue
            if interval > 0:
                period = max(interval, room_screens(wid) / fanout if fanout > 0 else 0.0)
                # Due at the tick nearest to its period (the publisher comes every tick).
                self._room_due[wid] = now + period - interval / TICKS_PER_INTERVAL / 2
            try:
                with _background_language(wid), workshop_change(wid) as change:
                    for build in builds.values():
                        build(change)
            except NotFound:
                continue  # the workshop was deleted meanwhile

    def _run(self, interval: float) -> None:
        assert self._app is not None
        tick = interval / TICKS_PER_INTERVAL
        turn = time.monotonic() + tick
        load = ProcessorShare()
        while True:
            socketio.sleep(max(0.0, turn - time.monotonic()))
            self.follow_load(load.since_last())
            with self._app.app_context():  # its own session, closed when the context ends
                try:
                    self.flush(due_only=True)
                except Exception:  # the next tick tries again; never stop publishing
                    log.exception("publishing coalesced updates failed")
            turn = next_turn(turn, tick, finished=time.monotonic(), rest=interval)


class ProcessorShare:
    """How much of one processor this process has used since it was last asked (a server
    under gevent runs on one)."""

    def __init__(self) -> None:
        self._wall, self._processor = time.monotonic(), time.process_time()

    def since_last(self) -> float:
        wall, processor = time.monotonic(), time.process_time()
        share = (processor - self._processor) / max(wall - self._wall, 1e-3)
        self._wall, self._processor = wall, processor
        return min(1.0, share)


def fanout_pace(pace: float, busy: float) -> float:
    """The next fan-out pace (a multiple of LIVE_FANOUT_PER_SECOND, from FANOUT_BACKOFF to
    1) for a process this busy: down by a fifth while it is saturated, up by a twentieth
    while it keeps up, so that it backs off faster than it climbs."""
    if busy > SATURATED_ABOVE:
        return max(FANOUT_BACKOFF, pace * 0.8)
    if busy < KEEPING_UP_BELOW:
        return min(1.0, pace * 1.05)
    return pace


def next_turn(turn: float, tick: float, *, finished: float, rest: float) -> float:
    """When the publisher comes round again after the turn due at ``turn`` ended at
    ``finished``: one tick later, so a publish shorter than the tick (a tally of a thousand
    ballots, a message per screen) does not push the pace back by its own length; but a
    publish that overran the next turn is followed by ``rest`` (a whole interval), as an
    overloaded server publishing back to back would leave the votes less of its time."""
    following = turn + tick
    return following if finished <= following else finished + rest


coalescer = Coalescer()


def room_screens(workshop_id: int) -> int:
    """How many screens of a workshop are connected, on every process: a process's publish
    reaches all of them (through the message queue), so a room's interval counts them all."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Connection)
            .where(Connection.workshop_id == workshop_id)
        )
        or 0
    )


@contextmanager
def _background_language(workshop_id: int) -> Iterator[None]:
    """Words in news built between requests in the workshop's language; within a request
    they are already in the language of whoever caused the change."""
    if has_request_context():
        yield
        return
    workshop = db.session.get(Workshop, workshop_id)
    with room_language(workshop):
        yield


def _publish(change: WorkshopChange, first_seq: int) -> None:
    """Emit a committed change's events: the only place events leave the server."""
    for offset, event in enumerate(change.events):
        seq = first_seq + offset
        public_rooms = [participants_room(change.workshop_id), projector_room(change.workshop_id)]
        if event.participants_payload is not None:
            socketio.emit(event.name, {"seq": seq, **event.participants_payload}, to=public_rooms)
        else:
            # Participants still receive the number, so their sequence has no gap.
            socketio.emit("seq.skip", {"seq": seq}, to=public_rooms)
        socketio.emit(
            event.staff_name, {"seq": seq, **event.staff_payload}, to=staff_room(change.workshop_id)
        )
    for message in change.personal:
        socketio.emit(message.name, message.payload, to=person_room(message.participant_id))


def send_snapshot(sid: str, snapshot: dict[str, Any]) -> None:
    """Send one client the full state it should render (on connect and on request)."""
    socketio.emit("state.snapshot", snapshot, to=sid)


def disconnect_account(user_id: int) -> int:
    """Disconnect every screen of one staff account, on whichever process holds it: its
    logins have ended (a new password, "log out everywhere"), and a socket would otherwise
    stay in its rooms and go on receiving staff news, although every command it sends is
    refused. A browser whose login still holds (the one that set the new password) connects
    again at once with its new cookie (the client does after a server's disconnect); any other
    is refused at the door. Returns how many screens were told."""
    sids = db.session.scalars(sa.select(Connection.sid).where(Connection.user_id == user_id))
    told = 0
    for sid in sids:
        socketio.server.disconnect(sid, namespace="/")  # through the queue when not ours
        told += 1
    return told


def reconnect_local_screens() -> int:
    """Drop every socket this process holds, as a network blip would, so each screen
    connects again at once and is registered afresh, with a new snapshot. Dropped, not
    closed with Engine.IO's close packet: a client told to close stays closed (the Python
    client does), while every Socket.IO client reconnects after a lost transport. Returns how
    many were dropped."""
    engine = socketio.server.eio
    held = list(engine.sockets.items())
    for eio_sid, held_socket in held:
        held_socket.close(wait=False, abort=True)
        engine.sockets.pop(eio_sid, None)
    return len(held)
