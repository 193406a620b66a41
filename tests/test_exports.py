"""Leadership exports, each format read back by a real reader.

PDF (pypdf), DOCX (python-docx), JSON (jsonschema against the published
docs/export-schema.json, format version 5), CSV (a ZIP of named tables, each read
with the csv module), Markdown (rendered by Python-Markdown and parsed as HTML);
and, across every format, no tally of a blind round before its reveal, no name
anonymity hides and no group under five people on its own.
"""

from __future__ import annotations

import builtins
import codecs
import csv
import datetime as dt
import html.parser
import io
import json
import pathlib
import re
import unicodedata
import zipfile

import docx
import jsonschema
import markdown
import pypdf
import pytest
from docx.oxml.ns import qn
from flask_babel import force_locale

from tests.conftest import PASSWORD, built_once, in_phase, join, make_user, make_workshop
from tests.services.test_values import PEOPLE as VALUE_PICKS
from tests.test_values_views import setup_round
from workshop import exports, queries
from workshop.errors import InvalidState
from workshop.extensions import db
from workshop.models import Anonymity, Participant, Phase, RoundKind, StaffRole, User, UserRole
from workshop.services import (
    agenda,
    amendments,
    consent,
    duels,
    editing,
    final,
    measures,
    moderation,
    proposals,
    rounds,
    tags,
    versions,
    votes,
    workshops,
)
from workshop.services.agenda import RoundSettings

SCHEMA = json.loads(
    (pathlib.Path(__file__).parent.parent / "docs" / "export-schema.json").read_text()
)
NAME = "Zebediah Quillfeather"
FIRST = (
    "## Who we serve\n\nWe help every patient feel **known** and *heard*.\n\n"
    "- Listen first\n- Keep it simple"
)
SECOND = "We make care simple."
ALL_FORMATS = ("md", "html", "pdf", "docx", "json", "csv")

# The CSV export's tables and their columns, as workshop/exports/to_csv.py documents them.
CSV_TABLES = {
    "results.csv": [
        "row",
        "round",
        "kind",
        "prompt",
        "method",
        "status",
        "voters",
        "proposal_id",
        "proposal_text",
        "item",
        "rank",
        "dots",
        "dot_voters",
        "approvals",
        "approval_share",
        "mean_score",
        "scores",
        "borda_points",
        "first_preferences",
        "agree",
        "live_with",
        "object",
        "consented",
        "include",
        "exclude",
        "word_status",
        "picks",
    ],
    "versions.csv": [
        "number",
        "name",
        "source",
        "author",
        "created_at",
        "final",
        "locked_at",
        "signed_off_by",
        "note",
    ],
    "clause_consent.csv": [
        "clause_key",
        "clause",
        "agree",
        "live_with",
        "object",
        "stale",
        "current",
        "problems",
    ],
    "objections.csv": ["clause_key", "clause", "reason", "stale", "by"],
    "proposals.csv": ["id", "round_id", "status", "text", "authors", "comments", "created_at"],
    "amendments.csv": [
        "id",
        "clause_key",
        "status",
        "original",
        "replacement",
        "reason",
        "author",
        "method",
        "answers",
        "counts",
        "mean_score",
    ],
    "duels.csv": ["duel_id", "clause_key", "status", "option_id", "text", "votes", "winner"],
    "sentences.csv": ["sentence", "version", "source", "people"],
    "participation.csv": ["by", "group", "members", "joined", "proposed", "voted"],
    "success_measures.csv": [
        "clause_key",
        "clause",
        "what",
        "baseline",
        "target",
        "owner_team",
        "review_on",
    ],
}
# What a spreadsheet would run as a formula at the start of a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def scenario(mode: Anonymity = Anonymity.NAMED, *, reveal: bool = True) -> dict[str, int]:
    """Two proposals, comments, a blind dot vote (revealed or not), a draft from both."""
    owner = make_user("fran@example.org", name="Fran Facilitator")
    make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
    workshop = make_workshop(owner, dots_per_participant=5)
    workshop.anonymity = mode
    db.session.commit()
    workshops.add_staff(owner, workshop.id, "boss@example.org", StaffRole.LEADERSHIP)
    in_phase(owner, workshop, Phase.PROPOSE)
    author = join(workshop, NAME, "Frontline")
    peer = join(workshop, "Pat Peer", "Manager")
    first = proposals.submit_proposal(author, workshop.id, FIRST)
    second = proposals.submit_proposal(peer, workshop.id, SECOND)
    proposals.add_comment(peer, first.id, "Yes, this one")
    proposals.add_comment(author, first.id, "Thanks, glad it lands")
    in_phase(owner, workshop, Phase.VOTE)
    vote = queries.current_round(workshop.id)
    assert vote is not None and vote.blind
    votes.set_dots(author, first.id, 4)
    votes.set_dots(peer, second.id, 3)
    if reveal:
        votes.reveal_round(owner, vote.id)
    in_phase(owner, workshop, Phase.DRAFT)
    versions.start_draft_from_proposals(
        owner, workshop.id, [first.id, second.id], based_on=None, note="Top two"
    )
    return {"workshop": workshop.id, "first": first.id, "second": second.id, "vote": vote.id}


def owner() -> User:
    return db.session.query(User).filter_by(email="fran@example.org").one()


def boss() -> User:
    return db.session.query(User).filter_by(email="boss@example.org").one()


def participant(workshop_id: int, name: str) -> Participant:
    return next(p for p in queries.list_participants(workshop_id) if p.display_name == name)


def export(workshop_id: int, fmt: str, number: int = 1) -> exports.Export:
    return exports.export_version(boss(), workshop_id, number, fmt)


