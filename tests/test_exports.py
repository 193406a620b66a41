"""Leadership exports, each format read back by a real reader.

PDF (pypdf), DOCX (python-docx), JSON (jsonschema against the published
docs/export-schema.json), CSV (the csv module); and, across every format,
no tally of a blind round before its reveal and no name anonymity hides.
"""

from __future__ import annotations

import builtins
import csv
import io
import json
import pathlib
import re
import unicodedata
import zipfile

import docx
import jsonschema
import pypdf
import pytest

from tests.conftest import PASSWORD, in_phase, join, make_user, make_workshop
from tests.test_values_views import setup_round
from workshop import exports, queries
from workshop.errors import InvalidState
from workshop.extensions import db
from workshop.models import Anonymity, Phase, RoundKind, StaffRole, User, UserRole
from workshop.services import agenda, final, proposals, rounds, versions, votes, workshops
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


def boss() -> User:
    return db.session.query(User).filter_by(email="boss@example.org").one()


def export(workshop_id: int, fmt: str, number: int = 1) -> exports.Export:
    return exports.export_version(boss(), workshop_id, number, fmt)


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


def readable(fmt: str, content: str | bytes) -> str:
    """What a person (or a program) reading the file finds in it."""
    if fmt == "pdf":
        assert isinstance(content, bytes)
        return pdf_text(content) + str(pypdf.PdfReader(io.BytesIO(content)).metadata)
    if fmt == "docx":
        assert isinstance(content, bytes)
        return docx_xml(content)
    assert isinstance(content, str)
    return content


def csv_rows(content: str | bytes) -> list[dict[str, str]]:
    assert isinstance(content, str) and content.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(content.removeprefix("\ufeff"))))


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
    assert reader.metadata.title == "Harbour Health: our mission, version 1"
    text = pdf_text(result.content)
    assert "Harbour Health: our mission" in text
    assert "We help every patient feel known and heard." in text
    assert "We make care simple." in text
    assert "Where the words came from" in text and NAME in text and "Pat Peer" in text
    assert "Rewriting our mission · version 1" in text and "Top two" in text
    assert "1 / 1" in text  # the page number in the footer


def test_long_pdf_text_is_hyphenated_and_pages_are_numbered(ctx):
    ids = scenario()
    owner = db.session.query(User).filter_by(email="fran@example.org").one()
    long_words = "Interdisciplinary communication institutionalises responsibilities. " * 60
    versions.save_version(owner, ids["workshop"], long_words, based_on=1)
    content = export(ids["workshop"], "pdf", number=2).content
    reader = pypdf.PdfReader(io.BytesIO(content))
    pages = len(reader.pages)
    assert pages >= 2
    raw = "\n".join(page.extract_text() for page in reader.pages)
    assert re.search(r"\w\u2010\n\w", raw)  # a word broken at a line end, with a hyphen
    assert f"{pages} / {pages}" in raw
    text = pdf_text(content, footers=False)
    mission = text.split("Where the words came from")[0]  # the origins quote the clause
    assert (
        mission.count("Interdisciplinary communication institutionalises responsibilities.") == 60
    )


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
    assert any(t.startswith("Rewriting our mission · version 1 · ") for t in texts)
    # Markdown became Word structure: a heading, a paragraph with bold and italic, a list.
    assert ("Heading 2", "Who we serve") in paragraphs
    assert ("Mission", "We help every patient feel known and heard.") in paragraphs
    assert ("List Bullet", "Listen first") in paragraphs
    mission = next(p for p in word.paragraphs if p.text.startswith("We help every patient"))
    assert [r.text for r in mission.runs if r.bold] == ["known"]
    assert [r.text for r in mission.runs if r.italic] == ["heard"]
    # The origins, credited where the anonymity mode allows.
    assert ("Heading 1", "Where the words came from") in paragraphs
    assert any(t.endswith(": We make care simple. (Pat Peer, Manager)") for t in texts)
    assert any(NAME in t for t in texts)
    assert word.core_properties.title == "Harbour Health: our mission"
    assert not word.tables  # no values round here
    assert 'w:instr="PAGE"' in docx_xml(result.content)  # page numbers in the footer


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


def test_the_json_is_the_full_record_and_matches_the_published_schema(ctx):
    ids = scenario()
    owner = db.session.query(User).filter_by(email="fran@example.org").one()
    versions.save_version(owner, ids["workshop"], "We help people feel known.", based_on=1)
    result = export(ids["workshop"], "json", number=2)
    assert result.filename == "harbour-health-mission-v2.json"
    assert result.mimetype == "application/json"
    data = json.loads(result.content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["exported_version"] == 2
    assert data["workshop"]["organisation"] == "Harbour Health"
    assert [v["name"] for v in data["workshop"]["values"]] == ["Care", "Integrity"]
    assert [v["number"] for v in data["versions"]] == [1, 2]
    assert data["versions"][0]["author"] == "Fran Facilitator"
    assert data["versions"][0]["note"] == "Top two"
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
        {"version": 2, "source": "edit", "based_on": 1, "proposal_ids": []},
    ]
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
    assert data["participation"]["joined"] == 2
    # Two people, each a group under five: neither level is counted on its own.
    assert data["participation"]["by_level"] == {"Frontline": None, "Manager": None}
    # Never raw ballots or who voted.
    assert "ballot_id" not in result.content and "participant_id" not in result.content


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
    # The director is hidden, and so is the smallest shown group, or 14 - 7 - 6 gives them away.
    assert data["participation"]["by_level"] == {
        "Director": None,
        "Frontline": None,
        "Specialist": 7,
    }
    assert data["participation"]["joined"] == 14


