"""Exports of a document version: one rendering path, several formats.

:func:`_export_context` gathers everything once (the text, where it came
from, the record of the workshop), already filtered by the rules that
apply everywhere else: authors only where :func:`payloads.shows_authors`
allows, results only through :func:`ballots.results_payload` (nothing for a
blind round before the reveal, small groups suppressed), participation
counts never for a group under ``MIN_GROUP_SIZE``. Each format is a
renderer of that one context and adds nothing of its own.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import html.parser
import io
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from .. import clock
from ..charts import heatmap_svg
from ..errors import InvalidState, ValidationFailed
from ..extensions import db
from ..models import (
    Amendment,
    Comment,
    DocumentVersion,
    Duel,
    DuelStatus,
    Participant,
    Proposal,
    Round,
    RoundKind,
    User,
    Workshop,
)
from ..payloads import MIN_GROUP_SIZE, iso, shows_authors, tag_payload
from ..text import render_markdown
from . import ballots, duels, provenance, rounds
from .amendments import list_amendments, vote_counts
from .document import get_version
from .proposals import comments_of, list_proposals
from .workshops import get_workshop_for_staff

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}

# The JSON export's shape, published as docs/export-schema.json; bump on breaking changes.
JSON_FORMAT = "mission-workshop-export"
JSON_FORMAT_VERSION = 2


@dataclasses.dataclass(frozen=True)
class Export:
    """A file ready to download: text formats as ``str``, PDF and DOCX as ``bytes``."""

    filename: str
    mimetype: str
    content: str | bytes


def slugify(text: str) -> str:
    """A filename-safe, readable form of a title."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "mission"


def export_version(actor: User, workshop_id: int, number: int, fmt: str) -> Export:
    """Render a version, with the workshop's record, in one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise ValidationFailed(_("Unknown export format “%(fmt)s”.", fmt=fmt), field="format")
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=False)
    version = get_version(actor, workshop_id, number)
    context = _export_context(workshop, version)
    filename = f"{slugify(workshop.organisation)}-mission-v{version.number}.{fmt}"
    return Export(filename, FORMATS[fmt], RENDERERS[fmt](context))


# ---- the one context -----------------------------------------------------------------
def _export_context(workshop: Workshop, version: DocumentVersion) -> dict[str, Any]:
    """Everything every format shows: the text, where it came from, who wrote it, the record."""
    agenda = [
        (round_, ballots.results_payload(round_)) for round_ in rounds.list_rounds(workshop.id)
    ]
    values_rounds = [
        (round_, results)
        for round_, results in agenda
        if round_.kind == RoundKind.VALUES and results is not None
    ]
    origins = provenance.by_clause(version)
    meta = [
        workshop.title,
        _("version %(number)s", number=version.number),
        version.created_at.strftime("%Y-%m-%d %H:%M") + " UTC",
        _("by %(name)s", name=version.editor_name),
    ]
    if version.note:
        meta.append(version.note)
    status = ""
    if version.final_at is not None:
        status = _(
            "Final: locked as our agreed mission on %(date)s.",
            date=version.final_at.strftime("%Y-%m-%d"),
        )
    return {
        "status": status,
        "signoffs": [
            _(
                "Signed off by %(name)s on %(date)s",
                name=s.signer_name,
                date=s.created_at.strftime("%Y-%m-%d %H:%M") + " UTC",
            )
            + (f": “{s.comment}”" if s.comment else "")
            for s in version.signoffs
        ],
        "workshop": workshop,
        "version": version,
        "title": _("%(org)s: our mission", org=workshop.organisation),
        "meta": " · ".join(meta),
        "body_html": render_markdown(version.body_md),
        "origins": _origins(origins),
        "values_appendix": [
            {
                "round_id": round_.id,
                "prompt": round_.prompt,
                "results": results,
                "svg": Markup(
                    heatmap_svg(
                        results,
                        title=_("Personal values and the organisation's values"),
                        empty_text=_("Nobody has shared their values yet."),
                    )
                ),
            }
            for round_, results in values_rounds
        ],
        "record": _record(workshop, version, agenda, origins),
    }


def _origins(origins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The origins appendix: per clause, each change that shaped it, with its words and people."""
    out = []
    for origin in origins:
        items = []
        for item in origin["contributions"]:
            for proposal in item["proposals"]:  # each proposal credited on its own
                items.append(
                    {
                        "label": _("Proposal #%(id)s", id=proposal["id"]),
                        "version": item["version"],
                        "body_md": proposal["body_md"],
                        "body_html": render_markdown(proposal["body_md"]),
                        "authors": proposal["people"],
                    }
                )
            if item["proposals"]:
                continue
            if item["amendment"]:
                text = item["amendment"]["replacement"]
            elif item["duel"]:
                text = item["duel"]["winner"]
            else:
                text = ""
            items.append(
                {
                    "label": item["label"],
                    "version": item["version"],
                    "body_md": text,
                    "body_html": render_markdown(text),
                    "authors": item["people"],
                }
            )
        out.append({"clause": origin["clause"], "items": items})
    return out


