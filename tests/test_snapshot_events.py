"""Old snapshot + events == new snapshot, for a participant and for staff.

The live client (static/js/live/, its sequence handling in connection.js) starts from a
snapshot and applies the events that follow. If any event left out something a screen shows, the
replayed state would drift from what a fresh snapshot says; this test
replays a whole workshop and compares the two.
"""

from __future__ import annotations

import copy

import pytest

from tests.conftest import make_user
from workshop import queries
from workshop.extensions import db
from workshop.models import Anonymity, User
from workshop.services import rounds, versions, workshops


def replay(snapshot: dict, received: list[dict]) -> dict:
    """Apply events the way the live client does; an out-of-order number is a failure here."""
    state = copy.deepcopy(snapshot)
    for message in received:
        name, event = message["name"], message["args"][0]
        if name == "ballot.mine":
            state["me"] = event
            continue
        if name == "amendment.mine":
            state["my_amendment_votes"][str(event["amendment_id"])] = event["choice"]
            continue
        if name == "clause.mine":
            state["my_clause_votes"][str(event["clause_key"])] = event["vote"]
            continue
        if name == "duel.mine":
            state["my_duel_votes"][str(event["duel_id"])] = event["ranking"]
            continue
        if name in ("proposal.moderated", "comment.moderated"):
            continue  # a notice for the author; nothing in the snapshot changes
        if name == "state.snapshot" or event["seq"] <= state["seq"]:
            continue
        assert event["seq"] == state["seq"] + 1, f"gap before {name}"
        state["seq"] = event["seq"]
        proposals = {p["id"]: p for p in state["proposals"]}
        if name in ("proposal.submitted", "proposal.updated"):
            proposals[event["proposal"]["id"]] = event["proposal"]
        elif name == "proposal.removed":
            proposals.pop(event["proposal_id"], None)
        elif name in ("amendment.proposed", "amendment.updated"):
            others = [a for a in state["amendments"] if a["id"] != event["amendment"]["id"]]
            state["amendments"] = sorted([*others, event["amendment"]], key=lambda a: a["id"])
        elif name == "agenda.changed":
            state["rounds"] = event["rounds"]
            running = [r for r in event["rounds"] if r["status"] in ("running", "paused")]
            state["current_round_id"] = running[0]["id"] if running else None
        elif name == "round.updated":
            state["rounds"] = [
                event["round"] if r["id"] == event["round"]["id"] else r for r in state["rounds"]
            ]
        elif name == "round.tallied":
            state["vote"] = {
                "round_id": event["round_id"],
                "voters": event["voters"],
                "results": event.get("results"),
            }
            if "me" in state and (state["me"] or {}).get("round_id") != event["round_id"]:
                state["me"] = {"round_id": event["round_id"], "voted": False, "ballot": None}
        elif name == "phase.changed":
            state["workshop"].update(
                phase=event["phase"], phase_changed_at=event["phase_changed_at"]
            )
        elif name == "presence.changed":
            state["presence"] = event["presence"]
        elif name == "document.saved":
            state["document"] = event["version"]
            state["wording"] = {k: event[k] for k in ("consent", "budget", "coverage", "words")}
        elif name == "document.wording":
            state["wording"] = {k: event[k] for k in ("consent", "budget", "coverage", "words")}
        elif name == "clause.consent":
            state["wording"]["consent"][str(event["clause_key"])] = event["consent"]
        elif name == "clause.editing":
            state["editors"] = event["editors"]
        elif name in ("duel.started", "duel.updated"):
            others = [d for d in state["duels"] if d["id"] != event["duel"]["id"]]
            state["duels"] = sorted([*others, event["duel"]], key=lambda d: d["id"])
        elif name == "workshop.updated":
            state["workshop"] = event["workshop"]
        else:
            assert name == "seq.skip", name
        state["proposals"] = sorted(proposals.values(), key=lambda p: p["id"])
    return state


def normalised(snapshot: dict) -> dict:
    snapshot = copy.deepcopy(snapshot)
    snapshot["proposals"] = sorted(snapshot["proposals"], key=lambda p: p["id"])
    for round_ in snapshot["rounds"]:
        round_.pop("server_now")  # the moment the payload was built, by design
    for duel in snapshot["duels"]:
        duel.pop("server_now")
    return snapshot


