"""Drafting clause by clause: template, paste, co-editing with merges, presence, consent."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import db_fingerprint, join, make_user, make_workshop
from workshop import audiences, queries
from workshop.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.extensions import db
from workshop.models import Anonymity, RoundKind, StaffRole, VersionSource
from workshop.services import (
    agenda,
    amendments,
    consent,
    editing,
    final,
    participants,
    proposals,
    rounds,
    versions,
    workshops,
)
from workshop.services.agenda import RoundSettings

HEADINGS = ["Purpose", "Who we serve", "How we work"]


@pytest.fixture
def templated(facilitator, workshop):
    editing.start_from_template(facilitator, workshop.id, HEADINGS)
    version = versions.save_version(
        facilitator,
        workshop.id,
        "## Purpose\n\nWe help every patient feel known.\n\n"
        "## Who we serve\n\nOur patients and our colleagues.\n\n"
        "## How we work\n\nWe listen first and we act with care.",
        based_on=1,
    )
    assert version.number == 2
    return workshop


@pytest.fixture
def co(facilitator, workshop):
    """A second facilitator, editing at the same time as Fran."""
    user = make_user("co@example.org", name="Cora")
    workshops.add_staff(facilitator, workshop.id, user.email, StaffRole.FACILITATOR)
    return user


def keys_of(workshop) -> dict[str, int]:
    """The current clauses' keys by heading."""
    latest = queries.latest_version(workshop.id)
    return {c.heading: c.key for c in queries.clauses_of(latest)}


def body_of(workshop, heading: str) -> str:
    latest = queries.latest_version(workshop.id)
    return next(c.body for c in queries.clauses_of(latest) if c.heading == heading)


def refine_round(facilitator, workshop, anonymity=None, **settings):
    """A running refine round. It follows the workshop's anonymity (what it takes is kept
    per workshop), so ``anonymity`` is set on the workshop, as its facilitator would."""
    if anonymity is not None:
        workshop.anonymity = anonymity
        db.session.commit()
    round_ = agenda.add_round(
        facilitator, workshop.id, RoundSettings(RoundKind.REFINE, "Sharpen it", **settings)
    )
    return rounds.start_round(facilitator, round_.id)


# --- starting the document ------------------------------------------------------------------


def test_the_draft_starts_from_the_edited_template_with_empty_clauses(facilitator, workshop):
    headings = editing.template_headings()
    assert [h["heading"] for h in headings][:2] == ["Purpose", "Who we serve"]
    assert all(h["hint"] for h in headings)
    version = editing.start_from_template(
        facilitator, workshop.id, ["  Purpose ", "", "Our   promise", "   "]
    )
    assert version.number == 1 and version.source == VersionSource.EDIT
    assert version.body_md == "## Purpose\n\n## Our promise"
    assert [(c.heading, c.body, c.key) for c in queries.clauses_of(version)] == [
        ("Purpose", "", 1),
        ("Our promise", "", 2),
    ]


def test_the_template_is_refused_once_a_draft_exists(facilitator, workshop):
    editing.start_from_template(facilitator, workshop.id, HEADINGS)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        editing.start_from_template(facilitator, workshop.id, ["Another start"])
    assert refused.value.code == "draft_started"
    assert db_fingerprint() == before


@pytest.mark.parametrize("headings", [[], ["", "  ", "\n"], ["x" * 121], ["h"] * 31])
def test_a_template_without_usable_headings_is_refused(facilitator, workshop, headings):
    with pytest.raises(ValidationFailed) as refused:
        editing.start_from_template(facilitator, workshop.id, headings)
    assert refused.value.details["field"] == "headings"
    assert queries.latest_version(workshop.id) is None


def test_only_facilitators_start_the_draft(facilitator, workshop):
    amira = join(workshop)
    with pytest.raises(Forbidden):
        editing.start_from_template(amira, workshop.id, HEADINGS)
    with pytest.raises(NotFound):  # a facilitator of another workshop does not even see it
        editing.start_from_template(make_user("x@example.org"), workshop.id, HEADINGS)
    assert queries.latest_version(workshop.id) is None


