"""Final means final: what stands in the way of locking, that a locked mission cannot change
by any path until it is reopened, and that reopening is on record."""

from __future__ import annotations

import json

import pytest

from tests.conftest import db_fingerprint, join
from tests.races import Race
from workshop import exports, provenance, queries
from workshop.errors import InvalidState
from workshop.models import AuditAction, Phase, RoundKind, StaffRole, UserRole
from workshop.services import (
    agenda,
    amendments,
    audit,
    consent,
    duels,
    editing,
    final,
    measures,
    moderation,
    proposals,
    rounds,
    stakeholders,
    versions,
    votes,
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


# ---- a hurried facilitator after the lock and after closing ------------------------------


def test_deciding_what_a_locked_text_already_says_is_refused_too(facilitator, draft):
    """An amendment whose words were written in by hand, and a duel the current wording
    wins, add no version when decided: they were decided anyway, on a locked mission."""
    workshop, people, keys = draft
    start = queries.latest_version(workshop.id).body_md.index("We help")
    suggestion = amendments.propose_amendment(
        people[0], workshop.id, version_number=1, start=start, end=start + 7,
        replacement="Together we help",
    )  # fmt: skip
    duel = duels.start_duel(
        facilitator,
        workshop.id,
        clause_key=keys["How we work"],
        options=["We listen first.", "We listen."],
        seconds=300,
    )
    duels.vote_in_duel(people[1], duel.id, [duel.options[0].id])  # the current wording
    editing.save_clause(
        facilitator, workshop.id, keys["Purpose"], "Together we help people.", based_on=1
    )
    everyone_agrees(people, keys)
    final.lock_version(facilitator, workshop.id, 2)
    for what, attempt in {
        "accepting the amendment": lambda: amendments.accept_amendment(facilitator, suggestion.id),
        "closing the duel": lambda: duels.close_duel(facilitator, duel.id),
    }.items():
        before = db_fingerprint()
        with pytest.raises(InvalidState) as refused:
            attempt()
        assert refused.value.code == "document_locked", what
        assert db_fingerprint() == before, what


@pytest.fixture
def voted_and_locked(facilitator, workshop):
    """Two proposals and a duplicate, a revealed dot vote, a draft from the winner, locked."""
    rounds.set_phase(facilitator, workshop.id, Phase.PROPOSE)
    amira, joost, pia = (join(workshop, name) for name in ("Amira", "Joost", "Pia"))
    winner = proposals.submit_proposal(amira, workshop.id, "We help people live well.")
    duplicate = proposals.submit_proposal(joost, workshop.id, "We help people to live well.")
    other = proposals.submit_proposal(pia, workshop.id, "We care for our town.")
    rounds.set_phase(facilitator, workshop.id, Phase.VOTE)
    vote_round = queries.current_round(workshop.id)
    votes.cast_ballot(pia, workshop.id, {"dots": {str(winner.id): 2, str(duplicate.id): 1}})
    votes.cast_ballot(amira, workshop.id, {"dots": {str(winner.id): 3}})
    votes.cast_ballot(joost, workshop.id, {"dots": {str(other.id): 2}})
    votes.reveal_round(facilitator, vote_round.id)
    version = versions.start_draft_from_proposals(
        facilitator, workshop.id, [winner.id], based_on=None
    )
    for person in (amira, joost, pia):
        consent.vote_on_clause(person, queries.clauses_of(version)[0].key, "agree")
    final.lock_version(facilitator, workshop.id, version.number)
    return workshop, (winner, duplicate, other)


def _moderation(facilitator, cards):
    winner, duplicate, other = cards
    return {
        "merging a duplicate into the winner (its author would be credited)": lambda: (
            moderation.merge_proposals(facilitator, winner.id, duplicate.id)
        ),
        "hiding the winner (the vote's results would change)": lambda: moderation.hide_proposal(
            facilitator, winner.id, "tidying up"
        ),
        "splitting a card that was voted on": lambda: moderation.split_proposal(
            facilitator, other.id, ["We care.", "For our town."]
        ),
    }


def test_moderation_that_would_rewrite_a_final_record_is_refused(facilitator, voted_and_locked):
    workshop, cards = voted_and_locked
    for what, attempt in _moderation(facilitator, cards).items():
        before = db_fingerprint()
        with pytest.raises(InvalidState) as refused:
            attempt()
        assert refused.value.code == "document_locked", what
        assert db_fingerprint() == before, what
    moderation.pin_proposal(facilitator, cards[0].id, True)  # changes no result nor credit


def test_a_closed_workshop_stays_closed_and_its_record_as_it_was(facilitator, voted_and_locked):
    """Closing forgets whose anonymous votes were whose: opened again, a round could take a
    second vote from the same person, and moderation would rewrite what was agreed."""
    workshop, cards = voted_and_locked
    final.reopen(facilitator, workshop.id)  # the document is open again, the workshop not
    rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)
    vote_round = next(r for r in queries.list_rounds(workshop.id) if r.kind == RoundKind.VOTE)
    attempts = {
        f"moving to {phase}": lambda phase=phase: rounds.set_phase(facilitator, workshop.id, phase)
        for phase in (Phase.LOBBY, Phase.VALUES, Phase.PROPOSE, Phase.VOTE, Phase.DRAFT)
    }
    attempts["going back to the vote"] = lambda: rounds.start_round(facilitator, vote_round.id)
    attempts.update(_moderation(facilitator, cards))
    for what, attempt in attempts.items():
        before = db_fingerprint()
        with pytest.raises(InvalidState) as refused:
            attempt()
        assert refused.value.message == "The workshop is closed.", what
        assert db_fingerprint() == before, what


