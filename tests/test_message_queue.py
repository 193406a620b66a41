"""The order keeper of several processes on Redis (workshop/message_queue.py), on its own: an
event that comes early waits for the numbers before it, and a number that never comes is given
up on so the room is not held forever. (tests/test_scale_out.py runs it with two real
processes and a real Redis.)"""

from __future__ import annotations

import threading
import time
import types

import pytest
import socketio

from workshop.message_queue import InOrderRedisManager


def event(seq: int, room: str | list[str] = "workshop:1:staff") -> dict:
    return {"method": "emit", "event": "news", "data": [{"seq": seq}], "room": room}


def keeper(monkeypatch, hold: float = 0.2) -> tuple[InOrderRedisManager, list]:
    """The manager, with what python-socketio would send to this process's sockets recorded
    instead of sent (there are no sockets here)."""
    delivered: list = []
    monkeypatch.setattr(
        socketio.PubSubManager,
        "_handle_emit",
        lambda self, message: delivered.append((message["room"], message["data"][0].get("seq"))),
    )
    manager = InOrderRedisManager("redis://127.0.0.1:9/0", hold_seconds=hold, write_only=True)

    def start(task, *args):
        threading.Thread(target=task, args=args, daemon=True).start()

    manager.server = types.SimpleNamespace(start_background_task=start, sleep=time.sleep)
    return manager, delivered


def seqs(delivered: list, room="workshop:1:staff") -> list[int]:
    return [seq for r, seq in delivered if r == room]


def test_an_early_event_waits_for_the_numbers_before_it(monkeypatch):
    manager, delivered = keeper(monkeypatch, hold=5)
    for seq in (5, 7, 8):
        manager._handle_emit(event(seq))
    assert seqs(delivered) == [5]
    manager._handle_emit(event(6))
    assert seqs(delivered) == [5, 6, 7, 8]


def test_each_room_keeps_its_own_order(monkeypatch):
    manager, delivered = keeper(monkeypatch, hold=5)
    public = ["workshop:1:participants", "workshop:1:projector"]
    manager._handle_emit(event(3, public))
    manager._handle_emit(event(3))
    manager._handle_emit(event(5, public))  # 4 has not come to the public rooms yet
    manager._handle_emit(event(4))
    assert [seq for _room, seq in delivered] == [3, 3, 4]
    manager._handle_emit(event(4, public))
    assert seqs(delivered, public) == [3, 4, 5]


def test_a_number_that_never_comes_is_given_up_on(monkeypatch):
    manager, delivered = keeper(monkeypatch, hold=0.2)
    manager._handle_emit(event(1))
    manager._handle_emit(event(3))
    manager._handle_emit(event(4))
    assert seqs(delivered) == [1]
    deadline = time.monotonic() + 5
    while seqs(delivered) != [1, 3, 4] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert seqs(delivered) == [1, 3, 4]  # the clients see the gap and ask for a snapshot
    manager._handle_emit(event(2))  # a straggler goes out as it is; clients already moved on
    manager._handle_emit(event(5))
    assert seqs(delivered) == [1, 3, 4, 2, 5]


def test_personal_messages_and_answers_pass_straight_through(monkeypatch):
    manager, delivered = keeper(monkeypatch, hold=5)
    manager._handle_emit(event(10))
    manager._handle_emit(event(12))  # held
    manager._handle_emit(event(99, "participant:7"))  # one person's tabs: not a room stream
    manager._handle_emit(
        {"method": "emit", "event": "state.snapshot", "data": [{"seq": 11}], "room": "a-socket-id"}
    )
    assert delivered == [("workshop:1:staff", 10), ("participant:7", 99), ("a-socket-id", 11)]


@pytest.mark.waits  # over a second of sleeping
def test_each_held_event_waits_its_own_full_time(monkeypatch):
    """A second gap soon after the first filled is not cut short by the first one's timer."""
    manager, delivered = keeper(monkeypatch, hold=1.0)
    manager._handle_emit(event(1))
    manager._handle_emit(event(3))  # waits for 2: a timer starts, due in 1 s
    manager._handle_emit(event(2))
    assert seqs(delivered) == [1, 2, 3]
    time.sleep(0.5)
    manager._handle_emit(event(5))  # waits for 4, from now: due at 1.5 s
    # At 1.25 s: past the first timer's time, not this event's (a quarter second either way,
    # so a slow machine's late wake-up does not decide the test).
    time.sleep(0.75)
    assert seqs(delivered) == [1, 2, 3]
    manager._handle_emit(event(4))
    assert seqs(delivered) == [1, 2, 3, 4, 5]
