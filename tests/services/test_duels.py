"""Wording duels: 2–5 wordings of a clause in a timed, blind vote; the winner goes in."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.conftest import db_fingerprint, join, make_user, make_workshop
from workshop import audiences, exports, provenance, queries, snapshots
from workshop.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.extensions import db
from workshop.models import (
    Anonymity,
    DocumentVersion,
    DuelOption,
    DuelStatus,
    StaffRole,
    VersionSource,
    utcnow,
)
from workshop.services import amendments, duels, editing, rounds, workshops

TEXT = (
    "## Purpose\n\nWe help every patient feel known.\n\n"
    "## How we work\n\nWe listen first and we act with care."
)
PURPOSE = "We help every patient feel known."


@pytest.fixture
def draft(facilitator, workshop):
    editing.paste_document(facilitator, workshop.id, TEXT, based_on=None)
    return workshop


@pytest.fixture
def people(draft):
    return [join(draft, name) for name in ("Amira", "Joost", "Li", "Mo", "Noor", "Ola", "Pim")]


def key_of(workshop, heading: str) -> int:
    latest = queries.latest_version(workshop.id)
    return next(c.key for c in queries.clauses_of(latest) if c.heading == heading)


def body_of(workshop, heading: str) -> str:
    latest = queries.latest_version(workshop.id)
    return next(c.body for c in queries.clauses_of(latest) if c.heading == heading)


def versions(workshop) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(DocumentVersion.id)).where(
            DocumentVersion.workshop_id == workshop.id
        )
    )


def start(facilitator, workshop, options, heading="Purpose", **kwargs):
    kwargs.setdefault("seconds", 60)
    return duels.start_duel(
        facilitator, workshop.id, clause_key=key_of(workshop, heading), options=options, **kwargs
    )


def option_ids(duel) -> list[int]:
    return [option.id for option in duel.options]


# --- starting -------------------------------------------------------------------------------


def test_a_duel_puts_wordings_of_a_clause_to_a_timed_vote(facilitator, draft):
    duel = start(facilitator, draft, [PURPOSE, "We help every patient feel seen.  "], seconds=90)
    assert duel.status == DuelStatus.OPEN and duel.version_number == 1
    assert duel.original == PURPOSE  # the whole clause, without its heading
    assert [o.text for o in duel.options] == [PURPOSE, "We help every patient feel seen."]
    left = (duel.ends_at - utcnow()).total_seconds()
    assert 85 < left <= 90
    payload = audiences.duel_payload(duel)
    assert [(p["op"], p["text"]) for p in payload["options"][1]["diff"] if p["op"] != "equal"] == [
        ("delete", "known."),
        ("insert", "seen."),
    ]


@pytest.mark.parametrize(
    ("options", "seconds", "method", "field"),
    [
        (["Only one wording"], 60, "choose_one", "options"),
        (["Same words", "  same   WORDS "], 60, "choose_one", "options"),
        (["", "   ", "One real one"], 60, "choose_one", "options"),
        ([f"Wording {i}" for i in range(6)], 60, "choose_one", "options"),
        (["Long " * 201, "Short"], 60, "choose_one", "options"),
        (["A", "B"], 14, "choose_one", "seconds"),
        (["A", "B"], 30 * 60 + 1, "choose_one", "seconds"),
        (["A", "B"], 60, "approval", "method"),
        (["A", "B\n\n## A heading"], 60, "choose_one", "body"),
    ],
)
def test_a_badly_set_up_duel_is_refused(facilitator, draft, options, seconds, method, field):
    before = db_fingerprint()
    with pytest.raises(ValidationFailed) as refused:
        start(facilitator, draft, options, seconds=seconds, method=method)
    assert refused.value.details["field"] == field
    assert db_fingerprint() == before


def test_the_limits_themselves_are_allowed(facilitator, draft):
    start(facilitator, draft, [f"Wording {i}" for i in range(5)], seconds=15)
    start(facilitator, draft, ["A", "B"], heading="How we work", seconds=30 * 60)


def test_a_duel_on_part_of_a_clause_must_stay_inside_its_words(facilitator, draft):
    body = queries.latest_version(draft.id).body_md
    care = body.index("care")
    duel = start(
        facilitator, draft, ["care", "kindness"], heading="How we work", start=care, end=care + 4
    )
    assert duel.original == "care"
    before = db_fingerprint()
    heading = body.index("How we work")
    across = (body.index("known."), body.index("We listen") + 9)
    for span in [(heading, heading + 6), across, (care, care), (care + 4, care), (0, 2)]:
        with pytest.raises(ValidationFailed) as refused:
            start(facilitator, draft, ["X", "Y"], start=span[0], end=span[1])
        assert refused.value.details["field"] == "span", span
    assert db_fingerprint() == before


def test_one_open_duel_per_clause(facilitator, draft, people):
    first = start(facilitator, draft, ["A", "B"])
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        start(facilitator, draft, ["C", "D"])
    assert refused.value.code == "duel_open"
    assert db_fingerprint() == before
    start(facilitator, draft, ["E", "F"], heading="How we work")  # another clause is fine
    duels.cancel_duel(facilitator, first.id)
    start(facilitator, draft, ["C", "D"])  # and once the first is over, so is this one


def test_only_facilitators_start_duels_on_clauses_that_exist(facilitator, draft, people):
    with pytest.raises(Forbidden):
        duels.start_duel(
            people[0], draft.id, clause_key=key_of(draft, "Purpose"), options=["A", "B"], seconds=60
        )
    with pytest.raises(NotFound):
        duels.start_duel(facilitator, draft.id, clause_key=999, options=["A", "B"], seconds=60)
    assert queries.list_duels(draft.id) == []


# --- voting ---------------------------------------------------------------------------------


def test_the_duel_is_blind_until_it_is_closed(facilitator, draft, people):
    duel = start(facilitator, draft, [PURPOSE, "We know every patient."])
    first, second = option_ids(duel)
    duels.vote_in_duel(people[0], duel.id, [second])
    duels.vote_in_duel(people[1], duel.id, [first])
    for viewer in (facilitator, people[0], people[2]):
        (shown,) = snapshots.build_snapshot(draft.id, viewer)["duels"]
        assert shown["voters"] == 2
        assert shown["results"] is None and shown["winner_id"] is None
        assert shown["status"] == "open"
    assert snapshots.build_snapshot(draft.id, people[0])["my_duel_votes"] == {
        str(duel.id): [second]
    }
    assert snapshots.build_snapshot(draft.id, people[2])["my_duel_votes"] == {}


def test_a_new_vote_replaces_the_last(facilitator, draft, people):
    duel = start(facilitator, draft, ["A", "B", "C"])
    a, b, c = option_ids(duel)
    duels.vote_in_duel(people[0], duel.id, [a])
    mine = duels.vote_in_duel(people[0], duel.id, [c])
    assert mine == {"duel_id": duel.id, "ranking": [c]}
    assert audiences.duel_payload(duel)["voters"] == 1
    assert queries.my_duel_votes(people[0]) == {str(duel.id): [c]}
    closed = duels.close_duel(facilitator, duel.id)
    assert closed.result["counts"] == {str(a): 0, str(b): 0, str(c): 1}


def test_votes_are_checked(facilitator, draft, people):
    duel = start(facilitator, draft, ["A", "B"])
    a, b = option_ids(duel)
    other = start(facilitator, draft, ["C", "D"], heading="How we work")
    outsider = join(make_workshop(make_user("other@example.org")), "Olga")
    before = db_fingerprint()
    for ranking in ([a, b], [], [other.options[0].id], [a, a]):
        with pytest.raises(ValidationFailed):
            duels.vote_in_duel(people[0], duel.id, ranking)
    with pytest.raises(Forbidden):
        duels.vote_in_duel(facilitator, duel.id, [a])
    with pytest.raises(NotFound):
        duels.vote_in_duel(outsider, duel.id, [a])
    assert db_fingerprint() == before


def test_voting_closes_when_the_time_is_up(facilitator, draft, people, clock):
    duel = start(facilitator, draft, ["A", "B"], seconds=30)
    a, b = option_ids(duel)
    clock.advance(29)
    duels.vote_in_duel(people[0], duel.id, [a])
    clock.advance(2)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        duels.vote_in_duel(people[1], duel.id, [b])
    assert refused.value.code == "voting_closed"
    with pytest.raises(InvalidState):
        duels.vote_in_duel(people[0], duel.id, [b])  # nor can an earlier vote change
    assert db_fingerprint() == before


# --- closing --------------------------------------------------------------------------------


def test_the_winner_goes_into_the_draft_and_the_losers_stay_on_record(facilitator, draft, people):
    wordings = [PURPOSE, "We know every patient by name.", "We help every person feel known."]
    duel = start(facilitator, draft, wordings)
    original, by_name, person = option_ids(duel)
    for voter, choice in zip(
        people[:5], [by_name, by_name, by_name, person, original], strict=True
    ):
        duels.vote_in_duel(voter, duel.id, [choice])
    closed = duels.close_duel(facilitator, duel.id)
    assert closed.status == DuelStatus.DECIDED and closed.winner_id == by_name
    assert closed.version_made == 2

    latest = queries.latest_version(draft.id)
    assert (latest.number, latest.source, latest.duel_id) == (2, VersionSource.DUEL, duel.id)
    assert latest.note == f"Duel #{duel.id}" and latest.author.id == facilitator.id
    assert latest.clause_key == key_of(draft, "Purpose")
    assert body_of(draft, "Purpose") == "We know every patient by name."
    assert body_of(draft, "How we work") == "We listen first and we act with care."

    payload = audiences.duel_payload(closed)
    assert [o["text"] for o in payload["options"]] == wordings
    assert payload["results"] == {
        "counts": {str(original): 1, str(by_name): 3, str(person): 1},
        "voters": 5,
    }
    assert payload["winner_id"] == by_name and payload["version_made"] == 2
    assert db.session.scalar(
        sa.select(sa.func.count(DuelOption.id)).where(DuelOption.duel_id == duel.id)
    ) == len(wordings)
    with pytest.raises(InvalidState):
        duels.close_duel(facilitator, duel.id)
    with pytest.raises(InvalidState):
        duels.vote_in_duel(people[5], duel.id, [person])


def test_a_tie_goes_to_the_wording_listed_first(facilitator, draft, people):
    duel = start(facilitator, draft, ["We know every patient.", "We see every patient."])
    first, second = option_ids(duel)
    duels.vote_in_duel(people[0], duel.id, [second])
    duels.vote_in_duel(people[1], duel.id, [first])
    assert duels.close_duel(facilitator, duel.id).winner_id == first
    assert body_of(draft, "Purpose") == "We know every patient."


def test_a_ranked_duel_is_decided_by_instant_runoff(facilitator, draft, people):
    duel = start(
        facilitator, draft, ["Alpha words.", "Beta words.", "Gamma words."], method="ranked"
    )
    a, b, c = option_ids(duel)
    ballots = [[a], [a], [a], [b, c], [b, c], [c, b], [c, b]]
    for voter, ranking in zip(people, ballots, strict=True):
        duels.vote_in_duel(voter, duel.id, ranking)
    closed = duels.close_duel(facilitator, duel.id)
    # Most first choices (Alpha) is not a majority; Gamma goes out and its voters carry Beta.
    assert closed.winner_id == b
    assert closed.result["counts"] == {str(a): 3, str(b): 2, str(c): 2}
    assert closed.result["rounds"] == [
        {str(a): 3, str(b): 2, str(c): 2},
        {str(a): 3, str(b): 4},
    ]
    assert body_of(draft, "Purpose") == "Beta words."
    # Beta won with 4 of 7 votes after Gamma's transfer, not with its 2 first choices.
    trace = provenance.by_clause(queries.latest_version(draft.id))
    (duel_origin,) = [c["duel"] for t in trace for c in t["contributions"] if c.get("duel")]
    assert duel_origin["votes"] == 4 and duel_origin["voters"] == 7
    record = json.loads(exports.export_version(facilitator, draft.id, 2, "json").content)
    assert record["duels"][0]["winner_votes"] == 4


def test_when_the_original_wins_there_is_no_new_version(facilitator, draft, people):
    duel = start(facilitator, draft, [PURPOSE + " ", "We know every patient."])
    original, _other = option_ids(duel)
    duels.vote_in_duel(people[0], duel.id, [original])
    closed = duels.close_duel(facilitator, duel.id)
    assert closed.winner_id == original and closed.version_made is None
    assert versions(draft) == 1
    assert audiences.duel_payload(closed)["results"]["counts"][str(original)] == 1


def test_a_duel_without_votes_cannot_be_closed(facilitator, draft):
    duel = start(facilitator, draft, ["A", "B"])
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        duels.close_duel(facilitator, duel.id)
    assert refused.value.code == "no_votes"
    assert db_fingerprint() == before


def test_a_cancelled_duel_leaves_the_draft_as_it_was(facilitator, draft, people):
    duel = start(facilitator, draft, ["A", "B"])
    duels.vote_in_duel(people[0], duel.id, [duel.options[1].id])
    text = queries.latest_version(draft.id).body_md
    cancelled = duels.cancel_duel(facilitator, duel.id)
    assert cancelled.status == DuelStatus.CANCELLED
    assert versions(draft) == 1 and queries.latest_version(draft.id).body_md == text
    payload = audiences.duel_payload(cancelled)
    assert payload["status"] == "cancelled" and payload["results"] is None
    assert [d.id for d in queries.list_duels(draft.id)] == [duel.id]  # it stays on record
    for refused in (
        lambda: duels.close_duel(facilitator, duel.id),
        lambda: duels.cancel_duel(facilitator, duel.id),
        lambda: duels.vote_in_duel(people[1], duel.id, [duel.options[0].id]),
    ):
        with pytest.raises(InvalidState):
            refused()


def test_only_facilitators_close_or_cancel(facilitator, draft, people):
    duel = start(facilitator, draft, ["A", "B"])
    duels.vote_in_duel(people[0], duel.id, [duel.options[0].id])
    before = db_fingerprint()
    for action in (duels.close_duel, duels.cancel_duel):
        with pytest.raises(Forbidden):
            action(people[0], duel.id)
    assert db_fingerprint() == before


def test_a_span_winner_is_merged_with_edits_made_while_the_duel_ran(facilitator, draft, people):
    body = queries.latest_version(draft.id).body_md
    care = body.index("care")
    duel = start(
        facilitator, draft, ["care", "kindness"], heading="How we work", start=care, end=care + 4
    )
    editing.save_clause(
        facilitator,
        draft.id,
        key_of(draft, "How we work"),
        "We always listen first and we act with care.",
        based_on=1,
    )
    duels.vote_in_duel(people[0], duel.id, [duel.options[1].id])
    closed = duels.close_duel(facilitator, duel.id)
    assert closed.version_made == 3
    assert body_of(draft, "How we work") == "We always listen first and we act with kindness."


def test_a_winner_that_no_longer_fits_is_refused_and_the_duel_stays_open(
    facilitator, draft, people
):
    body = queries.latest_version(draft.id).body_md
    care = body.index("care")
    duel = start(
        facilitator, draft, ["care", "kindness"], heading="How we work", start=care, end=care + 4
    )
    editing.save_clause(
        facilitator,
        draft.id,
        key_of(draft, "How we work"),
        "We listen first and we act with respect.",
        based_on=1,
    )
    duels.vote_in_duel(people[0], duel.id, [duel.options[1].id])
    before = db_fingerprint()
    with pytest.raises(Conflict):
        duels.close_duel(facilitator, duel.id)
    assert db_fingerprint() == before
    assert duels.cancel_duel(facilitator, duel.id).status == DuelStatus.CANCELLED


def test_a_duel_over_words_that_also_stand_in_the_heading_changes_the_words(facilitator, workshop):
    editing.paste_document(
        facilitator, workshop.id, "## Purpose\n\nCare.\n\n## What we value\n\nvalue", based_on=None
    )
    amira = join(workshop, "Amira")
    body = queries.latest_version(workshop.id).body_md
    word = body.rindex("value")
    duel = duels.start_duel(
        facilitator,
        workshop.id,
        clause_key=key_of(workshop, "What we value"),
        options=["value", "kindness"],
        seconds=60,
        start=word,
        end=word + 5,
    )
    duels.vote_in_duel(amira, duel.id, [duel.options[1].id])
    duels.close_duel(facilitator, duel.id)
    assert queries.latest_version(workshop.id).body_md.endswith("## What we value\n\nkindness")


def test_a_winner_already_written_into_the_clause_is_decided_without_a_new_version(
    facilitator, draft, people
):
    body = queries.latest_version(draft.id).body_md
    care = body.index("care")
    duel = start(
        facilitator, draft, ["care", "kindness"], heading="How we work", start=care, end=care + 4
    )
    # While the room votes, someone edits the very same change into the clause by hand.
    editing.save_clause(
        facilitator,
        draft.id,
        key_of(draft, "How we work"),
        "We listen first and we act with kindness.",
        based_on=1,
    )
    kindness = duel.options[1].id
    duels.vote_in_duel(people[0], duel.id, [kindness])
    closed = duels.close_duel(facilitator, duel.id)
    assert closed.status == DuelStatus.DECIDED and closed.winner_id == kindness
    assert closed.version_made is None and versions(draft) == 2
    assert body_of(draft, "How we work") == "We listen first and we act with kindness."


# --- a hurried or stale facilitator -----------------------------------------------------------


def test_a_duel_chosen_on_words_a_colleague_changed_meanwhile_is_refused(facilitator, draft):
    """Fran chose "patient" (its place in version 1) while Cora's save of the clause landed:
    the duel ran on "elp eve" at the old place, and keeping the current word wrote "we
    hpatientry"; a duel over the whole clause put back the words Cora had changed. The duel
    says the version it was chosen on, and a changed clause is refused."""
    cora = make_user("cora@example.org")
    workshops.add_staff(facilitator, draft.id, cora.email, StaffRole.FACILITATOR)
    at = TEXT.index("patient")
    purpose = key_of(draft, "Purpose")
    editing.save_clause(cora, draft.id, purpose, "Together, we help every patient.", based_on=1)
    before = db_fingerprint()
    for span in ({"start": at, "end": at + len("patient")}, {}):
        with pytest.raises(InvalidState) as refused:
            start(facilitator, draft, ["patient", "person"], version_number=1, **span)
        assert refused.value.code == "conflict"
    assert db_fingerprint() == before
    assert body_of(draft, "Purpose") == "Together, we help every patient."


def test_a_duel_chosen_before_another_clause_changed_moves_with_its_words(facilitator, draft):
    """A colleague lengthened the clause before it: the same words, at a new place."""
    how = key_of(draft, "How we work")
    first = TEXT.index("act with care")
    editing.save_clause(
        facilitator,
        draft.id,
        key_of(draft, "Purpose"),
        "We help every patient feel known, always.",
        based_on=1,
    )
    duel = start(
        facilitator,
        draft,
        ["act with care", "act with kindness"],
        heading="How we work",
        version_number=1,
        start=first,
        end=first + len("act with care"),
    )
    assert duel.original == "act with care" and duel.version_number == 2
    assert duel.clause_key == how


def test_nobody_answers_a_duel_or_an_amendment_once_the_workshop_is_closed(facilitator, draft):
    """Closing forgets whose fully anonymous answers were whose: an answer sent after the
    close (a resend, a late tap) was stored under a new key, counting the person twice."""
    draft.anonymity = Anonymity.FULL
    db.session.commit()
    amira = join(draft, "Amira")
    duel = start(facilitator, draft, [PURPOSE, "We help every patient feel seen."], seconds=300)
    duels.vote_in_duel(amira, duel.id, [duel.options[1].id])
    at = TEXT.index("known")
    suggestion = amendments.propose_amendment(
        amira, draft.id, version_number=1, start=at, end=at + len("known"), replacement="seen"
    )
    amendments.vote_on_amendment(amira, suggestion.id, "agree")
    rounds.set_phase(facilitator, draft.id, "closed")
    for late in (
        lambda: duels.vote_in_duel(amira, duel.id, [duel.options[1].id]),
        lambda: amendments.vote_on_amendment(amira, suggestion.id, "agree"),
    ):
        with pytest.raises(InvalidState) as refused:
            late()
        assert refused.value.code == "phase_closed"
    db.session.expire_all()
    assert (len(duel.ballots), len(suggestion.votes)) == (1, 1)
