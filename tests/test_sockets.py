"""Several people in one room over Socket.IO: what each of them sees, live."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.conftest import PASSWORD, db_fingerprint, make_user, make_workshop
from tests.people import Person, strings_in, tallies_in
from workshop import queries, sockets
from workshop.extensions import db, socketio
from workshop.models import Ballot, Phase, Proposal, User
from workshop.services import rounds, versions, workshops


def last_snapshot(person: Person) -> dict:
    return person.events("state.snapshot")[-1]


def test_everyone_gets_a_snapshot_of_the_room_on_connect(room):
    fran, amira, joost = room
    snapshot = last_snapshot(amira)
    assert snapshot["viewer"]["kind"] == "participant"
    assert snapshot["viewer"]["name"] == "Amira"
    assert snapshot["workshop"]["phase"] == "lobby"
    assert snapshot["me"] is None  # no voting round yet
    assert last_snapshot(fran)["viewer"]["kind"] == "facilitator"


def test_live_pages_carry_the_snapshot_their_socket_sends_and_stay_out_of_caches(app, room):
    """The console, the participant's room and the projector draw the room from their page
    before the socket connects (so nothing moves when it does): what a page holds is what that
    screen's socket says, it is kept in no cache (it holds their own ballot), and what people wrote
    stays data in it, never closing its script block."""
    fran, amira, _joost = room
    fran.send("phase.set", {"phase": "propose"})
    with app.app_context():
        code = queries.get_workshop(fran.workshop_id).join_code
    sneaky = "</script><script>alert(1)</script>"
    mallory = Person(app, fran.workshop_id)
    mallory.http.post(f"/j/{code}", data={"display_name": sneaky, "level": "Frontline"})
    assert mallory.connect().is_connected()
    mallory.send("proposal.submit", {"body": "We care"})
    wall = Person(app, fran.workshop_id)
    wall.http = fran.http  # the room's screen, on Fran's login
    assert wall.connect(audience="projector").is_connected()
    opening = '<script type="application/json" id="first-snapshot">'
    for person, path in (
        (fran, "/workshops/%s"),
        (amira, "/w/%s"),
        (wall, "/workshops/%s/projector"),
    ):
        response = person.http.get(path % fran.workshop_id)
        assert response.headers["Cache-Control"] == "no-store"
        page = response.get_data(as_text=True)
        served = json.loads(page.split(opening, 1)[1].split("</script>", 1)[0])
        live = person.send("state.sync", {})["snapshot"]
        for snapshot in (served, live):  # the server's clock, read when each was built
            for round_ in snapshot["rounds"]:
                assert round_.pop("server_now")
        assert served == live
        kinds = {fran: "facilitator", amira: "participant", wall: "projector"}
        assert served["viewer"]["kind"] == kinds[person]
        assert [a["name"] for p in served["proposals"] for a in p["authors"]] == [sneaky]
        assert "<script>alert(1)" not in page


def test_proposals_votes_and_phases_reach_everyone_in_order(app, room):
    fran, amira, joost = room
    for person in room:
        person.events()  # drop the connect traffic
    seq = last_seq = None

    ack = fran.send("phase.set", {"phase": "propose"})
    assert ack == {"ok": True, "phase": "propose"}
    for person in room:
        (changed,) = person.events("phase.changed")
        assert changed["phase"] == "propose"
        seq = changed["seq"]

    ack = amira.send("proposal.submit", {"body": "We serve *patients*", "op_id": "a1"})
    assert ack["ok"] is True
    with app.app_context():  # committed before the acknowledgement
        assert db.session.get(Proposal, ack["proposal_id"]).body_md == "We serve *patients*"
    seen = {}
    for name, person in [("joost", joost), ("fran", fran)]:
        (event,) = person.events("proposal.submitted")
        assert event["seq"] == seq + 1
        assert event["proposal"]["authors"][0]["name"] == "Amira"
        assert "<em>patients</em>" in event["proposal"]["body_html"]
        seen[name] = event["proposal"]
    # Only staff receive the raw Markdown and moderation fields.
    assert seen["fran"]["body_md"] == "We serve *patients*"
    assert "body_md" not in seen["joost"] and "status" not in seen["joost"]

    fran.send("phase.set", {"phase": "vote"})
    ack = joost.send("vote.set", {"proposal_id": ack["proposal_id"], "dots": 2})
    assert ack["ok"] is True and ack["me"]["ballot"] == {"dots": {str(seen["fran"]["id"]): 2}}
    with app.app_context():
        assert db.session.query(Ballot).count() == 1
    for person in (amira, fran, joost):
        tallied = person.events("round.tallied")[-1]
        # Blind by default: a count of voters, and no tally for anyone, staff included.
        assert tallied["voters"] == 1 and "results" not in tallied
        last_seq = tallied["seq"]
    assert last_seq > seq + 1


def test_staff_see_what_participants_do_not(room):
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    proposal_id = amira.send("proposal.submit", {"body": "Duplicate"})["proposal_id"]
    for person in room:
        person.events()
    assert fran.send("proposal.hide", {"proposal_id": proposal_id, "reason": "dup"})["ok"]
    (for_staff,) = fran.events("proposal.updated")
    (for_joost,) = joost.events("proposal.removed")
    assert for_staff["proposal"]["hidden_reason"] == "dup"
    assert for_staff["proposal"]["status"] == "hidden"
    assert for_joost == {"seq": for_staff["seq"], "proposal_id": proposal_id}
    # The author alone is told why.
    (told,) = amira.events("proposal.moderated")
    assert told["reason"] == "dup" and told["status"] == "hidden"
    assert "proposal.moderated" not in [e["name"] for e in joost.socket.get_received()]
    assert proposal_id not in [p["id"] for p in last_snapshot_after_sync(joost)["proposals"]]
    (as_staff_see_it,) = [
        p for p in last_snapshot_after_sync(fran)["proposals"] if p["id"] == proposal_id
    ]
    assert as_staff_see_it["status"] == "hidden" and as_staff_see_it["body_md"] == "Duplicate"


def test_authors_are_told_of_hides_and_merges_and_keep_the_notice_after_a_reload(room):
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    mine = amira.send("proposal.submit", {"body": "We listen"})["proposal_id"]
    theirs = joost.send("proposal.submit", {"body": "We listen first"})["proposal_id"]
    hidden = joost.send("proposal.submit", {"body": "Off topic"})["proposal_id"]
    assert fran.send("proposal.hide", {"proposal_id": hidden, "reason": "Not about us"})["ok"]
    assert fran.send("proposal.merge", {"keep_id": theirs, "merge_id": mine})["ok"]
    (merged,) = amira.events("proposal.moderated")
    assert merged["status"] == "merged" and merged["merged_into_id"] == theirs
    assert "We listen first" in merged["merged_into_html"] and "We listen" in merged["body_html"]
    # After a reload each author still has their own notices, and only theirs.
    assert last_snapshot_after_sync(amira)["my_moderated"] == [merged]
    (kept,) = last_snapshot_after_sync(joost)["my_moderated"]
    assert kept["proposal_id"] == hidden and kept["reason"] == "Not about us"
    assert "my_moderated" not in last_snapshot_after_sync(fran)
    # Restored, the notice goes.
    assert fran.send("proposal.restore", {"proposal_id": hidden})["ok"]
    assert last_snapshot_after_sync(joost)["my_moderated"] == []


def last_snapshot_after_sync(person: Person) -> dict:
    ack = person.send("state.sync", {})
    assert ack["ok"]
    return ack["snapshot"]


def test_facilitator_commands_are_refused_for_participants_and_leadership(app, room):
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    proposal_id = amira.send("proposal.submit", {"body": "Ours"})["proposal_id"]
    other_id = amira.send("proposal.submit", {"body": "Theirs"})["proposal_id"]
    round_id = last_snapshot_after_sync(fran)["current_round_id"]
    with app.app_context():
        from tests.conftest import make_user
        from workshop.models import StaffRole, UserRole

        make_user("boss@example.org", role=UserRole.LEADERSHIP)
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        workshops.add_staff(owner, fran.workshop_id, "boss@example.org", StaffRole.LEADERSHIP)
    boss = Person(app, fran.workshop_id)
    boss.http.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    assert boss.connect().is_connected()
    with app.app_context():
        before = db_fingerprint()
    commands = [
        ("phase.set", {"phase": "vote"}),
        ("proposal.hide", {"proposal_id": proposal_id}),
        ("proposal.restore", {"proposal_id": proposal_id}),
        ("proposal.approve", {"proposal_id": proposal_id}),
        ("proposal.pin", {"proposal_id": proposal_id, "pinned": True}),
        ("proposal.merge", {"keep_id": proposal_id, "merge_id": other_id}),
        ("proposal.split", {"proposal_id": proposal_id, "parts": ["a", "b"]}),
        ("agenda.template", {}),
        ("round.add", {"kind": "vote"}),
        ("round.start", {"round_id": round_id}),
        ("round.pause", {"round_id": round_id}),
        ("round.extend", {"round_id": round_id, "seconds": 60}),
        ("round.end", {"round_id": round_id}),
        ("round.reveal", {"round_id": round_id}),
        ("readout.set", {"anonymous": True}),
    ]
    for person in (joost, boss):
        for name, payload in commands:
            ack = person.send(name, payload)
            assert ack["ok"] is False, name
            assert ack["error"]["code"] == "forbidden", (name, ack)
    with app.app_context():
        assert db_fingerprint() == before


def test_a_refusal_for_the_wrong_kind_of_person_tells_nothing_of_what_exists(app, room):
    """A participant's facilitator command, and a staff account's participant command, are
    refused before anything is looked up: an id that exists and one that does not get the
    same answer, so refusals cannot be used to find out what is in the workshop."""
    fran, amira, _joost = room
    fran.send("phase.set", {"phase": "propose"})
    proposal_id = amira.send("proposal.submit", {"body": "Ours"})["proposal_id"]
    round_id = last_snapshot_after_sync(fran)["current_round_id"]
    with app.app_context():
        before = db_fingerprint()
    missing = 987_654
    by_participant = [
        ("round.extend", lambda id_: {"round_id": id_, "seconds": 60}),
        ("round.end", lambda id_: {"round_id": id_}),
        ("round.remove", lambda id_: {"round_id": id_}),
        ("proposal.hide", lambda id_: {"proposal_id": id_}),
        ("proposal.pin", lambda id_: {"proposal_id": id_, "pinned": True}),
    ]
    for name, payload in by_participant:
        real = round_id if name.startswith("round.") else proposal_id
        answers = [amira.send(name, payload(id_)) for id_ in (real, missing)]
        assert answers[0] == answers[1], name
        assert answers[0]["error"]["code"] == "forbidden", (name, answers[0])
    by_staff = [
        ("comment.add", lambda id_: {"proposal_id": id_, "body": "Hm"}),
        ("vote.set", lambda id_: {"proposal_id": id_, "dots": 1}),
        ("amendment.vote", lambda id_: {"amendment_id": id_, "choice": "agree"}),
        ("duel.vote", lambda id_: {"duel_id": id_, "ranking": [1]}),
    ]
    for name, payload in by_staff:
        answers = [fran.send(name, payload(id_)) for id_ in (proposal_id, missing)]
        assert answers[0] == answers[1], name
        assert answers[0]["error"]["code"] == "forbidden", (name, answers[0])
    with app.app_context():
        assert db_fingerprint() == before


def test_malformed_commands_get_a_clear_error(room):
    fran, amira, _ = room
    fran.send("phase.set", {"phase": "propose"})
    for payload in [{"body": 42}, {"bodyy": "x"}, None]:
        ack = amira.send("proposal.submit", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"
        assert ack["error"]["message"]
    assert amira.send("phase.set", {"phase": "party"})["error"]["code"] == "invalid"


def test_a_nul_character_in_any_command_is_invalid_and_nothing_is_stored(app, room):
    """PostgreSQL cannot store a NUL in text: it was an internal error there (and stored as it
    came on SQLite). Refused by the protocol, in a top-level field or deep in a ballot."""
    fran, amira, _ = room
    fran.send("phase.set", {"phase": "propose"})
    with app.app_context():
        before = db_fingerprint()
    for name, payload in [
        ("proposal.submit", {"body": "We\x00 care"}),
        ("proposal.submit", {"body": "We care", "op_id": "\x00"}),
        ("ballot.cast", {"ballot": {"dots": {"1\x00": 1}}}),
    ]:
        ack = amira.send(name, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", (name, payload, ack)
        assert "NUL" in ack["error"]["message"], ack
    ack = fran.send("round.add", {"kind": "propose", "prompt": "More\x00?"})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
    with app.app_context():
        assert db_fingerprint() == before


def test_an_over_budget_vote_is_refused_and_nothing_is_stored(app, room):
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    proposal_id = amira.send("proposal.submit", {"body": "Ours"})["proposal_id"]
    fran.send("phase.set", {"phase": "vote"})
    ack = joost.send("vote.set", {"proposal_id": proposal_id, "dots": 4})
    assert ack["error"]["code"] == "invalid" and "dots" in ack["error"]["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == 0


def test_no_tally_reaches_anyone_before_the_reveal_and_everyone_after(app, room):
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    a = amira.send("proposal.submit", {"body": "Alpha wording"})["proposal_id"]
    fran.send("phase.set", {"phase": "vote"})
    round_id = last_snapshot_after_sync(fran)["current_round_id"]
    joost.send("vote.set", {"proposal_id": a, "dots": 3})
    for person in room:
        received = [event["args"][0] for event in person.socket.get_received()]
        snapshot = last_snapshot_after_sync(person)
        assert list(tallies_in([received, snapshot])) == []
        assert snapshot["vote"]["results"] is None and snapshot["vote"]["voters"] == 1
    # Only Joost's own screens learn what he voted.
    assert last_snapshot_after_sync(joost)["me"]["ballot"] == {"dots": {str(a): 3}}
    assert last_snapshot_after_sync(amira)["me"]["ballot"] is None
    assert fran.send("round.reveal", {"round_id": round_id})["ok"]
    for person in room:
        revealed = person.events("round.tallied")[-1]
        assert revealed["results"]["items"][0] == {"proposal_id": a, "dots": 3, "voters": 1}
        assert last_snapshot_after_sync(person)["vote"]["results"]["winner"] == a


def test_reconnecting_mid_round_lands_on_the_round_and_its_time(app, room):
    fran, amira, joost = room
    ack = fran.send("round.add", {"kind": "propose", "prompt": "Who do we serve?", "minutes": 5})
    fran.send("round.start", {"round_id": ack["round_id"]})
    joost.socket.disconnect()
    fran.send("round.extend", {"round_id": ack["round_id"], "seconds": 120})
    joost.connect()
    snapshot = last_snapshot(joost)
    (current,) = [r for r in snapshot["rounds"] if r["id"] == snapshot["current_round_id"]]
    assert current["prompt"] == "Who do we serve?" and current["status"] == "running"
    import datetime as dt

    left = dt.datetime.fromisoformat(current["ends_at"]) - dt.datetime.fromisoformat(
        current["server_now"]
    )
    assert 6 * 60 < left.total_seconds() <= 7 * 60


def test_a_client_that_reconnects_gets_the_current_state(room):
    fran, amira, joost = room
    joost.socket.disconnect()
    fran.send("phase.set", {"phase": "propose"})
    amira.send("proposal.submit", {"body": "Said while Joost was away"})
    expected_seq = fran.events("proposal.submitted")[-1]["seq"]
    joost.connect()
    snapshot = last_snapshot(joost)
    assert snapshot["workshop"]["phase"] == "propose"
    assert [p["authors"][0]["name"] for p in snapshot["proposals"]] == ["Amira"]
    assert snapshot["seq"] >= expected_seq


def test_presence_follows_connections(room):
    fran, amira, joost = room
    assert fran.events("presence.changed")[-1]["presence"]["online"] == 2
    joost.socket.disconnect()
    presence = fran.events("presence.changed")[-1]["presence"]
    assert presence["online"] == 1 and presence["by_level"] == {"Frontline": 1}


def test_strangers_cannot_connect(app, room):
    stranger = Person(app, room[0].workshop_id)
    assert not stranger.connect().is_connected()
    with app.app_context():
        owner = make_user("other@example.org")
        other_id = make_workshop(owner).id
    # A participant of one workshop cannot open a socket on another.
    amira = room[1]
    assert not socketio.test_client(
        app, flask_test_client=amira.http, auth={"workshop_id": other_id}
    ).is_connected()
    assert not socketio.test_client(
        app, flask_test_client=amira.http, auth={"workshop": "ABCDEFGH"}
    ).is_connected()
    # Workshop ids no table can hold are refused like any other, on every database.
    for absurd in ABSURD_NUMBERS:
        assert not amira.connect(workshop_id=absurd).is_connected(), absurd
    assert amira.connect().is_connected()  # and her own workshop still lets her in


def test_a_participant_cannot_vote_in_another_workshop_over_sockets(app, room):
    fran, amira, _ = room
    with app.app_context():
        owner = make_user("other@example.org")
        other = make_workshop(owner)
        code, other_id, owner_id = other.join_code, other.id, owner.id
        rounds.set_phase(owner, other_id, Phase.PROPOSE)
    outsider = Person(app, other_id)
    outsider.http.post(f"/j/{code}", data={"display_name": "Olga", "level": "Manager"})
    outsider.connect()
    foreign_id = outsider.send("proposal.submit", {"body": "Elsewhere"})["proposal_id"]
    with app.app_context():
        rounds.set_phase(db.session.get(User, owner_id), other_id, Phase.VOTE)
    fran.send("phase.set", {"phase": "vote"})
    ack = amira.send("vote.set", {"proposal_id": foreign_id, "dots": 1})
    assert ack["error"]["code"] == "not_found"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == 0


def test_a_newcomer_is_one_count_for_everyone_and_never_a_name(app, room):
    """Joining sends every screen the (coalesced) count, one numbered event, and no name:
    a room of thousands joining is not sent a message per newcomer per screen."""
    fran, amira, joost = room
    before = amira.events()[-1]["seq"]
    fran.events()
    with app.app_context():
        code = queries.get_workshop(fran.workshop_id).join_code
    newcomer = Person(app, fran.workshop_id)
    newcomer.http.post(f"/j/{code}", data={"display_name": "Li", "level": "Executive"})
    for person in (amira, fran):
        received = [(e["name"], e["args"][0]) for e in person.socket.get_received()]
        assert [name for name, _ in received] == ["presence.changed"]
        assert received[0][1]["seq"] == before + 1
        assert received[0][1]["presence"]["joined"] == 3
        assert "Li" not in set(strings_in(received))  # counts only, never the newcomer's name


def test_staff_sockets_do_not_count_as_presence(app, room):
    fran, amira, joost = room
    amira.events()
    fran.socket.disconnect()
    assert amira.events("presence.changed") == []


def test_results_follow_moderation_at_once(room):
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    a = amira.send("proposal.submit", {"body": "Alpha"})["proposal_id"]
    b = amira.send("proposal.submit", {"body": "Beta"})["proposal_id"]
    ack = fran.send("round.add", {"kind": "vote", "method": "dot", "blind": False, "minutes": 0})
    fran.send("round.start", {"round_id": ack["round_id"]})
    joost.send("vote.set", {"proposal_id": a, "dots": 2})
    amira.events()
    fran.send("proposal.merge", {"keep_id": b, "merge_id": a})
    tallied = amira.events("round.tallied")[-1]
    assert tallied["results"]["items"][0] == {"proposal_id": b, "dots": 2, "voters": 1}


def test_a_comment_op_id_is_one_persons(room):
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    a = amira.send("proposal.submit", {"body": "Alpha"})["proposal_id"]
    first = amira.send("comment.add", {"proposal_id": a, "body": "Mine", "op_id": "same"})
    second = joost.send("comment.add", {"proposal_id": a, "body": "Yours", "op_id": "same"})
    assert first["comment_id"] != second["comment_id"]


def test_a_flood_of_commands_is_refused_without_harm(room, monkeypatch):
    fran, amira, joost = room
    now = [1000.0]  # the budget's clock stands still unless the test moves it
    monkeypatch.setattr(sockets.budget, "clock", lambda: now[0])
    monkeypatch.setattr(sockets.budget, "_buckets", {})
    answers = [amira.send("state.sync", {}) for _ in range(sockets.budget.burst + 5)]
    assert all(a["ok"] for a in answers[: sockets.budget.burst])  # a normal burst goes through
    assert [a["error"]["code"] for a in answers[sockets.budget.burst :]] == ["rate_limited"] * 5
    assert joost.send("state.sync", {})["ok"]  # one person's flood does not slow the others
    now[0] += 1.0  # a second later, the budget has refilled by its rate
    refilled = [amira.send("state.sync", {})["ok"] for _ in range(int(sockets.budget.rate) + 1)]
    assert refilled == [True] * int(sockets.budget.rate) + [False]


def test_tagging_takes_a_proposal_or_an_amendment(app, room):
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    proposal_id = amira.send("proposal.submit", {"body": "We care"})["proposal_id"]
    with app.app_context():
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        versions.save_version(owner, fran.workshop_id, "We care for people.", based_on=None)
    amendment_id = joost.send(
        "amendment.propose",
        {"version_number": 1, "start": 12, "end": 18, "replacement": "everyone"},
    )["amendment_id"]
    assert joost.send("value.tag", {"amendment_id": amendment_id, "value_key": "care"})["confirmed"]
    assert amira.send("value.tag", {"proposal_id": proposal_id, "value_key": "care"})["confirmed"]
    both = amira.send(
        "value.tag", {"proposal_id": proposal_id, "amendment_id": amendment_id, "value_key": "care"}
    )
    neither = amira.send("value.tag", {"value_key": "care"})
    assert both["error"]["code"] == neither["error"]["code"] == "invalid"


# Numbers no table can hold (PostgreSQL's INTEGER columns stop below 2**31, SQLite's below
# 2**63): the protocol refuses them before any query, so they are `invalid`, never
# `internal` or `not_found`.
ABSURD_NUMBERS = [2**31, 2**53, 2**63, 2**63 + 5, 10**30]


def _integer_fields(schema: dict) -> dict[str, bool]:
    """The payload's integer fields (directly, optional or in a list): name -> is a list."""
    fields = {}
    for name, field in schema.get("properties", {}).items():
        for kind in field.get("anyOf", [field]):
            if kind.get("type") == "integer":
                fields[name] = False
            elif kind.get("type") == "array" and kind.get("items", {}).get("type") == "integer":
                fields[name] = True
    return fields