def test_a_pasted_mission_is_split_into_clauses(facilitator, workshop):
    version = editing.paste_document(
        facilitator,
        workshop.id,
        "We help every patient feel known.\r\n\r\nWe value our colleagues.\n\nWe keep learning.",
        based_on=None,
    )
    assert [c.body for c in queries.clauses_of(version)] == [
        "We help every patient feel known.",
        "We value our colleagues.",
        "We keep learning.",
    ]
    assert version.note == "Pasted and split into 3 clauses"
    one_paragraph = editing.paste_document(
        facilitator, workshop.id, "We serve. We care. We learn.", based_on=version.number
    )
    assert one_paragraph.number == 2  # pasted onto the latest version
    assert [c.body for c in queries.clauses_of(one_paragraph)] == [
        "We serve.",
        "We care.",
        "We learn.",
    ]


def test_an_empty_or_oversized_paste_is_refused(facilitator, workshop):
    with pytest.raises(ValidationFailed):
        editing.paste_document(facilitator, workshop.id, " \n\n ", based_on=None)
    with pytest.raises(ValidationFailed):
        editing.paste_document(
            facilitator, workshop.id, "\n\n".join(f"Clause {i}." for i in range(31)), based_on=None
        )
    assert queries.latest_version(workshop.id) is None


def test_clause_keys_follow_clauses_through_whole_document_saves(facilitator, workshop):
    pasted = editing.paste_document(
        facilitator,
        workshop.id,
        "We help every patient feel known.\n\nWe value our colleagues.\n\nWe keep learning.",
        based_on=None,
    )
    first = {c.body: c.key for c in queries.clauses_of(pasted)}
    assert sorted(first.values()) == [1, 2, 3]
    edited = versions.save_version(
        facilitator,
        workshop.id,
        "We help every patient feel known and safe.\n\n"
        "We speak up when something is wrong.\n\n"
        "We value our colleagues.\n\n"
        "We keep learning.",
        based_on=pasted.number,
    )
    keys = [c.key for c in queries.clauses_of(edited)]
    assert keys == [
        first["We help every patient feel known."],  # reworded: the same clause
        4,  # new: a key never used before
        first["We value our colleagues."],
        first["We keep learning."],
    ]
    # Moving clauses around keeps their keys too.
    moved = versions.save_version(
        facilitator,
        workshop.id,
        "We keep learning.\n\n"
        "We help every patient feel known and safe.\n\n"
        "We speak up when something is wrong.\n\n"
        "We value our colleagues.",
        based_on=edited.number,
    )
    assert [c.key for c in queries.clauses_of(moved)] == [keys[3], keys[0], keys[1], keys[2]]
    # A removed clause's key is not handed to a later one.
    removed = versions.save_version(
        facilitator,
        workshop.id,
        "We help every patient feel known and safe.\n\nWe value our colleagues.",
        based_on=moved.number,
    )
    added = versions.save_version(
        facilitator,
        workshop.id,
        removed.body_md + "\n\nAn entirely different promise about budgets.",
        based_on=removed.number,
    )
    assert [c.key for c in queries.clauses_of(added)] == [keys[0], keys[2], 5]


# --- saving a clause ------------------------------------------------------------------------


def test_a_facilitator_saves_one_clause_as_the_next_version(facilitator, templated):
    keys = keys_of(templated)
    version = editing.save_clause(
        facilitator,
        templated.id,
        keys["Who we serve"],
        "Our patients, their families and our colleagues.",
        based_on=2,
    )
    assert (version.number, version.based_on, version.source) == (3, 2, VersionSource.EDIT)
    assert version.clause_key == keys["Who we serve"]
    assert version.author.id == facilitator.id
    assert version.note == "Edited “Who we serve”"
    assert version.body_md == (
        "## Purpose\n\nWe help every patient feel known.\n\n"
        "## Who we serve\n\nOur patients, their families and our colleagues.\n\n"
        "## How we work\n\nWe listen first and we act with care."
    )
    assert keys_of(templated) == keys


def test_clause_saves_that_change_nothing_or_break_the_clause_are_refused(facilitator, templated):
    keys = keys_of(templated)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as unchanged:
        editing.save_clause(
            facilitator,
            templated.id,
            keys["Purpose"],
            "  We help every patient feel known.  ",
            based_on=2,
        )
    assert unchanged.value.code == "unchanged"
    with pytest.raises(ValidationFailed):
        editing.save_clause(
            facilitator, templated.id, keys["Purpose"], "Ours.\n## Sneaky heading", based_on=2
        )
    with pytest.raises(ValidationFailed):
        editing.save_clause(facilitator, templated.id, keys["Purpose"], "x" * 4001, based_on=2)
    with pytest.raises(NotFound):
        editing.save_clause(facilitator, templated.id, 999, "Anything", based_on=2)
    with pytest.raises(NotFound):
        editing.save_clause(facilitator, templated.id, keys["Purpose"], "Anything", based_on=99)
    assert db_fingerprint() == before


