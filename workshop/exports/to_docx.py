"""DOCX: a Word document with the same parts as the printable page."""

from __future__ import annotations

import io
from typing import Any

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from ..locales import current_language
from ..text import without_controls
from .html_to_docx import HtmlToDocx

# The language Word checks a document's spelling in, per language of the app (its English is
# British: "organisation").
WORD_LANGUAGES = {"en": "en-GB", "nl": "nl-NL"}


def xml_safe(value: Any) -> Any:
    """A value (strings in dicts and lists too) with what XML cannot hold taken out, for
    python-docx, which refuses a text that holds one: a line break other than a newline
    becomes a space (text pasted from PowerPoint brings vertical tabs), other controls go."""
    if isinstance(value, str):
        return without_controls(value, line_break=" ")
    if isinstance(value, dict):
        return {key: xml_safe(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(xml_safe(item) for item in value)
    return value


def render_docx(context: dict[str, Any]) -> bytes:
    """A Word document with the same parts as the printable page."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    context = xml_safe(context)
    document = docx.Document()
    for section in document.sections:  # A4, like the PDF, with the same margins
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin = section.left_margin = section.right_margin = Cm(2.2)
        section.bottom_margin = Cm(2.6)
    properties = document.core_properties
    properties.title = context["title"]
    properties.author = properties.last_modified_by = context["organisation"]
    properties.comments = ""
    # The version's own dates, not the blank template's (2013); and the language Word checks
    # the spelling in: the one it is written in (the template says US English).
    version = context["version"]
    properties.created = version.created_at
    properties.modified = version.final_at or version.created_at
    language = WORD_LANGUAGES.get(current_language(), "en-GB")
    properties.language = language
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    tag = run_defaults.find(qn("w:lang"))
    if tag is None:
        tag = run_defaults.makeelement(qn("w:lang"), {})
        run_defaults.append(tag)
    tag.set(qn("w:val"), language)
    normal = document.styles["Normal"]
    normal.font.name = "Georgia"
    normal.font.size = Pt(11)
    mission = document.styles.add_style("Mission", WD_STYLE_TYPE.PARAGRAPH)
    mission.base_style = normal
    mission.font.size = Pt(14)
    mission.paragraph_format.left_indent = Cm(0.8)
    mission.paragraph_format.space_after = Pt(10)
    grey = RGBColor(0x55, 0x55, 0x55)

    def meta(text: str) -> None:
        run = document.add_paragraph().add_run(text)
        run.italic = True
        run.font.color.rgb = grey
        run.font.size = Pt(9)

    document.add_heading(context["title"], level=0)
    meta(context["meta"])
    for line in filter(None, [context["status"], *context["signoffs"]]):
        document.add_paragraph().add_run(line).bold = True
    # The title is Word's level 0; the clauses, the measures and the origins are each level 1
    # (Word's navigation pane shows them side by side), their parts level 2.
    for clause in context["clauses"]:
        if clause["heading"]:
            heading = document.add_heading(clause["heading"], level=1)
            heading.paragraph_format.keep_with_next = True
        HtmlToDocx(document, paragraph_style="Mission").feed(str(clause["html"]))

    if context["how_we_will_know"]:
        document.add_heading(_("Success measures"), level=1)
        for row in context["how_we_will_know"]:
            document.add_heading(row["clause"], level=2).paragraph_format.keep_with_next = True
            for line in row["lines"]:
                document.add_paragraph(line, style="List Bullet")

    if context["origins"]:
        document.add_heading(_("Where the words came from"), level=1)
        for origin in context["origins"]:
            document.add_heading(origin["clause"], level=2).paragraph_format.keep_with_next = True
            if origin["sources"]:
                document.add_paragraph(
                    _("Came from:") + " " + "; ".join(origin["sources"]) + "."
                ).paragraph_format.keep_with_next = True
            if origin["people"]:
                document.add_paragraph(
                    _("Words by:")
                    + " "
                    + "; ".join(
                        p["name"] + (f" ({p['about']})" if p["about"] else "")
                        for p in origin["people"]
                    )
                    + "."
                )
            if origin["levels"]:
                meta(
                    _("By level:")
                    + " "
                    + " · ".join(f"{row['level']} {row['percent']}%" for row in origin["levels"])
                )

    for appendix in context["values_appendix"]:
        results = appendix["results"]
        heading = _("Appendix: our values")
        if appendix["prompt"]:
            heading += " · " + appendix["prompt"]
        document.add_heading(heading, level=1).paragraph_format.page_break_before = True
        pct = round((results["alignment"]["workshop"] or 0) * 100)
        paragraph = document.add_paragraph()
        paragraph.add_run(_("Alignment: %(pct)s%%", pct=pct)).bold = True
        paragraph.add_run(" · " + ngettext("%(num)s person", "%(num)s people", results["ballots"]))
        columns = results["columns"]
        table = document.add_table(rows=1, cols=len(columns) + 1)
        table.style = "Table Grid"
        header = table.rows[0].cells
        header[0].text = _("Personal value")
        for cell, column in zip(header[1:], columns, strict=True):
            cell.text = column["name"]
        for cell in header:
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in results["rows"]:
            cells = table.add_row().cells
            cells[0].text = row["value"]
            for cell, column in zip(cells[1:], columns, strict=True):
                cell.text = str(row["counts"].get(column["id"], 0))
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if results["not_represented"]:
            document.add_heading(_("Most often not represented"), level=2)
            for item in results["not_represented"]:
                document.add_paragraph(f"{item['value']} ({item['count']})", "List Bullet")
        if results["stated_not_lived"]:
            document.add_heading(_("Stated, not lived (average rating, lowest first)"), level=2)
            for item in results["stated_not_lived"]:
                document.add_paragraph(
                    f"{item['org_value']}: {format_decimal(item['mean'], format='#,##0.##')}"
                    f" ({item['count']})",
                    "List Bullet",
                )
        meta(
            _(
                "Breakdowns by level or department are never shown for a group smaller "
                "than %(n)s people.",
                n=results["min_group_size"],
            )
        )

    _page_numbers(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page_numbers(document: Any) -> None:
    """A centred page number in every page's footer (a Word PAGE field)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for section in document.sections:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        paragraph._p.append(field)