def _comment_author(comment: Comment) -> dict[str, str] | None:
    if comment.author is None or not shows_authors(comment.anonymity, staff=True, readout=False):
        return None
    return provenance.person(comment.author)


def _record(
    workshop: Workshop,
    version: DocumentVersion,
    agenda: list[tuple[Round, dict | None]],
    origins: list[dict[str, Any]],
) -> dict[str, Any]:
    """The workshop's record as data (the JSON export; the CSV reads it too)."""
    proposals = list_proposals(workshop.id, include_hidden=True)
    comments = comments_of([p.id for p in proposals])
    versions = provenance.history(workshop.id, version.number)
    return {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "exported_at": iso(clock.now()),
        "exported_version": version.number,
        "workshop": {
            "id": workshop.id,
            "title": workshop.title,
            "organisation": workshop.organisation,
            "brief_md": workshop.brief_md,
            "phase": str(workshop.phase),
            "anonymity": str(workshop.anonymity),
            "readout_anonymous": workshop.readout_anonymous,
            "levels": list(workshop.levels),
            "departments": list(workshop.departments),
            "values": [
                {"id": v.id, "name": v.name, "description": v.description} for v in workshop.values
            ],
            "created_at": iso(workshop.created_at),
        },
        "rounds": [
            {
                "id": round_.id,
                "position": round_.position,
                "kind": str(round_.kind),
                "prompt": round_.prompt,
                "method": round_.method,
                "status": str(round_.status),
                "blind": round_.blind,
                "anonymity": str(ballots.effective_anonymity(workshop, round_)),
                "duration_seconds": round_.duration_seconds,
                "started_at": iso(round_.started_at),
                "ended_at": iso(round_.ended_at),
                "revealed_at": iso(round_.revealed_at),
                "voters": ballots.voter_count(round_.id) if round_.takes_ballots else None,
                "results": results,
            }
            for round_, results in agenda
        ],
        "proposals": [
            {
                "id": p.id,
                "round_id": p.round_id,
                "body_md": p.body_md,
                "status": str(p.status),
                "hidden_reason": p.hidden_reason,
                "pinned": p.pinned,
                "merged_into_id": p.merged_into_id,
                "anonymity": str(p.anonymity),
                "created_at": iso(p.created_at),
                "authors": provenance.proposal_people(p),
                "values": [{k: v for k, v in tag_payload(t).items() if k != "id"} for t in p.tags],
                "comments": [
                    {
                        "id": c.id,
                        "body_md": c.body_md,
                        "status": str(c.status),
                        "anonymity": str(c.anonymity),
                        "created_at": iso(c.created_at),
                        "author": _comment_author(c),
                    }
                    for c in comments[p.id]
                ],
            }
            for p in proposals
        ],
        "versions": [
            {
                "number": v.number,
                "body_md": v.body_md,
                "note": v.note,
                "source": str(v.source),
                "based_on": v.based_on,
                "author": v.editor_name,
                "created_at": iso(v.created_at),
            }
            for v in versions
        ],
        "provenance": [_provenance_entry(v) for v in versions],
        "origins": [
            {
                "clause_key": origin["clause_key"],
                "clause": origin["clause"],
                "body_md": origin["body_md"],
                "versions": [item["version"] for item in origin["contributions"]],
            }
            for origin in origins
        ],
        "amendments": [_amendment_record(a) for a in list_amendments(workshop.id)],
        "duels": [_duel_record(d) for d in duels.list_duels(workshop.id)],
        "participation": _participation(workshop, proposals, comments),
        "values_appendix": [
            {"round_id": round_.id, "prompt": round_.prompt, "results": results}
            for round_, results in agenda
            if round_.kind == RoundKind.VALUES and results is not None
        ],
    }


