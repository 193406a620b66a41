"""Consent per clause and the consent round: the round closes answers the way other rounds
close their input (paused, time up, ended), and a refusal changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import db_fingerprint, join
from workshop import audiences, queries
from workshop.errors import InvalidState
from workshop.models import Round, RoundKind
from workshop.services import agenda, consent, editing, rounds
from workshop.services.agenda import RoundSettings

DRAFT = "## Purpose\n\nWe help every patient feel known.\n\n## Who we serve\n\nOur patients."


@pytest.fixture
def drafted(facilitator, workshop):
    """A workshop with a two-clause draft and Amira in it; returns (Amira, Purpose's key)."""
    version = editing.paste_document(facilitator, workshop.id, DRAFT, based_on=None)
    return join(workshop, "Amira"), queries.clauses_of(version)[0].key


def started(facilitator, workshop, kind: RoundKind, seconds: int = 0) -> Round:
    round_ = agenda.add_round(facilitator, workshop.id, RoundSettings(kind, "", seconds))
    return rounds.start_round(facilitator, round_.id)


def refused_and_nothing_changed(amira, key, message: str) -> None:
    before = db_fingerprint()
    with pytest.raises(InvalidState, match=message) as refused:
        consent.vote_on_clause(amira, key, "object", "Too vague")
    assert refused.value.code == "voting_closed"
    assert db_fingerprint() == before


def my_choice(amira, key) -> str | None:
    mine = audiences.my_clause_votes(amira).get(str(key))
    return mine and mine["choice"]


def test_a_running_consent_round_takes_answers(facilitator, workshop, drafted, clock):
    amira, key = drafted
    started(facilitator, workshop, RoundKind.CONSENT, 60)
    clock.advance(59)
    assert consent.vote_on_clause(amira, key, "agree")["vote"]["choice"] == "agree"


def test_a_paused_consent_round_refuses_answers_until_it_resumes(facilitator, workshop, drafted):
    amira, key = drafted
    round_ = started(facilitator, workshop, RoundKind.CONSENT, 60)
    consent.vote_on_clause(amira, key, "agree")
    rounds.pause_round(facilitator, round_.id)
    refused_and_nothing_changed(amira, key, "The facilitator paused this round.")
    assert my_choice(amira, key) == "agree"
    rounds.resume_round(facilitator, round_.id)
    consent.vote_on_clause(amira, key, "object", "Too vague")
    assert my_choice(amira, key) == "object"


def test_answers_close_when_the_consent_rounds_time_is_up(facilitator, workshop, drafted, clock):
    amira, key = drafted
    round_ = started(facilitator, workshop, RoundKind.CONSENT, 60)
    clock.advance(61)
    refused_and_nothing_changed(amira, key, "Time is up for this round.")
    rounds.extend_round(facilitator, round_.id, 60)  # more time reopens them
    consent.vote_on_clause(amira, key, "agree")


def test_an_ended_consent_round_refuses_answers_until_another_round_starts(
    facilitator, workshop, drafted
):
    amira, key = drafted
    round_ = started(facilitator, workshop, RoundKind.CONSENT)
    rounds.end_round(facilitator, round_.id)
    refused_and_nothing_changed(amira, key, "This round has ended.")
    # A refine round after it changes clauses, and their answers are asked again meanwhile.
    started(facilitator, workshop, RoundKind.REFINE)
    consent.vote_on_clause(amira, key, "agree")
    rounds.start_round(facilitator, round_.id)  # going back to consent reopens it
    consent.vote_on_clause(amira, key, "live_with")
    assert my_choice(amira, key) == "live_with"


def test_outside_a_consent_round_answers_are_taken_as_before(facilitator, workshop, drafted):
    amira, key = drafted
    consent.vote_on_clause(amira, key, "agree")  # no round has run yet
    refine = started(facilitator, workshop, RoundKind.REFINE, 60)
    rounds.pause_round(facilitator, refine.id)  # another kind's pause is not consent's
    consent.vote_on_clause(amira, key, "live_with")
    rounds.end_round(facilitator, refine.id)
    consent.vote_on_clause(amira, key, "agree")
    assert my_choice(amira, key) == "agree"
