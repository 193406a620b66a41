"""Several ``workshop serve`` processes share the presence rows: one starting must not forget
the screens another holds, and one that died must not keep its people counted as here."""

import datetime as dt

import sqlalchemy as sa

from workshop.extensions import db
from workshop.models import Connection, ServerProcess
from workshop.services import servers

THIRTY_SECONDS = dt.timedelta(seconds=30)


def screens_held() -> dict[int, int]:
    """How many open sockets each workshop has, as presence counts them."""
    rows = db.session.execute(
        sa.select(Connection.workshop_id, sa.func.count()).group_by(Connection.workshop_id)
    )
    return {workshop_id: count for workshop_id, count in rows}


def online_told(person) -> list[int]:
    """The presence counts a screen was sent, in order."""
    received = person.socket.get_received()
    return [m["args"][0]["presence"]["online"] for m in received if m["name"] == "presence.changed"]


def test_a_process_starting_beside_a_live_one_leaves_its_screens_counted(app, room, clock):
    fran, amira, joost = room
    with app.app_context():
        servers.start_beside_others(servers.this_process(), THIRTY_SECONDS)
        before = screens_held()
        assert before == {fran.workshop_id: 3}  # Fran's screen, Amira's and Joost's
        clock.advance(20)  # this process said it was alive 20 s ago: still within its time
        servers.start_beside_others("a-newcomer", THIRTY_SECONDS)
        assert screens_held() == before
        assert db.session.get(ServerProcess, servers.this_process()) is not None


def test_the_screens_of_a_process_that_fell_silent_are_forgotten_and_the_room_told(
    app, room, clock
):
    fran, amira, joost = room
    with app.app_context():
        servers.start_beside_others(servers.this_process(), THIRTY_SECONDS)
        servers.start_beside_others("the-survivor", THIRTY_SECONDS)
    fran.socket.get_received()  # what came before
    clock.advance(29)
    with app.app_context():
        servers.heartbeat("the-survivor")
        assert servers.forget_the_dead(THIRTY_SECONDS) == []  # 29 s is not yet silence
        assert screens_held() == {fran.workshop_id: 3}
    assert online_told(fran) == []
    clock.advance(2)  # this process has now said nothing for 31 s; the survivor for 2 s
    with app.app_context():
        assert servers.forget_the_dead(THIRTY_SECONDS) == [fran.workshop_id]
        assert screens_held() == {}
        assert db.session.get(ServerProcess, servers.this_process()) is None
        assert db.session.get(ServerProcess, "the-survivor") is not None
    # Staff hear that nobody is here any more, as they would hear people leave.
    assert online_told(fran) == [0]


def test_a_process_counted_dead_that_beats_again_is_known_again(app, clock):
    with app.app_context():
        servers.start_beside_others("stalled", THIRTY_SECONDS)
        clock.advance(31)
        servers.start_beside_others("other", THIRTY_SECONDS)  # forgets "stalled"
        assert db.session.get(ServerProcess, "stalled") is None
        assert servers.heartbeat("stalled") is False  # its screens must connect again
        assert servers.heartbeat("stalled") is True
        clock.advance(20)
        assert servers.forget_the_dead(THIRTY_SECONDS) == []
        assert db.session.get(ServerProcess, "stalled") is not None


def test_the_only_process_starting_forgets_every_screen(app, room):
    fran, amira, joost = room
    with app.app_context():
        servers.start_beside_others("gone-before-a-restart", THIRTY_SECONDS)
        assert servers.forget_every_socket() == 3
        assert screens_held() == {}
        assert db.session.scalars(sa.select(ServerProcess)).all() == []


def test_a_process_stopping_forgets_its_own_screens_at_once_and_no_others(app, room):
    fran, amira, joost = room
    with app.app_context():
        servers.start_beside_others(servers.this_process(), THIRTY_SECONDS)
        servers.start_beside_others("still-running", THIRTY_SECONDS)
        someone = db.session.scalars(
            sa.select(Connection.participant_id).where(Connection.participant_id.is_not(None))
        ).first()
        db.session.add(
            Connection(
                sid="a-tab-elsewhere",
                server_id="still-running",
                workshop_id=fran.workshop_id,
                participant_id=someone,
            )
        )
        db.session.commit()
    fran.socket.get_received()
    with app.app_context():
        assert servers.stop_serving() == [fran.workshop_id]
        assert screens_held() == {fran.workshop_id: 1}  # the tab on the other process
        assert db.session.get(ServerProcess, servers.this_process()) is None
        assert db.session.get(ServerProcess, "still-running") is not None
    assert online_told(fran) == [1]