def test_a_headless_clause_stays_one_paragraph(facilitator, workshop):
    pasted = editing.paste_document(
        facilitator, workshop.id, "We serve.\n\nWe care.", based_on=None
    )
    key = queries.clauses_of(pasted)[0].key
    with pytest.raises(ValidationFailed) as refused:
        editing.save_clause(facilitator, workshop.id, key, "We serve.\n\nAnd more.", based_on=1)
    assert refused.value.details["field"] == "body"
    saved = editing.save_clause(facilitator, workshop.id, key, "We serve\nall.", based_on=1)
    assert [c.body for c in queries.clauses_of(saved)] == ["We serve\nall.", "We care."]


def test_participants_edit_clauses_only_while_a_refine_round_runs(facilitator, templated, clock):
    amira = join(templated, "Amira")
    key = keys_of(templated)["Purpose"]

    def attempt():
        return editing.save_clause(amira, templated.id, key, "We know every patient.", based_on=2)

    before = db_fingerprint()
    with pytest.raises(InvalidState) as no_round:
        attempt()
    assert no_round.value.code == "round_closed"
    assert db_fingerprint() == before

    propose = agenda.add_round(facilitator, templated.id, RoundSettings(RoundKind.PROPOSE, "?"))
    rounds.start_round(facilitator, propose.id)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as other_kind:
        attempt()
    assert other_kind.value.code == "round_closed"
    assert db_fingerprint() == before

    refine = refine_round(facilitator, templated, duration_seconds=300)
    rounds.pause_round(facilitator, refine.id)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as paused:
        attempt()
    assert paused.value.code == "round_closed" and "paused" in paused.value.message
    assert db_fingerprint() == before

    rounds.resume_round(facilitator, refine.id)
    clock.advance(301)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as time_up:
        attempt()
    assert "Time is up" in time_up.value.message
    assert db_fingerprint() == before

    rounds.extend_round(facilitator, refine.id, 120)
    version = attempt()
    assert version.number == 3 and version.editor_participant.id == amira.id
    assert version.author is None and version.editor_name == "Amira"
    assert body_of(templated, "Purpose") == "We know every patient."


def test_a_participant_of_another_workshop_cannot_edit(facilitator, templated):
    refine_round(facilitator, templated)
    owner = make_user("other@example.org")
    outsider = join(make_workshop(owner), "Olga")
    before = db_fingerprint()
    with pytest.raises(Forbidden):
        editing.save_clause(
            outsider, templated.id, keys_of(templated)["Purpose"], "Olga's words", based_on=2
        )
    assert db_fingerprint() == before


def test_an_edit_in_a_fully_anonymous_round_keeps_no_editor(facilitator, templated):
    amira = join(templated, "Amira")
    refine_round(facilitator, templated, anonymity=Anonymity.FULL)
    version = editing.save_clause(
        amira, templated.id, keys_of(templated)["Purpose"], "We know every patient.", based_on=2
    )
    assert version.editor_participant_id is None and version.author_id is None


# --- two people on one clause ---------------------------------------------------------------


def test_concurrent_edits_to_different_words_of_a_clause_are_merged(facilitator, co, templated):
    key = keys_of(templated)["How we work"]
    # Both opened version 2; Fran saves first.
    editing.save_clause(
        facilitator, templated.id, key, "We listen first and we act with kindness.", based_on=2
    )
    merged = editing.save_clause(
        co, templated.id, key, "We always listen first and we act with care.", based_on=2
    )
    assert merged.number == 4 and merged.based_on == 3
    assert body_of(templated, "How we work") == "We always listen first and we act with kindness."
    assert merged.note == "Merged with version 3"
    # Nothing else in the document moved.
    assert body_of(templated, "Purpose") == "We help every patient feel known."


