"""Who may do what, tried for every socket command the server registers and every form that
changes something, by everyone who should not: a participant of this workshop (every staff
command and staff form), a participant of another workshop, this workshop's leadership, a
facilitator of another workshop, and someone with no identity at all. Each refusal must
leave the database exactly as it was. And every command, sent by the person entitled to it
with its payload bent as a careless client or an attacker would bend it, gets a documented
answer, never ``internal``."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD, db_fingerprint, join, make_user, make_workshop
from tests.people import Person
from tests.test_protocol_doc import CODE, first_column, section, table_headed
from workshop import queries, sockets
from workshop.models import Phase, RoundKind, StaffRole, UserRole
from workshop.services import amendments, duels, editing, proposals, rounds, tags, workshops
from workshop.services.agenda import RoundSettings, add_round

PARTICIPANT_COMMANDS = {
    "proposal.submit",
    "comment.add",
    "vote.set",
    "ballot.cast",
    "value.tag",
    "amendment.propose",
    "amendment.vote",
    "clause.save",
    "clause.editing",
    "clause.vote",
    "duel.vote",
}
# Commands that act on the sender's own workshop (they name nothing of another one, or name
# a clause by its key in the sender's own draft): someone of another workshop sending them
# acts, rightly, on theirs.
OWN_WORKSHOP_COMMANDS = {
    "phase.set",
    "agenda.template",
    "round.add",
    "round.next",
    "readout.set",
    "duel.start",
    "proposal.submit",
    "ballot.cast",
    "amendment.propose",
    "clause.save",
    "clause.editing",
    "clause.vote",
}
REFUSALS = {"forbidden", "not_found", "not_authenticated"}


def payloads(ids: dict) -> dict[str, dict]:
    """A well-formed payload for every command, naming things of workshop A."""
    return {
        "state.sync": {},
        "proposal.submit": {"body": "We also care", "op_id": "op-1"},
        "comment.add": {"proposal_id": ids["proposal"], "body": "Agreed"},
        "vote.set": {"proposal_id": ids["proposal"], "dots": 1},
        "ballot.cast": {"ballot": {"dots": {str(ids["proposal"]): 1}}},
        "value.tag": {"proposal_id": ids["proposal"], "value_key": "respect"},
        "amendment.propose": {
            "version_number": ids["version"],
            "start": ids["span"][0],
            "end": ids["span"][0] + 2,
            "replacement": "They",
        },
        "amendment.vote": {"amendment_id": ids["amendment"], "choice": "agree"},
        "clause.save": {"clause_key": ids["clause"], "body": "We help all.", "based_on": 1},
        "clause.editing": {"clause_key": ids["clause"]},
        "clause.vote": {"clause_key": ids["clause"], "choice": "agree"},
        "duel.vote": {"duel_id": ids["duel"], "ranking": [ids["option"]]},
        "phase.set": {"phase": "lobby"},
        "agenda.template": {},
        "round.add": {"kind": "propose", "prompt": "More?"},
        "round.update": {"round_id": ids["round"], "prompt": "Changed"},
        "round.remove": {"round_id": ids["round"]},
        "round.move": {"round_id": ids["round"], "position": 0},
        "round.start": {"round_id": ids["round"]},
        "round.pause": {"round_id": ids["running"]},
        "round.resume": {"round_id": ids["running"]},
        "round.extend": {"round_id": ids["running"], "seconds": 60},
        "round.end": {"round_id": ids["running"]},
        "round.reveal": {"round_id": ids["running"]},
        "round.next": {},
        "round.place_winners": {"round_id": ids["round"], "count": 1},
        "proposal.approve": {"proposal_id": ids["proposal"]},
        "proposal.hide": {"proposal_id": ids["proposal"], "reason": "no"},
        "proposal.restore": {"proposal_id": ids["proposal"]},
        "proposal.pin": {"proposal_id": ids["proposal"], "pinned": True},
        "proposal.merge": {"keep_id": ids["proposal"], "merge_id": ids["other_proposal"]},
        "proposal.split": {"proposal_id": ids["proposal"], "parts": ["We care.", "We act."]},
        "comment.moderate": {"comment_id": ids["comment"], "visible": False},
        "readout.set": {"anonymous": True},
        "value.untag": {"tag_id": ids["tag"]},
        "amendment.accept": {"amendment_id": ids["amendment"]},
        "amendment.reject": {"amendment_id": ids["amendment"]},
        "duel.start": {"clause_key": ids["clause"], "options": ["a b", "b c"], "seconds": 60},
        "duel.close": {"duel_id": ids["duel"]},
        "duel.cancel": {"duel_id": ids["duel"]},
    }


@pytest.fixture
def two_workshops(app, monkeypatch):
    """Workshop A with something of every kind, its facilitator Fran, its leadership Lena and
    its participant Amira; workshop B with its own facilitator Fred and participant Bob."""
    monkeypatch.setattr(sockets.budget, "allow", lambda sid: True)
    with app.app_context():
        fran = make_user("fran@example.org", name="Fran")
        make_user("lena@example.org", role=UserRole.LEADERSHIP, name="Lena")
        fred = make_user("fred@example.org", name="Fred")
        a = make_workshop(fran)
        workshops.add_staff(fran, a.id, "lena@example.org", StaffRole.LEADERSHIP)
        b = make_workshop(fred, title="Another organisation's workshop")
        amira, other = join(a, "Amira"), join(a, "Olu")
        bob = join(b, "Bob")
        rounds.set_phase(fran, a.id, Phase.PROPOSE)
        proposal = proposals.submit_proposal(amira, a.id, "We care")
        other_proposal = proposals.submit_proposal(other, a.id, "We care a lot")
        comment = proposals.add_comment(other, proposal.id, "Yes")
        tag = tags.tag_proposal(fran, proposal.id, "care")
        version = editing.paste_document(fran, a.id, "## Purpose\n\nWe help.", based_on=None)
        clause = queries.clauses_of(version)[0]
        amendment = amendments.propose_amendment(
            other,
            a.id,
            version_number=version.number,
            start=clause.span[0],
            end=clause.span[0] + 2,
            replacement="Everyone",
        )
        duel = duels.start_duel(
            fran, a.id, clause_key=clause.key, options=["We help.", "We serve."], seconds=600
        )
        pending = add_round(fran, a.id, RoundSettings(RoundKind.VOTE, "Later", method="dot"))
        running = queries.current_round(a.id)
        ids = {
            "proposal": proposal.id,
            "other_proposal": other_proposal.id,
            "comment": comment.id,
            "tag": tag.id,
            "version": version.number,
            "clause": clause.key,
            "span": clause.span,
            "amendment": amendment.id,
            "duel": duel.id,
            "option": duel.options[0].id,
            "round": pending.id,
            "running": running.id,
        }
        codes = {"a": a.join_code, "b": b.join_code}
        a_id, b_id = a.id, b.id
        assert amira.id and bob.id
    people = {}
    for key, email in (("fran", "fran@example.org"), ("lena", "lena@example.org")):
        people[key] = Person(app, a_id)
        people[key].http.post("/login", data={"email": email, "password": PASSWORD})
    people["fred"] = Person(app, b_id)
    people["fred"].http.post("/login", data={"email": "fred@example.org", "password": PASSWORD})
    for key, workshop_id, code, name in (
        ("amira", a_id, codes["a"], "Amira2"),
        ("bob", b_id, codes["b"], "Bob2"),
    ):
        people[key] = Person(app, workshop_id)
        joined = people[key].http.post(
            f"/j/{code}", data={"display_name": name, "level": "Frontline"}
        )
        assert joined.status_code == 302
    for person in people.values():
        assert person.connect().is_connected()
    return people, ids, a_id, b_id


def refusal(ack: dict) -> str | None:
    return None if ack.get("ok") else ack["error"]["code"]


@pytest.mark.parametrize("sender", ["amira", "bob", "lena", "fred"])
def test_every_command_is_refused_to_those_who_may_not_send_it(app, two_workshops, sender):
    """Amira, a participant of workshop A, is refused every staff command there; the others
    are refused everything in workshop A."""
    people, ids, a_id, _b_id = two_workshops
    commands = set(sockets.COMMANDS) - {"state.sync"}
    assert commands >= PARTICIPANT_COMMANDS | OWN_WORKSHOP_COMMANDS
    if sender == "amira":
        commands -= PARTICIPANT_COMMANDS  # hers to send (the other side of the matrix)
        assert len(commands) >= 25 and "phase.set" in commands and "duel.start" in commands
    for name in sorted(commands):
        if sender in ("bob", "fred") and name in OWN_WORKSHOP_COMMANDS:
            continue  # they act on the sender's own workshop, rightly
        with app.app_context():
            before = db_fingerprint()
        ack = people[sender].send(name, payloads(ids)[name])
        assert refusal(ack) in REFUSALS, (sender, name, ack)
        with app.app_context():
            assert db_fingerprint() == before, (sender, name)


def test_those_who_may_send_a_command_are_not_refused_for_who_they_are(app, two_workshops):
    """The other side of the matrix: Amira's participant commands and Fran's facilitator
    commands may fail for the state of things, never as forbidden or not found."""
    people, ids, a_id, _b_id = two_workshops
    for name in sorted(set(sockets.COMMANDS) - {"state.sync"}):
        sender = "amira" if name in PARTICIPANT_COMMANDS else "fran"
        if name in {"round.remove", "proposal.merge", "proposal.split", "proposal.hide"}:
            continue  # they change what later commands name; checked on their own elsewhere
        ack = people[sender].send(name, payloads(ids)[name])
        assert refusal(ack) not in REFUSALS, (sender, name, ack)


def test_nobody_without_an_identity_gets_a_socket(app, two_workshops):
    people, ids, a_id, _b_id = two_workshops
    stranger = Person(app, a_id)
    assert not stranger.connect().is_connected()
    participant_elsewhere = people["bob"]
    again = Person(app, a_id)
    again.http = participant_elsewhere.http  # Bob's cookies, knocking on workshop A
    assert not again.connect().is_connected()
    projector_by_a_participant = Person(app, a_id)
    projector_by_a_participant.http = people["amira"].http
    assert not projector_by_a_participant.connect(audience="projector").is_connected()


def state_changing_routes(app) -> list[str]:
    """Every POST route of the app that changes something (login and joining aside)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or set()) and rule.endpoint not in {
            "auth.login",
            "auth.setup",
            "auth.logout",
            "participant.landing",
            "participant.join",
            "invites.accept",  # opened by whoever holds the link (tests/test_invites_views.py)
            "language.choose_language",  # anyone's own language (tests/test_translations.py)
            "mission.give_feedback",  # anonymous, by link (tests/test_mission_views.py)
        }:
            routes.append(rule.rule)
    return sorted(routes)


