import pytest

from tests.conftest import db_fingerprint, in_phase, join, make_user
from workshop import audiences, exports, provenance
from workshop.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.models import AuditAction, Phase, StaffRole, UserRole, VersionSource
from workshop.services import (
    audit,
    final,
    moderation,
    proposals,
    versions,
    workshops,
)


@pytest.fixture
def proposed(facilitator, workshop):
    in_phase(facilitator, workshop, Phase.PROPOSE)
    amira = join(workshop, "Amira")
    joost = join(workshop, "Joost", "Team lead")
    a = proposals.submit_proposal(amira, workshop.id, "We help every patient feel known.")
    b = proposals.submit_proposal(joost, workshop.id, "We make care simple.")
    in_phase(facilitator, workshop, Phase.DRAFT)
    return workshop, a, b


def test_the_draft_starts_from_chosen_proposals_and_remembers_them(facilitator, proposed):
    workshop, a, b = proposed
    version = versions.start_draft_from_proposals(
        facilitator, workshop.id, [b.id, a.id], based_on=None, note="Top two"
    )
    assert version.number == 1
    assert version.source == VersionSource.PROPOSAL
    assert version.body_md == "We make care simple.\n\nWe help every patient feel known."
    assert {p.id for p in version.source_proposals} == {a.id, b.id}


def test_every_save_is_a_new_numbered_version_with_author_and_note(facilitator, proposed):
    workshop, a, _ = proposed
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id], based_on=None)
    second = versions.save_version(
        facilitator, workshop.id, "We help every person feel known.", based_on=1, note="wider"
    )
    assert (second.number, second.based_on, second.note) == (2, 1, "wider")
    assert second.author.id == facilitator.id
    history = versions.list_versions(facilitator, workshop.id)
    assert [v.number for v in history] == [2, 1]


def test_a_save_on_a_stale_version_is_handed_back_not_written(facilitator, proposed):
    workshop, a, _ = proposed
    co = make_user("co@example.org")
    workshops.add_staff(facilitator, workshop.id, co.email, StaffRole.FACILITATOR)
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id], based_on=None)
    versions.save_version(facilitator, workshop.id, "Fran's words", based_on=1)
    before = db_fingerprint()
    with pytest.raises(Conflict) as conflict:
        versions.save_version(co, workshop.id, "Co's words", based_on=1)
    assert conflict.value.details["latest_number"] == 2
    assert conflict.value.details["latest_body"] == "Fran's words"
    assert conflict.value.details["your_body"] == "Co's words"
    assert db_fingerprint() == before


def test_unchanged_and_empty_saves_are_refused(facilitator, proposed):
    workshop, a, _ = proposed
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id], based_on=None)
    with pytest.raises(InvalidState):
        versions.save_version(facilitator, workshop.id, a.body_md, based_on=1)
    with pytest.raises(ValidationFailed):
        versions.save_version(facilitator, workshop.id, "  ", based_on=1)


def test_only_facilitators_edit_the_document(facilitator, proposed):
    workshop, a, _ = proposed
    boss = make_user("boss@example.org", role=UserRole.LEADERSHIP)
    workshops.add_staff(facilitator, workshop.id, boss.email, StaffRole.LEADERSHIP)
    amira = a.author
    before = db_fingerprint()
    with pytest.raises(Forbidden):
        versions.save_version(boss, workshop.id, "Mine now", based_on=None)
    with pytest.raises(Forbidden):
        versions.save_version(amira, workshop.id, "Mine now", based_on=None)
    assert db_fingerprint() == before


def test_hidden_or_foreign_proposals_cannot_seed_the_draft(facilitator, proposed):
    workshop, a, _ = proposed
    moderation.hide_proposal(facilitator, a.id)
    with pytest.raises(NotFound):
        versions.start_draft_from_proposals(facilitator, workshop.id, [a.id], based_on=None)


def test_differences_between_versions_are_word_level(facilitator, proposed):
    workshop, a, _ = proposed
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id], based_on=None)
    versions.save_version(
        facilitator, workshop.id, "We help every colleague feel known.", based_on=1
    )
    pieces = versions.diff_versions(facilitator, workshop.id, 1, 2)
    assert [(p.op, p.text) for p in pieces if p.op != "equal"] == [
        ("delete", "patient"),
        ("insert", "colleague"),
    ]


