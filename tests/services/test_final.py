"""Final means final: what stands in the way of locking, that a locked mission cannot change
by any path until it is reopened, and that reopening is on record."""

from __future__ import annotations

import pytest

from tests.conftest import db_fingerprint, join
from workshop import queries
from workshop.errors import InvalidState
from workshop.models import AuditAction, RoundKind, StaffRole, UserRole
from workshop.services import (
    agenda,
    amendments,
    audit,
    consent,
    duels,
    editing,
    final,
    measures,
    rounds,
    versions,
    workshops,
)

TEXT = "## Purpose\n\nWe help people.\n\n## How we work\n\nWe listen first."


@pytest.fixture
def draft(facilitator, workshop):
    """A two-clause draft (version 1), three people, and a running refine round."""
    editing.paste_document(facilitator, workshop.id, TEXT, based_on=None)
    people = [join(workshop, name) for name in ("Amira", "Joost", "Pia")]
    refine = agenda.add_round(facilitator, workshop.id, agenda.RoundSettings(RoundKind.REFINE))
    rounds.start_round(facilitator, refine.id)
    keys = {c.heading: c.key for c in queries.clauses_of(queries.latest_version(workshop.id))}
    return workshop, people, keys


def everyone_agrees(people, keys):
    for person in people:
        for key in keys.values():
            consent.vote_on_clause(person, key, "agree")


def refused_to_lock(facilitator, workshop, number):
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        final.lock_version(facilitator, workshop.id, number)
    assert refused.value.code == "not_ready"
    assert db_fingerprint() == before
    return refused.value


def test_missing_answers_below_the_quorum_block_and_name_the_clause(facilitator, draft):
    workshop, people, keys = draft
    for person in people:
        consent.vote_on_clause(person, keys["Purpose"], "agree")
    consent.vote_on_clause(people[0], keys["How we work"], "agree")
    refusal = refused_to_lock(facilitator, workshop, 1)  # 1 of 3 answered; 2 are needed
    (problem,) = refusal.details["problems"]
    assert (problem["clause"], problem["kind"]) == ("How we work", "answers")
    assert "How we work" in refusal.message and "Purpose" not in refusal.message
    consent.vote_on_clause(people[1], keys["How we work"], "live_with")
    assert final.lock_version(facilitator, workshop.id, 1).final_at is not None


def test_answers_that_went_stale_do_not_count(facilitator, draft):
    workshop, people, keys = draft
    everyone_agrees(people, keys)
    editing.save_clause(facilitator, workshop.id, keys["Purpose"], "We help everyone.", based_on=1)
    ready = final.readiness(workshop)
    purpose = next(row for row in ready["clauses"] if row["clause"] == "Purpose")
    assert (purpose["current"], purpose["stale"]) == (0, 3)
    refusal = refused_to_lock(facilitator, workshop, 2)
    assert [p["clause"] for p in refusal.details["problems"]] == ["Purpose"]
    assert "3 gone stale" in refusal.message


def test_an_open_objection_blocks_and_staff_see_who_made_it(facilitator, draft):
    workshop, people, keys = draft
    everyone_agrees(people, keys)
    consent.vote_on_clause(people[2], keys["How we work"], "object", "Listening is not enough")
    refusal = refused_to_lock(facilitator, workshop, 1)
    (problem,) = refusal.details["problems"]
    assert (problem["clause"], problem["kind"]) == ("How we work", "objection")
    row = next(r for r in final.readiness(workshop)["clauses"] if r["clause"] == "How we work")
    assert row["objections"] == [
        {
            "reason": "Listening is not enough",
            "stale": False,
            "by": {"name": "Pia", "level": "Frontline"},
        }
    ]


def test_a_clause_without_an_agreed_success_measure_is_a_warning_not_a_refusal(facilitator, draft):
    workshop, people, keys = draft
    everyone_agrees(people, keys)

    def measure_warnings():
        ready = final.readiness(workshop)
        assert ready["ready"] and not ready["problems"]  # a warning never stops the lock
        return [w for w in ready["warnings"] if "success measure" in w]

    assert measure_warnings() == [
        "Purpose has no agreed success measure yet.",
        "How we work has no agreed success measure yet.",
    ]
    agreed = measures.propose_measure(
        facilitator, workshop.id, keys["Purpose"], what="People helped", target="More"
    )
    measures.decide_measure(facilitator, agreed.id, agreed=True)
    # Proposed (even supported) is not agreed; dropped is not either.
    measures.propose_measure(
        people[0], workshop.id, keys["How we work"], what="Time listening", target="Half"
    )
    dropped = measures.propose_measure(
        facilitator, workshop.id, keys["How we work"], what="Minutes", target="Fewer"
    )
    measures.decide_measure(facilitator, dropped.id, agreed=False)
    assert measure_warnings() == ["How we work has no agreed success measure yet."]
    assert final.lock_version(facilitator, workshop.id, 1).final_at is not None