def test_a_stakeholder_tag_sent_while_the_lock_is_made_waits_and_is_refused(
    app, facilitator, draft, monkeypatch
):
    """The tags are part of what was agreed. A tag that came while the lock was being made
    was checked before the lock and written after it; it now waits for the lock and sees it."""
    workshop, people, keys = draft
    everyone_agrees(people, keys)
    workshop_id, key = workshop.id, keys["Purpose"]
    race = Race(app)
    monkeypatch.setattr(final, "readiness", race.holding(final.readiness))
    locked_at, tagged = race.run(
        lambda: final.lock_version(facilitator, workshop_id, 1).final_at,
        lambda: stakeholders.set_stakeholders(facilitator, workshop_id, key, ["clients"]),
    )
    assert locked_at is not None and not isinstance(locked_at, Exception), locked_at
    assert isinstance(tagged, InvalidState) and tagged.code == "document_locked", tagged
    assert stakeholders.tags_of(workshop_id) == {}


def _record_of_version_1(facilitator, workshop):
    record = json.loads(exports.export_version(facilitator, workshop.id, 1, "json").content)
    return record["clauses"], record["readiness"]


def test_a_final_version_keeps_the_consent_it_was_locked_on(facilitator, draft):
    """Its record counted the answers of now: an objection given after a reopen (the new
    draft has the same words, so the answer counts for both) and people who joined after the
    lock changed what the final version said it was agreed with."""
    workshop, people, keys = draft
    everyone_agrees(people, keys)
    final.lock_version(facilitator, workshop.id, 1)
    clauses_then, readiness_then = _record_of_version_1(facilitator, workshop)
    assert readiness_then["ready"] is True and readiness_then["people_present"] == 3
    assert [c["consent"]["agree"] for c in clauses_then] == [3, 3]
    final.reopen(facilitator, workshop.id)  # version 2: the same words, open again
    consent.vote_on_clause(people[0], keys["Purpose"], "object", "Too vague")
    for name in ("Noor", "Sam", "Kees", "Lin"):
        join(workshop, name)  # the room kept filling
    assert _record_of_version_1(facilitator, workshop) == (clauses_then, readiness_then)
    draft_now = final.readiness(workshop)  # the new draft sees the objection and the room
    assert draft_now["present"] == 7 and not draft_now["ready"]
    assert [p["kind"] for p in draft_now["problems"]][:1] == ["objection"]


def test_after_a_reopen_no_merge_adds_people_to_what_a_final_version_credits(
    facilitator, voted_and_locked
):
    """A final version credits a card's authors as they stand: a duplicate merged into the
    card after a reopen would have put its author's name on words they did not write."""
    workshop, (winner, duplicate, _other) = voted_and_locked
    final.reopen(facilitator, workshop.id)
    credited = [p["name"] for o in provenance.by_clause(_version(workshop, 1)) for p in o["people"]]
    assert credited == ["Amira"]
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        moderation.merge_proposals(facilitator, winner.id, duplicate.id)
    assert "Version 1, which is final" in refused.value.message
    assert db_fingerprint() == before
    moderation.merge_proposals(facilitator, duplicate.id, winner.id)  # the other way round
    after = [p["name"] for o in provenance.by_clause(_version(workshop, 1)) for p in o["people"]]
    assert after == ["Amira"]


def _version(workshop, number):
    return queries.version_numbered(workshop.id, number)