def test_concurrent_edits_to_the_same_words_hand_both_texts_back(facilitator, co, templated):
    key = keys_of(templated)["How we work"]
    editing.save_clause(
        facilitator, templated.id, key, "We listen first and we act with kindness.", based_on=2
    )
    before = db_fingerprint()
    mine = "We listen first and we act with respect."
    with pytest.raises(Conflict) as conflict:
        editing.save_clause(co, templated.id, key, mine, based_on=2)
    details = conflict.value.details
    assert details["latest_number"] == 3 and details["clause_key"] == key
    assert details["latest_body"] == "We listen first and we act with kindness."
    assert details["your_body"] == mine
    assert "version 3" in conflict.value.message
    assert db_fingerprint() == before  # nothing saved, nothing overwritten
    # Co combines both and saves on what they have now seen.
    resolved = editing.save_clause(
        co, templated.id, key, "We listen first and we act with kindness and respect.", based_on=3
    )
    assert resolved.number == 4 and resolved.note == "Edited “How we work”"
    assert body_of(templated, "How we work") == (
        "We listen first and we act with kindness and respect."
    )


def test_an_edit_to_another_clause_on_a_stale_base_needs_no_merge(facilitator, co, templated):
    keys = keys_of(templated)
    editing.save_clause(
        facilitator, templated.id, keys["Purpose"], "We help every person feel known.", based_on=2
    )
    version = editing.save_clause(
        co, templated.id, keys["How we work"], "We listen and we act.", based_on=2
    )
    assert version.note == "Edited “How we work”"  # not a merge: that clause had not changed
    assert body_of(templated, "Purpose") == "We help every person feel known."
    assert body_of(templated, "How we work") == "We listen and we act."


def test_a_clause_removed_meanwhile_hands_the_text_back(facilitator, co, templated):
    key = keys_of(templated)["How we work"]
    versions.save_version(
        facilitator,
        templated.id,
        "## Purpose\n\nWe help every patient feel known.\n\n"
        "## Who we serve\n\nOur patients and our colleagues.",
        based_on=2,
    )
    with pytest.raises(NotFound):
        editing.save_clause(co, templated.id, key, "We listen and we act.", based_on=2)


VOCABULARY = ["we", "serve", "care", "our", "people", "with", "joy", "and"]
DISTINCT_VOCABULARY = [*VOCABULARY, "patients", "colleagues", "listen", "act", "learn", "every"]
PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _two_concurrent_edits(facilitator, words, data, *, disjoint: bool):
    """Fran and Cora change random words of one clause, both from version 1; Fran saves
    first. Returns the workshop, the clause texts, each side's new words and the second
    save's outcome (the version, or the Conflict)."""
    workshop = make_workshop(facilitator)
    co = make_user(f"co{workshop.id}@example.org")
    workshops.add_staff(facilitator, workshop.id, co.email, StaffRole.FACILITATOR)
    base = " ".join(words)
    editing.paste_document(
        facilitator, workshop.id, f"## Clause\n\n{base}\n\n## Other\n\nx.", based_on=None
    )
    key = keys_of(workshop)["Clause"]
    taken: set[int] = set()

    def edit(tag: str) -> tuple[str, list[str]]:
        free = [i for i in range(len(words)) if not (disjoint and i in taken)]
        most = min(3, len(free) - 1) if disjoint and not taken else min(3, len(free))
        positions = data.draw(
            st.lists(st.sampled_from(free), min_size=1, max_size=max(most, 1), unique=True)
        )
        taken.update(positions)
        inserts = data.draw(st.booleans())
        out, added = [], []
        for index, word in enumerate(words):
            if index in positions:
                new = f"{tag}{index}"
                added.append(new)
                out.extend([word, new] if inserts else [new])
            else:
                out.append(word)
        return " ".join(out), added

    first, first_words = edit("FRAN")
    second, second_words = edit("CORA")
    editing.save_clause(facilitator, workshop.id, key, first, based_on=1)
    before = db_fingerprint()
    try:
        outcome = editing.save_clause(co, workshop.id, key, second, based_on=1)
    except Conflict as conflict:
        assert db_fingerprint() == before  # a refused save changes nothing
        outcome = conflict
    return workshop, (base, first, second), first_words + second_words, outcome