def test_numbers_too_large_for_any_table_are_invalid_in_every_command(app, room, monkeypatch):
    """Generated from the command registry: every integer field of every command (ids,
    keys, counts, rankings), sent as 2**63 and beyond by whoever may send the command."""
    from tests.test_authorisation import PARTICIPANT_COMMANDS, payloads

    monkeypatch.setattr(sockets.budget, "allow", lambda sid: True)
    fran, amira, _ = room
    fran.send("phase.set", {"phase": "propose"})
    ids = {key: 1 for key in ("proposal", "other_proposal", "comment", "tag", "version")}
    ids |= {key: 1 for key in ("clause", "amendment", "duel", "option", "round", "running")}
    well_formed = payloads(ids | {"span": (0, 10)})
    with app.app_context():
        before = db_fingerprint()
    tried = set()
    for name, schema in sorted(sockets.COMMANDS.items()):
        sender = amira if name in PARTICIPANT_COMMANDS else fran
        base = well_formed[name]
        schema.model_validate(base)  # well formed: only the number below can be wrong
        for field, is_list in _integer_fields(schema.model_json_schema()).items():
            for number in ABSURD_NUMBERS:
                payload = {**base, field: [number] if is_list else number}
                if name == "value.tag" and field == "amendment_id":
                    payload.pop("proposal_id")  # one of the two
                ack = sender.send(name, payload)
                assert ack["ok"] is False and ack["error"]["code"] == "invalid", (name, field, ack)
                assert field in ack["error"]["message"], (name, field, ack)
            tried.add((name, field))
    assert {"round_id", "proposal_id", "duel_id", "ranking"} <= {field for _, field in tried}
    assert len(tried) > 40
    with app.app_context():
        assert db_fingerprint() == before


