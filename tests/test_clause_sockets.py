"""Editing clauses, clause consent and wording duels over Socket.IO, as the room sees them."""

from __future__ import annotations

import pytest

from tests.conftest import db_fingerprint
from workshop import queries
from workshop.extensions import db
from workshop.models import User
from workshop.services import editing

TEXT = (
    "## Purpose\n\nWe help every patient feel known.\n\n"
    "## How we work\n\nWe listen first and we act with care."
)


@pytest.fixture
def drafted(app, room):
    """The room with a two-clause draft (version 1) and a running refine round."""
    fran, amira, joost = room
    with app.app_context():
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        version = editing.paste_document(owner, fran.workshop_id, TEXT, based_on=None)
        keys = {c.heading: c.key for c in queries.clauses_of(version)}
    round_id = fran.send("round.add", {"kind": "refine", "prompt": "Sharpen it", "minutes": 10})[
        "round_id"
    ]
    assert fran.send("round.start", {"round_id": round_id})["ok"]
    for person in room:
        person.events()  # drop what came before
    return fran, amira, joost, keys


def rows(app) -> list:
    with app.app_context():
        return db_fingerprint()


def latest_body(app, workshop_id: int) -> str:
    with app.app_context():
        return queries.latest_version(workshop_id).body_md


def test_who_is_editing_a_clause_reaches_the_others_and_goes_with_the_screen(app, drafted):
    fran, amira, joost, keys = drafted
    purpose = str(keys["Purpose"])
    ack = amira.send("clause.editing", {"clause_key": keys["Purpose"]})
    assert ack == {"ok": True}
    (seen,) = joost.events("clause.editing")
    assert seen["editors"] == {purpose: ["Amira"]}
    assert fran.events("clause.editing")[-1]["editors"] == {purpose: ["Amira"]}
    assert fran.send("clause.editing", {"clause_key": keys["Purpose"]})["ok"]
    assert joost.events("clause.editing")[-1]["editors"] == {purpose: ["Amira", "Fran"]}
    assert joost.send("state.sync", {})["snapshot"]["editors"] == {purpose: ["Amira", "Fran"]}

    amira.socket.disconnect()  # her laptop closes: the mark goes with it
    assert joost.events("clause.editing")[-1]["editors"] == {purpose: ["Fran"]}
    assert fran.send("clause.editing", {"clause_key": None})["ok"]
    assert joost.events("clause.editing")[-1]["editors"] == {}


def test_a_clause_save_is_acknowledged_once_committed_and_reaches_everyone(app, drafted):
    fran, amira, joost, keys = drafted
    ack = amira.send(
        "clause.save",
        {"clause_key": keys["Purpose"], "body": "We know every patient by name.", "based_on": 1},
    )
    assert ack == {"ok": True, "version": 2}
    assert latest_body(app, fran.workshop_id).startswith(
        "## Purpose\n\nWe know every patient by name."
    )
    for person in (fran, joost):
        (saved,) = person.events("document.saved")
        assert saved["version"]["number"] == 2
        assert "We know every patient by name." in saved["version"]["body_md"]


def test_a_clashing_save_is_handed_back_with_both_texts(app, drafted):
    fran, amira, joost, keys = drafted
    key = keys["How we work"]
    fran_words = "We listen first and we act with kindness."
    amira_words = "We listen first and we act with respect."
    assert fran.send("clause.save", {"clause_key": key, "body": fran_words, "based_on": 1})["ok"]
    with app.app_context():
        before = db_fingerprint()
    amira.events()
    ack = amira.send("clause.save", {"clause_key": key, "body": amira_words, "based_on": 1})
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"
    details = ack["error"]["details"]
    assert details["latest_body"] == fran_words and details["your_body"] == amira_words
    assert details["latest_number"] == 2 and details["clause_key"] == key
    assert amira.events("document.saved") == []
    with app.app_context():
        assert db_fingerprint() == before
    # Amira combines them on what she has now seen: accepted.
    combined = "We listen first and we act with kindness and respect."
    ack = amira.send("clause.save", {"clause_key": key, "body": combined, "based_on": 2})
    assert ack == {"ok": True, "version": 3}


def test_edits_to_different_words_from_one_version_are_both_kept(app, drafted):
    fran, amira, joost, keys = drafted
    key = keys["How we work"]
    first = {"clause_key": key, "body": "We always listen first and we act with care."}
    second = {"clause_key": key, "body": "We listen first and we act with kindness."}
    assert amira.send("clause.save", {**first, "based_on": 1})["version"] == 2
    assert joost.send("clause.save", {**second, "based_on": 1})["version"] == 3
    assert latest_body(app, fran.workshop_id).endswith(
        "We always listen first and we act with kindness."
    )