@PROPERTY_SETTINGS
@given(words=st.lists(st.sampled_from(VOCABULARY), min_size=3, max_size=10), data=st.data())
def test_concurrent_clause_edits_never_lose_anyones_words(facilitator, words, data):
    """Among repeated words, the second save either holds both people's new words exactly
    once, or is refused with both texts handed back."""
    workshop, (base, first, second), new_words, outcome = _two_concurrent_edits(
        facilitator, words, data, disjoint=False
    )
    if isinstance(outcome, Conflict):
        event("conflict: handed back")
        assert outcome.details["your_body"] == second
        assert outcome.details["latest_body"] == first
        return
    event("merged")
    result = body_of(workshop, "Clause").split()
    for word in new_words:
        assert result.count(word) == 1, (base, first, second, result)
    assert body_of(workshop, "Other") == "x."


@PROPERTY_SETTINGS
@given(
    words=st.lists(st.sampled_from(DISTINCT_VOCABULARY), min_size=3, max_size=10, unique=True),
    data=st.data(),
)
def test_concurrent_edits_to_different_distinct_words_are_always_merged(facilitator, words, data):
    """When no word repeats and the two people touch different words, nothing is refused:
    the merged clause holds every new word once and every untouched word of the base."""
    workshop, (base, first, second), new_words, outcome = _two_concurrent_edits(
        facilitator, words, data, disjoint=True
    )
    assert not isinstance(outcome, Conflict), (base, first, second)
    assert outcome.note.startswith("Merged with version")
    result = body_of(workshop, "Clause").split()
    for word in new_words:
        assert result.count(word) == 1, (base, first, second, result)
    kept_by_both = set(first.split()) & set(second.split()) & set(words)
    assert kept_by_both <= set(result)


# --- "X is editing this clause" -------------------------------------------------------------


def test_people_see_who_is_editing_which_clause(facilitator, templated):
    keys = keys_of(templated)
    amira, joost = join(templated, "Amira"), join(templated, "Joost", "Team lead")
    for sid, who in [("s-amira", amira), ("s-joost", joost), ("s-fran", facilitator)]:
        participants.connect(sid, templated, who, server_id="one-process")
    with pytest.raises(InvalidState):  # participants edit during a refine round only
        editing.set_editing("s-amira", amira, keys["Purpose"])
    assert audiences.editors(templated, staff=False) == {}

    refine_round(facilitator, templated)
    editing.set_editing("s-amira", amira, keys["Purpose"])
    editing.set_editing("s-fran", facilitator, keys["Purpose"])
    editing.set_editing("s-joost", joost, keys["How we work"])
    expected = {
        str(keys["Purpose"]): ["Amira", "Fran Facilitator"],
        str(keys["How we work"]): ["Joost"],
    }
    assert audiences.editors(templated, staff=False) == expected
    assert audiences.editors(templated, staff=True) == expected

    editing.set_editing("s-joost", joost, keys["Purpose"])  # moves to another clause
    assert audiences.editors(templated, staff=False) == {
        str(keys["Purpose"]): ["Amira", "Fran Facilitator", "Joost"]
    }
    editing.set_editing("s-fran", facilitator, None)  # closes the editor
    participants.disconnect("s-amira")  # Amira's laptop closes
    assert audiences.editors(templated, staff=False) == {str(keys["Purpose"]): ["Joost"]}

    with pytest.raises(NotFound):
        editing.set_editing("s-joost", joost, 999)
    with pytest.raises(NotFound):
        editing.set_editing("s-gone", joost, keys["Purpose"])


def test_when_the_refine_round_stops_participants_editing_marks_go(facilitator, templated):
    keys = keys_of(templated)
    amira = join(templated, "Amira")
    for sid, who in [("s-amira", amira), ("s-fran", facilitator)]:
        participants.connect(sid, templated, who, server_id="one-process")
    running = refine_round(facilitator, templated)
    editing.set_editing("s-amira", amira, keys["Purpose"])
    editing.set_editing("s-fran", facilitator, keys["How we work"])
    rounds.pause_round(facilitator, running.id)
    # Amira's save would be refused now, so nobody is told she is editing; Fran still is.
    assert audiences.editors(templated, staff=True) == {
        str(keys["How we work"]): ["Fran Facilitator"]
    }


