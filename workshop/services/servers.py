"""The ``workshop serve`` processes and the sockets each holds.

Presence is one row per open socket (``Connection``), written by the process holding it.
One process alone owns every row, so it forgets them all when it starts: no socket survives
a restart. Several processes behind a message queue share the rows, and one starting (or
restarting after a crash) must not forget the sockets the others still hold, nor may a
process that died keep its people counted as here for ever. So each of several registers
(``ServerProcess``), says it is alive every ``SERVER_HEARTBEAT_SECONDS``, and forgets the
sockets of any that has been silent for three of those, telling their rooms.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import Flask, current_app

from .. import clock, events, voters
from ..database import rows_changed
from ..extensions import db, socketio
from ..models import Connection, ServerProcess
from ..realtime import coalescer, counter_change, reconnect_local_screens

PROCESS_ID = "workshop.process_id"
"""Where the app keeps this process's id (one app per process, outside tests)."""

SILENT_BEATS = 3
"""How many heartbeats a process may miss before the others count it dead."""


def new_process_id(app: Flask) -> None:
    """Give the app (this process) its id, once, when it is created."""
    app.extensions[PROCESS_ID] = secrets.token_hex(16)


def this_process() -> str:
    """The id of the process serving the current app."""
    return str(current_app.extensions[PROCESS_ID])


def start_serving(app: Flask) -> None:
    """This process starts serving: alone, it forgets every socket; among several (a
    message queue is set), it registers, forgets the sockets of the dead, and keeps itself
    known in the background. Either way, old bytes of unlinked anonymous votes that a crash
    left in the database files go first (``voters.erase_pending``)."""
    voters.erase_pending()
    if not app.config["SOCKETIO_MESSAGE_QUEUE"]:
        forget_every_socket()
        return
    every = app.config["SERVER_HEARTBEAT_SECONDS"]
    start_beside_others(this_process(), silent_after(every))
    socketio.start_background_task(keep_alive, app, every)


def silent_after(every_seconds: float) -> dt.timedelta:
    """How long a process may say nothing before the others count it dead."""
    return dt.timedelta(seconds=every_seconds * SILENT_BEATS)


def forget_every_socket() -> int:
    """The only process is starting: no socket is open anywhere. Returns how many rows went."""
    deleted = rows_changed(db.session.execute(sa.delete(Connection)))
    db.session.execute(sa.delete(ServerProcess))
    db.session.commit()
    return deleted


def start_beside_others(process_id: str, patience: dt.timedelta) -> None:
    """One of several processes is starting: say so, and forget the sockets of those silent
    for ``patience`` (the others' live sockets stay counted)."""
    now = clock.now()
    db.session.add(ServerProcess(id=process_id, started_at=now, seen_at=now))
    db.session.commit()
    forget_the_dead(patience)


def heartbeat(process_id: str) -> bool:
    """This process is alive. False when the others had counted it dead meanwhile (it
    stalled for longer than they wait): it is registered again, but the sockets it holds
    were forgotten, and come back only when those screens connect again."""
    now = clock.now()
    seen = rows_changed(
        db.session.execute(
            sa.update(ServerProcess).where(ServerProcess.id == process_id).values(seen_at=now)
        )
    )
    if not seen:
        db.session.add(ServerProcess(id=process_id, started_at=now, seen_at=now))
    db.session.commit()
    return bool(seen)


def forget_the_dead(patience: dt.timedelta) -> list[int]:
    """Forget the sockets of every process silent for ``patience``, and the processes; each
    room that lost someone hears it as it would hear them leave. Returns those rooms. The
    processes' clocks must agree to well within that (as NTP keeps them)."""
    dead = list(
        db.session.scalars(
            sa.select(ServerProcess.id).where(ServerProcess.seen_at < clock.now() - patience)
        )
    )
    return _forget_processes(dead) if dead else []


def stop_serving() -> list[int]:
    """This process stops (SIGTERM, Ctrl-C): forget the sockets it held and tell their rooms
    now, rather than leave the others to find it silent, with the people who left through it
    counted as here (and their "is editing" marks shown) meanwhile. Returns those rooms."""
    rooms = _forget_processes([this_process()], died=False)
    coalescer.flush()  # the news goes out before the process ends, not on the next tick
    return rooms


def _forget_processes(process_ids: list[str], *, died: bool = True) -> list[int]:
    """Forget these processes and the sockets they held; each room that had one hears it as
    it would hear people leave. Returns those rooms. A process that ``died`` may also have
    held counters not yet published (votes acknowledged a moment before): every room with a
    screen left anywhere has its counters sent again."""
    held = Connection.server_id.in_(process_ids)
    rooms = sorted(
        set(db.session.scalars(sa.select(Connection.workshop_id).where(held).distinct()))
    )
    db.session.execute(sa.delete(Connection).where(held))
    db.session.execute(sa.delete(ServerProcess).where(ServerProcess.id.in_(process_ids)))
    db.session.commit()
    watched = (
        set(db.session.scalars(sa.select(Connection.workshop_id).distinct())) if died else set()
    )
    for workshop_id in sorted(set(rooms) | watched):
        with counter_change(workshop_id) as change:
            if workshop_id in rooms:
                events.presence_soon(change, workshop_id)
                events.editors_soon(change, workshop_id)
            if workshop_id in watched:
                events.counters_soon(change, workshop_id)
    return rooms


def keep_alive(app: Flask, every_seconds: float) -> None:
    """Run for ever in the background of a process among several: a heartbeat, then the
    sockets of the dead forgotten, every ``every_seconds``. Should this process find itself
    forgotten, its screens connect again (their commands would be refused meanwhile)."""
    process_id = app.extensions[PROCESS_ID]
    while True:
        socketio.sleep(every_seconds)
        with app.app_context():
            try:
                if not heartbeat(process_id):
                    closed = reconnect_local_screens()
                    app.logger.warning("counted dead after a stall; %s screens reconnect", closed)
                forget_the_dead(silent_after(every_seconds))
            except Exception:  # the loop must outlive a bad moment (a database restarting)
                db.session.rollback()
                app.logger.exception("heartbeat failed; trying again in %s s", every_seconds)