def test_leadership_exports_markdown_and_html_with_origins(facilitator, proposed):
    workshop, a, b = proposed
    boss = make_user("boss@example.org", role=UserRole.LEADERSHIP)
    workshops.add_staff(facilitator, workshop.id, boss.email, StaffRole.LEADERSHIP)
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id, b.id], based_on=None)

    markdown = exports.export_version(boss, workshop.id, 1, "md")
    assert markdown.filename == "harbour-health-mission-v1.md"
    assert markdown.mimetype.startswith("text/markdown")
    assert "We help every patient feel known." in markdown.content
    assert "Amira" in markdown.content and "Team lead" in markdown.content

    html = exports.export_version(boss, workshop.id, 1, "html")
    assert html.content.startswith("<!doctype html>")
    assert "<p>We make care simple.</p>" in html.content
    assert "@media print" in html.content


def test_participants_and_strangers_cannot_export(facilitator, proposed):
    workshop, a, _ = proposed
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id], based_on=None)
    with pytest.raises(Forbidden):
        exports.export_version(a.author, workshop.id, 1, "md")
    with pytest.raises(NotFound):
        exports.export_version(make_user("x@example.org"), workshop.id, 1, "md")
    with pytest.raises(ValidationFailed):
        exports.export_version(facilitator, workshop.id, 1, "exe")


def test_restoring_makes_a_new_version_and_keeps_history(facilitator, proposed):
    workshop, a, _ = proposed
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id], based_on=None)
    versions.save_version(facilitator, workshop.id, "A worse text", based_on=1, name="Detour")
    restored = versions.restore_version(facilitator, workshop.id, 1, based_on=2)
    assert (restored.number, restored.source, restored.body_md) == (
        3,
        VersionSource.RESTORE,
        a.body_md,
    )
    assert [p.id for p in restored.source_proposals] == [a.id]
    assert [v.number for v in versions.list_versions(facilitator, workshop.id)] == [3, 2, 1]
    assert versions.get_version(facilitator, workshop.id, 2).name == "Detour"


def test_leadership_signs_off_the_final_version_and_changes_need_a_reopen(facilitator, proposed):
    workshop, a, _ = proposed
    final.set_quorum(facilitator, workshop.id, 0)
    boss = make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
    workshops.add_staff(facilitator, workshop.id, boss.email, StaffRole.LEADERSHIP)
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id], based_on=None)
    with pytest.raises(InvalidState):
        final.sign_off(boss, workshop.id, 1, "Too early")
    final.lock_version(facilitator, workshop.id, 1)
    signed = final.sign_off(boss, workshop.id, 1, "We stand behind this.")
    assert (signed.signer_name, signed.comment) == ("Bo Boss", "We stand behind this.")
    with pytest.raises(InvalidState):
        final.sign_off(boss, workshop.id, 1, "Twice")
    with pytest.raises(Forbidden):
        final.sign_off(facilitator, workshop.id, 1, "Not leadership")
    with pytest.raises(Forbidden):
        final.lock_version(boss, workshop.id, 1)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:  # final means final
        versions.save_version(facilitator, workshop.id, "A later change", based_on=1)
    assert refused.value.code == "document_locked"
    assert db_fingerprint() == before
    reopened = final.reopen(facilitator, workshop.id, "Finance asked for one more word")
    assert reopened.number == 2 and reopened.source == "reopen"
    assert reopened.body_md == versions.get_version(facilitator, workshop.id, 1).body_md
    later = versions.save_version(facilitator, workshop.id, "A later change", based_on=2)
    assert later.number == 3 and later.final_at is None
    first = versions.get_version(facilitator, workshop.id, 1)
    assert first.final_at is not None and [s.signer_name for s in first.signoffs] == ["Bo Boss"]
    with pytest.raises(InvalidState) as stale:  # a sign-off belongs to the current final
        final.sign_off(make_staff_boss(facilitator, workshop), workshop.id, 1, "Late")
    assert stale.value.code == "not_latest"
    actions = [e.action for e in audit.list_entries(facilitator, workshop.id)]
    assert AuditAction.VERSION_REOPEN in actions


def make_staff_boss(facilitator, workshop):
    second = make_user("second@example.org", role=UserRole.LEADERSHIP, name="Sam Second")
    workshops.add_staff(facilitator, workshop.id, second.email, StaffRole.LEADERSHIP)
    return second