def test_an_empty_clause_blocks_even_with_no_quorum(facilitator, workshop):
    editing.start_from_template(facilitator, workshop.id, ["Purpose", "Who we serve"])
    final.set_quorum(facilitator, workshop.id, 0)
    refusal = refused_to_lock(facilitator, workshop, 1)
    assert [(p["clause"], p["kind"]) for p in refusal.details["problems"]] == [
        ("Purpose", "empty"),
        ("Who we serve", "empty"),
    ]


@pytest.fixture
def locked(facilitator, draft):
    workshop, people, keys = draft
    everyone_agrees(people, keys)
    latest = queries.latest_version(workshop.id)
    start = latest.body_md.index("We help")
    suggestion = amendments.propose_amendment(
        people[0],
        workshop.id,
        version_number=1,
        start=start,
        end=start + 2,
        replacement="Together we",
    )
    duel = duels.start_duel(
        facilitator,
        workshop.id,
        clause_key=keys["Purpose"],
        options=["We help people.", "We serve."],
        seconds=300,
    )
    duels.vote_in_duel(people[1], duel.id, [duel.options[1].id])
    final.lock_version(facilitator, workshop.id, 1)
    return workshop, people, keys, suggestion, duel


def test_nothing_changes_a_locked_mission_by_any_path(facilitator, locked):
    workshop, people, keys, suggestion, duel = locked
    start = queries.latest_version(workshop.id).body_md.index("We help")
    first_option = duel.options[0].id
    attempts = {
        "a participant's clause save": lambda: editing.save_clause(
            people[0], workshop.id, keys["Purpose"], "We help all.", based_on=1
        ),
        "a facilitator's clause save": lambda: editing.save_clause(
            facilitator, workshop.id, keys["Purpose"], "We help all.", based_on=1
        ),
        "a whole-text save": lambda: versions.save_version(
            facilitator, workshop.id, "Something else", based_on=1
        ),
        "a paste": lambda: editing.paste_document(facilitator, workshop.id, "New", based_on=1),
        "a restore": lambda: versions.restore_version(facilitator, workshop.id, 1, based_on=1),
        "accepting an amendment": lambda: amendments.accept_amendment(facilitator, suggestion.id),
        "suggesting an amendment": lambda: amendments.propose_amendment(
            people[1], workshop.id, version_number=1, start=start, end=start + 2, replacement="x"
        ),
        "answering an amendment": lambda: amendments.vote_on_amendment(
            people[1], suggestion.id, "agree"
        ),
        "closing a duel": lambda: duels.close_duel(facilitator, duel.id),
        "starting a duel": lambda: duels.start_duel(
            facilitator,
            workshop.id,
            clause_key=keys["How we work"],
            options=["a b", "c d"],
            seconds=60,
        ),
        "voting in a duel": lambda: duels.vote_in_duel(people[2], duel.id, [first_option]),
        "consent on a clause": lambda: consent.vote_on_clause(
            people[0], keys["Purpose"], "object", "Late"
        ),
    }
    for what, attempt in attempts.items():
        before = db_fingerprint()
        with pytest.raises(InvalidState) as refused:
            attempt()
        assert refused.value.code == "document_locked", what
        assert "Version 1 is the final mission" in refused.value.message, what
        assert db_fingerprint() == before, what


def test_reopening_is_on_record_and_lets_the_work_go_on(facilitator, locked):
    workshop, people, keys, suggestion, duel = locked
    boss = workshops.add_staff(facilitator, workshop.id, _leader().email, StaffRole.LEADERSHIP)
    assert boss
    draft = final.reopen(facilitator, workshop.id)
    assert (draft.number, draft.source, draft.final_at) == (2, "reopen", None)
    assert draft.note == "Reopened after version 1 was final"
    assert versions.get_version(facilitator, workshop.id, 1).final_at is not None
    entries = audit.list_entries(facilitator, workshop.id)
    assert entries[0].action == AuditAction.VERSION_REOPEN
    saved = editing.save_clause(people[0], workshop.id, keys["Purpose"], "We help all.", based_on=2)
    assert saved.number == 3
    assert amendments.accept_amendment(facilitator, suggestion.id).number == 4
    with pytest.raises(InvalidState) as again:
        final.reopen(facilitator, workshop.id)
    assert again.value.code == "not_final"


def _leader():
    from tests.conftest import make_user

    return make_user("lena@example.org", role=UserRole.LEADERSHIP, name="Lena")
