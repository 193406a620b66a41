"""Amendments: suggest a change to a span of the draft, consent on it, accept or reject."""

import pytest

from tests.conftest import db_fingerprint, join, make_user, make_workshop
from workshop import audiences
from workshop.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.extensions import db
from workshop.models import (
    AmendmentStatus,
    AmendmentVote,
    Anonymity,
    RoundKind,
    VersionSource,
)
from workshop.services import agenda, amendments, rounds, tags, versions
from workshop.services.agenda import RoundSettings

TEXT = "We serve our patients with care. We value our colleagues."


@pytest.fixture
def draft(facilitator, workshop):
    versions.save_version(facilitator, workshop.id, TEXT, based_on=None)
    return workshop


def span(word: str) -> tuple[int, int]:
    start = TEXT.index(word)
    return start, start + len(word)


def suggest(person, workshop, word, replacement, version=1):
    start, end = span(word)
    return amendments.propose_amendment(
        person, workshop.id, version_number=version, start=start, end=end, replacement=replacement
    )


def test_an_accepted_amendment_becomes_a_new_version(facilitator, draft):
    amira = join(draft)
    amendment = suggest(amira, draft, "patients", "neighbours")
    assert amendment.original == "patients"
    payload = audiences.amendment_payload(amendment, staff=False)
    assert [(p["op"], p["text"]) for p in payload["diff"]] == [
        ("delete", "patients"),
        ("insert", "neighbours"),
    ]
    version = amendments.accept_amendment(facilitator, amendment.id)
    assert version.number == 2 and version.source == VersionSource.AMENDMENT
    assert version.body_md == TEXT.replace("patients", "neighbours")
    assert amendment.status == AmendmentStatus.ACCEPTED


def test_an_amendment_on_an_older_version_is_merged_onto_the_latest(facilitator, draft):
    amira = join(draft)
    amendment = suggest(amira, draft, "colleagues", "teams")
    versions.save_version(facilitator, draft.id, TEXT.replace("care", "kindness"), based_on=1)
    version = amendments.accept_amendment(facilitator, amendment.id)
    assert version.body_md == "We serve our patients with kindness. We value our teams."


def test_an_amendment_that_no_longer_fits_is_refused_and_stays_open(facilitator, draft):
    amira = join(draft)
    amendment = suggest(amira, draft, "care", "respect")
    versions.save_version(facilitator, draft.id, TEXT.replace("care", "kindness"), based_on=1)
    before = db_fingerprint()
    with pytest.raises(Conflict):
        amendments.accept_amendment(facilitator, amendment.id)
    assert db_fingerprint() == before
    assert amendment.status == AmendmentStatus.OPEN
    rejected = amendments.reject_amendment(facilitator, amendment.id, "Overtaken by version 2")
    assert rejected.status == AmendmentStatus.REJECTED
    with pytest.raises(InvalidState):
        amendments.accept_amendment(facilitator, amendment.id)


def test_people_give_consent_and_change_it(facilitator, draft):
    amira, joost = join(draft, "Amira"), join(draft, "Joost")
    amendment = suggest(amira, draft, "patients", "neighbours")
    amendments.vote_on_amendment(joost, amendment.id, "object", "Patients are who we serve")
    amendments.vote_on_amendment(amira, amendment.id, "agree")
    payload = audiences.amendment_payload(amendment, staff=False)
    assert payload["counts"] == {"agree": 1, "live_with": 0, "object": 1}
    assert payload["objections"] == ["Patients are who we serve"]
    amendments.vote_on_amendment(joost, amendment.id, "live_with")
    payload = audiences.amendment_payload(amendment, staff=False)
    assert payload["counts"] == {"agree": 1, "live_with": 1, "object": 0}
    assert "Joost" not in str(payload)
    with pytest.raises(ValidationFailed):
        amendments.vote_on_amendment(joost, amendment.id, "object", "")


@pytest.mark.parametrize(
    ("start", "end", "replacement"),
    [(0, 0, "x"), (5, 2, "x"), (0, len(TEXT) + 1, "x"), (0, 2, "We"), (0, 2, "y" * 1001)],
)
def test_bad_spans_and_wordings_are_refused(draft, start, end, replacement):
    amira = join(draft)
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        amendments.propose_amendment(
            amira, draft.id, version_number=1, start=start, end=end, replacement=replacement
        )
    assert db_fingerprint() == before


def test_only_the_rooms_people_suggest_and_only_facilitators_decide(facilitator, draft):
    outsider = join(make_workshop(facilitator))
    amira = join(draft)
    amendment = suggest(amira, draft, "patients", "neighbours")
    stranger = make_user("stranger@example.org")
    before = db_fingerprint()
    with pytest.raises(NotFound):  # another workshop's draft is not there for them
        suggest(outsider, draft, "care", "love")
    with pytest.raises(NotFound):
        amendments.vote_on_amendment(outsider, amendment.id, "agree")
    with pytest.raises(Forbidden):
        amendments.accept_amendment(amira, amendment.id)
    with pytest.raises(NotFound):
        amendments.reject_amendment(stranger, amendment.id)
    with pytest.raises(NotFound):
        suggest(amira, draft, "care", "love", version=7)
    assert db_fingerprint() == before