def _provenance_entry(version: DocumentVersion) -> dict[str, Any]:
    item = provenance.contribution(version)
    return {
        "version": version.number,
        "source": str(version.source),
        "based_on": version.based_on,
        "proposal_ids": sorted(p["id"] for p in item["proposals"]),
        "clause_key": version.clause_key,
        "amendment_id": version.amendment_id,
        "duel_id": version.duel_id,
        "people": item["people"],
    }


def _amendment_record(amendment: Amendment) -> dict[str, Any]:
    """An amendment with its consent counts (never who answered what)."""
    named = amendment.author is not None and shows_authors(
        amendment.anonymity, staff=True, readout=False
    )
    return {
        "id": amendment.id,
        "version_number": amendment.version_number,
        "clause_key": amendment.clause_key,
        "original": amendment.original,
        "replacement": amendment.replacement,
        "reason": amendment.reason,
        "status": str(amendment.status),
        "decided_note": amendment.decided_note,
        "anonymity": str(amendment.anonymity),
        "author": provenance.person(amendment.author) if named and amendment.author else None,
        "method": amendment.method,
        "counts": vote_counts(amendment),
        "created_at": iso(amendment.created_at),
    }


def _duel_record(duel: Duel) -> dict[str, Any]:
    """A duel with every wording, winners and losers; counts only once it was decided."""
    decided = duel.status == DuelStatus.DECIDED
    counts = (duel.result or {}).get("counts", {}) if decided else {}
    return {
        "id": duel.id,
        "clause_key": duel.clause_key,
        "version_number": duel.version_number,
        "original": duel.original,
        "method": duel.method,
        "status": str(duel.status),
        "voters": len(duel.ballots),
        "winner_id": duel.winner_id if decided else None,
        "version_made": duel.version_made,
        "options": [
            {"id": o.id, "text": o.text, "votes": counts.get(str(o.id)) if decided else None}
            for o in duel.options
        ],
        "created_at": iso(duel.created_at),
        "decided_at": iso(duel.decided_at),
    }


def _participation(
    workshop: Workshop, proposals: list[Proposal], comments: dict[int, list[Comment]]
) -> dict[str, Any]:
    """How many took part, by level and department: never a group under MIN_GROUP_SIZE."""
    people = list(
        db.session.scalars(sa.select(Participant).where(Participant.workshop_id == workshop.id))
    )

    def counted(attribute: str) -> dict[str, int | None]:
        sizes = collections.Counter(getattr(p, attribute) for p in people if getattr(p, attribute))
        shown = ballots.suppress_small_groups(sizes)
        return {group: sizes[group] if show else None for group, show in shown.items()}

    return {
        "joined": len(people),
        "min_group_size": MIN_GROUP_SIZE,
        "by_level": counted("level"),
        "by_department": counted("department"),
        "proposals": len(proposals),
        "comments": sum(len(c) for c in comments.values()),
    }


# ---- renderers -----------------------------------------------------------------------
def _render_markdown(context: dict[str, Any]) -> str:
    return render_template("exports/version.md", **context)


def _render_html(context: dict[str, Any]) -> str:
    return render_template("exports/version.html", **context)


def _render_pdf(context: dict[str, Any]) -> bytes:
    """The printable HTML, typeset by WeasyPrint (A4, hyphenated, numbered pages)."""
    try:
        import weasyprint
    except OSError:
        raise InvalidState(
            _(
                "PDF export needs the Pango library on the server "
                "(apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
            ),
            code="pdf_unavailable",
        ) from None
    except ImportError:
        raise InvalidState(
            _("PDF export needs the weasyprint package on the server (pip install weasyprint)"),
            code="pdf_unavailable",
        ) from None
    return weasyprint.HTML(string=_render_html(context), url_fetcher=_refuse_fetch).write_pdf()


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """Exports are self-contained (inline SVG, inline CSS): never fetch anything from anywhere."""
    raise ValueError(f"export rendering does not fetch {url}")


