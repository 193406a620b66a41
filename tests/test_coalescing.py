"""Coalesced room updates: a burst of votes, joins and answers makes few room events, whose
final values are the truth, while each person's own acknowledgement comes at once.

The server's background publisher runs every LIVE_COALESCE_SECONDS; here the test publishes
what is pending itself (the same :meth:`Coalescer.flush` the publisher calls), so it can look
at the room before and after.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import arrive, facilitated_workshop
from tests.people import Person
from tests.test_snapshot_events import normalised, replay
from workshop import queries, realtime, sockets
from workshop.extensions import db
from workshop.models import User
from workshop.services import editing

VOTERS = 20


def names(received: list[dict]) -> list[str]:
    return [m["name"] for m in received]


def test_a_burst_of_votes_makes_one_tally_with_the_true_count(app, coalescing):
    fran, code = facilitated_workshop(app)
    watcher = arrive(app, fran.workshop_id, code, "Watcher")
    people = [arrive(app, fran.workshop_id, code, f"P{i}") for i in range(VOTERS)]
    # Twenty people arrived: presence news is pending, not sent twenty times.
    assert coalescing, "the background publisher is started on the first pending news"
    with app.app_context():
        realtime.coalescer.flush()
    joined = names(watcher.socket.get_received()).count("presence.changed")
    assert joined == 1

    fran.send("phase.set", {"phase": "propose"})
    proposal = people[0].send("proposal.submit", {"body": "We care"})["proposal_id"]
    fran.send("phase.set", {"phase": "vote"})
    with app.app_context():
        realtime.coalescer.flush()
    snapshot = watcher.send("state.sync", {})["snapshot"]
    watcher.socket.get_received()
    for person in people:
        ack = person.send("vote.set", {"proposal_id": proposal, "dots": 1})
        # Each voter's own acknowledgement (and their other tabs' copy) comes at once.
        assert ack["ok"] and ack["me"]["voted"] is True
        assert "ballot.mine" in names(person.socket.get_received())
    assert "round.tallied" not in names(watcher.socket.get_received())  # nothing yet
    with app.app_context():
        assert list(realtime.coalescer.pending().values()) == [
            [f"tally:{snapshot['vote']['round_id']}"]
        ]
        realtime.coalescer.flush()
    received = watcher.socket.get_received()
    tallies = [m["args"][0] for m in received if m["name"] == "round.tallied"]
    assert len(tallies) == 1 and tallies[0]["voters"] == VOTERS
    # The watcher's screen, built from its snapshot and the few events, equals a fresh one.
    fresh = watcher.send("state.sync", {})["snapshot"]
    assert normalised(replay(snapshot, received)) == normalised(fresh)
    assert fresh["vote"]["voters"] == VOTERS


def test_answers_and_editing_marks_are_coalesced_and_end_true(app, room, coalescing):
    fran, amira, joost = room
    with app.app_context():
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        version = editing.paste_document(
            owner, fran.workshop_id, "## Purpose\n\nWe care.", based_on=None
        )
        key = queries.clauses_of(version)[0].key
    round_id = fran.send("round.add", {"kind": "refine", "prompt": "Sharpen", "minutes": 5})[
        "round_id"
    ]
    fran.send("round.start", {"round_id": round_id})
    with app.app_context():
        realtime.coalescer.flush()
    for person in room:
        person.events()
    for choice in ("agree", "object", "live_with"):
        reason = "Too vague" if choice == "object" else ""
        assert amira.send("clause.vote", {"clause_key": key, "choice": choice, "reason": reason})[
            "ok"
        ]
    assert amira.send("clause.editing", {"clause_key": key})["ok"]
    assert amira.send("clause.editing", {"clause_key": None})["ok"]
    assert joost.send("clause.editing", {"clause_key": key})["ok"]
    assert joost.events("clause.consent") == [] and joost.events("clause.editing") == []
    with app.app_context():
        realtime.coalescer.flush()
    received = fran.socket.get_received()
    (consent,) = [m["args"][0] for m in received if m["name"] == "clause.consent"]
    assert consent["consent"]["live_with"] == 1 and consent["consent"]["object"] == 0
    (editing_event,) = [m["args"][0] for m in received if m["name"] == "clause.editing"]
    assert editing_event["editors"] == {str(key): ["Joost"]}
    seqs = [m["args"][0]["seq"] for m in received if "seq" in m["args"][0]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # numbered without a gap


def test_how_many_are_here_goes_out_at_most_every_few_seconds_while_a_room_arrives(
    app, coalescing, monkeypatch
):
    """Presence is slow news (LIVE_PRESENCE_SECONDS): the first arrival after a quiet spell is
    told at the next publish, later ones wait for the interval, and then the true count goes."""
    monkeypatch.setitem(app.config, "LIVE_PRESENCE_SECONDS", 2.0)
    now = [1000.0]
    monkeypatch.setattr(realtime.coalescer, "clock", lambda: now[0])
    fran, code = facilitated_workshop(app)
    workshop_id = fran.workshop_id
    watcher = arrive(app, workshop_id, code, "Watcher")
    with app.app_context():
        realtime.coalescer.flush(due_only=True)
    assert names(watcher.socket.get_received()).count("presence.changed") == 1
    for i in range(5):  # five more arrive within the interval
        Person(app, workshop_id).http.post(
            f"/j/{code}", data={"display_name": f"P{i}", "level": "Frontline"}
        )
        now[0] += 0.2
        with app.app_context():
            realtime.coalescer.flush(due_only=True)
    assert "presence.changed" not in names(watcher.socket.get_received())  # held
    now[0] += 2.0
    with app.app_context():
        realtime.coalescer.flush(due_only=True)
    told = [m["args"][0] for m in watcher.socket.get_received() if m["name"] == "presence.changed"]
    assert len(told) == 1 and told[0]["presence"]["joined"] == 6


def test_a_large_room_is_sent_its_counters_less_often(app, coalescing, monkeypatch):
    """Each publish is one message per screen: at most LIVE_FANOUT_PER_SECOND of them a
    second to one room. Here 7 a second, and five screens in the room: its tally may go every
    0.71 s, so of the publisher's ticks (every 0.05 s) it takes the nearest, 0.7 s on. Each
    voter's own acknowledgement still comes at once, and the tally that goes holds every
    vote."""
    monkeypatch.setitem(app.config, "LIVE_FANOUT_PER_SECOND", 7)
    now = [1000.0]
    monkeypatch.setattr(realtime.coalescer, "clock", lambda: now[0])
    fran, code = facilitated_workshop(app)
    watcher = arrive(app, fran.workshop_id, code, "Watcher")
    people = [arrive(app, fran.workshop_id, code, f"P{i}") for i in range(3)]
    with app.app_context():
        assert realtime.room_screens(fran.workshop_id) == 5
    fran.send("phase.set", {"phase": "propose"})
    proposal = people[0].send("proposal.submit", {"body": "We care"})["proposal_id"]
    fran.send("phase.set", {"phase": "vote"})
    now[0] += 1.0
    with app.app_context():
        realtime.coalescer.flush(due_only=True)
    watcher.socket.get_received()

    def tallies_after(seconds: float, voter: Person | None = None, dots: int = 1) -> list[int]:
        if voter is not None:
            assert voter.send("vote.set", {"proposal_id": proposal, "dots": dots})["ok"]
        now[0] += seconds
        with app.app_context():
            realtime.coalescer.flush(due_only=True)
        received = watcher.socket.get_received()
        return [m["args"][0]["voters"] for m in received if m["name"] == "round.tallied"]

    assert tallies_after(1.0, people[0]) == [1]  # after a quiet spell: at the next publish
    assert tallies_after(0.2, people[1]) == []  # 0.2 s later: held
    assert tallies_after(0.25, people[2]) == []  # 0.45 s
    assert tallies_after(0.2) == []  # 0.65 s
    assert tallies_after(0.05) == [3]  # 0.7 s: the true count
    # In a small room (10,000 a second for five screens), the room's own interval rules.
    monkeypatch.setitem(app.config, "LIVE_FANOUT_PER_SECOND", 10_000)
    assert tallies_after(0.7, watcher) == [4]  # (the last publish set its next at 0.71 s)
    assert tallies_after(0.1, people[0], dots=2) == []  # 0.1 s later: held
    assert tallies_after(0.1) == [4]  # 0.2 s: its interval


def test_a_saturated_process_sends_a_large_room_its_counters_less_often(
    app, coalescing, monkeypatch
):
    """A process with no processor time to spare falls back to FANOUT_BACKOFF times
    LIVE_FANOUT_PER_SECOND, so the votes it is handling get the processor, and climbs back
    once it keeps up again (never more often than the room's interval)."""
    monkeypatch.setitem(app.config, "LIVE_FANOUT_PER_SECOND", 40)
    monkeypatch.setattr(realtime.coalescer, "_pace", 1.0)
    monkeypatch.setattr(realtime.coalescer, "_busy", 0.0)
    now = [1000.0]
    monkeypatch.setattr(realtime.coalescer, "clock", lambda: now[0])
    monkeypatch.setattr(sockets.budget, "clock", lambda: now[0])  # the votes are a few a second
    fran, code = facilitated_workshop(app)
    people = [arrive(app, fran.workshop_id, code, f"P{i}") for i in range(4)]
    fran.send("phase.set", {"phase": "propose"})
    proposal = people[0].send("proposal.submit", {"body": "We care"})["proposal_id"]
    fran.send("phase.set", {"phase": "vote"})
    watcher = people[-1]

    def gaps_between_tallies(seconds: float) -> list[float]:
        """Vote every tick for ``seconds``; the times between the tallies the room got."""
        now[0] += 10.0
        with app.app_context():
            realtime.coalescer.flush(due_only=True)
        watcher.socket.get_received()
        told = []
        for tick in range(round(seconds / 0.05)):
            voter, dots = people[tick % 3], 1 + tick // 3 % 2  # a change each time
            assert voter.send("vote.set", {"proposal_id": proposal, "dots": dots})["ok"]
            now[0] += 0.05
            with app.app_context():
                realtime.coalescer.flush(due_only=True)
            if any(m["name"] == "round.tallied" for m in watcher.socket.get_received()):
                told.append(now[0])
        return [round(b - a, 2) for a, b in zip(told, told[1:], strict=False)]

    # Keeping up: five screens at 40 a second, every 0.2 s (the room's interval, not 0.125 s).
    for _ in range(40):
        realtime.coalescer.follow_load(busy=0.5)
    assert set(gaps_between_tallies(2.0)) == {0.2}
    # Saturated for a while: 20 a second, every 0.25 s.
    for _ in range(40):
        realtime.coalescer.follow_load(busy=1.0)
    with app.app_context():
        assert realtime.coalescer.fanout_per_second() == pytest.approx(20)
    assert set(gaps_between_tallies(2.0)) == {0.25}
    # Keeping up again: back to the full pace.
    for _ in range(60):
        realtime.coalescer.follow_load(busy=0.3)
    with app.app_context():
        assert realtime.coalescer.fanout_per_second() == pytest.approx(40)
    assert set(gaps_between_tallies(2.0)) == {0.2}


def test_the_processor_share_tells_a_busy_process_from_an_idle_one():
    """What the pace follows: a process that sleeps uses little of a processor, one that
    computes uses much (here at least a fifth, as other work may share the machine)."""
    share = realtime.ProcessorShare()
    time.sleep(0.1)
    assert share.since_last() < 0.5
    start = time.process_time()
    while time.process_time() - start < 0.05:
        pass
    assert share.since_last() > 0.2


def test_the_fan_out_pace_backs_off_fast_and_climbs_back_slowly():
    """From the full pace to the slowest takes four saturated ticks (a fifth of a second);
    back, about a second of ticks that keep up; in between, it holds."""
    pace, ticks = 1.0, 0
    while pace > realtime.FANOUT_BACKOFF:
        pace, ticks = realtime.fanout_pace(pace, busy=1.0), ticks + 1
    assert pace == realtime.FANOUT_BACKOFF and ticks <= 4
    assert realtime.fanout_pace(0.7, busy=0.9) == 0.7
    ticks = 0
    while pace < 1.0:
        pace, ticks = realtime.fanout_pace(pace, busy=0.5), ticks + 1
    assert pace == 1.0 and 12 <= ticks <= 16


STORM_PEOPLE, STORM_CYCLES = 3, 50  # 150 reconnects, as the audit's storm


def test_a_reconnect_storm_tells_a_bystander_only_a_few_times(app, coalescing, monkeypatch):
    """People whose sockets drop and come back over and over (a flaky Wi-Fi, a script) change
    who is here hundreds of times; each change only marks presence pending, which goes to the
    room at most every LIVE_PRESENCE_SECONDS. Un-coalesced, every connect and every disconnect
    would be an event to every screen: 300 here."""
    monkeypatch.setitem(app.config, "LIVE_PRESENCE_SECONDS", 2.0)
    now = [1000.0]
    monkeypatch.setattr(realtime.coalescer, "clock", lambda: now[0])
    fran, code = facilitated_workshop(app)
    workshop_id = fran.workshop_id
    bystander = arrive(app, workshop_id, code, "Bystander")
    stormy = [arrive(app, workshop_id, code, f"Flaky {i}") for i in range(STORM_PEOPLE)]
    with app.app_context():
        realtime.coalescer.flush(due_only=True)  # the arrivals are told
    bystander.socket.get_received()
    now[0] += 10.0  # then a quiet spell
    # The storm: 150 reconnects in three seconds, the background publisher running every
    # LIVE_COALESCE_SECONDS (0.2 s) meanwhile.
    for cycle in range(STORM_CYCLES):
        for person in stormy:
            person.socket.disconnect()
            person.connect()
            assert person.socket.is_connected()
        now[0] += 0.06
        if cycle % 3 == 2:
            with app.app_context():
                realtime.coalescer.flush(due_only=True)
    now[0] += 2.0  # the storm is over; the last news goes out at the next turn
    with app.app_context():
        realtime.coalescer.flush(due_only=True)
    received = bystander.socket.get_received()
    told = [m["args"][0] for m in received if m["name"] == "presence.changed"]
    # At the first change, once the 2 s have passed, and at the end: 3 (un-coalesced: 300).
    assert 1 <= len(told) <= 4, len(told)
    assert len(received) == len(told), names(received)  # and nothing else room-wide
    assert told[-1]["presence"]["online"] == 1 + STORM_PEOPLE  # the truth, in the end
    assert told[-1]["presence"]["joined"] == 1 + STORM_PEOPLE
    with app.app_context():
        assert queries.presence_counts(workshop_id)["online"] == 1 + STORM_PEOPLE


def test_the_publisher_keeps_its_pace_and_rests_after_a_publish_that_overran():
    """Ticks every 0.05 s whatever a publish takes, unless it took longer than that: then a
    whole interval (0.2 s) passes before the next, so the votes get the server's time."""
    assert realtime.next_turn(10.0, 0.05, finished=10.01, rest=0.2) == pytest.approx(10.05)
    assert realtime.next_turn(10.0, 0.05, finished=10.05, rest=0.2) == pytest.approx(10.05)
    assert realtime.next_turn(10.0, 0.05, finished=10.3, rest=0.2) == pytest.approx(10.5)


def test_news_sent_while_a_closed_scopes_old_bytes_are_erased_comes_after_the_closes_own(
    app, coalescing, monkeypatch
):
    """Ending a fully anonymous round vacuums its old bytes before its news went out; on
    PostgreSQL the vacuum waits on the network, the publisher sends the counters meanwhile,
    numbered after the round's end, and every screen in the room saw a gap and asked for a
    snapshot at once (60 at once in an audit's room of 40 with second tabs)."""
    from workshop import voters

    fran, code = facilitated_workshop(app)
    watcher = arrive(app, fran.workshop_id, code, "Watcher")
    voter = arrive(app, fran.workshop_id, code, "Voter")
    with app.app_context():
        workshop = queries.get_workshop(fran.workshop_id)
        workshop.anonymity = "full"
        db.session.commit()
    fran.send("phase.set", {"phase": "propose"})
    proposal = voter.send("proposal.submit", {"body": "We care"})["proposal_id"]
    fran.send("phase.set", {"phase": "vote"})
    round_id = fran.send("state.sync", {})["snapshot"]["current_round_id"]
    with app.app_context():
        realtime.coalescer.flush()
    seq = watcher.send("state.sync", {})["snapshot"]["seq"]
    watcher.socket.get_received()
    assert voter.send("vote.set", {"proposal_id": proposal, "dots": 1})["ok"]  # a tally pending
    erase = voters.erase_pending
    monkeypatch.setattr(voters, "erase_pending", lambda: (realtime.coalescer.flush(), erase()))
    assert fran.send("round.end", {"round_id": round_id})["ok"]
    numbers = [m["args"][0]["seq"] for m in watcher.socket.get_received() if "seq" in m["args"][0]]
    assert numbers == list(range(seq + 1, seq + 1 + len(numbers))), numbers