def test_numbers_too_large_for_any_table_inside_a_ballot_are_invalid(app, room, monkeypatch):
    """The ballot of each voting method names proposals inside it: an absurd one there is
    refused like any proposal that is not on the ballot, and nothing is stored."""
    fran, amira, joost = room
    # Joost sends 31 commands in a moment, more than a connection's burst: this is not the
    # flood test (test_a_flood_of_commands_is_refused_without_harm): his burst is larger.
    monkeypatch.setattr(sockets.budget, "burst", 100)
    fran.send("phase.set", {"phase": "propose"})
    a = amira.send("proposal.submit", {"body": "Alpha"})["proposal_id"]
    amira.send("proposal.submit", {"body": "Beta"})
    ballots = {
        "dot": lambda n: {"dots": {str(n): 1}},
        "approval": lambda n: {"approved": [n]},
        "score": lambda n: {"scores": {str(n): 3}},
        "ranked": lambda n: {"ranking": [n]},
        "consent": lambda n: {"consent": {str(n): {"choice": "consent"}}},
    }
    for method, ballot in ballots.items():
        round_id = fran.send("round.add", {"kind": "vote", "method": method, "minutes": 5})
        assert fran.send("round.start", {"round_id": round_id["round_id"]})["ok"], method
        for number in ABSURD_NUMBERS:
            ack = joost.send("ballot.cast", {"ballot": ballot(number)})
            assert ack["ok"] is False and ack["error"]["code"] == "invalid", (method, ack)
            ack = joost.send("ballot.cast", {"ballot": ballot(a), "round_id": number})
            assert ack["ok"] is False and ack["error"]["code"] == "invalid", (method, ack)
        if method == "dot":
            ack = joost.send("vote.set", {"proposal_id": 2**63, "dots": 1})
            assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
        assert fran.send("round.end", {"round_id": round_id["round_id"]})["ok"], method
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == 0