def test_editors_are_someone_to_peers_in_an_anonymous_round_but_named_to_staff(
    facilitator, templated
):
    keys = keys_of(templated)
    amira, joost = join(templated, "Amira"), join(templated, "Joost", "Team lead")
    refine_round(facilitator, templated, anonymity=Anonymity.PEERS)
    for sid, who, key in [
        ("s-amira", amira, keys["Purpose"]),
        ("s-joost", joost, keys["Purpose"]),
        ("s-fran", facilitator, keys["How we work"]),
    ]:
        participants.connect(sid, templated, who, server_id="one-process")
        editing.set_editing(sid, who, key)
    assert audiences.editors(templated, staff=False) == {
        str(keys["Purpose"]): [None, None],  # two people a participant may not know
        str(keys["How we work"]): ["Fran Facilitator"],
    }
    assert audiences.editors(templated, staff=True) == {
        str(keys["Purpose"]): ["Amira", "Joost"],
        str(keys["How we work"]): ["Fran Facilitator"],
    }


# --- consent per clause ---------------------------------------------------------------------


def test_consent_is_given_per_clause_and_a_change_makes_only_that_clauses_votes_stale(
    facilitator, templated
):
    keys = keys_of(templated)
    purpose, serve = keys["Purpose"], keys["Who we serve"]
    amira, joost = join(templated, "Amira"), join(templated, "Joost", "Team lead")
    consent.vote_on_clause(amira, purpose, "agree")
    consent.vote_on_clause(joost, purpose, "live_with", "A bit long")
    consent.vote_on_clause(amira, serve, "object", "It forgets families")
    counts = audiences.consent_counts(templated.id, queries.latest_version(templated.id))
    assert counts[purpose] == {
        "agree": 1,
        "live_with": 1,
        "object": 0,
        "stale": 0,
        "objections": [],
    }
    assert counts[serve]["object"] == 1 and counts[serve]["objections"] == ["It forgets families"]

    editing.save_clause(
        facilitator,
        templated.id,
        purpose,
        "We help every patient feel known and safe.",
        based_on=2,
    )
    latest = queries.latest_version(templated.id)
    counts = audiences.consent_counts(templated.id, latest)
    assert (counts[purpose]["agree"], counts[purpose]["live_with"], counts[purpose]["stale"]) == (
        0,
        0,
        2,
    )
    assert (counts[serve]["object"], counts[serve]["stale"]) == (1, 0)  # untouched clause

    mine = audiences.my_clause_votes(amira)
    assert mine[str(serve)]["stale"] is False and mine[str(serve)]["diff"] == []
    stale = mine[str(purpose)]
    assert stale["stale"] is True and stale["choice"] == "agree" and stale["version_number"] == 2
    assert [(p["op"], p["text"]) for p in stale["diff"] if p["op"] != "equal"] == [
        ("delete", "known."),
        ("insert", "known and safe."),
    ]
    assert "".join(p["text"] for p in stale["diff"] if p["op"] != "delete") == (
        "## Purpose\n\nWe help every patient feel known and safe."
    )

    again = consent.vote_on_clause(amira, purpose, "agree")
    assert again["vote"]["stale"] is False and again["vote"]["version_number"] == 3
    counts = audiences.consent_counts(templated.id, latest)
    assert (counts[purpose]["agree"], counts[purpose]["stale"]) == (1, 1)


def test_clause_votes_are_checked(facilitator, templated):
    amira = join(templated, "Amira")
    key = keys_of(templated)["Purpose"]
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        consent.vote_on_clause(amira, key, "object")  # an objection needs a reason
    with pytest.raises(ValidationFailed):
        consent.vote_on_clause(amira, key, "maybe")
    with pytest.raises(NotFound):
        consent.vote_on_clause(amira, 999, "agree")
    with pytest.raises(Forbidden):
        consent.vote_on_clause(facilitator, key, "agree")
    assert db_fingerprint() == before


def test_the_mission_cannot_be_locked_while_a_clause_objection_is_open(facilitator, templated):
    final.set_quorum(facilitator, templated.id, 0)  # answers aside: objections alone here
    amira = join(templated, "Amira")
    serve = keys_of(templated)["Who we serve"]
    consent.vote_on_clause(amira, serve, "object", "It forgets families")
    # Rewording the clause does not silence the objection: Amira has to answer again.
    editing.save_clause(
        facilitator, templated.id, serve, "Our patients, their families and colleagues.", based_on=2
    )
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        final.lock_version(facilitator, templated.id, 3)
    assert refused.value.code == "not_ready"
    # How many, per clause; the reasons are listed with the clause where the lock is offered.
    assert "Who we serve: 1 objection open" in refused.value.message
    (row,) = [r for r in final.readiness(templated)["clauses"] if r["clause_key"] == serve]
    assert [o["reason"] for o in row["objections"]] == ["It forgets families"]
    (problem,) = refused.value.details["problems"]
    assert (problem["clause_key"], problem["kind"]) == (serve, "objection")
    assert db_fingerprint() == before
    assert final.open_objections(templated.id) == 1

    consent.vote_on_clause(amira, serve, "agree")
    locked = final.lock_version(facilitator, templated.id, 3)
    assert locked.final_at is not None