def test_replaying_events_on_the_first_snapshot_gives_the_current_snapshot(app, room):
    fran, amira, joost = room
    first, backlog = {}, {}
    for person in (fran, joost):
        received = person.socket.get_received()
        names = [m["name"] for m in received]
        at = len(names) - 1 - names[::-1].index("state.snapshot")
        first[person], backlog[person] = received[at]["args"][0], received[at + 1 :]

    fran.send("phase.set", {"phase": "propose"})
    a = amira.send("proposal.submit", {"body": "We serve *patients*"})["proposal_id"]
    b = joost.send("proposal.submit", {"body": "We serve colleagues"})["proposal_id"]
    c = amira.send("proposal.submit", {"body": "Duplicate of the first"})["proposal_id"]
    fran.send("proposal.hide", {"proposal_id": c, "reason": "duplicate"})
    fran.send("phase.set", {"phase": "vote"})
    joost.send("vote.set", {"proposal_id": a, "dots": 2})
    amira.send("vote.set", {"proposal_id": b, "dots": 3})
    joost.send("vote.set", {"proposal_id": b, "dots": 1})
    amira.send("vote.set", {"proposal_id": b, "dots": 1})
    fran.send("proposal.restore", {"proposal_id": c})
    joost.send("comment.add", {"proposal_id": a, "body": "Patients *and* families?"})
    fran.send("proposal.merge", {"keep_id": a, "merge_id": c})
    round_id = fran.send("state.sync", {})["snapshot"]["current_round_id"]
    fran.send("round.reveal", {"round_id": round_id})
    with app.app_context():
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        workshop = queries.get_workshop(fran.workshop_id)
        workshops.update_workshop(
            owner,
            workshop.id,
            workshops.WorkshopSettings(
                title="A sharper title", organisation="Harbour Health", dots_per_participant=5
            ),
        )
        rounds.set_phase(owner, workshop.id, "draft")
        versions.start_draft_from_proposals(owner, workshop.id, [b, a], based_on=None)
        versions.save_version(owner, workshop.id, "We serve colleagues and patients.", based_on=1)
    amended = joost.send(
        "amendment.propose",
        {"version_number": 2, "start": 9, "end": 19, "replacement": "our colleagues"},
    )
    joost.send("amendment.vote", {"amendment_id": amended["amendment_id"], "choice": "agree"})
    fran.send("amendment.accept", {"amendment_id": amended["amendment_id"]})

    # Clause by clause: a refine round, people editing, consent per clause, a wording duel.
    clause = fran.send("state.sync", {})["snapshot"]["document"]["clauses"][0]
    key = clause["key"]
    assert clause["body"] == "We serve our colleagues and patients."
    refine = fran.send("round.add", {"kind": "refine", "prompt": "Sharpen", "minutes": 10})
    assert fran.send("round.start", {"round_id": refine["round_id"]})["ok"]
    assert amira.send("clause.editing", {"clause_key": key})["ok"]
    assert fran.send("clause.editing", {"clause_key": key})["ok"]
    saved = amira.send(
        "clause.save",
        {"clause_key": key, "body": "We serve our colleagues and our patients.", "based_on": 3},
    )
    assert saved == {"ok": True, "version": 4}
    assert joost.send("clause.vote", {"clause_key": key, "choice": "object", "reason": "Whom?"})[
        "ok"
    ]
    merged = fran.send(  # on a stale base: merged, and Joost's answer goes stale
        "clause.save",
        {"clause_key": key, "body": "We gladly serve our colleagues and patients.", "based_on": 3},
    )
    assert merged == {"ok": True, "version": 5}
    duel = fran.send(
        "duel.start",
        {"clause_key": key, "options": ["gladly", "proudly"], "seconds": 60, "start": 3, "end": 9},
    )
    assert duel["ok"], duel
    options = fran.send("state.sync", {})["snapshot"]["duels"][0]["options"]
    assert joost.send("duel.vote", {"duel_id": duel["duel_id"], "ranking": [options[0]["id"]]})[
        "ok"
    ]
    assert amira.send("duel.vote", {"duel_id": duel["duel_id"], "ranking": [options[1]["id"]]})[
        "ok"
    ]
    assert joost.send("duel.vote", {"duel_id": duel["duel_id"], "ranking": [options[1]["id"]]})[
        "ok"
    ]
    assert fran.send("duel.close", {"duel_id": duel["duel_id"]})["version"] == 6
    assert joost.send("clause.vote", {"clause_key": key, "choice": "agree"})["ok"]
    assert fran.send("clause.editing", {"clause_key": None})["ok"]

    with app.app_context():
        make_user("late@example.org")
    amira.socket.disconnect()  # she was still editing: the mark goes with her

    for person in (fran, joost):
        replayed = replay(first[person], backlog[person] + person.socket.get_received())
        fresh = person.send("state.sync", {})["snapshot"]
        assert normalised(replayed) == normalised(fresh)
        assert fresh["workshop"]["title"] == "A sharper title"
        assert fresh["amendments"][0]["status"] == "accepted"
        assert fresh["document"]["number"] == 6  # the duel's winner
        assert fresh["document"]["body_md"] == "We proudly serve our colleagues and our patients."
        assert fresh["duels"][0]["status"] == "decided"
        assert fresh["editors"] == {}
        assert fresh["wording"]["consent"][str(key)]["agree"] == 1
    assert replayed["my_clause_votes"][str(key)]["stale"] is False  # Joost's, confirmed again


@pytest.mark.parametrize("anonymity", ["named", "full"])
def test_a_merge_tells_each_voter_where_their_dots_went(app, room, anonymity):
    """Joost put two dots on a card that was then merged into another: the server moved them,
    his screen kept them on the card that had gone, counted them as unspent, and his next tap
    on the kept card set its dots from nought (found by an audit of a room of 40)."""
    fran, amira, joost = room
    received = joost.socket.get_received()
    names = [m["name"] for m in received]
    at = len(names) - 1 - names[::-1].index("state.snapshot")
    first, backlog = received[at]["args"][0], received[at + 1 :]
    with app.app_context():
        workshop = queries.get_workshop(fran.workshop_id)
        workshop.anonymity = Anonymity(anonymity)
        db.session.commit()
    fran.send("phase.set", {"phase": "propose"})
    kept = amira.send("proposal.submit", {"body": "We serve patients"})["proposal_id"]
    gone = amira.send("proposal.submit", {"body": "We serve our patients"})["proposal_id"]
    fran.send("phase.set", {"phase": "vote"})
    assert joost.send("vote.set", {"proposal_id": gone, "dots": 2})["ok"]
    assert fran.send("proposal.merge", {"keep_id": kept, "merge_id": gone})["ok"]

    replayed = replay(first, backlog + joost.socket.get_received())
    fresh = joost.send("state.sync", {})["snapshot"]
    assert fresh["me"]["ballot"] == {"dots": {str(kept): 2}}
    assert replayed["me"] == fresh["me"]