def record(workshop_id: int, number: int = 1) -> dict:
    """The JSON export, checked against the published schema."""
    data = json.loads(export(workshop_id, "json", number).content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    return data


def pdf_text(data: bytes, *, footers: bool = True) -> str:
    """The PDF's text as one line; without ``footers``, the page numbers are left out."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    if not footers:
        pages = [re.sub(r"\s*\d+ / \d+\s*$", "", page) for page in pages]
    text = "\n".join(pages)
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[-\u2010\u00ad]\s*\n\s*", "", text)  # words hyphenated at a line end
    return " ".join(text.split())


def docx_xml(data: bytes) -> str:
    """Every part of the Word file as text: body, footers, properties."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def csv_files(content: str | bytes) -> dict[str, str]:
    """The CSV export's tables by file name, each checked to start with a UTF-8 BOM and
    returned without it."""
    assert isinstance(content, bytes) and content.startswith(b"PK\x03\x04")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        files = {}
        for name in archive.namelist():
            raw = archive.read(name)
            assert raw.startswith(codecs.BOM_UTF8), name
            files[name] = raw.decode("utf-8").removeprefix("\ufeff")
    return files


def csv_tables(content: str | bytes) -> dict[str, list[list[str]]]:
    """Every table of the CSV export as the csv module reads it: a header row, then rows."""
    tables = {}
    for name, text in csv_files(content).items():
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        assert rows, f"{name} has no header row"
        assert all(len(row) == len(rows[0]) for row in rows), name
        tables[name] = rows
    return tables


def csv_rows(content: str | bytes, table: str = "results.csv") -> list[dict[str, str]]:
    """One table of the CSV export as dictionaries by column."""
    header, *rows = csv_tables(content)[table]
    return [dict(zip(header, row, strict=True)) for row in rows]


def readable(fmt: str, content: str | bytes) -> str:
    """What a person (or a program) reading the file finds in it."""
    if fmt == "pdf":
        assert isinstance(content, bytes)
        return pdf_text(content) + str(pypdf.PdfReader(io.BytesIO(content)).metadata)
    if fmt == "docx":
        assert isinstance(content, bytes)
        return docx_xml(content)
    if fmt == "csv":
        return "".join(csv_files(content).values())
    assert isinstance(content, str)
    return content


def workshop_in_every_state(mode: Anonymity = Anonymity.NAMED) -> dict[str, int]:
    """The workshop of :func:`_build_workshop_in_every_state`, built once per test process
    and mode (a hundred service calls), then copied."""
    return built_once(f"every state, {mode}", lambda: _build_workshop_in_every_state(mode))


def _build_workshop_in_every_state(mode: Anonymity) -> dict[str, int]:
    """A workshop that went through everything the record holds: a revealed values round;
    proposals pinned, hidden, merged, tagged and commented on; a round of every voting
    method and a vocabulary round (one broken down by level, one blind and not revealed);
    a draft with consent per clause, an amendment of each method (accepted, rejected,
    open), a duel decided, one cancelled and one still open; a version locked, signed off
    and reopened; answers gone stale and an objection open. Fifteen people: six Frontline
    (Care), seven Specialists and two Managers (IT)."""
    facilitator = make_user("fran@example.org", name="Fran Facilitator")
    leader = make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
    workshop = make_workshop(
        facilitator, values=["Care", "Integrity", "Curiosity"], departments=["Care", "IT"]
    )
    workshop.anonymity = mode
    db.session.commit()
    workshops.add_staff(facilitator, workshop.id, leader.email, StaffRole.LEADERSHIP)
    wid = workshop.id
    people = (
        [join(workshop, f"Front {i}", "Frontline", "Care") for i in range(6)]
        + [join(workshop, f"Spec {i}", "Specialist", "IT") for i in range(7)]
        + [join(workshop, f"Man {i}", "Manager", "IT") for i in range(2)]
    )

    def run(settings: RoundSettings) -> int:
        round_ = agenda.add_round(facilitator, wid, settings)
        rounds.start_round(facilitator, round_.id)
        return round_.id

    values_round = run(RoundSettings(RoundKind.VALUES, "What do you value?", 600))
    org = {v.name: str(v.id) for v in workshop.values}
    for person, (*_, picks, culture) in zip(people, VALUE_PICKS * 3, strict=False):
        ballot = [
            {
                **({"custom": v[7:]} if v.startswith("custom:") else {"value": v}),
                "maps_to": org[m] if m else "none",
                "lived": n,
            }
            for v, m, n in picks
        ]
        votes.cast_ballot(person, wid, {"picks": ballot, **culture})
    votes.reveal_round(facilitator, values_round)

    run(RoundSettings(RoundKind.PROPOSE, "Who do we serve?", 0))
    cards = [
        proposals.submit_proposal(p, wid, f"We serve everyone, take {i}.")
        for i, p in enumerate(people[:5])
    ]
    proposals.add_comment(people[6], cards[0].id, "Yes")
    tags.tag_proposal(facilitator, cards[0].id, "integrity")
    moderation.pin_proposal(facilitator, cards[0].id, True)
    moderation.hide_proposal(facilitator, cards[4].id, "Off topic")
    moderation.merge_proposals(facilitator, cards[0].id, cards[3].id)
    live = [c.id for c in cards[:3]]

    dot = run(RoundSettings(RoundKind.VOTE, "Dots", 0, method="dot", breakdown_by_level=True))
    for i, p in enumerate(people):
        votes.set_dots(p, live[i % 3], 2)
    votes.reveal_round(facilitator, dot)
    run(RoundSettings(RoundKind.VOTE, "Approve", 0, method="approval", blind=False))
    for i, p in enumerate(people):
        votes.cast_ballot(p, wid, {"approved": live[: 1 + i % 3]})
    run(
        RoundSettings(
            RoundKind.VOTE, "Score", 0, method="score", blind=False, breakdown_by_level=True
        )
    )
    for i, p in enumerate(people):
        votes.cast_ballot(p, wid, {"scores": {str(live[0]): 1 + i % 5, str(live[1]): 3}})
    run(RoundSettings(RoundKind.VOTE, "Rank", 0, method="ranked", blind=False))
    for i, p in enumerate(people):
        votes.cast_ballot(p, wid, {"ranking": live[i % 3 :] + live[: i % 3]})
    run(
        RoundSettings(
            RoundKind.VOTE, "Consent", 0, method="consent", blind=False, breakdown_by_level=True
        )
    )
    for i, p in enumerate(people):
        answer = {"choice": "object", "reason": "Too broad"} if i == 0 else {"choice": "agree"}
        votes.cast_ballot(p, wid, {"consent": {str(live[0]): answer}})
    run(RoundSettings(RoundKind.CONSENT, "Can you live with each clause?", 0))
    words = [{"word": "care", "category": "how"}, {"word": "patients", "category": "whom"}]
    run(RoundSettings(RoundKind.VOCABULARY, "Words", 0, blind=False, words=words))
    for i, p in enumerate(people):
        choice = "exclude" if i % 2 else "include"
        votes.cast_ballot(p, wid, {"votes": {"care": "include", "patients": choice}})
    blind = run(RoundSettings(RoundKind.VOTE, "Blind", 0, method="approval"))
    votes.cast_ballot(people[0], wid, {"approved": live[:1]})

    editing.paste_document(
        facilitator,
        wid,
        "## Purpose\n\nWe help every patient feel known.\n\n"
        "## How we work\n\nWe listen first and we act with care.",
        based_on=None,
    )
    in_phase(facilitator, workshop, Phase.DRAFT)
    keys = {c.heading: c.key for c in queries.clauses_of(queries.latest_version(wid))}
    for p in people:
        for key in keys.values():
            consent.vote_on_clause(p, key, "agree")

    def suggest(person: Participant, method: str, word: str, replacement: str) -> int:
        workshop.amendment_method = method
        db.session.commit()
        latest = queries.latest_version(wid)
        start = latest.body_md.index(word)
        return amendments.propose_amendment(
            person,
            wid,
            version_number=latest.number,
            start=start,
            end=start + len(word),
            replacement=replacement,
        ).id

    accepted = suggest(people[0], "consent", "patient", "person")
    amendments.vote_on_amendment(people[1], accepted, "agree")
    amendments.vote_on_amendment(people[2], accepted, "object", "Patients are who we serve")
    amendments.accept_amendment(facilitator, accepted, "Agreed")
    rejected = suggest(people[1], "approval", "listen", "hear")
    amendments.vote_on_amendment(people[3], rejected, "no")
    amendments.reject_amendment(facilitator, rejected, "Not now")
    duel = duels.start_duel(
        facilitator,
        wid,
        clause_key=keys["How we work"],
        options=["We listen first and we act with care.", "We listen, then act with care."],
        seconds=60,
    )
    for p in people[:4]:
        duels.vote_in_duel(p, duel.id, [duel.options[1].id])
    duels.close_duel(facilitator, duel.id)
    called_off = duels.start_duel(
        facilitator, wid, clause_key=keys["Purpose"], options=["A one.", "B two."], seconds=60
    )
    duels.cancel_duel(facilitator, called_off.id)
    known = measures.propose_measure(
        facilitator, wid, keys["Purpose"], what="Patients who feel known", target="80%"
    )
    measures.decide_measure(facilitator, known.id, agreed=True)

    final.set_quorum(facilitator, wid, 0)
    locked = queries.latest_version(wid).number
    final.lock_version(facilitator, wid, locked)
    final.sign_off(leader, wid, locked, "Proud of this")
    final.reopen(facilitator, wid, "One more look")
    editing.save_clause(
        facilitator,
        wid,
        keys["Purpose"],
        "We help every person feel known and heard.",
        based_on=queries.latest_version(wid).number,
    )
    consent.vote_on_clause(people[5], keys["How we work"], "object", "Care is vague")
    scored = suggest(people[2], "score", "heard", "seen")
    amendments.vote_on_amendment(people[4], scored, "4")
    amendments.vote_on_amendment(people[5], scored, "2")
    still_open = duels.start_duel(
        facilitator,
        wid,
        clause_key=keys["Purpose"],
        options=["We help every person feel known and heard.", "We help all feel known."],
        seconds=60,
        method="ranked",
    )
    duels.vote_in_duel(people[0], still_open.id, [o.id for o in still_open.options])
    return {
        "workshop": wid,
        "locked": locked,
        "latest": queries.latest_version(wid).number,
        "blind": blind,
    }


# ---- PDF -------------------------------------------------------------------------------
def test_the_pdf_is_typeset_on_a4_and_reads_back(ctx):
    ids = scenario()
    result = export(ids["workshop"], "pdf")
    assert result.filename == "harbour-health-mission-v1.pdf"
    assert result.mimetype == "application/pdf"
    assert isinstance(result.content, bytes) and result.content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(result.content))
    assert len(reader.pages) >= 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert reader.metadata.title == "Harbour Health: our mission · Version 1"
    text = pdf_text(result.content)
    assert "Harbour Health: our mission" in text
    assert "We help every patient feel known and heard." in text
    assert "We make care simple." in text
    assert "Where the words came from" in text and NAME in text and "Pat Peer" in text
    assert "Harbour Health · Version 1 · " in text
    assert "Top two" not in text  # the editor's note is for the history, not the reader
    assert "1 / 1" in text  # the page number in the footer


