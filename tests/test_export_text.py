"""Every export shows people's words as written and lets no one's words change its shape:
a comment or a success measure cannot add a heading, a value with a bar stays in its table
cell, a name with asterisks is not made bold, words in angle brackets are not lost as a tag,
a right-to-left override inside a quote does not turn the sentence around it, and a long word
stays on the PDF's page. Found by an audit of the exports; each test tries the attack."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile

import docx
import markdown
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import in_phase, join, make_user, make_workshop
from tests.test_exports import RenderedHtml, pdf_text
from workshop import exports, queries
from workshop.exports.pack import signoff_pack
from workshop.extensions import db
from workshop.models import ClauseVote, Phase, RoundKind, StaffRole, UserRole
from workshop.services import (
    agenda,
    amendments,
    consent,
    editing,
    final,
    measures,
    proposals,
    rounds,
    versions,
    votes,
    workshops,
)
from workshop.services.agenda import RoundSettings
from workshop.text import markdown_literal


def _base(**kw):
    fran = make_user("fran@example.org", name="Fran Facilitator")
    boss = make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
    workshop = make_workshop(fran, **kw)
    workshops.add_staff(fran, workshop.id, boss.email, StaffRole.LEADERSHIP)
    return fran, boss, workshop


def _md_html(text: str) -> str:
    return markdown.markdown(text, extensions=["tables"])


def test_md_signoff_comment_cannot_forge_a_clause_heading(ctx):
    fran, boss, workshop = _base()
    editing.paste_document(
        fran, workshop.id, "## Purpose\n\nWe care for every patient.", based_on=None
    )
    final.set_quorum(fran, workshop.id, 0)
    final.lock_version(fran, workshop.id, 1)
    comment = "Approved.\n\n## Who we serve\n\nShareholders first, patients last."
    final.sign_off(boss, workshop.id, 1, comment)
    md = exports.export_version(boss, workshop.id, 1, "md").content
    rendered = _md_html(md)
    # The version has exactly one clause heading; the comment is plain text in a sign-off line.
    headings = re.findall(r"<h2>(.*?)</h2>", rendered)
    assert "Who we serve" not in headings, (headings, md[:400])
    # The HTML export shows it as plain text in one paragraph: the two should agree.
    html = exports.export_version(boss, workshop.id, 1, "html").content
    assert "<h2>Who we serve</h2>" not in html


def test_md_success_measure_line_breaks_stay_in_its_list_item(ctx):
    fran, boss, workshop = _base()
    editing.paste_document(fran, workshop.id, "## Purpose\n\nWe care.", based_on=None)
    (clause,) = queries.clauses_of(queries.latest_version(workshop.id))
    m = measures.propose_measure(
        fran,
        workshop.id,
        clause.key,
        what="Waiting time\n\n# Our mission is profit",
        target="5 days",
    )
    measures.decide_measure(fran, m.id, agreed=True)
    md = exports.export_version(boss, workshop.id, 1, "md").content
    rendered = _md_html(md)
    assert not re.search(r"<h1>[^<]*profit", rendered), md


def _values_workshop():
    fran, boss, workshop = _base(values=["Care | Compassion", "Integrity"])
    round_ = agenda.add_round(fran, workshop.id, RoundSettings(RoundKind.VALUES, "", 600))
    rounds.start_round(fran, round_.id)
    org = {v.name: str(v.id) for v in workshop.values}
    for i in range(5):
        person = join(workshop, f"P{i}", "Frontline")
        votes.cast_ballot(
            person,
            workshop.id,
            {
                "picks": [
                    {"custom": "Speed | Quality", "maps_to": org["Integrity"], "lived": 3},
                    {"custom": "Fairness", "maps_to": "none", "lived": 2},
                ]
            },
        )
    votes.reveal_round(fran, round_.id)
    editing.paste_document(fran, workshop.id, "## Purpose\n\nWe care.", based_on=None)
    return fran, boss, workshop


def _table_rows(rendered: str) -> list[list[str]]:
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", rendered, re.S):
        rows.append(re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S))
    return rows


def test_md_values_table_keeps_a_value_with_a_pipe_in_one_cell(ctx):
    _fran, boss, workshop = _values_workshop()
    md = exports.export_version(boss, workshop.id, 1, "md").content
    rows = _table_rows(_md_html(md))
    assert rows, md
    header = rows[0]
    assert "Care | Compassion" in header, header
    assert any(r and r[0] == "Speed | Quality" for r in rows[1:]), rows


def test_pack_values_appendix_keeps_a_value_with_a_pipe_in_one_cell(ctx):
    _fran, boss, workshop = _values_workshop()
    pack = zipfile.ZipFile(io.BytesIO(signoff_pack(boss, workshop.id, 1).content))
    md = pack.read("values-appendix.md").decode()
    rows = _table_rows(_md_html(md))
    assert rows, md
    assert "Care | Compassion" in rows[0], rows[0]
    assert any(r and r[0] == "Speed | Quality" for r in rows[1:]), rows


def test_md_values_appendix_carries_the_same_figures_as_html_and_docx(ctx):
    _fran, boss, workshop = _values_workshop()
    html = exports.export_version(boss, workshop.id, 1, "html").content
    word = docx.Document(io.BytesIO(exports.export_version(boss, workshop.id, 1, "docx").content))
    md = exports.export_version(boss, workshop.id, 1, "md").content
    assert "Most often not represented" in html
    assert "Most often not represented" in [p.text for p in word.paragraphs]
    assert "Most often not represented" in md, md


def _pdf_words_outside_page(pdf: bytes, tmp_path) -> list[tuple[str, float]]:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = re.findall(r'<page width="([\d.]+)"', out)
    width = float(pages[0])
    bad = []
    words = r'<word xMin="[\d.-]+" yMin="[\d.-]+" xMax="([\d.-]+)"[^>]*>(.*?)</word>'
    for xmax, word in re.findall(words, out):
        if float(xmax) > width:
            bad.append((word, float(xmax)))
    return bad


def test_pdf_long_word_stays_on_the_page(ctx, tmp_path):
    fran, boss, workshop = _base()
    word = "Kundenzufriedenheitsverbesserungsmaßnahmenkatalogverantwortlichkeitsbereich" * 2
    editing.paste_document(
        fran, workshop.id, f"## Purpose\n\nWe publish {word} openly.", based_on=None
    )
    pdf = exports.export_version(boss, workshop.id, 1, "pdf").content
    assert _pdf_words_outside_page(pdf, tmp_path) == []


def test_md_participant_name_with_asterisks_is_shown_as_written(ctx):
    fran, boss, workshop = _base()
    in_phase(fran, workshop, Phase.PROPOSE)
    person = join(workshop, "*Sam* __Lee__", "Frontline")
    card = proposals.submit_proposal(person, workshop.id, "We care for every patient.")
    in_phase(fran, workshop, Phase.DRAFT)
    versions.start_draft_from_proposals(fran, workshop.id, [card.id], based_on=None)
    md = exports.export_version(boss, workshop.id, 1, "md").content
    page = RenderedHtml(_md_html(md))
    shown = "".join(page.texts)
    assert "*Sam* __Lee__" in shown, md
    html = exports.export_version(boss, workshop.id, 1, "html").content
    assert "*Sam* __Lee__" in html


def test_words_in_angle_brackets_survive_in_html_pdf_and_docx(ctx):
    fran, boss, workshop = _base()
    editing.paste_document(
        fran,
        workshop.id,
        "## Purpose\n\nWe serve every patient <and their families> in need.",
        based_on=None,
    )
    md = exports.export_version(boss, workshop.id, 1, "md").content
    assert "&lt;and their families&gt;" in md  # the Markdown keeps the words
    html = exports.export_version(boss, workshop.id, 1, "html").content
    word = docx.Document(io.BytesIO(exports.export_version(boss, workshop.id, 1, "docx").content))
    pdf = pdf_text(exports.export_version(boss, workshop.id, 1, "pdf").content)
    assert "their families" in pdf
    assert "their families" in html
    assert any("their families" in p.text for p in word.paragraphs)


def test_a_right_to_left_override_in_a_quoted_proposal_does_not_turn_the_line(ctx):
    fran, boss, workshop = _base()
    in_phase(fran, workshop, Phase.PROPOSE)
    a = join(workshop, "Amira", "Frontline")
    b = join(workshop, "Joost", "Manager")
    first = proposals.submit_proposal(a, workshop.id, "We care for every patient\u202e")
    in_phase(fran, workshop, Phase.DRAFT)
    versions.start_draft_from_proposals(fran, workshop.id, [first.id], based_on=None)
    body = queries.latest_version(workshop.id).body_md
    start = body.index("every")
    s = amendments.propose_amendment(
        b,
        workshop.id,
        version_number=1,
        start=start,
        end=start + 5,
        replacement="each",
        reason="shorter",
    )
    amendments.accept_amendment(fran, s.id, "ok")
    html = exports.export_version(boss, workshop.id, 2, "html").content
    line = next(x for x in html.splitlines() if "Came from:" in x)
    assert "Joost" in line and "We care for every patient" in line, line
    # An override opened inside the quote and never closed would reverse the rest of the
    # line as displayed, the amendment and its author included.
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", line), line


def test_plain_words_stand_in_markdown_as_written():
    """Each kind of Markdown a plain text could start, rendered back: the same words."""
    for text in (
        "Approved.\n\n## Who we serve",
        "*Sam* __Lee__ `code` ~~gone~~",
        "Care | Compassion",
        "1. first",
        "- a list?",
        "+ another",
        "R&D <b>bold</b> &amp;",
        "a\\b [x](javascript:y) ![i](http://t.example/p.png)",
        "> quoted",
        "# not a heading, #3 neither",
    ):
        rendered = markdown.markdown(f"- {markdown_literal(text)}", extensions=["tables"])
        shown = RenderedHtml(rendered)
        assert "".join(shown.texts).strip() == " ".join(text.split()), (text, rendered)
        assert re.fullmatch(r"<ul>\s*<li>[^<]*</li>\s*</ul>", rendered), (text, rendered)


def test_averages_are_written_as_the_reader_writes_numbers(ctx):
    """ "Integrity: 3.4 (5)" in a Dutch document, and "3.0" for three (found by an audit of
    leadership's documents): now "3,4" in Dutch and "3" for three, in every format."""
    fran, boss, workshop = _base(values=["Care", "Integrity"])
    round_ = agenda.add_round(fran, workshop.id, RoundSettings(RoundKind.VALUES, "", 600))
    rounds.start_round(fran, round_.id)
    org = {v.name: str(v.id) for v in workshop.values}
    for i in range(5):
        person = join(workshop, f"P{i}", "Frontline")
        picks = [
            {"custom": "Speed", "maps_to": org["Integrity"], "lived": 3 + (i < 2)},
            {"custom": "Warmth", "maps_to": org["Care"], "lived": 3},
        ]
        votes.cast_ballot(person, workshop.id, {"picks": picks})
    votes.reveal_round(fran, round_.id)
    editing.paste_document(fran, workshop.id, "## Purpose\n\nWe care.", based_on=None)
    for language, integrity in (("en", "Integrity: 3.4 (5)"), ("nl", "Integrity: 3,4 (5)")):
        with force_locale(language):
            html = exports.export_version(boss, workshop.id, 1, "html").content
            md = exports.export_version(boss, workshop.id, 1, "md").content
            word = exports.export_version(boss, workshop.id, 1, "docx").content
        paragraphs = [p.text for p in docx.Document(io.BytesIO(word)).paragraphs]
        assert integrity in html and integrity in md and integrity in paragraphs, language
        assert "Care: 3 (5)" in html and "Care: 3 (5)" in md and "Care: 3 (5)" in paragraphs


OVERRIDES = re.compile("[\u202a-\u202e\u2066-\u2069]")


def test_a_direction_override_is_refused_on_arrival_and_never_turns_a_credit_line(ctx):
    """An override left open in an accepted amendment reversed its author in the "Came from"
    line of the HTML, PDF and Markdown exports, and one in an objection reversed the
    objector's name in the sign-off pack. Overrides are taken out of what people type now,
    and the exports take them out of words stored before."""
    fran, boss, workshop = _base()
    in_phase(fran, workshop, Phase.PROPOSE)
    amira, joost = join(workshop, "Amira", "Frontline"), join(workshop, "Joost", "Manager")
    first = proposals.submit_proposal(amira, workshop.id, "We care for every patient")
    in_phase(fran, workshop, Phase.DRAFT)
    versions.start_draft_from_proposals(fran, workshop.id, [first.id], based_on=None)
    start = queries.latest_version(workshop.id).body_md.index("every")
    typed = amendments.propose_amendment(
        joost, workshop.id, version_number=1, start=start, end=start + 5, replacement="each\u202e"
    )
    assert typed.replacement == "each"  # refused on arrival
    typed.replacement = "each\u2067"  # ... as words stored before were not
    amendments.accept_amendment(fran, typed.id, "ok")
    (clause,) = queries.clauses_of(queries.latest_version(workshop.id))
    answer = consent.vote_on_clause(amira, clause.key, "object", "not us\u202e")
    stored = db.session.scalar(sa.select(ClauseVote).where(ClauseVote.participant_id == amira.id))
    assert stored is not None and stored.reason == "not us", answer
    stored.reason = "not us\u202e"  # stored before
    for kind in ("html", "md"):
        text = exports.export_version(boss, workshop.id, 2, kind).content
        line = next(x for x in text.splitlines() if "Came from:" in x)
        assert "Joost" in line and not OVERRIDES.search(line), (kind, line)
    with zipfile.ZipFile(io.BytesIO(signoff_pack(boss, workshop.id, 2).content)) as pack:
        objections = pack.read("minority-objections.md").decode()
    line = next(x for x in objections.splitlines() if "not us" in x)
    assert "Amira" in line and not OVERRIDES.search(line), line


def test_csv_cells_stay_text_in_a_spreadsheet_that_splits_lines_on_semicolons(ctx):
    """Excel set to Dutch, German or French reads a .csv with ";" between cells: a proposal
    "We care;=1+1;" became a cell "=1+1", which Excel runs. Every cell is quoted now."""
    fran, boss, workshop = _base()
    in_phase(fran, workshop, Phase.PROPOSE)
    amira = join(workshop, "Amira;=2+2;")
    proposals.submit_proposal(amira, workshop.id, "We care;=1+1;")
    proposals.submit_proposal(amira, workshop.id, "We listen;=cmd|' /C calc'!A0;")
    proposals.submit_proposal(amira, workshop.id, "We care\n=1+1;")  # a new row, there
    editing.paste_document(fran, workshop.id, "We help.", based_on=None)
    content = exports.export_version(boss, workshop.id, 1, "csv").content
    formulas = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8-sig")
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
                formulas += [(name, c) for c in row if c[:1] in ("=", "+", "-", "@")]
    assert formulas == []