def test_a_card_of_only_invisible_characters_is_empty(room):
    """Zero-width spaces and a byte-order mark passed as wording and showed an empty card
    (found by an audit); visible text keeps its joiners and direction marks as sent."""
    fran, amira, _joost = room
    fran.send("phase.set", {"phase": "propose"})
    for invisible in ("\u200b\u200b\ufeff", " \u200e\u2060 "):
        refused = amira.send("proposal.submit", {"body": invisible})
        assert not refused["ok"] and refused["error"]["code"] == "invalid", refused
    family = "We care for every \U0001f468\u200d\U0001f469\u200d\U0001f467 and \u200fאחד."
    kept = amira.send("proposal.submit", {"body": family})
    assert kept["ok"], kept
    with amira.app.app_context():
        assert [
            p.body_md for p in queries.list_proposals(amira.workshop_id, include_hidden=True)
        ] == [family]


def test_a_vote_resent_after_a_reconnect_never_counts_in_a_later_round(room):
    """The phone's vote.set for round 1 was lost with its connection; meanwhile round 1
    ended and a runoff started. The resend counted in the runoff, which she never saw (found
    by an audit). It names its round now, and is refused; the same vote for the runoff
    counts."""
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    ours = amira.send("proposal.submit", {"body": "We care", "op_id": "a1"})["proposal_id"]
    joost.send("proposal.submit", {"body": "We listen", "op_id": "j1"})
    fran.send("phase.set", {"phase": "vote"})
    first = fran.send("state.sync", {})["snapshot"]["current_round_id"]
    assert fran.send("round.end", {"round_id": first})["ok"]
    runoff = fran.send(
        "round.add",
        {"kind": "vote", "method": "dot", "prompt": "Runoff", "all_proposals": True},
    )["round_id"]
    assert fran.send("round.start", {"round_id": runoff})["ok"]
    amira.socket.disconnect()
    amira.connect()
    resent = amira.send("vote.set", {"proposal_id": ours, "dots": 2, "round_id": first})
    assert not resent["ok"] and resent["error"]["code"] == "voting_closed", resent
    assert amira.events("state.snapshot")[-1]["me"]["voted"] is False
    meant = amira.send("vote.set", {"proposal_id": ours, "dots": 2, "round_id": runoff})
    assert meant["ok"] and meant["me"]["round_id"] == runoff, meant