def test_long_pdf_text_breaks_between_words_and_pages_are_numbered(ctx):
    ids = scenario()
    long_words = "Interdisciplinary communication institutionalises responsibilities. " * 60
    versions.save_version(owner(), ids["workshop"], long_words, based_on=1)
    content = export(ids["workshop"], "pdf", number=2).content
    reader = pypdf.PdfReader(io.BytesIO(content))
    pages = len(reader.pages)
    assert pages >= 2
    raw = "\n".join(page.extract_text() for page in reader.pages)
    assert raw.count("\n") > 60  # it wraps over many lines ...
    assert not re.search(r"\w[-\u2010\u00ad]\n\w", raw)  # ... and never cuts a word
    assert f"{pages} / {pages}" in raw
    text = pdf_text(content, footers=False)
    mission = text.split("Where the words came from")[0]  # the origins quote the clause
    assert (
        mission.count("Interdisciplinary communication institutionalises responsibilities.") == 60
    )


def test_a_pdf_downloaded_again_is_the_same_file_and_shows_a_change_at_once(ctx):
    """The typeset PDF of a page is kept for the next download; any change to what the page
    shows (here a success measure agreed for the same version) is in the very next PDF."""
    ids = scenario()
    wid = ids["workshop"]
    first = export(wid, "pdf").content
    assert export(wid, "pdf").content == first
    (clause,) = (c.key for c in queries.clauses_of(queries.latest_version(wid)))
    measure = measures.propose_measure(
        owner(), wid, clause, what="Patients who feel known", target="80%"
    )
    measures.decide_measure(owner(), measure.id, agreed=True)
    changed = export(wid, "pdf").content
    assert "Patients who feel known" in pdf_text(changed)
    assert "Patients who feel known" not in pdf_text(first)


def test_the_pdf_says_what_to_install_when_pango_is_missing(ctx, monkeypatch):
    ids = scenario()
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(InvalidState) as error:
        export(ids["workshop"], "pdf")
    assert error.value.message == (
        "PDF export needs the Pango library on the server "
        "(apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
    )
    assert export(ids["workshop"], "docx").content  # the other formats do not need it


# ---- DOCX ------------------------------------------------------------------------------
def test_the_docx_carries_the_mission_as_word_paragraphs(ctx):
    ids = scenario()
    result = export(ids["workshop"], "docx")
    assert result.filename == "harbour-health-mission-v1.docx"
    assert result.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert isinstance(result.content, bytes)
    word = docx.Document(io.BytesIO(result.content))
    paragraphs = [(p.style.name, p.text) for p in word.paragraphs]
    texts = [text for _, text in paragraphs]
    assert ("Title", "Harbour Health: our mission") in paragraphs
    assert any(t.startswith("Harbour Health · Version 1 · ") for t in texts)
    assert not any("Top two" in t for t in texts)  # no editor's notes
    # Markdown became Word structure: a heading, a paragraph with bold and italic, a list.
    assert ("Heading 2", "Who we serve") in paragraphs
    assert ("Mission", "We help every patient feel known and heard.") in paragraphs
    assert ("List Bullet", "Listen first") in paragraphs
    mission = next(p for p in word.paragraphs if p.text.startswith("We help every patient"))
    assert [r.text for r in mission.runs if r.bold] == ["known"]
    assert [r.text for r in mission.runs if r.italic] == ["heard"]
    # The origins as a story per clause, credited where the anonymity mode allows.
    origins = texts[texts.index("Where the words came from") :]
    assert ("Heading 1", "Where the words came from") in paragraphs
    assert "Who we serve" in origins  # the clause the story is about
    came_from = next(t for t in origins if t.startswith("Came from: "))
    assert f"Proposal #{ids['first']} (“" in came_from
    assert f"Proposal #{ids['second']} (“We make care simple.”)" in came_from
    assert f"Words by: {NAME} (Frontline); Pat Peer (Manager)." in origins
    assert any(t.startswith("By level: Frontline ") and "Manager" in t for t in origins)
    assert word.core_properties.title == "Harbour Health: our mission"
    assert not word.tables  # no values round here
    assert 'w:instr="PAGE"' in docx_xml(result.content)  # page numbers in the footer


def test_text_pasted_from_powerpoint_exports_to_every_format(ctx):
    """PowerPoint and Word copy a line break inside a paragraph as a vertical tab, and pasted
    text can carry other control characters, which XML (so Word's format) cannot hold: the
    DOCX was a server error. Every format is made, and the Word document reads as the text."""
    fran = make_user("fran@example.org")
    workshop = make_workshop(fran, organisation="Harbour\x0bHealth\x1b")
    editing.paste_document(
        fran,
        workshop.id,
        "## Purpose\n\nWe help\x0bevery patient\x01 feel\x0cknown.",
        based_on=None,
    )
    for fmt in exports.FORMATS:
        assert exports.export_version(fran, workshop.id, None, fmt).content, fmt
    word = docx.Document(io.BytesIO(exports.export_version(fran, workshop.id, 1, "docx").content))
    assert "We help every patient feel known." in [p.text for p in word.paragraphs]
    assert word.core_properties.author == "Harbour Health"


def test_the_docx_is_a4_with_a_page_number_in_every_footer(ctx):
    ids = scenario()
    word = docx.Document(io.BytesIO(export(ids["workshop"], "docx").content))
    assert word.sections
    for section in word.sections:
        assert (round(section.page_width.cm, 2), round(section.page_height.cm, 2)) == (21, 29.7)
        assert section.page_height > section.page_width  # portrait
        footer = section.footer
        assert not footer.is_linked_to_previous  # a footer of its own, not Word's empty one
        instructions = [
            field.get(qn("w:instr")).strip() for field in footer._element.iter(qn("w:fldSimple"))
        ]
        assert instructions == ["PAGE"]


def test_the_docx_values_table_appears_once_the_values_round_is_revealed(app):
    workshop_id, _, round_id = setup_round(app)
    with app.app_context():
        owner = db.session.get(User, 1)
        versions.save_version(owner, workshop_id, "We serve with care.", based_on=None)
        hidden = exports.export_version(owner, workshop_id, 1, "docx").content
        votes.reveal_round(owner, round_id)
        shown = exports.export_version(owner, workshop_id, 1, "docx").content
    assert not docx.Document(io.BytesIO(hidden)).tables
    word = docx.Document(io.BytesIO(shown))
    assert len(word.tables) == 1
    table = [[cell.text for cell in row.cells] for row in word.tables[0].rows]
    assert table[0] == ["Personal value", "Care", "Integrity", "Curiosity", "Not represented here"]
    assert ["Integrity", "1", "3", "0", "0"] in table
    texts = [p.text for p in word.paragraphs]
    assert any(t.startswith("Appendix: our values") for t in texts)
    assert any(t.startswith("Alignment: 64%") for t in texts)
    assert "Executive" not in docx_xml(shown)  # the lone executive is nowhere on their own


