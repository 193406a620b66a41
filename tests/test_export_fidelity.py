"""Every export says what the mission says: a numbered paragraph keeps its number, every
personal value is in the heatmap and none is cut off, a heading keeps its last character and
reads as the same words everywhere, a link's address is given once, a final version keeps the
organisation's name it was locked under, and the sign-off pack's list of changes reads
clearly when a whole clause was added. Found by an audit of the exports."""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import zipfile

import docx
import markdown

from tests.conftest import in_phase, join
from tests.test_export_text import _base  # Fran, leadership's Bo, and their workshop
from tests.test_exports import pdf_text
from workshop import exports
from workshop.exports.pack import signoff_pack
from workshop.models import Phase, RoundKind
from workshop.services import (
    agenda,
    editing,
    final,
    proposals,
    rounds,
    versions,
    votes,
    workshops,
)
from workshop.services.agenda import RoundSettings


def _pdf_lines(pdf: bytes, tmp_path) -> list[str]:
    """The PDF's lines in reading order, list numbers in place (pdftotext)."""
    path = tmp_path / "mission.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(line.split()) for line in out.splitlines() if line.strip()]


def _word_paragraphs(content: str | bytes) -> list[str]:
    assert isinstance(content, bytes)
    return [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]


# ---- numbered paragraphs ---------------------------------------------------------------
NUMBERED = (
    "1. We serve every patient.\n\n2. We respect each colleague.\n\n"
    "2030. The year we are carbon neutral."
)


def test_a_pasted_numbered_mission_keeps_its_numbers_in_the_page_pdf_and_word(ctx, tmp_path):
    """Each paragraph of a pasted mission is a clause of its own: the second printed as
    "1. We respect…" and "2030. The year…" as "1. The year…" (the year lost)."""
    fran, boss, workshop = _base()
    editing.paste_document(fran, workshop.id, NUMBERED, based_on=None)
    html = exports.export_version(boss, workshop.id, 1, "html").content
    assert '<ol start="2">' in html and '<ol start="2030">' in html
    pdf = _pdf_lines(exports.export_version(boss, workshop.id, 1, "pdf").content, tmp_path)
    mission = pdf[: pdf.index("Where the words came from")]
    assert mission[-3:] == [
        "1. We serve every patient.",
        "2. We respect each colleague.",
        "2030. The year we are carbon neutral.",
    ]
    word = _word_paragraphs(exports.export_version(boss, workshop.id, 1, "docx").content)
    assert "2. We respect each colleague." in word
    assert "2030. The year we are carbon neutral." in word


def test_a_numbered_list_in_word_counts_from_one_in_each_clause(ctx):
    """Word's own numbering ran on through the document: a second clause's list went on
    from the first's."""
    fran, boss, workshop = _base()
    editing.paste_document(
        fran,
        workshop.id,
        "## Purpose\n\n1. Care\n2. Courage\n\n## How we work\n\n1. Listen\n2. Act",
        based_on=None,
    )
    word = _word_paragraphs(exports.export_version(boss, workshop.id, 1, "docx").content)
    assert word[word.index("Purpose") + 1 :][:2] == ["1. Care", "2. Courage"]
    assert word[word.index("How we work") + 1 :][:2] == ["1. Listen", "2. Act"]


def test_a_quoted_numbered_proposal_keeps_its_number_in_came_from(ctx):
    fran, boss, workshop = _base()
    in_phase(fran, workshop, Phase.PROPOSE)
    card = proposals.submit_proposal(
        join(workshop, "Amira", "Frontline"), workshop.id, "2030. The year we are carbon neutral."
    )
    in_phase(fran, workshop, Phase.DRAFT)
    versions.start_draft_from_proposals(fran, workshop.id, [card.id], based_on=None)
    md = exports.export_version(boss, workshop.id, 1, "md").content
    assert f"Proposal #{card.id} (“2030. The year we are carbon neutral.”)" in md, md


# ---- the values heatmap ----------------------------------------------------------------
def _values_workshop(values: list[str]):
    """Six people share the ``values`` (five each, all mapped to Care); the round is revealed
    and there is a mission to export."""
    fran, boss, workshop = _base()
    round_ = agenda.add_round(fran, workshop.id, RoundSettings(RoundKind.VALUES, "", 600))
    rounds.start_round(fran, round_.id)
    care = str(workshop.values[0].id)
    for i in range(6):
        picks = [
            {"custom": name, "maps_to": care, "lived": 3} for name in values[i * 5 : i * 5 + 5]
        ]
        votes.cast_ballot(join(workshop, f"P{i}", "Frontline"), workshop.id, {"picks": picks})
    votes.reveal_round(fran, round_.id)
    editing.paste_document(fran, workshop.id, "## Purpose\n\nWe care.", based_on=None)
    return boss, workshop