def test_a_vote_resent_from_one_tab_does_not_undo_a_later_change_from_another(app, room):
    """Tab A's vote was committed but its acknowledgement lost; she then changed her mind in
    tab B; tab A reconnected and sent its vote again, as the client does with a vote it
    never heard back about, and undid tab B's (found by an audit). An operation applied
    once is not applied again, for dots and for whole ballots alike."""
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    ours = amira.send("proposal.submit", {"body": "We care", "op_id": "a1"})["proposal_id"]
    fran.send("phase.set", {"phase": "vote"})
    phone = Person(app, amira.workshop_id)
    phone.http = amira.http  # her second tab
    phone.connect()
    lost = {"proposal_id": ours, "dots": 2, "op_id": "tab-a-1"}
    assert amira.send("vote.set", lost)["ok"]  # committed; say its answer never came
    later = phone.send("vote.set", {"proposal_id": ours, "dots": 0, "op_id": "tab-b-1"})
    assert later["ok"] and dots_on(later, ours) == 0
    resent = amira.send("vote.set", lost)
    assert resent["ok"] and dots_on(resent, ours) == 0, resent
    again = {"proposal_id": ours, "dots": 1, "op_id": "tab-a-2"}  # a new choice counts
    assert dots_on(amira.send("vote.set", again), ours) == 1
    whole = {"ballot": {"dots": {str(ours): 3}}, "op_id": "tab-a-3"}
    assert amira.send("ballot.cast", whole)["ok"]
    joost_view = joost.send("state.sync", {})["snapshot"]["vote"]
    assert joost_view["voters"] == 1
    phone.send("ballot.cast", {"ballot": {"dots": {str(ours): 2}}, "op_id": "tab-b-2"})
    assert dots_on(amira.send("ballot.cast", whole), ours) == 2


def dots_on(ack: dict, proposal_id: int) -> int:
    return ack["me"]["ballot"]["dots"].get(str(proposal_id), 0)