# ---- JSON ------------------------------------------------------------------------------
def test_the_published_schema_is_a_valid_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["format_version"] == {"const": 5}


def test_the_json_is_the_full_record_and_matches_the_published_schema(ctx):
    ids = scenario()
    wid = ids["workshop"]
    author, peer = participant(wid, NAME), participant(wid, "Pat Peer")
    (clause,) = queries.clauses_of(queries.latest_version(wid))
    for person in (author, peer):
        consent.vote_on_clause(person, clause.key, "agree")
    # Version 2: an amendment, answered by its method's counts.
    start = queries.latest_version(wid).body_md.index("patient")
    suggestion = amendments.propose_amendment(
        author, wid, version_number=1, start=start, end=start + 7, replacement="person"
    )
    amendments.vote_on_amendment(author, suggestion.id, "agree")
    amendments.vote_on_amendment(peer, suggestion.id, "object", "Patients is the word")
    amendments.accept_amendment(owner(), suggestion.id, "Agreed in the room")
    # Version 3: a duel, decided two votes to none.
    start = queries.latest_version(wid).body_md.index("make care simple")
    duel = duels.start_duel(
        owner(),
        wid,
        clause_key=clause.key,
        options=["make care simple", "keep care simple"],
        seconds=60,
        start=start,
        end=start + len("make care simple"),
    )
    winner = duel.options[1].id
    for person in (author, peer):
        duels.vote_in_duel(person, duel.id, [winner])
    duels.close_duel(owner(), duel.id)
    # Version 3 locked and signed off; version 4 reopens it; version 5 changes the clause,
    # so the answers given before go stale, and one person objects to the new words.
    final.set_quorum(owner(), wid, 0)
    final.lock_version(owner(), wid, 3)
    final.sign_off(boss(), wid, 3, "Proud of this")
    final.reopen(owner(), wid, "One more look")
    editing.save_clause(
        owner(), wid, clause.key, "We help people feel known.\n\nWe keep care simple.", based_on=4
    )
    consent.vote_on_clause(peer, clause.key, "object", "Too vague")

    result = export(wid, "json", number=5)
    assert result.filename == "harbour-health-mission-v5.json"
    assert result.mimetype == "application/json"
    data = json.loads(result.content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert (data["format"], data["format_version"]) == ("mission-workshop-export", 5)
    assert data["exported_version"] == 5
    assert data["workshop"]["organisation"] == "Harbour Health"
    assert data["workshop"]["lock_quorum"] == 0
    assert [v["name"] for v in data["workshop"]["values"]] == ["Care", "Integrity"]
    assert [(v["number"], v["source"]) for v in data["versions"]] == [
        (1, "proposal"),
        (2, "amendment"),
        (3, "duel"),
        (4, "reopen"),
        (5, "edit"),
    ]
    assert data["versions"][0]["author"] == "Fran Facilitator"
    assert data["versions"][0]["note"] == "Top two"

    # The lock, the sign-off and the reopening.
    assert data["document"]["version"] == 5 and data["document"]["final"] is False
    assert data["document"]["final_versions"] == [3]
    (reopened,) = data["document"]["reopened"]
    assert (reopened["version"], reopened["after"], reopened["note"]) == (4, 3, "One more look")
    locked = data["versions"][2]
    assert locked["final"] is True
    assert dt.datetime.fromisoformat(locked["locked_at"]) <= dt.datetime.fromisoformat(
        reopened["at"]
    )
    assert [(s["name"], s["comment"]) for s in locked["signoffs"]] == [("Bo Boss", "Proud of this")]
    assert all(not v["final"] and v["signoffs"] == [] for v in data["versions"] if v is not locked)
    at_lock = record(wid, 3)["document"]
    assert at_lock["final"] is True and at_lock["locked_at"] == locked["locked_at"]
    assert at_lock["signoffs"] == locked["signoffs"] and at_lock["reopened"] == []

    # Consent per clause: the answers gone stale counted apart from the current ones.
    (row,) = data["clauses"]
    assert (row["clause_key"], row["clause"]) == (clause.key, "Who we serve")
    assert row["consent"] == {"agree": 0, "live_with": 0, "object": 1, "stale": 1, "current": 1}
    assert row["objections"] == [
        {"reason": "Too vague", "stale": False, "by": {"name": "Pat Peer", "level": "Manager"}}
    ]
    assert row["problems"] == ["objection"]
    assert data["readiness"]["ready"] is False
    assert [(p["clause"], p["kind"]) for p in data["readiness"]["problems"]] == [
        ("Who we serve", "objection")
    ]

    # The amendment with the count of each answer and the reason of the objection.
    (amendment,) = data["amendments"]
    assert amendment["status"] == "accepted" and amendment["method"] == "consent"
    assert (amendment["original"], amendment["replacement"]) == ("patient", "person")
    assert amendment["counts"] == {"agree": 1, "live_with": 0, "object": 1}
    assert amendment["answers"] == 2 and amendment["mean_score"] is None
    assert amendment["objections"] == ["Patients is the word"]
    assert amendment["author"] == {"name": NAME, "level": "Frontline", "department": ""}

    # The duel with the winner's votes, every wording on record.
    (decided,) = data["duels"]
    assert decided["status"] == "decided" and decided["version_made"] == 3
    assert (decided["winner_id"], decided["winner_votes"], decided["voters"]) == (winner, 2, 2)
    assert [(o["text"], o["votes"]) for o in decided["options"]] == [
        ("make care simple", 0),
        ("keep care simple", 2),
    ]

    trace = [
        {k: p[k] for k in ("version", "source", "based_on", "proposal_ids")}
        for p in data["provenance"]
    ]
    assert trace == [
        {
            "version": 1,
            "source": "proposal",
            "based_on": None,
            "proposal_ids": sorted([ids["first"], ids["second"]]),
        },
        {"version": 2, "source": "amendment", "based_on": 1, "proposal_ids": []},
        {"version": 3, "source": "duel", "based_on": 2, "proposal_ids": []},
        {"version": 4, "source": "reopen", "based_on": 3, "proposal_ids": []},
        {"version": 5, "source": "edit", "based_on": 4, "proposal_ids": []},
    ]
    assert data["provenance"][1]["amendment_id"] == suggestion.id
    assert data["provenance"][2]["duel_id"] == duel.id
    assert data["provenance"][4]["clause_key"] == clause.key
    # The people behind the proposals, with their levels: the record traces them.
    assert {p["name"]: p["level"] for p in data["provenance"][0]["people"]} == {
        NAME: "Frontline",
        "Pat Peer": "Manager",
    }
    first = next(p for p in data["proposals"] if p["id"] == ids["first"])
    assert first["authors"] == [{"name": NAME, "level": "Frontline", "department": ""}]
    assert [c["author"]["name"] for c in first["comments"]] == ["Pat Peer", NAME]
    vote = next(r for r in data["rounds"] if r["id"] == ids["vote"])
    assert vote["kind"] == "vote" and vote["method"] == "dot" and vote["voters"] == 2
    dots = {item["proposal_id"]: item["dots"] for item in vote["results"]["items"]}
    assert dots == {ids["first"]: 4, ids["second"]: 3}

    # Two people, each a group under five: neither level is counted on its own.
    participation = data["participation"]
    assert participation["joined"] == 2 and participation["min_group_size"] == 5
    assert participation["by_level"] == [
        {
            "group": "Other levels",
            "members": ["Frontline", "Manager"],
            "joined": 2,
            "proposed": 2,
            "voted": 2,  # both cast dots in the vote above
        }
    ]
    assert participation["by_department"] == []
    # Never raw ballots or who voted.
    for secret in ("ballot_id", "participant_id", "voter_hash"):
        assert secret not in result.content


@pytest.mark.parametrize("mode", list(Anonymity))
def test_the_schema_describes_every_state_of_the_record(ctx, mode):
    ids = workshop_in_every_state(mode)
    for number in range(1, ids["latest"] + 1):
        record(ids["workshop"], number)  # validated against the published schema
    data = record(ids["workshop"], ids["latest"])
    methods = {r["results"]["method"] for r in data["rounds"] if r["results"] is not None}
    assert methods == {"values", "dot", "approval", "score", "ranked", "consent", "vocabulary"}
    assert next(r for r in data["rounds"] if r["id"] == ids["blind"])["results"] is None
    assert {(a["method"], a["status"]) for a in data["amendments"]} == {
        ("consent", "accepted"),
        ("approval", "rejected"),
        ("score", "open"),
    }
    assert {(d["method"], d["status"]) for d in data["duels"]} == {
        ("choose_one", "decided"),
        ("choose_one", "cancelled"),
        ("ranked", "open"),
    }
    assert data["document"]["final_versions"] == [ids["locked"]]
    assert data["versions"][ids["locked"] - 1]["signoffs"]
    assert any(c["objections"] for c in data["clauses"])
    assert any(c["consent"]["stale"] for c in data["clauses"])
    assert data["values_appendix"]
    named = mode != Anonymity.FULL
    assert any(p["authors"] for p in data["proposals"]) is named
    assert any(a["author"] for a in data["amendments"]) is named
    assert any(o["by"] for c in data["clauses"] for o in c["objections"]) is named


def test_the_schema_refuses_what_the_record_must_never_hold(ctx):
    """The schema is a contract, not a description of anything: it refuses an unknown key,
    another format version, results of a blind round before its reveal, counts of an
    undecided duel and a group under five shown on its own."""
    ids = workshop_in_every_state()
    data = record(ids["workshop"], ids["latest"])
    validator = jsonschema.Draft202012Validator(SCHEMA)

    def refused(change) -> bool:
        copy = json.loads(json.dumps(data))
        change(copy)
        return not validator.is_valid(copy)

    blind = next(r for r in data["rounds"] if r["id"] == ids["blind"])
    open_duel = next(i for i, d in enumerate(data["duels"]) if d["status"] == "open")
    blind_index = data["rounds"].index(blind)
    tally = {"method": "approval", "ballots": 1, "winner": None, "ranking": [], "items": []}
    assert refused(lambda d: d.update(ballots=[]))
    assert refused(lambda d: d["clauses"][0].update(voters=["Front 0"]))
    assert refused(lambda d: d.update(format_version=3))
    assert refused(lambda d: d["rounds"][blind_index].update(results=tally))
    assert refused(lambda d: d["duels"][open_duel]["options"][0].update(votes=1))
    assert refused(lambda d: d["duels"][open_duel].update(winner_votes=1))
    assert refused(
        lambda d: d["participation"]["by_level"].append(
            {"group": "Manager", "members": [], "joined": 2, "proposed": 0, "voted": 0}
        )
    )


def test_participation_by_level_never_shows_a_small_group(ctx):
    owner = make_user("fran@example.org")
    workshop = make_workshop(owner)
    for i in range(6):
        join(workshop, f"Front {i}", "Frontline")
    for i in range(7):
        join(workshop, f"Spec {i}", "Specialist")
    join(workshop, "Lone Director", "Director")
    versions.save_version(owner, workshop.id, "We serve.", based_on=None)
    data = json.loads(exports.export_version(owner, workshop.id, 1, "json").content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    # The director is pooled, and so is the smallest shown group, or 14 - 7 - 6 gives them away.
    assert data["participation"]["by_level"] == [
        {"group": "Specialist", "members": [], "joined": 7, "proposed": 0, "voted": 0},
        {
            "group": "Other levels",
            "members": ["Director", "Frontline"],  # sorted, as the page lists them
            "joined": 7,
            "proposed": 0,
            "voted": 0,
        },
    ]
    assert data["participation"]["joined"] == 14


def test_no_group_under_five_is_shown_or_worked_out_in_the_json_or_the_csv(ctx):
    facilitator = make_user("fran@example.org")
    workshop = make_workshop(facilitator, departments=["Care", "IT", "Finance"])
    for i in range(6):
        join(workshop, f"Front {i}", "Frontline", "Care")
    for i in range(7):
        join(workshop, f"Spec {i}", "Specialist", "IT")
    for i in range(2):
        join(workshop, f"Man {i}", "Manager", "Finance")
    assert "Director" in workshop.levels  # a level nobody in the room has
    versions.save_version(facilitator, workshop.id, "We serve.", based_on=None)
    data = json.loads(exports.export_version(facilitator, workshop.id, 1, "json").content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    csv_content = exports.export_version(facilitator, workshop.id, 1, "csv").content
    participation = data["participation"]
    assert participation["joined"] == 15
    # The two Managers are pooled, and with them the smallest shown level (the six
    # Frontline people), or 15 - 7 - 6 = 2 would give the Managers away; nobody joined
    # as a Director, so Director is nowhere.
    assert participation["by_level"] == [
        {"group": "Specialist", "members": [], "joined": 7, "proposed": 0, "voted": 0},
        {
            "group": "Other levels",
            "members": ["Frontline", "Manager"],
            "joined": 8,
            "proposed": 0,
            "voted": 0,
        },
    ]
    assert participation["by_department"] == [
        {"group": "IT", "members": [], "joined": 7, "proposed": 0, "voted": 0},
        {
            "group": "Other departments",
            "members": ["Care", "Finance"],
            "joined": 8,
            "proposed": 0,
            "voted": 0,
        },
    ]
    from_csv = csv_rows(csv_content, "participation.csv")
    for by, small, pool_name in (
        ("level", "Manager", "Other levels"),
        ("department", "Finance", "Other departments"),
    ):
        rows = participation[f"by_{by}"]
        # The CSV says exactly what the JSON says.
        assert [r for r in from_csv if r["by"] == by] == [
            {
                "by": by,
                "group": r["group"],
                "members": "; ".join(r["members"]),
                "joined": str(r["joined"]),
                "proposed": str(r["proposed"]),
                "voted": str(r["voted"]),
            }
            for r in rows
        ]
        shown = {r["group"]: r["joined"] for r in rows if not r["members"]}
        (pool,) = [r for r in rows if r["members"]]
        assert pool["group"] == pool_name and small in pool["members"] and small not in shown
        assert all(size >= 5 for size in shown.values()) and pool["joined"] >= 5
        # Subtracting the shown groups from the total leaves the pool, never the small group.
        left = participation["joined"] - sum(shown.values())
        assert left == pool["joined"] != 2
    assert "Director" not in json.dumps(participation)
    assert "Director" not in csv_files(csv_content)["participation.csv"]


# ---- CSV -------------------------------------------------------------------------------
def test_the_csv_has_a_row_per_round_and_a_row_per_result(ctx):
    ids = scenario()
    result = export(ids["workshop"], "csv")
    assert result.filename == "harbour-health-mission-v1.csv.zip"
    assert result.mimetype == "application/zip"
    assert sorted(csv_tables(result.content)) == sorted(CSV_TABLES)
    rows = csv_rows(result.content)
    assert [r["row"] for r in rows].count("round") == 3  # propose, vote, refine
    assert [(r["round"], r["kind"], r["status"]) for r in rows if r["row"] == "round"] == [
        ("1", "propose", "ended"),
        ("2", "vote", "ended"),
        ("3", "refine", "running"),
    ]
    vote_round = next(r for r in rows if r["row"] == "round" and r["kind"] == "vote")
    assert vote_round["method"] == "dot" and vote_round["voters"] == "2"
    results = [r for r in rows if r["row"] == "result"]
    assert [(r["round"], r["proposal_id"], r["rank"], r["dots"]) for r in results] == [
        ("2", str(ids["first"]), "1", "4"),
        ("2", str(ids["second"]), "2", "3"),
    ]
    assert results[0]["proposal_text"] == FIRST  # a whole cell, line breaks and all
    assert results[1]["proposal_text"] == SECOND and results[1]["dot_voters"] == "1"
    results_table = csv_files(result.content)["results.csv"]
    assert NAME not in results_table and "Pat Peer" not in results_table  # no names in results
    # The other tables say what the JSON says, no more.
    data = record(ids["workshop"])
    authors = {r["id"]: r["authors"] for r in csv_rows(result.content, "proposals.csv")}
    assert authors == {
        str(ids["first"]): f"{NAME} (Frontline)",
        str(ids["second"]): "Pat Peer (Manager)",
    }
    assert [r["number"] for r in csv_rows(result.content, "versions.csv")] == [
        str(v["number"]) for v in data["versions"]
    ]


def test_every_csv_table_parses_with_its_documented_columns(ctx):
    ids = workshop_in_every_state()
    content = export(ids["workshop"], "csv", ids["latest"]).content
    tables = csv_tables(content)
    assert list(tables) == list(CSV_TABLES)
    for name, columns in CSV_TABLES.items():
        header, *rows = tables[name]
        assert header == columns, name
        assert rows, f"{name} has no rows"  # everything the workshop did is on record
    data = record(ids["workshop"], ids["latest"])
    assert len(tables["versions.csv"]) - 1 == len(data["versions"])
    assert len(tables["clause_consent.csv"]) - 1 == len(data["clauses"])
    assert len(tables["proposals.csv"]) - 1 == len(data["proposals"])
    assert len(tables["amendments.csv"]) - 1 == len(data["amendments"])
    assert len(tables["duels.csv"]) - 1 == sum(len(d["options"]) for d in data["duels"])
    assert len(tables["sentences.csv"]) - 1 == len(data["sentences"])
    by_consent = {r["clause"]: r for r in csv_rows(content, "clause_consent.csv")}
    for clause in data["clauses"]:
        row = by_consent[clause["clause"]]
        assert [row[k] for k in ("agree", "live_with", "object", "stale", "current")] == [
            str(clause["consent"][k]) for k in ("agree", "live_with", "object", "stale", "current")
        ]
    (objection,) = csv_rows(content, "objections.csv")
    assert (objection["reason"], objection["stale"], objection["by"]) == (
        "Care is vague",
        "no",
        "Front 5",
    )
    amendments_rows = {r["method"]: r for r in csv_rows(content, "amendments.csv")}
    assert amendments_rows["consent"]["counts"] == "agree: 1; live_with: 0; object: 1"
    assert amendments_rows["approval"]["counts"] == "yes: 0; no: 1"
    assert amendments_rows["score"]["mean_score"] == "3.0"
    decided = [r for r in csv_rows(content, "duels.csv") if r["status"] == "decided"]
    assert [(r["votes"], r["winner"]) for r in decided] == [("0", ""), ("4", "yes")]
    assert all(r["votes"] == "" for r in csv_rows(content, "duels.csv") if r["status"] != "decided")
    locked = csv_rows(content, "versions.csv")[ids["locked"] - 1]
    assert (locked["final"], locked["signed_off_by"]) == ("yes", "Bo Boss")


def test_csv_cells_cannot_become_spreadsheet_formulas(ctx):
    owner = make_user("fran@example.org", name="Fran Facilitator")
    workshop = make_workshop(owner)
    propose = agenda.add_round(owner, workshop.id, RoundSettings(RoundKind.PROPOSE, "+1 who?", 0))
    rounds.start_round(owner, propose.id)
    amira = join(workshop, "@Amira")
    joost = join(workshop, "Joost")
    bad = proposals.submit_proposal(amira, workshop.id, '=HYPERLINK("http://x.example","y")')
    vote = agenda.add_round(owner, workshop.id, RoundSettings(RoundKind.VOTE, "", 0, blind=False))
    rounds.start_round(owner, vote.id)
    votes.set_dots(amira, bad.id, 1)
    words = [{"word": "-2+3", "category": "what"}]
    vocabulary = RoundSettings(RoundKind.VOCABULARY, "@cmd", 0, blind=False, words=words)
    rounds.start_round(owner, agenda.add_round(owner, workshop.id, vocabulary).id)
    votes.cast_ballot(joost, workshop.id, {"votes": {"-2+3": "include"}})
    editing.paste_document(
        owner, workshop.id, "## =Purpose\n\n@everyone we serve.\n\n- first", based_on=None
    )
    versions.name_version(owner, workshop.id, 1, "-draft")
    in_phase(owner, workshop, Phase.DRAFT)
    (clause,) = queries.clauses_of(queries.latest_version(workshop.id))
    consent.vote_on_clause(amira, clause.key, "object", "+not us")
    body = queries.latest_version(workshop.id).body_md
    start = body.index("everyone")
    amendments.propose_amendment(
        amira,
        workshop.id,
        version_number=1,
        start=start,
        end=start + len("everyone"),
        replacement="=1+1",
        reason="@reason",
    )
    start = body.index("@everyone we serve.")
    duels.start_duel(
        owner,
        workshop.id,
        clause_key=clause.key,
        options=["@everyone we serve.", "+everyone we serve."],
        seconds=60,
        start=start,
        end=start + len("@everyone we serve."),
    )
    content = exports.export_version(owner, workshop.id, 1, "csv").content
    tables = csv_tables(content)
    # No cell of any table starts a formula ...
    for name, (_header, *rows) in tables.items():
        for row in rows:
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), (name, cell)
    rows = csv_rows(content)
    assert rows[0]["prompt"] == "'+1 who?"
    assert next(r for r in rows if r["row"] == "result")["proposal_text"].startswith("'=")
    # ... and what people wrote is all there, behind a quote that makes it text.
    cells = {name: {c for row in rows for c in row} for name, (_h, *rows) in tables.items()}
    hyperlink = '=HYPERLINK("http://x.example","y")'
    defused = {
        "results.csv": {"'+1 who?", "'@cmd", "'-2+3", "'" + hyperlink},
        "proposals.csv": {"'" + hyperlink, "'@Amira (Frontline)"},
        "versions.csv": {"'-draft"},
        "clause_consent.csv": {"'=Purpose"},
        "objections.csv": {"'=Purpose", "'+not us", "'@Amira"},
        "amendments.csv": {"'=1+1", "'@reason", "'@Amira (Frontline)"},
        "duels.csv": {"'@everyone we serve.", "'+everyone we serve."},
        "sentences.csv": {"'@everyone we serve.", "'- first"},
    }
    for name, expected in defused.items():
        assert expected <= cells[name], (name, expected - cells[name])


# ---- nothing hidden leaks, in any format ----------------------------------------------
def test_a_blind_round_shows_no_results_in_any_format_until_revealed(ctx):
    ids = scenario(reveal=False)
    for fmt in ("md", "html", "pdf", "docx", "json"):  # the CSV: its rows, below
        text = readable(fmt, export(ids["workshop"], fmt).content)
        assert not re.search(r"\bdots\b", text, re.IGNORECASE), fmt
    data = record(ids["workshop"])
    vote = next(r for r in data["rounds"] if r["id"] == ids["vote"])
    assert vote["results"] is None and vote["revealed_at"] is None
    assert vote["voters"] == 2  # how many voted is shown live too; never what
    assert '"items"' not in export(ids["workshop"], "json").content
    content = export(ids["workshop"], "csv").content
    rows = csv_rows(content)
    assert [r for r in rows if r["row"] == "result"] == []
    assert all(r["dots"] == "" and r["rank"] == "" for r in rows)
    for name, (_header, *other) in csv_tables(content).items():
        if name != "results.csv":  # no other table carries a tally of the round either
            assert not any("dot" in cell.lower() for row in other for cell in row), name

    # The same exports after the reveal carry the figures: the test above can see them.
    votes.reveal_round(owner(), ids["vote"])
    rows = csv_rows(export(ids["workshop"], "csv").content)
    assert sorted(r["dots"] for r in rows if r["row"] == "result") == ["3", "4"]
    data = record(ids["workshop"])
    assert next(r for r in data["rounds"] if r["id"] == ids["vote"])["results"]["items"]


@pytest.mark.parametrize(
    ("mode", "staff_see"),
    [(Anonymity.NAMED, True), (Anonymity.PEERS, True), (Anonymity.FULL, False)],
)
def test_authors_appear_in_exports_exactly_where_the_mode_allows(ctx, mode, staff_see):
    # Exports are for staff only; peers-anonymous hides authors from participants, not staff.
    ids = scenario(mode)
    for fmt in ALL_FORMATS:
        text = readable(fmt, export(ids["workshop"], fmt).content)
        assert (NAME in text) is staff_see, fmt
    # The results table never names anyone, whatever the mode.
    assert NAME not in csv_files(export(ids["workshop"], "csv").content)["results.csv"]
    data = record(ids["workshop"])
    if not staff_see:
        assert all(p["authors"] == [] for p in data["proposals"])
        assert all(c["author"] is None for p in data["proposals"] for c in p["comments"])
        assert all(
            r["authors"] == ""
            for r in csv_rows(export(ids["workshop"], "csv").content, "proposals.csv")
        )
        assert all(
            r["proposed"] == "0"
            for r in csv_rows(export(ids["workshop"], "csv").content, "participation.csv")
        )


# ---- Markdown --------------------------------------------------------------------------
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[r]: javascript:alert(1)",
    "[click][r] and [r]",
    "<javascript:alert(1)>",
    "![i](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg onload=alert(1)>",
    "[v](VBScript:msgbox(1))",
    '<a href="javascript:alert(1)">a</a>',
]
# The same attacks, short enough for a name (60 characters) or a value (40).
SHORT_XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![i](data:text/html,alert(1))",
    "<svg onload=alert(1)>",
]
UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")