# ---- CSV -------------------------------------------------------------------------------
def test_the_csv_has_a_row_per_round_and_a_row_per_result(ctx):
    ids = scenario()
    result = export(ids["workshop"], "csv")
    assert result.filename == "harbour-health-mission-v1.csv"
    assert result.mimetype.startswith("text/csv")
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
    assert results[1]["proposal_text"] == SECOND and results[1]["dot_voters"] == "1"
    assert NAME not in result.content and "Pat Peer" not in result.content  # no names, ever


def test_csv_cells_cannot_become_spreadsheet_formulas(ctx):
    owner = make_user("fran@example.org")
    workshop = make_workshop(owner)
    propose = agenda.add_round(owner, workshop.id, RoundSettings(RoundKind.PROPOSE, "+1 who?", 0))
    rounds.start_round(owner, propose.id)
    amira = join(workshop)
    bad = proposals.submit_proposal(amira, workshop.id, '=HYPERLINK("http://x.example","y")')
    vote = agenda.add_round(owner, workshop.id, RoundSettings(RoundKind.VOTE, "", 0, blind=False))
    rounds.start_round(owner, vote.id)
    votes.set_dots(amira, bad.id, 1)
    versions.save_version(owner, workshop.id, "We serve.", based_on=None)
    rows = csv_rows(exports.export_version(owner, workshop.id, 1, "csv").content)
    assert rows[0]["prompt"] == "'+1 who?"
    assert next(r for r in rows if r["row"] == "result")["proposal_text"].startswith("'=")


# ---- nothing hidden leaks, in any format ----------------------------------------------
def test_a_blind_round_shows_no_results_in_any_format_until_revealed(ctx):
    ids = scenario(reveal=False)
    for fmt in ("md", "html", "pdf", "docx", "json"):  # the CSV: its rows, below
        text = readable(fmt, export(ids["workshop"], fmt).content)
        assert not re.search(r"\bdots\b", text, re.IGNORECASE), fmt
    data = json.loads(export(ids["workshop"], "json").content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    vote = next(r for r in data["rounds"] if r["id"] == ids["vote"])
    assert vote["results"] is None and vote["revealed_at"] is None
    assert vote["voters"] == 2  # how many voted is shown live too; never what
    assert '"items"' not in export(ids["workshop"], "json").content
    rows = csv_rows(export(ids["workshop"], "csv").content)
    assert [r for r in rows if r["row"] == "result"] == []
    assert all(r["dots"] == "" and r["rank"] == "" for r in rows)

    # The same exports after the reveal carry the figures: the test above can see them.
    votes.reveal_round(
        db.session.query(User).filter_by(email="fran@example.org").one(), ids["vote"]
    )
    rows = csv_rows(export(ids["workshop"], "csv").content)
    assert sorted(r["dots"] for r in rows if r["row"] == "result") == ["3", "4"]
    data = json.loads(export(ids["workshop"], "json").content)
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
        expected = staff_see and fmt != "csv"  # the CSV never names anyone
        assert (NAME in text) is expected, fmt
    data = json.loads(export(ids["workshop"], "json").content)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    if not staff_see:
        assert all(p["authors"] == [] for p in data["proposals"])
        assert all(c["author"] is None for p in data["proposals"] for c in p["comments"])


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
        "csv": "text/csv",
    }
    for fmt, mimetype in expected.items():
        response = client.get(f"{url}.{fmt}")
        assert response.status_code == 200, fmt
        assert response.mimetype == mimetype
        disposition = response.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="harbour-health-mission-v1.{fmt}"'
    assert client.get(f"{url}.pdf").data.startswith(b"%PDF-")
    assert docx.Document(io.BytesIO(client.get(f"{url}.docx").data)).paragraphs
    assert client.get(f"{url}.json").json["exported_version"] == 1
    assert client.get(f"{url}.csv").data.decode("utf-8-sig").startswith("row,round,")
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
    owner = db.session.query(User).filter_by(email="fran@example.org").one()
    assert "Final:" not in export(ids["workshop"], "md").content  # not before it is locked
    final.set_quorum(owner, ids["workshop"], 0)
    final.lock_version(owner, ids["workshop"], 1)
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