def test_every_personal_value_of_the_markdown_table_is_in_the_pdf(ctx):
    """The PDF's heatmap stopped at the 20th personal value; the Markdown and Word tables
    have them all, so leadership signing the PDF did not see a third of them."""
    boss, workshop = _values_workshop([f"Value number {n:02d}" for n in range(30)])
    md = exports.export_version(boss, workshop.id, 1, "md").content
    in_md = set(re.findall(r"Value number \d\d", md))
    assert len(in_md) == 30
    pdf = pdf_text(exports.export_version(boss, workshop.id, 1, "pdf").content)
    assert set(re.findall(r"Value number \d\d", pdf)) == in_md


def _pdf_words(pdf: bytes, tmp_path) -> list[tuple[float, str]]:
    """Each word of the PDF with the x where it starts (pdftotext)."""
    path = tmp_path / "mission.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    word = r'<word xMin="([\d.-]+)" yMin="[\d.-]+" xMax="[\d.-]+" yMax="[\d.-]+">(.*?)</word>'
    return [(float(x), text) for x, text in re.findall(word, out)]


def test_a_forty_character_personal_value_is_shown_whole_in_the_pdf(ctx, tmp_path):
    """The heatmap's labels had a fixed width: a long personal value (40 characters are
    allowed) ran off the picture's left edge, and the PDF showed "r 00 and shared…"."""
    long = "Value number 00 and shared responsibility"[:40]
    capitals = "SHARED RESPONSIBILITY FOR EVERY PATIENT"
    others = [f"Value number {n:02d}" for n in range(1, 29)]
    boss, workshop = _values_workshop([long, capitals, *others])
    pdf = exports.export_version(boss, workshop.id, 1, "pdf").content
    words = _pdf_words(pdf, tmp_path)
    margin = next(x for x, text in words if text == "Appendix:")  # the page's left margin
    labels = [(x, text) for x, text in words if text in ("Value", "SHARED")]
    assert len(labels) >= 2 and all(x >= margin - 1 for x, _text in labels), (margin, labels)


# ---- links -----------------------------------------------------------------------------
def test_the_word_file_gives_a_links_address_once(ctx):
    """The address followed each formatted part of a link's words: three times here."""
    fran, boss, workshop = _base()
    editing.paste_document(
        fran,
        workshop.id,
        "## Purpose\n\nRead [our **annual** report](https://example.org/report) first, "
        "at <https://example.org/report>.",
        based_on=None,
    )
    word = _word_paragraphs(exports.export_version(boss, workshop.id, 1, "docx").content)
    assert (
        "Read our annual report <https://example.org/report> first, at https://example.org/report."
    ) in word, word


# ---- clause headings -------------------------------------------------------------------
def _md_heading(md: str) -> str:
    """The text of the Markdown file's first clause heading, as a reader of it sees it."""
    rendered = markdown.markdown(md)
    return html.unescape(re.sub(r"<[^>]+>", "", re.findall(r"<h2>(.*?)</h2>", rendered)[0]))


def test_a_clause_heading_reads_the_same_in_markdown_pdf_and_word(ctx):
    """A heading is plain words in the PDF and Word ("CARE *AND* RESPECT"); the Markdown
    file made "*and*" italic, so one text read differently by format."""
    fran, boss, workshop = _base()
    editing.paste_document(fran, workshop.id, "## Care *and* respect\n\nWe care.", based_on=None)
    md = exports.export_version(boss, workshop.id, 1, "md").content
    assert _md_heading(md) == "Care *and* respect", md
    pdf = pdf_text(exports.export_version(boss, workshop.id, 1, "pdf").content)
    assert "CARE *AND* RESPECT" in pdf
    word = _word_paragraphs(exports.export_version(boss, workshop.id, 1, "docx").content)
    assert "Care *and* respect" in word