class RenderedHtml(html.parser.HTMLParser):
    """Every element with its attributes (entities decoded, as a browser reads them) and
    the text a reader sees."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def runs_code(url: str) -> bool:
    """Whether a link or a picture's address runs code, as a browser reads it (leading
    spaces and control characters dropped, tabs and line breaks anywhere ignored)."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("".join(map(chr, range(0x21))))
    return cleaned.lower().startswith(UNSAFE_SCHEMES)


def assert_safe_markdown(text: str) -> RenderedHtml:
    """The Markdown file, opened by a Markdown renderer, runs nothing."""
    rendered = markdown.markdown(text)
    assert "<script" not in rendered.lower()
    page = RenderedHtml(rendered)
    for tag, attrs in page.elements:
        assert tag not in ("script", "svg", "iframe", "object", "embed", "style"), tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            assert not runs_code(attrs.get(name, "")), (tag, attrs)
    return page


def hostile_workshop() -> tuple[User, int]:
    """A workshop with an attack in every field a person writes (names, values, proposals,
    comments, notes, amendments, duels, sign-off), three versions and a signed-off final one;
    the leader and the workshop id. The Chromium test renders its exports too."""
    facilitator = make_user("fran@example.org", name="Fran Facilitator")
    leader = make_user(
        "boss@example.org", role=UserRole.LEADERSHIP, name="<img src=y onerror=alert(2)>"
    )
    workshop = make_workshop(
        facilitator,
        title=" ".join(XSS[:5]),
        organisation=" ".join(XSS[5:]),
        values=SHORT_XSS[:3],
    )
    workshops.add_staff(facilitator, workshop.id, leader.email, StaffRole.LEADERSHIP)
    wid = workshop.id
    people = [join(workshop, name, "Frontline") for name in SHORT_XSS]
    values_round = agenda.add_round(
        facilitator, wid, RoundSettings(RoundKind.VALUES, " ".join(XSS)[:500], 0)
    )
    rounds.start_round(facilitator, values_round.id)
    org = [str(v.id) for v in workshop.values]
    for person, words in zip(people, SHORT_XSS, strict=True):
        pick = {"custom": words[:40], "maps_to": org[0], "lived": 3}
        votes.cast_ballot(person, wid, {"picks": [pick]})
    votes.reveal_round(facilitator, values_round.id)
    in_phase(facilitator, workshop, Phase.PROPOSE)
    corpus = "\n\n".join(XSS)
    cards = [
        proposals.submit_proposal(people[0], wid, f"## {XSS[7]} {XSS[2]}\n\n{corpus}"),
        *(
            proposals.submit_proposal(p, wid, f"{name} says: {corpus}")
            for p, name in zip(people[1:], SHORT_XSS[1:], strict=True)
        ),
    ]
    proposals.add_comment(people[1], cards[0].id, corpus)
    in_phase(facilitator, workshop, Phase.DRAFT)
    versions.start_draft_from_proposals(
        facilitator, wid, [c.id for c in cards], based_on=None, note=corpus
    )
    (clause,) = queries.clauses_of(queries.latest_version(wid))
    body = queries.latest_version(wid).body_md
    start = body.index("alert(1)</script>")
    suggestion = amendments.propose_amendment(
        people[2],
        wid,
        version_number=1,
        start=start,
        end=start + len("alert(1)"),
        replacement=f"{XSS[1]} {XSS[2]} {XSS[6]}",
        reason=XSS[0],
    )
    amendments.accept_amendment(facilitator, suggestion.id, XSS[3])
    latest = queries.latest_version(wid)
    (clause,) = queries.clauses_of(latest)
    start = latest.body_md.index(XSS[7], clause.span[0])  # in its words, not its heading
    duel = duels.start_duel(
        facilitator,
        wid,
        clause_key=clause.key,
        options=[XSS[7], f"{XSS[6]} {XSS[0]}", f"{XSS[9]} {XSS[2]}"],
        seconds=60,
        start=start,
        end=start + len(XSS[7]),
    )
    duels.vote_in_duel(people[3], duel.id, [duel.options[1].id])
    duels.close_duel(facilitator, duel.id)
    final.set_quorum(facilitator, wid, 0)
    final.lock_version(facilitator, wid, 3)
    final.sign_off(leader, wid, 3, "\n".join(XSS))
    return leader, wid