def test_every_changing_form_is_refused_to_those_who_may_not_use_it(app, two_workshops):
    people, ids, a_id, _b_id = two_workshops
    routes = state_changing_routes(app)
    assert len(routes) >= 10
    anonymous = app.test_client()
    for route in routes:
        path = re.sub(r"<int:workshop_id>", str(a_id), route)
        path = re.sub(r"<int:number>", str(ids["version"]), path)
        path = re.sub(r"<[^>]+>", "1", path)
        data = {"body_md": "X", "headings": "X", "text": "X", "name": "X", "comment": "X"}
        for who, client in (
            ("amira", people["amira"].http),
            ("bob", people["bob"].http),
            ("lena", people["lena"].http),
            ("fred", people["fred"].http),
            ("nobody", anonymous),
        ):
            if who == "lena" and route.endswith("/signoff"):
                continue  # signing off is leadership's own (refused here for the state)
            if who == "amira" and route.startswith("/w/"):
                continue  # a participant's own page: hers to post to
            if "<int:workshop_id>" not in route and who not in ("nobody", "amira"):
                continue  # an account's own (a new workshop, a password), not workshop A's
            with app.app_context():
                before = db_fingerprint()
            response = client.post(path, data=data)
            assert response.status_code in (302, 400, 401, 403, 404), (who, route)
            if who == "nobody":  # sent to log in, or (a participant's page) told to join
                assert (
                    "/login" in response.headers.get("Location", "") or response.status_code == 401
                ), route
            if who == "amira":  # her participant cookie is no staff login: sent to log in
                assert "/login" in response.headers.get("Location", ""), (route, response)
            with app.app_context():
                assert db_fingerprint() == before, (who, route)