def test_a_heading_ending_in_a_hash_keeps_it_in_every_format(ctx):
    """ "## We build in C#" became "We build in C": every "#" at a heading's end was taken
    for a closing mark, which it is only after a space ("## Why ##")."""
    fran, boss, workshop = _base()
    editing.paste_document(
        fran, workshop.id, "## We build in C#\n\nWith care.\n\n## Why ##\n\nBecause.", based_on=None
    )
    md = exports.export_version(boss, workshop.id, 1, "md").content
    assert _md_heading(md) == "We build in C#", md
    pdf = pdf_text(exports.export_version(boss, workshop.id, 1, "pdf").content)
    assert "WE BUILD IN C# With care. WHY Because." in pdf
    word = _word_paragraphs(exports.export_version(boss, workshop.id, 1, "docx").content)
    assert word[2:6] == ["We build in C#", "With care.", "Why", "Because."]


# ---- final means final -----------------------------------------------------------------
def test_a_final_version_keeps_the_organisations_name_it_was_locked_under(ctx):
    """Renamed after a reopen, the organisation's new name stood in final version 1's title,
    Word properties and filenames, and in its sign-off pack, while its record (JSON) kept
    the name it was locked under."""
    fran, boss, workshop = _base()
    final.set_quorum(fran, workshop.id, 0)
    editing.paste_document(fran, workshop.id, "## Purpose\n\nWe care.", based_on=None)
    final.lock_version(fran, workshop.id, 1)
    final.sign_off(boss, workshop.id, 1, "We stand behind this.")
    final.reopen(fran, workshop.id, "A new name")
    renamed = workshops.WorkshopSettings(
        title="Our new mission", organisation="Harbour Care Group", values=["Care", "Integrity"]
    )
    workshops.update_workshop(fran, workshop.id, renamed)

    def export(fmt: str) -> exports.Export:
        return exports.export_version(boss, workshop.id, 1, fmt)

    record = json.loads(export("json").content)
    assert record["workshop"]["organisation"] == "Harbour Health"  # as locked
    md = export("md")
    assert md.filename == "harbour-health-mission-v1.md"
    assert md.content.startswith("# Harbour Health: our mission\n\n*Harbour Health · Version 1")
    assert "Harbour Care Group" not in pdf_text(export("pdf").content)
    word = docx.Document(io.BytesIO(export("docx").content))
    assert word.paragraphs[0].text == "Harbour Health: our mission"
    assert word.core_properties.author == "Harbour Health"
    pack = signoff_pack(boss, workshop.id, 1)
    assert pack.filename == "harbour-health-sign-off-pack-v1.zip"
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        readme = archive.read("README.md").decode()
    assert readme.startswith("# Sign-off pack: Rewriting our mission\n\nHarbour Health · ")
    # The draft the work goes on in has the new name.
    draft = exports.export_version(boss, workshop.id, 2, "md")
    assert draft.content.startswith("# Harbour Care Group: our mission")


# ---- the sign-off pack's list of changes -----------------------------------------------
def test_the_changes_since_the_last_sign_off_show_an_added_clause_as_added(ctx):
    """One mark ran from the new clause's heading over its words to the next heading:
    "## **[+ Who we serve … ##  +]**How we work" showed its stars, and the new heading read
    as unchanged text."""
    fran, boss, workshop = _base()
    final.set_quorum(fran, workshop.id, 0)
    editing.paste_document(
        fran,
        workshop.id,
        "## Purpose\n\nWe care for patients.\n\n## How we work\n\nWe listen.\n\n- Kind",
        based_on=None,
    )
    final.lock_version(fran, workshop.id, 1)
    final.sign_off(boss, workshop.id, 1, "ok")
    final.reopen(fran, workshop.id, "more")
    versions.save_version(
        fran,
        workshop.id,
        "## Purpose\n\nWe care for every patient.\n\n## Who we serve\n\nEveryone in the city."
        "\n\n## How we work\n\nWe listen.\n\n- Kind\n- Open",
        based_on=2,
    )
    final.lock_version(fran, workshop.id, 3)
    with zipfile.ZipFile(io.BytesIO(signoff_pack(boss, workshop.id, 3).content)) as pack:
        changes = pack.read("changes-since-last-sign-off.md").decode()
    shown = markdown.markdown(changes)
    assert "**" not in shown, changes
    assert re.findall(r"<h2>(.*?)</h2>", shown) == [
        "Purpose",
        "<strong>[+ Who we serve +]</strong>",
        "How we work",
    ]
    assert "<p>We care for ~~[- patients. -]~~<strong>[+ every patient. +]</strong></p>" in shown
    assert "<p><strong>[+ Everyone in the city. +]</strong></p>" in shown
    assert "<li>Kind</li>\n<li><strong>[+ Open +]</strong></li>" in shown