def test_concurrent_edits_that_do_not_overlap_are_merged(facilitator, proposed):
    workshop, a, _ = proposed
    co = make_user("co@example.org")
    workshops.add_staff(facilitator, workshop.id, co.email, StaffRole.FACILITATOR)
    versions.save_version(
        facilitator,
        workshop.id,
        "We serve our patients and we value our colleagues.",
        based_on=None,
    )
    # Both start from version 1; Fran saves first, Co saves on the stale base.
    versions.save_version(
        facilitator,
        workshop.id,
        "We serve our neighbours and we value our colleagues.",
        based_on=1,
    )
    merged = versions.save_version(
        co, workshop.id, "We serve our patients and we value our teams.", based_on=1
    )
    assert merged.number == 3 and merged.based_on == 2
    assert merged.body_md == "We serve our neighbours and we value our teams."
    assert merged.note == "Merged with version 2"


def test_concurrent_edits_that_overlap_are_handed_back_with_both_texts(facilitator, proposed):
    workshop, a, _ = proposed
    versions.save_version(facilitator, workshop.id, "We serve with care.", based_on=None)
    versions.save_version(facilitator, workshop.id, "We serve with kindness.", based_on=1)
    before = db_fingerprint()
    with pytest.raises(Conflict) as conflict:
        versions.save_version(facilitator, workshop.id, "We serve with respect.", based_on=1)
    assert conflict.value.details["latest_body"] == "We serve with kindness."
    assert conflict.value.details["your_body"] == "We serve with respect."
    assert db_fingerprint() == before


def test_every_sentence_traces_back_to_its_proposal_and_people(facilitator, proposed):
    workshop, a, b = proposed  # a: Amira (Frontline), b: Joost (Team lead)
    versions.start_draft_from_proposals(facilitator, workshop.id, [a.id, b.id], based_on=None)
    versions.save_version(
        facilitator,
        workshop.id,
        "We help every patient feel known. We make care simple. We keep our promises.",
        based_on=1,
    )
    rows = provenance.by_sentence(facilitator, workshop.id, 2)
    assert [(r["sentence"], r["version"], r["source"]) for r in rows] == [
        ("We help every patient feel known.", 1, "proposal"),
        ("We make care simple.", 1, "proposal"),
        ("We keep our promises.", 2, "edit"),
    ]
    assert [(p["id"], p["people"]) for p in rows[0]["proposals"]] == [
        (a.id, [{"name": "Amira", "level": "Frontline", "department": ""}])
    ]
    assert rows[1]["proposals"][0]["people"][0]["level"] == "Team lead"
    assert rows[0]["people"] == [{"name": "Amira", "level": "Frontline", "department": ""}]
    assert rows[2]["proposals"] == []
    assert [p["name"] for p in rows[2]["people"]] == [facilitator.display_name]  # her own words


def test_provenance_names_nobody_behind_a_fully_anonymous_proposal(facilitator, workshop):
    from workshop.models import Anonymity

    workshop.anonymity = Anonymity.FULL
    in_phase(facilitator, workshop, Phase.PROPOSE)
    proposal = proposals.submit_proposal(join(workshop), workshop.id, "We listen first.")
    versions.start_draft_from_proposals(facilitator, workshop.id, [proposal.id], based_on=None)
    (row,) = provenance.by_sentence(facilitator, workshop.id, 1)
    assert [(p["id"], p["people"]) for p in row["proposals"]] == [(proposal.id, [])]
    assert row["people"] == [{"name": "a participant (anonymous)", "level": "", "department": ""}]


def test_the_draft_shows_where_it_is_over_its_length_budget(facilitator, proposed):
    workshop, a, _ = proposed
    settings = workshops.WorkshopSettings(
        title=workshop.title,
        organisation=workshop.organisation,
        words_per_clause=5,
        words_total=12,
    )
    workshops.update_workshop(facilitator, workshop.id, settings)
    version = versions.save_version(
        facilitator,
        workshop.id,
        "We help every patient feel known.\n\nWe make care simple for everyone who works here.",
        based_on=None,
    )
    budget = audiences.document_payload(workshop, version, staff=True)["budget"]
    assert budget["total"] == {"words": 15, "limit": 12, "over": True}
    assert [(c["index"], c["words"], c["over"]) for c in budget["clauses"]] == [
        (1, 6, True),
        (2, 9, True),
    ]
    assert budget["average_sentence_words"] == 7.5
    with pytest.raises(ValidationFailed):
        workshops.update_workshop(
            facilitator,
            workshop.id,
            workshops.WorkshopSettings(title="T", organisation="O", words_total=0),
        )