def test_clause_consent_over_sockets(app, drafted):
    fran, amira, joost, keys = drafted
    key = keys["Purpose"]
    ack = amira.send("clause.vote", {"clause_key": key, "choice": "object", "reason": "Too vague"})
    assert ack["ok"] and ack["vote"]["choice"] == "object" and ack["vote"]["stale"] is False
    (mine,) = amira.events("clause.mine")
    assert mine["clause_key"] == key
    for person in (fran, joost):
        received = person.socket.get_received()
        # One's own answer goes to one's own screens only; the counts go to everyone.
        assert "clause.mine" not in [m["name"] for m in received]
        (consent,) = [m["args"][0] for m in received if m["name"] == "clause.consent"]
        assert consent["clause_key"] == key and consent["consent"]["object"] == 1
        assert consent["consent"]["objections"] == ["Too vague"]
    refused = fran.send("clause.vote", {"clause_key": key, "choice": "agree"})
    assert refused["error"]["code"] == "forbidden"
    # Changing the clause tells Amira, alone, that her answer needs a second look.
    fran.send("clause.save", {"clause_key": key, "body": "We know every patient.", "based_on": 1})
    (stale,) = amira.events("clause.mine")
    assert stale["vote"]["stale"] is True and stale["vote"]["diff"]
    assert joost.events("clause.mine") == []


def test_a_duel_runs_blind_over_sockets_and_its_winner_is_announced(app, drafted):
    fran, amira, joost, keys = drafted
    ack = fran.send(
        "duel.start",
        {
            "clause_key": keys["Purpose"],
            "options": ["We help every patient feel known.", "We know every patient by name."],
            "seconds": 60,
        },
    )
    assert ack["ok"]
    duel_id = ack["duel_id"]
    (started,) = joost.events("duel.started")
    original, by_name = (o["id"] for o in started["duel"]["options"])
    assert started["duel"]["results"] is None

    ack = amira.send("duel.vote", {"duel_id": duel_id, "ranking": [by_name]})
    assert ack == {"ok": True, "duel_id": duel_id, "ranking": [by_name]}
    assert amira.events("duel.mine") == [{"duel_id": duel_id, "ranking": [by_name]}]
    for person in (fran, joost):
        updated = person.events("duel.updated")[-1]["duel"]
        assert updated["voters"] == 1 and updated["results"] is None
        assert str(by_name) not in str(updated.get("results"))

    ack = fran.send("duel.close", {"duel_id": duel_id})
    assert ack == {"ok": True, "winner_id": by_name, "version": 2}
    for person in (amira, joost):
        decided = person.events("duel.updated")[-1]["duel"]
        assert decided["winner_id"] == by_name
        assert decided["results"]["counts"] == {str(original): 0, str(by_name): 1}
    assert "We know every patient by name." in latest_body(app, fran.workshop_id)