def test_moving_a_clause_does_not_silence_its_objection(facilitator, templated):
    final.set_quorum(facilitator, templated.id, 0)
    amira = join(templated, "Amira")
    serve = keys_of(templated)["Who we serve"]
    consent.vote_on_clause(amira, serve, "object", "It forgets families")
    moved = versions.save_version(
        facilitator,
        templated.id,
        "## Who we serve\n\nOur patients and our colleagues.\n\n"
        "## Purpose\n\nWe help every patient feel known.\n\n"
        "## How we work\n\nWe listen first and we act with care.",
        based_on=2,
    )
    assert keys_of(templated)["Who we serve"] == serve
    counts = audiences.consent_counts(templated.id, moved)
    assert counts[serve]["object"] == 1 and counts[serve]["stale"] == 0
    with pytest.raises(InvalidState) as refused:
        final.lock_version(facilitator, templated.id, moved.number)
    assert refused.value.code == "not_ready"


def test_an_objection_to_a_removed_clause_no_longer_blocks(facilitator, templated):
    final.set_quorum(facilitator, templated.id, 0)
    amira = join(templated, "Amira")
    consent.vote_on_clause(amira, keys_of(templated)["How we work"], "object", "Vague")
    assert final.open_objections(templated.id) == 1
    versions.save_version(
        facilitator,
        templated.id,
        "## Purpose\n\nWe help every patient feel known.\n\n"
        "## Who we serve\n\nOur patients and our colleagues.",
        based_on=2,
    )
    assert final.open_objections(templated.id) == 0
    assert final.lock_version(facilitator, templated.id, 3).final_at is not None


# --- amendments inside a clause -------------------------------------------------------------


def span_of(workshop, words: str) -> tuple[int, int]:
    version = queries.latest_version(workshop.id)
    start = version.body_md.index(words)
    return start, start + len(words)


def test_an_amendment_inside_a_clause_is_accepted_on_that_clause(facilitator, co, templated):
    amira = join(templated, "Amira")
    keys = keys_of(templated)
    start, end = span_of(templated, "our colleagues")
    amendment = amendments.propose_amendment(
        amira, templated.id, version_number=2, start=start, end=end, replacement="everyone here"
    )
    assert amendment.clause_key == keys["Who we serve"]
    # Meanwhile the clause before it and other words of the same clause change.
    editing.save_clause(
        co, templated.id, keys["Purpose"], "We help every person feel known.", based_on=2
    )
    editing.save_clause(
        co, templated.id, keys["Who we serve"], "All our patients and our colleagues.", based_on=3
    )
    version = amendments.accept_amendment(facilitator, amendment.id)
    assert version.number == 5 and version.source == VersionSource.AMENDMENT
    assert version.clause_key == keys["Who we serve"] and version.amendment_id == amendment.id
    assert body_of(templated, "Who we serve") == "All our patients and everyone here."
    assert body_of(templated, "Purpose") == "We help every person feel known."


def test_an_amendment_that_crosses_two_clauses_is_refused(facilitator, templated):
    amira = join(templated, "Amira")
    start = span_of(templated, "feel known.")[0]
    end = span_of(templated, "Our patients")[1]
    before = db_fingerprint()
    with pytest.raises(ValidationFailed) as refused:
        amendments.propose_amendment(
            amira, templated.id, version_number=2, start=start, end=end, replacement="merged"
        )
    assert refused.value.details["field"] == "span"
    with pytest.raises(ValidationFailed):  # a heading is not a clause's words either
        start, end = span_of(templated, "Who we serve")
        amendments.propose_amendment(
            amira, templated.id, version_number=2, start=start, end=end, replacement="Whom"
        )
    assert db_fingerprint() == before