def test_the_markdown_export_runs_nothing_written_into_any_field(ctx):
    leader, wid = hostile_workshop()
    for number in (1, 2, 3):
        text = exports.export_version(leader, wid, number, "md").content
        page = assert_safe_markdown(text)
        # Not made safe by leaving things out: the words are there, shown as text.
        shown = "".join(page.texts)
        for attack in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"):
            assert attack in shown, number
    assert "<svg onload=alert(1)>" in shown  # the clause's heading
    assert "Signed off by <img src=y onerror=alert(2)>" in shown
    assert "Where the words came from" in shown and "Came from:" in shown
    assert "Words by:" in shown and "Appendix: our values" in shown


def test_the_markdown_export_runs_no_link_however_it_is_written(ctx):
    facilitator = make_user("fran@example.org")
    workshop = make_workshop(facilitator)
    attacks = [
        "[[x]](javascript:alert(1))",  # nested brackets in the words of the link
        "[x](javascript:alert(String(1)))",  # nested parentheses in its address
        "[r] is defined in a list:\n\n- [r]: javascript:alert(1)",
    ]
    editing.paste_document(
        facilitator, workshop.id, "## Links\n\n" + "\n\n".join(attacks), based_on=None
    )
    assert_safe_markdown(exports.export_version(facilitator, workshop.id, 1, "md").content)


