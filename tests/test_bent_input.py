"""Bent input that once got past the checks: ballots whose inner shape is wrong (a list
where a value's key belongs), text only JSON can spell (half a UTF-16 pair) inside a ballot,
and a JSON body posted to a form. Each is refused with a clear error, writes nothing, logs no
server error and leaves the earlier work in place. Found by an audit."""

from __future__ import annotations

import logging
import re

import pytest

from tests.conftest import PASSWORD, db_fingerprint, make_user, make_workshop
from workshop import sockets
from workshop.services import editing

HALF_A_CHARACTER = "\ud800"  # a lone surrogate: JSON spells it "\ud800", UTF-8 cannot


@pytest.fixture(autouse=True)
def _no_budget(monkeypatch):
    monkeypatch.setattr(sockets.budget, "allow", lambda sid: True)


def refused_as_invalid(ack: dict) -> None:
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == "invalid" and ack["error"]["message"], ack


def no_server_errors(caplog) -> None:
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged, logged


def start(fran, **settings) -> int:
    added = fran.send("round.add", {"minutes": 5, **settings})
    assert added["ok"], added
    assert fran.send("round.start", {"round_id": added["round_id"]})["ok"]
    return added["round_id"]


@pytest.mark.parametrize(
    "ballot",
    [
        {"picks": [{"value": ["care"], "lived": 3}]},
        {"picks": [{"value": {"a": 1}, "lived": 3}]},
        {"picks": [{"custom": {"words": "Kindness"}, "lived": 3}]},
        {"picks": [{"custom": "Kindness", "lived": 3}], "current": [["care"]]},
        {"picks": [{"custom": "Kindness", "lived": 3}], "desired": [{"k": 1}]},
        {"picks": [{"custom": "Kind" + HALF_A_CHARACTER, "lived": 3}]},
    ],
    ids=["value-list", "value-map", "custom-map", "current-list", "desired-map", "half-char"],
)
def test_a_bent_values_ballot_is_invalid_and_keeps_the_earlier_one(app, room, caplog, ballot):
    fran, _amira, joost = room
    start(fran, kind="values")
    assert joost.send("ballot.cast", {"ballot": {"picks": [{"custom": "Fair", "lived": 4}]}})["ok"]
    with app.app_context():
        before = db_fingerprint()
    refused_as_invalid(joost.send("ballot.cast", {"ballot": ballot}))
    with app.app_context():
        assert db_fingerprint() == before
    assert joost.send("state.sync", {})["snapshot"]["me"]["voted"] is True
    no_server_errors(caplog)


def test_half_a_character_in_a_consent_reason_is_invalid(app, room, caplog):
    """Stored, it made the JSON export and the sign-off pack fail for everyone."""
    fran, amira, joost = room
    fran.send("phase.set", {"phase": "propose"})
    proposal_id = amira.send("proposal.submit", {"body": "Alpha"})["proposal_id"]
    start(fran, kind="vote", method="consent")
    with app.app_context():
        before = db_fingerprint()
    objection = {"choice": "object", "reason": "No" + HALF_A_CHARACTER}
    refused_as_invalid(
        joost.send("ballot.cast", {"ballot": {"consent": {str(proposal_id): objection}}})
    )
    with app.app_context():
        assert db_fingerprint() == before
    no_server_errors(caplog)


@pytest.fixture
def site(app):
    with app.app_context():
        fran = make_user("fran@example.org")
        workshop = make_workshop(fran)
        editing.paste_document(fran, workshop.id, "We help.\n\nWe listen.", based_on=None)
        workshop_id, code = workshop.id, workshop.join_code
    staff = app.test_client()
    staff.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    return workshop_id, code, staff


def post_routes(app, workshop_id: int, code: str) -> list[str]:
    """Every address that takes a POST, its parts filled in for the site's workshop."""

    def fill(part: re.Match[str]) -> str:
        name = part[2]
        return {"workshop_id": str(workshop_id), "code": code}.get(
            name, "1" if part[1] == "int:" else "x"
        )

    return sorted(
        re.sub(r"<([a-z]+:)?([a-z_]+)>", fill, rule.rule)
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
    )


@pytest.mark.parametrize(
    "body", [b"42", b"[1, 2]", b"[" * 5000, b'{"display_name": 5, "level": "Frontline"}']
)
def test_a_json_body_posted_to_any_form_is_refused_with_a_clear_answer(
    app, site, monkeypatch, body
):
    """As in production (CSRF on, errors not propagated), with a valid token in the header:
    Flask-WTF read the JSON as the form's data and a number or a list where fields belong
    was a 500 on 19 routes. Now every POST route answers 415 and says what it takes."""
    workshop_id, code, staff = site
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = staff.get(f"/workshops/{workshop_id}/document").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    routes = post_routes(app, workshop_id, code)
    assert f"/j/{code}" in routes and len(routes) > 20
    with app.app_context():
        before = db_fingerprint()
    for path in routes:
        answer = staff.post(
            path, data=body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert answer.status_code == 415, (path, answer.status_code)
        assert "takes a form, not application/json" in answer.get_data(as_text=True), path
    with app.app_context():
        assert db_fingerprint() == before