def test_an_amendment_to_words_that_also_stand_in_the_heading_changes_the_words(
    facilitator, workshop
):
    editing.paste_document(
        facilitator, workshop.id, "## Purpose\n\nCare.\n\n## What we value\n\nvalue", based_on=None
    )
    amira = join(workshop, "Amira")
    body = queries.latest_version(workshop.id).body_md
    start = body.rindex("value")  # the clause's word, below its heading
    amendment = amendments.propose_amendment(
        amira, workshop.id, version_number=1, start=start, end=start + 5, replacement="kindness"
    )
    version = amendments.accept_amendment(facilitator, amendment.id)
    assert version.body_md.endswith("## What we value\n\nkindness")


def test_two_edits_that_together_would_start_a_new_clause_are_handed_back(
    facilitator, co, workshop
):
    pasted = editing.paste_document(
        facilitator, workshop.id, "We listen and we act.\n\nWe learn.", based_on=None
    )
    key = queries.clauses_of(pasted)[0].key
    editing.save_clause(facilitator, workshop.id, key, "We listen and\nwe act.", based_on=1)
    before = db_fingerprint()
    # Each text alone is one paragraph; merged, "# 1 we act." would begin a line: a heading.
    with pytest.raises(Conflict) as conflict:
        editing.save_clause(co, workshop.id, key, "We listen and # 1 we act.", based_on=1)
    assert conflict.value.details["your_body"] == "We listen and # 1 we act."
    assert db_fingerprint() == before
    assert [c.body for c in queries.clauses_of(queries.latest_version(workshop.id))] == [
        "We listen and\nwe act.",
        "We learn.",
    ]


@pytest.mark.parametrize(
    ("mode", "peers_see_name"),
    [(Anonymity.NAMED, True), (Anonymity.PEERS, False), (Anonymity.FULL, False)],
)
def test_who_saved_a_clause_reaches_only_whom_the_mode_allows(
    facilitator, templated, mode, peers_see_name
):
    refine_round(facilitator, templated, anonymity=mode)
    amira = join(templated, "Amira")
    key = keys_of(templated)["Purpose"]
    version = editing.save_clause(amira, templated.id, key, "We help people.", based_on=2)
    for_peers = audiences.document_payload(templated, version, staff=False)["version"]
    for_staff = audiences.document_payload(templated, version, staff=True)["version"]
    assert (for_peers["author"] == "Amira") is peers_see_name
    assert (for_staff["author"] == "Amira") is (mode != Anonymity.FULL)
    assert "Amira" not in str(for_peers) or peers_see_name


def test_a_proposal_whose_words_lie_inside_another_sentence_still_goes_in(facilitator, workshop):
    """The check that keeps a form sent twice from adding words twice looked for the card's
    words anywhere in the clause: "Patients first" was refused (or silently left out) beside
    "Patients first and always, at home.", and Joost was never credited. Whole sentences."""
    editing.start_from_template(facilitator, workshop.id, ["Purpose"])
    rounds.set_phase(facilitator, workshop.id, "propose")
    amira, joost = join(workshop, "Amira"), join(workshop, "Joost")
    first = proposals.submit_proposal(amira, workshop.id, "Patients first and always, at home.")
    second = proposals.submit_proposal(joost, workshop.id, "Patients first")
    key = queries.clauses_of(queries.latest_version(workshop.id))[0].key
    editing.fill_clause_from_proposals(facilitator, workshop.id, key, [first.id])
    version = editing.fill_clause_from_proposals(facilitator, workshop.id, key, [second.id])
    assert [p.id for p in version.source_proposals] == [second.id]
    assert queries.clauses_of(version)[0].body.endswith("Patients first")
    with pytest.raises(InvalidState):  # and the same card again is still refused
        editing.fill_clause_from_proposals(facilitator, workshop.id, key, [second.id])


def test_a_card_placed_again_after_its_full_stop_was_tidied_is_not_added_twice(
    facilitator, workshop
):
    editing.start_from_template(facilitator, workshop.id, ["Purpose"])
    rounds.set_phase(facilitator, workshop.id, "propose")
    card = proposals.submit_proposal(join(workshop, "Joost"), workshop.id, "patients first")
    key = queries.clauses_of(queries.latest_version(workshop.id))[0].key
    placed = editing.fill_clause_from_proposals(facilitator, workshop.id, key, [card.id])
    editing.save_clause(facilitator, workshop.id, key, "Patients first.", based_on=placed.number)
    with pytest.raises(InvalidState):
        editing.fill_clause_from_proposals(facilitator, workshop.id, key, [card.id])
