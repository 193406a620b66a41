"""Provenance on a fixture workshop: every clause and sentence traces back to the proposal,
amendment, duel or edit it came from, and to the levels and departments behind it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pypdf
import pytest

from tests.conftest import join, make_workshop
from workshop import exports, provenance, queries
from workshop.models import Anonymity, Phase
from workshop.services import amendments, duels, editing, proposals, rounds

SCHEMA = json.loads(Path("docs/export-schema.json").read_text(encoding="utf-8"))


def clause(version, heading):
    return next(c for c in queries.clauses_of(version) if c.heading == heading)


@pytest.fixture
def story(facilitator):
    """Template → a proposal into Purpose → a participant's edit in a refine round → an
    amendment accepted → a duel decided."""
    workshop = make_workshop(facilitator, departments=["Care", "IT", "Finance"])
    editing.start_from_template(facilitator, workshop.id, ["Purpose", "How we work"])
    rounds.set_phase(facilitator, workshop.id, Phase.PROPOSE)
    amira = join(workshop, "Amira", "Frontline", "Care")
    joost = join(workshop, "Joost", "Team lead", "IT")
    pia = join(workshop, "Pia", "Manager", "Finance")
    idea = proposals.submit_proposal(amira, workshop.id, "We keep people well at home.")
    purpose = clause(queries.latest_version(workshop.id), "Purpose")
    editing.fill_clause_from_proposals(facilitator, workshop.id, purpose.key, [idea.id])  # v2
    rounds.set_phase(facilitator, workshop.id, Phase.DRAFT)  # a refine round runs
    how = clause(queries.latest_version(workshop.id), "How we work")
    editing.save_clause(joost, workshop.id, how.key, "We listen before we act.", based_on=2)  # v3
    v3 = queries.latest_version(workshop.id)
    start = v3.body_md.index("before we act")
    suggestion = amendments.propose_amendment(
        pia,
        workshop.id,
        version_number=3,
        start=start,
        end=start + len("before we act"),
        replacement="first and act together",
    )
    amendments.accept_amendment(facilitator, suggestion.id)  # v4
    duel = duels.start_duel(
        facilitator,
        workshop.id,
        clause_key=purpose.key,
        options=["We keep people well at home.", "We help people live well at home."],
        seconds=120,
    )
    second = duel.options[1].id
    for person in (amira, joost):
        duels.vote_in_duel(person, duel.id, [second])
    duels.close_duel(facilitator, duel.id)  # v5
    return workshop, idea, suggestion, duel


def test_each_clause_lists_the_changes_that_shaped_it(facilitator, story):
    workshop, idea, suggestion, duel = story
    latest = queries.latest_version(workshop.id)
    assert latest.number == 5
    origins = {o["clause"]: o for o in provenance.by_clause(latest)}
    assert origins["Purpose"]["body_md"] == "We help people live well at home."
    purpose = origins["Purpose"]["contributions"]
    assert [(c["version"], c["source"]) for c in purpose] == [(2, "proposal"), (5, "duel")]
    assert purpose[0]["proposals"][0]["id"] == idea.id
    assert purpose[0]["people"] == [{"name": "Amira", "level": "Frontline", "department": "Care"}]
    assert purpose[1]["duel"] == {
        "id": duel.id,
        "winner": "We help people live well at home.",
        "alternatives": ["We keep people well at home."],  # the losing wording, on record
        "voters": 2,
    }
    how = origins["How we work"]["contributions"]
    assert [(c["version"], c["source"]) for c in how] == [(3, "edit"), (4, "amendment")]
    assert how[0]["people"] == [{"name": "Joost", "level": "Team lead", "department": "IT"}]
    assert how[1]["amendment"]["id"] == suggestion.id
    assert how[1]["people"] == [{"name": "Pia", "level": "Manager", "department": "Finance"}]


def test_each_sentence_traces_to_where_it_came_in(facilitator, story):
    workshop, *_ = story
    rows = provenance.by_sentence(facilitator, workshop.id, 5)
    by_sentence = {r["sentence"]: r for r in rows}
    assert set(by_sentence) == {  # headings are labels, not traced sentences
        "We help people live well at home.",
        "We listen first and act together.",
    }
    duel_row = by_sentence["We help people live well at home."]
    assert duel_row["source"] == "duel" and duel_row["version"] == 5
    amended = by_sentence["We listen first and act together."]
    assert amended["source"] == "amendment" and amended["version"] == 4
    assert amended["people"][0]["department"] == "Finance"
    # An older version keeps its own story: in version 3 Joost's sentence was his edit.
    old = {r["sentence"]: r for r in provenance.by_sentence(facilitator, workshop.id, 3)}
    assert old["We listen before we act."]["people"][0]["name"] == "Joost"


def test_the_exports_carry_the_origins_appendix(facilitator, story):
    workshop, idea, suggestion, duel = story
    data = json.loads(exports.export_version(facilitator, workshop.id, 5, "json").content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert [p["source"] for p in data["provenance"]] == [
        "edit",
        "proposal",
        "edit",
        "amendment",
        "duel",
    ]
    assert data["provenance"][3]["amendment_id"] == suggestion.id
    assert data["provenance"][4]["duel_id"] == duel.id
    assert {o["clause"]: o["versions"] for o in data["origins"]} == {
        "Purpose": [2, 5],
        "How we work": [3, 4],
    }
    (record,) = data["duels"]
    assert sorted((o["text"], o["votes"]) for o in record["options"]) == [
        ("We help people live well at home.", 2),
        ("We keep people well at home.", 0),
    ]
    assert data["amendments"][0]["status"] == "accepted"
    pdf = exports.export_version(facilitator, workshop.id, 5, "pdf").content
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    appendix = " ".join(text.split("Where the words came from")[1].split())
    assert "Purpose" in appendix and "Duel #" in appendix and "Amendment #" in appendix
    assert "Joost, Team lead, IT" in appendix


def test_a_duel_still_open_shows_no_counts_in_any_export(facilitator, workshop):
    editing.start_from_template(facilitator, workshop.id, ["Purpose"])
    purpose = queries.clauses_of(queries.latest_version(workshop.id))[0]
    editing.save_clause(facilitator, workshop.id, purpose.key, "We care.", based_on=1)
    duel = duels.start_duel(
        facilitator,
        workshop.id,
        clause_key=purpose.key,
        options=["We care.", "We care deeply."],
        seconds=120,
    )
    duels.vote_in_duel(join(workshop), duel.id, [duel.options[1].id])
    data = json.loads(exports.export_version(facilitator, workshop.id, 2, "json").content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert [o["votes"] for o in data["duels"][0]["options"]] == [None, None]
    assert data["duels"][0]["winner_id"] is None


def test_fully_anonymous_edits_and_amendments_name_nobody(facilitator, workshop):
    workshop.anonymity = Anonymity.FULL
    editing.start_from_template(facilitator, workshop.id, ["Purpose"])
    rounds.set_phase(facilitator, workshop.id, Phase.DRAFT)
    amira = join(workshop, "Zebediah Quillfeather")
    purpose = queries.clauses_of(queries.latest_version(workshop.id))[0]
    editing.save_clause(amira, workshop.id, purpose.key, "We keep our word.", based_on=1)
    v2 = queries.latest_version(workshop.id)
    start = v2.body_md.index("our word")
    suggestion = amendments.propose_amendment(
        amira, workshop.id, version_number=2, start=start, end=start + 8, replacement="promises"
    )
    amendments.accept_amendment(facilitator, suggestion.id)
    for fmt in exports.FORMATS:
        content = exports.export_version(facilitator, workshop.id, 3, fmt).content
        if fmt == "pdf":
            content = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
        if fmt == "docx":
            import docx

            word = docx.Document(io.BytesIO(content))
            content = " ".join(p.text for p in word.paragraphs)
        text = content.decode() if isinstance(content, bytes) else content
        assert "Zebediah" not in text and "Quillfeather" not in text, fmt
    rows = provenance.by_sentence(facilitator, workshop.id, 3)
    assert all(not r["people"] for r in rows)