# ---- over HTTP -------------------------------------------------------------------------
def test_leadership_downloads_every_format_and_participants_cannot(app, client):
    with app.app_context():
        ids = scenario()
        code = queries.get_workshop(ids["workshop"]).join_code
    url = f"/workshops/{ids['workshop']}/document/versions/1/export"
    client.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    expected = {
        "md": "text/markdown",
        "html": "text/html",
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "json": "application/json",
        "csv": "application/zip",
    }
    for fmt, mimetype in expected.items():
        response = client.get(f"{url}.{fmt}")
        assert response.status_code == 200, fmt
        assert response.mimetype == mimetype
        disposition = response.headers["Content-Disposition"]
        extension = "csv.zip" if fmt == "csv" else fmt
        assert disposition == f'attachment; filename="harbour-health-mission-v1.{extension}"'
    assert client.get(f"{url}.pdf").data.startswith(b"%PDF-")
    assert docx.Document(io.BytesIO(client.get(f"{url}.docx").data)).paragraphs
    assert client.get(f"{url}.json").json["exported_version"] == 1
    files = csv_files(client.get(f"{url}.csv").data)
    assert files["results.csv"].startswith("row,round,")
    assert client.get(f"{url}.exe").status_code == 400
    # The history and the version page link every format.
    for page in ("document/versions", "document/versions/1"):
        text = client.get(f"/workshops/{ids['workshop']}/{page}").text
        assert all(f"/document/versions/1/export.{fmt}" in text for fmt in expected), page

    participant = app.test_client()
    participant.post(f"/j/{code}", data={"display_name": "Nosy", "level": "Frontline"})
    for fmt in expected:
        response = participant.get(f"{url}.{fmt}")
        assert response.status_code == 302 and "/login" in response.headers["Location"], fmt