def test_amendments_are_tagged_with_values_like_proposals(facilitator, draft):

    amira, one, two = join(draft, "Amira"), join(draft, "One"), join(draft, "Two")
    amendment = suggest(amira, draft, "patients", "neighbours")
    assert tags.tag_amendment(amira, amendment.id, "care").confirmed  # the author's own
    suggested = tags.tag_amendment(one, amendment.id, "fairness")
    assert not suggested.confirmed
    assert tags.tag_amendment(two, amendment.id, "fairness").confirmed  # a second person agrees
    payload = audiences.amendment_payload(amendment, staff=False)
    assert [(t["key"], t["confirmed"]) for t in payload["values"]] == [
        ("care", True),
        ("fairness", True),
    ]
    tags.untag(facilitator, suggested.id)
    assert [t["key"] for t in audiences.amendment_payload(amendment, staff=False)["values"]] == [
        "care"
    ]
    outsider = join(make_workshop(facilitator))
    with pytest.raises(NotFound):
        tags.tag_amendment(outsider, amendment.id, "care")


@pytest.mark.parametrize(
    ("method", "answers", "counts", "mean", "refused"),
    [
        ("approval", ["yes", "no", "yes"], {"yes": 2, "no": 1}, None, "agree"),
        ("score", ["5", "4", "2"], {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}, 3.67, "6"),
    ],
)
def test_amendments_can_be_voted_on_by_the_workshops_method(
    facilitator, draft, method, answers, counts, mean, refused
):
    draft.amendment_method = method
    people = [join(draft, name) for name in ("Amira", "Joost", "Pia")]
    amendment = suggest(people[0], draft, "patients", "neighbours")
    for person, answer in zip(people, answers, strict=True):
        amendments.vote_on_amendment(person, amendment.id, answer)
    payload = audiences.amendment_payload(amendment, staff=False)
    assert payload["method"] == method
    assert payload["counts"] == counts and payload["mean"] == mean
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        amendments.vote_on_amendment(people[0], amendment.id, refused)
    assert db_fingerprint() == before
    # A later change of the setting does not change how this amendment is counted.
    draft.amendment_method = "consent"
    assert audiences.amendment_payload(amendment, staff=False)["counts"] == counts


def test_an_amendment_already_written_into_the_draft_is_accepted_without_a_new_version(
    facilitator, draft
):
    amendment = suggest(join(draft), draft, "patients", "neighbours")
    versions.save_version(facilitator, draft.id, TEXT.replace("patients", "neighbours"), based_on=1)
    version = amendments.accept_amendment(facilitator, amendment.id)
    assert version.number == 2  # the facilitator's edit; nothing new was needed
    assert amendment.status == AmendmentStatus.ACCEPTED
    assert amendment.decided_note == "The draft already says this."


def test_an_amendment_is_shown_in_its_whole_sentence(facilitator, draft):
    amira = join(draft, "Amira")
    amendment = suggest(amira, draft, "patients", "neighbours")
    shown = audiences.amendment_payload(amendment, staff=False)
    before = "".join(p["text"] for p in shown["in_context"] if p["op"] != "insert")
    after = "".join(p["text"] for p in shown["in_context"] if p["op"] != "delete")
    assert "patients" in before and "neighbours" in after
    assert before.endswith(".") and after.endswith(".")  # the sentence, not just the words
    assert len(before.split()) > len(amendment.original.split())
    assert shown["support"] == 0
    amendments.vote_on_amendment(amira, amendment.id, "agree")
    assert audiences.amendment_payload(amendment, staff=False)["support"] == 1


@pytest.mark.parametrize(
    ("workshop_mode", "round_mode"),
    [(Anonymity.FULL, Anonymity.NAMED), (Anonymity.NAMED, Anonymity.FULL)],
    ids=["full-workshop-named-round", "named-workshop-full-round"],
)
def test_an_amendment_follows_the_workshops_anonymity_whatever_round_runs(
    facilitator, draft, workshop_mode, round_mode
):
    """An amendment is drafting input, kept per workshop like answers on clauses: a propose
    round with a setting of its own, running meanwhile, must not name someone the fully
    anonymous workshop promised not to (their suggestion was stored with their name, and
    answers on it with the answerers'), nor make the named workshop's amendment unlinkable."""
    draft.anonymity = workshop_mode
    db.session.commit()
    own = agenda.add_round(
        facilitator,
        draft.id,
        RoundSettings(kind=RoundKind.PROPOSE, prompt="More ideas", anonymity=round_mode),
    )
    rounds.start_round(facilitator, own.id)
    amira, joost = join(draft, "Amira"), join(draft, "Joost")
    suggestion = suggest(amira, draft, "care", "kindness")
    amendments.vote_on_amendment(joost, suggestion.id, "agree")
    assert suggestion.anonymity == workshop_mode
    (answer,) = db.session.query(AmendmentVote).all()
    if workshop_mode == Anonymity.FULL:
        assert suggestion.author_id is None
        assert answer.participant_id is None
    else:
        assert suggestion.author_id == amira.id