def test_duel_commands_are_for_the_right_people(app, drafted):
    fran, amira, joost, keys = drafted
    duel_id = fran.send(
        "duel.start", {"clause_key": keys["Purpose"], "options": ["A", "B"], "seconds": 60}
    )["duel_id"]
    option = fran.send("state.sync", {})["snapshot"]["duels"][0]["options"][0]["id"]
    with app.app_context():
        before = db_fingerprint()
    assert fran.send("duel.vote", {"duel_id": duel_id, "ranking": [option]})["error"]["code"] == (
        "forbidden"
    )
    for name, payload in [
        ("duel.start", {"clause_key": keys["How we work"], "options": ["A", "B"], "seconds": 60}),
        ("duel.close", {"duel_id": duel_id}),
        ("duel.cancel", {"duel_id": duel_id}),
    ]:
        assert joost.send(name, payload)["error"]["code"] == "forbidden", name
    with app.app_context():
        assert db_fingerprint() == before
    assert fran.send("duel.cancel", {"duel_id": duel_id}) == {"ok": True}


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("clause.save", {"clause_key": "1", "body": "x", "based_on": 1}),
        ("clause.save", {"clause_key": 1, "body": "x"}),
        ("clause.save", {"clause_key": 1, "body": "x", "based_on": 0}),
        ("clause.save", {"clause_key": 1, "body": "x", "based_on": 1, "force": True}),
        ("clause.save", {"clause_key": 1, "body": "x" * 8001, "based_on": 1}),
        ("clause.save", None),
        ("clause.editing", {"clause_key": "Purpose"}),
        ("clause.vote", {"clause_key": 1}),
        ("clause.vote", {"clause_key": 1, "choice": 3}),
        ("duel.start", {"clause_key": 1, "options": ["Only one"], "seconds": 60}),
        ("duel.start", {"clause_key": 1, "options": ["A", "B"], "seconds": 5}),
        ("duel.start", {"clause_key": 1, "options": ["A", "B"] * 3, "seconds": 60}),
        ("duel.vote", {"duel_id": 1, "ranking": "1"}),
        ("duel.vote", {"duel_id": 1, "ranking": [1, 2, 3, 4, 5, 6]}),
        ("duel.close", {"duel_id": "1"}),
        ("duel.cancel", {}),
    ],
)
def test_malformed_clause_and_duel_commands_are_invalid(app, drafted, name, payload):
    fran, amira, joost, keys = drafted
    with app.app_context():
        before = db_fingerprint()
    sender = fran if name.startswith("duel.") and name != "duel.vote" else amira
    ack = sender.send(name, payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
    assert ack["error"]["message"]
    with app.app_context():
        assert db_fingerprint() == before


def test_participants_cannot_edit_outside_a_refine_round(app, drafted):
    fran, amira, joost, keys = drafted
    round_id = fran.send("state.sync", {})["snapshot"]["current_round_id"]
    assert fran.send("round.pause", {"round_id": round_id})["ok"]
    with app.app_context():
        before = db_fingerprint()
    for name, payload in [
        ("clause.save", {"clause_key": keys["Purpose"], "body": "Mine", "based_on": 1}),
        ("clause.editing", {"clause_key": keys["Purpose"]}),
    ]:
        ack = amira.send(name, payload)
        assert ack["error"]["code"] == "round_closed", (name, ack)
    with app.app_context():
        assert db_fingerprint() == before


def test_the_final_mission_refuses_every_change_over_sockets_and_forms(app, drafted):
    """After the lock, every command and form that would change the words or their answers
    is refused with document_locked and changes nothing, until the facilitator reopens it."""
    fran, amira, joost, keys = drafted
    purpose, how = keys["Purpose"], keys["How we work"]
    for person in (amira, joost):
        for key in (purpose, how):
            assert person.send("clause.vote", {"clause_key": key, "choice": "agree"})["ok"]
    body = latest_body(app, fran.workshop_id)
    start = body.index("We help")
    suggestion = amira.send(
        "amendment.propose",
        {"version_number": 1, "start": start, "end": start + 2, "replacement": "Together we"},
    )["amendment_id"]
    duel_id = fran.send(
        "duel.start", {"clause_key": how, "options": ["We listen.", "We act."], "seconds": 60}
    )["duel_id"]
    options = [o["id"] for o in fran.send("state.sync", {})["snapshot"]["duels"][0]["options"]]
    assert joost.send("duel.vote", {"duel_id": duel_id, "ranking": [options[0]]})["ok"]
    locked = fran.http.post(f"/workshops/{fran.workshop_id}/document/versions/1/final")
    assert locked.status_code == 302
    with app.app_context():
        assert queries.latest_version(fran.workshop_id).final_at is not None

    commands = [
        (amira, "clause.save", {"clause_key": purpose, "body": "We help all.", "based_on": 1}),
        (fran, "clause.save", {"clause_key": purpose, "body": "We help all.", "based_on": 1}),
        (amira, "clause.editing", {"clause_key": purpose}),
        (joost, "clause.vote", {"clause_key": purpose, "choice": "object", "reason": "Late"}),
        (
            joost,
            "amendment.propose",
            {"version_number": 1, "start": start, "end": start + 2, "replacement": "So"},
        ),
        (joost, "amendment.vote", {"amendment_id": suggestion, "choice": "agree"}),
        (fran, "amendment.accept", {"amendment_id": suggestion}),
        (fran, "duel.start", {"clause_key": purpose, "options": ["a b", "c d"], "seconds": 60}),
        (amira, "duel.vote", {"duel_id": duel_id, "ranking": [options[1]]}),
        (fran, "duel.close", {"duel_id": duel_id}),
    ]
    for person, command, payload in commands:
        before = rows(app)
        ack = person.send(command, payload)
        assert ack["ok"] is False, command
        assert ack["error"]["code"] == "document_locked", (command, ack)
        assert "Version 1 is the final mission" in ack["error"]["message"], command
        assert rows(app) == before, command
    forms = [
        ("/document", {"body": "Something else", "based_on": "1"}),
        ("/document/versions/1/restore", {"based_on": "1"}),
    ]
    for path, data in forms:
        before = rows(app)
        response = fran.http.post(f"/workshops/{fran.workshop_id}{path}", data=data)
        assert response.status_code in (200, 302, 409), path
        assert rows(app) == before, path
    assert latest_body(app, fran.workshop_id) == body

    # Reopened, the same save goes through.
    reopened = fran.http.post(
        f"/workshops/{fran.workshop_id}/document/versions/reopen", data={"note": "One more"}
    )
    assert reopened.status_code == 302
    ack = amira.send("clause.save", {"clause_key": purpose, "body": "We help all.", "based_on": 2})
    assert ack["ok"], ack
    assert latest_body(app, fran.workshop_id).startswith("## Purpose\n\nWe help all.")