def test_a_final_version_says_so_and_who_signed_it_off_in_every_document_format(ctx):
    ids = scenario()
    assert "Final:" not in export(ids["workshop"], "md").content  # not before it is locked
    final.set_quorum(owner(), ids["workshop"], 0)
    final.lock_version(owner(), ids["workshop"], 1)
    final.sign_off(boss(), ids["workshop"], 1, "Proud of this")
    texts = {
        "md": export(ids["workshop"], "md").content,
        "html": export(ids["workshop"], "html").content,
        "pdf": pdf_text(export(ids["workshop"], "pdf").content),
        "docx": " ".join(
            p.text
            for p in docx.Document(io.BytesIO(export(ids["workshop"], "docx").content)).paragraphs
        ),
    }
    for fmt, text in texts.items():
        assert "Final: locked as our agreed mission on" in text, fmt
        assert "Signed off by Bo Boss on" in text and "Proud of this" in text, fmt
    data = record(ids["workshop"])
    assert data["document"]["final"] is True
    assert [s["name"] for s in data["document"]["signoffs"]] == ["Bo Boss"]
    versions_table = csv_rows(export(ids["workshop"], "csv").content, "versions.csv")
    assert (versions_table[0]["final"], versions_table[0]["signed_off_by"]) == ("yes", "Bo Boss")


# ---- How we will know -------------------------------------------------------------------


def html_text(content: str) -> str:
    """What a reader of the HTML export sees, on one line."""
    parser = RenderedHtml(content)
    return " ".join(" ".join(parser.texts).split())


def test_agreed_success_measures_are_in_every_format_as_how_we_will_know(ctx):
    ids = scenario()
    wid = ids["workshop"]
    (who_we_serve,) = (c.key for c in queries.clauses_of(queries.latest_version(wid)))
    known = measures.propose_measure(
        participant(wid, NAME),
        wid,
        who_we_serve,
        what="Patients who feel known",
        baseline="61%",
        target="80%",
        owner_team="Patient experience",
        review_on=dt.date(2027, 6, 1),
    )
    measures.decide_measure(owner(), known.id, agreed=True)
    measures.propose_measure(owner(), wid, who_we_serve, what="Smiles counted", target="More")
    line = "Patients who feel known: from 61% to 80% · Patient experience · review 2027-06-01"

    texts = {
        "pdf": pdf_text(export(wid, "pdf").content),
        "docx": "\n".join(
            p.text for p in docx.Document(io.BytesIO(export(wid, "docx").content)).paragraphs
        ),
        "html": html_text(export(wid, "html").content),
    }
    for fmt, text in texts.items():
        assert "Success measures" in text, fmt
        assert line in text, fmt
        assert "Smiles counted" not in text, fmt  # proposed, never agreed
    word = docx.Document(io.BytesIO(export(wid, "docx").content))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings[headings.index("Success measures") + 1] == "Who we serve"
    assert any(p.text == line and p.style.name == "List Bullet" for p in word.paragraphs)

    assert record(wid)["success_measures"] == [
        {
            "clause_key": who_we_serve,
            "clause": "Who we serve",
            "measures": [
                {
                    "what": "Patients who feel known",
                    "baseline": "61%",
                    "target": "80%",
                    "owner_team": "Patient experience",
                    "review_on": "2027-06-01",
                    "support": 1,  # proposing is supporting
                }
            ],
        }
    ]


def test_an_earlier_versions_export_shows_only_the_measures_agreed_while_it_was_current(ctx):
    """Measures are not tied to a version: version 1's export lists them as they stood
    before version 2 came, so one agreed (or dropped) later does not change it."""
    ids = scenario()
    wid = ids["workshop"]
    (key,) = (c.key for c in queries.clauses_of(queries.latest_version(wid)))

    def measure(what: str) -> int:
        return measures.propose_measure(owner(), wid, key, what=what, target="More").id

    kept, dropped_later, decided_later = measure("Kept"), measure("Dropped later"), measure("Late")
    for agreed in (kept, dropped_later):
        measures.decide_measure(owner(), agreed, agreed=True)
    editing.save_clause(owner(), wid, key, "We help every patient feel known.", based_on=1)
    # Version 2 is the draft now: what is decided from here on is its own.
    measures.decide_measure(owner(), decided_later, agreed=True)  # proposed before v2 came
    measures.decide_measure(owner(), dropped_later, agreed=False)
    measures.decide_measure(owner(), measure("New"), agreed=True)

    def agreed_in(number: int) -> list[str]:
        (row,) = record(wid, number)["success_measures"]
        return [m["what"] for m in row["measures"]]

    assert agreed_in(1) == ["Kept", "Dropped later"]
    assert agreed_in(2) == ["Kept", "Late", "New"]
    text = export(wid, "md", 1).content
    assert "Kept: from — to More" in text and "Late" not in text and "New:" not in text


def test_a_word_file_says_its_language_and_its_versions_dates(ctx):
    """The Dutch Word file was marked US English (Word checked its spelling as English) and
    dated 2013, the blank template's date (found by an audit of leadership's documents)."""
    ids = scenario()
    latest = queries.latest_version(ids["workshop"])
    for language, tag in (("en", "en-GB"), ("nl", "nl-NL")):
        with force_locale(language):
            content = export(ids["workshop"], "docx").content
        word = docx.Document(io.BytesIO(content))
        assert word.core_properties.language == tag
        assert word.core_properties.created.date() == latest.created_at.date()
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            styles = archive.read("word/styles.xml").decode()
        defaults = styles.split("</w:docDefaults>")[0]
        assert f'w:val="{tag}"' in defaults and 'w:val="en-US"' not in defaults