# ---- bent payloads, from those entitled to send them ---------------------------------------

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2, 3, 10, 2**31, 2**63, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", " ", "x" * 5000, "\x00", "١٢", "<script>", "agree", "dot", "1"]),
    st.lists(st.integers(min_value=-2, max_value=20), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(min_value=-2, max_value=20), max_size=3),
)


def alike(value: object) -> st.SearchStrategy:
    """Another value of the same JSON type, often one a well-formed payload could carry (so
    that the command gets past validation and its operation meets it): ids of other things,
    none, out of range, long, empty."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(
            st.integers(min_value=-3, max_value=40), st.sampled_from([2**31 - 1, 2**53, 0])
        )
    if isinstance(value, str):
        return st.one_of(
            st.text(max_size=20),
            st.sampled_from(["", " ", "x" * 5000, "agree", "object", "dot", "care", "propose"]),
        )
    if isinstance(value, list):
        return st.lists(alike(value[0]) if value else ODD_VALUES, max_size=6)
    return ODD_VALUES


@st.composite
def bent(draw, payload: dict) -> object:
    """``payload`` with one thing wrong (or, now and then, several)."""
    if draw(st.integers(min_value=0, max_value=19)) == 0:
        return draw(st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.none())))
    bent_payload = copy.deepcopy(payload)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        how = draw(st.sampled_from(["alike", "alike", "alike", "replace", "drop", "add", "nest"]))
        keys = sorted(bent_payload)
        if how == "add" or not keys:
            bent_payload[draw(st.text(max_size=8))] = draw(ODD_VALUES)
            continue
        key = draw(st.sampled_from(keys))
        if how == "drop":
            del bent_payload[key]
        elif how == "alike":
            bent_payload[key] = draw(alike(bent_payload[key]))
        elif how == "nest" and isinstance(bent_payload[key], dict | list) and bent_payload[key]:
            inner = bent_payload[key]
            where = draw(st.sampled_from(sorted(inner) if isinstance(inner, dict) else [0]))
            inner[where] = draw(ODD_VALUES)
        else:
            bent_payload[key] = draw(ODD_VALUES)
    return bent_payload


def documented_codes() -> set[str]:
    return set(first_column(table_headed(section(6), "Code", "Meaning", "Where"), CODE))


@settings(
    max_examples=150,  # 6,000 in three runs found nothing when it was written; each run draws anew
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_bent_payloads_get_a_documented_answer_and_never_an_internal_error(
    app, two_workshops, data
):
    people, ids, _a_id, _b_id = two_workshops
    name = data.draw(st.sampled_from(sorted(sockets.COMMANDS)), label="command")
    sender = "amira" if name in PARTICIPANT_COMMANDS else "fran"
    payload = data.draw(bent(payloads(ids)[name]), label="payload")
    ack = people[sender].send(name, payload)
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (name, payload, ack)
    if not ack["ok"]:
        code = ack["error"]["code"]
        assert code != "internal", (name, payload, ack)
        assert code in documented_codes(), (name, payload, ack)
    # The socket still works after whatever it was sent.
    assert people[sender].send("state.sync", {})["ok"], (name, payload)