def _render_json(context: dict[str, Any]) -> str:
    return json.dumps(context["record"], ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = [
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
]
_TEXT_COLUMNS = ("prompt", "proposal_text", "item")


def _cell_text(value: str) -> str:
    """Text people wrote, safe to open in a spreadsheet (no formulas from =, +, -, @)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _render_csv(context: dict[str, Any]) -> str:
    """Participation and results: a row per round, then a row per result where visible."""
    record = context["record"]
    texts = {p["id"]: p["body_md"] for p in record["proposals"]}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\r\n")
    writer.writeheader()
    rows: list[dict[str, Any]] = []
    for round_ in record["rounds"]:
        base = {
            "round": round_["position"] + 1,
            "kind": round_["kind"],
            "prompt": round_["prompt"],
            "method": round_["method"] or "",
        }
        rows.append(
            {"row": "round", **base, "status": round_["status"], "voters": round_["voters"]}
        )
        if round_["results"] is not None:
            rows.extend({"row": "result", **base, **r} for r in _result_rows(round_["results"]))
    for row in rows:
        for column in _TEXT_COLUMNS:
            if isinstance(row.get(column), str):
                row[column] = _cell_text(row[column])
        if row.get("proposal_id") not in (None, ""):
            row["proposal_text"] = _cell_text(texts.get(row["proposal_id"], ""))
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return "\ufeff" + out.getvalue()  # the BOM makes spreadsheets read UTF-8 as UTF-8


def _result_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One round's visible results as CSV rows, with the figures its method has."""
    method = results["method"]
    if method in ("dot", "approval", "score"):
        rank = {pid: i + 1 for i, pid in enumerate(results["ranking"])}
        fields = {
            "dot": {"dots": "dots", "dot_voters": "voters"},
            "approval": {"approvals": "approvals", "approval_share": "share"},
            "score": {"mean_score": "mean", "scores": "count"},
        }[method]
        return [
            {
                "proposal_id": item["proposal_id"],
                "rank": rank.get(item["proposal_id"], ""),
                **{column: item[key] for column, key in fields.items()},
            }
            for item in results["items"]
        ]
    if method == "ranked":
        borda = results["borda"]["scores"]
        irv_rounds = results["instant_runoff"]["rounds"]
        first = irv_rounds[0]["counts"] if irv_rounds else {}
        ranking = list(results["schulze"]["ranking"])
        order = ranking + [int(k) for k in borda if int(k) not in ranking]
        return [
            {
                "proposal_id": pid,
                "rank": i + 1 if pid in ranking else "",
                "borda_points": borda.get(str(pid), 0),
                "first_preferences": first.get(str(pid), 0),
            }
            for i, pid in enumerate(order)
        ]
    if method == "consent":
        return [
            {
                "proposal_id": item["proposal_id"],
                "agree": item["counts"].get("agree", 0),
                "live_with": item["counts"].get("live_with", 0),
                "object": item["counts"].get("object", 0),
                "consented": "yes" if item["consented"] else "no",
            }
            for item in results["items"]
        ]
    if method == "vocabulary":
        return [
            {
                "item": item["word"],
                "include": item["include"],
                "exclude": item["exclude"],
                "word_status": item["status"],
            }
            for item in results["items"]
        ]
    if method == "values":
        return [{"item": row["value"], "picks": row["total"]} for row in results["rows"]]
    return []


# ---- DOCX ----------------------------------------------------------------------------
def _render_docx(context: dict[str, Any]) -> bytes:
    """A Word document with the same parts as the printable page."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    workshop: Workshop = context["workshop"]
    document = docx.Document()
    properties = document.core_properties
    properties.title = context["title"]
    properties.author = properties.last_modified_by = workshop.organisation
    properties.comments = ""
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
    _HtmlToDocx(document, paragraph_style="Mission").feed(context["body_html"])

    if context["origins"]:
        document.add_heading(_("Where the words came from"), level=1)
        for origin in context["origins"]:
            document.add_heading(origin["clause"], level=2)
            if not origin["items"]:
                meta(_("No recorded source."))
            for item in origin["items"]:
                paragraph = document.add_paragraph(style="List Bullet")
                paragraph.add_run(item["label"]).bold = True
                if item["body_md"]:
                    paragraph.add_run(": ")
                    _HtmlToDocx(document, single=True, into=paragraph).feed(item["body_html"])
                if item["authors"]:
                    credit = "; ".join(
                        ", ".join(x for x in (a["name"], a["level"], a["department"]) if x)
                        for a in item["authors"]
                    )
                    paragraph.add_run(f" ({credit})").font.color.rgb = grey

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
                    f"{item['org_value']}: {item['mean']} ({item['count']})", "List Bullet"
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


class _HtmlToDocx(html.parser.HTMLParser):
    """Sanitised Markdown HTML (see text.render_markdown) as Word paragraphs and runs.

    Handles what the sanitiser lets through: headings, paragraphs, nested
    lists, quotes, code, bold, italic, strike-through, links and line breaks.
    ``paragraph_style`` is the style of plain paragraphs (the mission's own,
    or a bullet for each origin); ``single`` keeps everything in one paragraph,
    blocks separated by line breaks (an origin is one item of a list), and
    ``into`` is a paragraph already begun that the first block continues.
    """

    HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
    MARKS = {"strong": "bold", "b": "bold", "em": "italic", "i": "italic", "del": "strike"}

    def __init__(
        self,
        document: Any,
        *,
        paragraph_style: str = "Normal",
        single: bool = False,
        into: Any = None,
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph_style = paragraph_style
        self.single = single
        self.lists: list[str] = []
        self.counters: list[int] = []
        self.marks: collections.Counter[str] = collections.Counter()
        self.quotes = 0
        self.paragraph: Any = None
        self.last: Any = None
        self.href: str | None = None
        self.into = into

    def _open(self, style: str | None = None, heading: int | None = None) -> None:
        if self.single and self.into is not None:
            self.paragraph = self.last = self.into
            self.into = None
            return
        if self.single and self.last is not None:
            self.paragraph = self.last
            self.paragraph.add_run().add_break()
            return
        if self.single:
            style = heading = None
        if heading is not None:
            self.paragraph = self.document.add_heading("", level=heading)
        else:
            quoted = "Quote" if self.quotes else self.paragraph_style
            self.paragraph = self.document.add_paragraph(style=style or quoted)
        self.last = self.paragraph

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self.paragraph = None
            self.lists.append("List Number" if tag == "ol" else "List Bullet")
            self.counters.append(0)
        elif tag == "li":
            depth = min(len(self.lists), 3)
            kind = self.lists[-1] if self.lists else "List Bullet"
            self._open(kind if depth <= 1 else f"{kind} {depth}")
            if self.single:
                self.counters[-1] += 1
                mark = f"{self.counters[-1]}." if kind == "List Number" else "–"
                self.paragraph.add_run("   " * depth + mark + " ")
        elif tag == "p":
            if self.paragraph is None:  # a <p> inside an <li> continues the item
                self._open()
        elif tag in self.HEADINGS:
            self._open(heading=self.HEADINGS[tag])
            if self.single:
                self.marks["strong"] += 1
        elif tag == "blockquote":
            self.quotes += 1
        elif tag in self.MARKS or tag == "code":
            self.marks[tag] += 1
        elif tag == "a":
            self.href = dict(attrs).get("href")
        elif tag == "br" and self.paragraph is not None:
            self.paragraph.add_run().add_break()
        elif tag == "hr":
            self.paragraph = None
            self.document.add_paragraph("* * *").alignment = 1  # centred

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.counters.pop()
            self.paragraph = None
        elif tag in ("p", "li", *self.HEADINGS):
            self.paragraph = None
            if self.single and tag in self.HEADINGS:
                self.marks["strong"] = max(self.marks["strong"] - 1, 0)
        elif tag == "blockquote":
            self.quotes = max(self.quotes - 1, 0)
        elif tag in self.MARKS or tag == "code":
            self.marks[tag] = max(self.marks[tag] - 1, 0)
        elif tag == "a":
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.paragraph is None:
            if not data.strip():
                return  # whitespace between blocks
            self._open()
        text = re.sub(r"\s*\n\s*", " ", data)
        if not self.paragraph.text or self.paragraph.text.endswith(("\n", " ")):
            text = text.lstrip()
        run = self.paragraph.add_run(text)
        marks = {self.MARKS[tag] for tag, n in self.marks.items() if n and tag in self.MARKS}
        if "bold" in marks:
            run.bold = True
        if "italic" in marks:
            run.italic = True
        if "strike" in marks:
            run.font.strike = True
        if self.marks["code"]:
            run.font.name = "Courier New"
        if self.href and self.href != data.strip():
            self.paragraph.add_run(f" <{self.href}>")


RENDERERS: dict[str, Callable[[dict[str, Any]], str | bytes]] = {
    "md": _render_markdown,
    "html": _render_html,
    "pdf": _render_pdf,
    "docx": _render_docx,
    "json": _render_json,
    "csv": _render_csv,
}
