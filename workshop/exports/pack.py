"""The sign-off pack: everything leadership needs to sign a mission off, in one ZIP.

Leadership signs off a text they must be able to defend to staff and to the board: the text
itself in the formats they pass on (PDF, Word, Markdown), what changed since they last signed,
how each clause was received and by which levels, the objections that stayed in the minority,
who is represented in the words, the values people brought, and the full record. Every part
is rendered from the same export context as the single-format exports, so the pack never
disagrees with them.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from flask_babel import gettext as _

from .. import permissions
from ..errors import Forbidden
from ..guards import workshop_for_staff
from ..models import DocumentVersion, User, Workshop
from ..services import representation
from ..services.versions import clause_differences, diff_versions, get_version, list_versions
from ..text import markdown_literal, safe_markdown
from . import Export, slugify
from .context import export_context
from .to_csv import tables
from .to_docx import render_docx
from .to_html import render_markdown_file
from .to_json import render_json
from .to_pdf import render_pdf


def signoff_pack(actor: User, workshop_id: int, number: int) -> Export:
    """One ZIP with every file of the sign-off pack for version ``number``."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=False)
    if not permissions.can_export(actor, workshop):
        raise Forbidden(_("Leadership and facilitators of this workshop download the mission."))
    version = get_version(actor, workshop.id, number)
    context = export_context(actor, workshop, version)
    picture = representation.representation(actor, workshop.id, version=version)
    mission = f"mission-v{version.number}"
    files: dict[str, str | bytes] = {
        "README.md": _readme(context["record"]["workshop"], version),
        f"{mission}.pdf": render_pdf(context),
        f"{mission}.docx": render_docx(context),
        f"{mission}.md": render_markdown_file(context),
        "changes-since-last-sign-off.md": _changes(actor, workshop, version),
        "results-by-clause.md": _results_by_clause(context["record"], picture),
        "minority-objections.md": _objections(context["record"]),
        "representation.md": _representation(picture),
        "values-appendix.md": _values(context["record"]),
        "success-measures.md": _measures(context),
        "record/record.json": render_json(context),
        **{f"record/{name}": text for name, text in tables(context["record"]).items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    filename = f"{slugify(context['organisation'])}-sign-off-pack-v{version.number}.zip"
    return Export(filename, "application/zip", buffer.getvalue())


def _md(text: str) -> str:
    """Anyone's plain words (a name, a reason, a prompt), shown in Markdown as written, on one
    line (see text.markdown_literal)."""
    return markdown_literal(text)


def _readme(workshop: dict[str, Any], version: DocumentVersion) -> str:
    """What the pack holds, under the workshop's title and organisation as its record has them
    (a final version's as they were at the lock)."""
    status = (
        _("Final: locked on %(date)s.", date=version.final_at.strftime("%Y-%m-%d"))
        if version.final_at
        else _("Not final: this version can still change.")
    )
    lines = [
        f"# {_md(_('Sign-off pack'))}: {_md(workshop['title'])}",
        "",
        f"{_md(workshop['organisation'])} · {_('Version %(n)s', n=version.number)} · {status}",
        "",
        _("What is in this pack:"),
        "",
        "- mission-v*.pdf, .docx, .md: " + _("the mission, to read, print and pass on"),
        "- changes-since-last-sign-off.md: " + _("every change since leadership last signed"),
        "- results-by-clause.md: "
        + _("how each clause was received, and its agreement across levels"),
        "- minority-objections.md: " + _("the objections people raised and their reasons"),
        "- representation.md: " + _("who took part, by level and department, and whose words"),
        "- values-appendix.md: " + _("the personal values people mapped to the organisation's"),
        "- success-measures.md: " + _("how we will know: the agreed success measures per clause"),
        "- record/: " + _("the complete record (JSON, and one CSV file per table)"),
        "",
    ]
    return "\n".join(lines)


def _last_signed(actor: User, workshop: Workshop, version: DocumentVersion) -> int | None:
    """The latest earlier version that leadership signed off, if any."""
    signed = [
        v.number
        for v in list_versions(actor, workshop.id)
        if v.signoffs and v.number < version.number
    ]
    return max(signed) if signed else None


def _changes(actor: User, workshop: Workshop, version: DocumentVersion) -> str:
    before = _last_signed(actor, workshop, version)
    title = f"# {_('Changes since leadership last signed off')}\n\n"
    if before is None:
        return title + _("No earlier version was signed off: the whole text is new to sign.") + "\n"
    pieces = diff_versions(actor, workshop.id, before, version.number)
    if all(p.op == "equal" for p in pieces):
        return (
            title
            + _(
                "Version %(n)s has the same words as signed version %(old)s.",
                n=version.number,
                old=before,
            )
            + "\n"
        )
    # Clause by clause, as the history's page of differences shows them: a mark around words
    # that run over a blank line or a heading is no mark at all in Markdown ("## **[+ Who we
    # serve …" showed the stars and made the next heading part of a paragraph).
    rows = clause_differences(actor, workshop.id, before, version.number)
    legend = _(
        "From signed version %(old)s to version %(n)s: [+ added +], [- removed -].",
        old=before,
        n=version.number,
    )
    return f"{title}{legend}\n\n" + "\n\n".join(_clause_changes(row) for row in rows) + "\n"


_MARKS = {"insert": ("**[+ ", " +]**"), "delete": ("~~[- ", " -]~~")}
# What starts a list item: it stays outside the marks, or the item would be a paragraph.
_LIST_ITEM = re.compile(r"[ \t]*(?:[-+*]|\d+[.)])[ \t]+")


def _clause_changes(row: dict[str, Any]) -> str:
    """One clause of the list of changes: its heading (marked when it is new, gone or
    renamed) and its words with what was added and removed marked."""
    heading, old = _md(row["heading"] or ""), _md(row["old_heading"] or "")
    if row["status"] == "added":
        heading = _marked(heading, "insert")
    elif row["status"] == "removed":
        heading = _marked(old, "delete")
    elif old != heading:
        heading = " ".join(filter(None, [_marked(old, "delete"), _marked(heading, "insert")]))
    words = ""
    for piece in row["pieces"]:
        text = safe_markdown(piece.text)
        at_line_start = not words or words.endswith("\n")
        words += text if piece.op == "equal" else _marked(text, piece.op, at_line_start)
    return "\n\n".join(filter(None, [f"## {heading}" if heading else "", words.strip()]))


def _marked(text: str, op: str, at_line_start: bool = True) -> str:
    """Added or removed Markdown marked line by line, the spaces around the words and what
    starts a list item left outside the marks (blank lines stay as they are)."""
    opening, closing = _MARKS[op]
    lines = text.split("\n")
    for index, line in enumerate(lines):
        item = _LIST_ITEM.match(line) if index or at_line_start else None
        start = item.end() if item else len(line) - len(line.lstrip())
        words = line[start:].rstrip()
        if words:
            end = start + len(words)
            lines[index] = f"{line[:start]}{opening}{words}{closing}{line[end:]}"
    return "\n".join(lines)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    """A Markdown table's lines (headers are ours; cells are already safe)."""
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows),
    ]


def _results_by_clause(record: dict[str, Any], picture: dict[str, Any]) -> str:
    lines = [f"# {_('Results by clause')}", ""]
    agreement = {c["clause_key"]: c for c in picture["agreement"]}
    for clause in record["clauses"]:
        answers = clause["consent"]
        lines += [
            f"## {_md(clause['clause'])}",
            "",
            _(
                "%(agree)s agree · %(live)s can live with it · %(object)s object",
                agree=answers.get("agree", 0),
                live=answers.get("live_with", 0),
                object=answers.get("object", 0),
            ),
            "",
        ]
        across = agreement.get(clause.get("clause_key"))
        if across and across["consent_by_level"]:
            lines += _table(
                [_("Level"), _("Answers"), _("Consent")],
                [
                    [_md(level), c["answers"], _percent(c["consent_share"])]
                    for level, c in across["consent_by_level"].items()
                ],
            )
            if across["consent_spread"] is not None:
                lines += [
                    "",
                    _(
                        "Spread across levels: %(n)s points.",
                        n=round(across["consent_spread"] * 100),
                    ),
                ]
            lines.append("")
        elif across is not None:
            lines += [_("Not broken down by level: no named answers on this clause."), ""]
        for vote in across["votes"] if across else []:
            lines += [
                f"{_('Support for the winner of “%(vote)s” by level:', vote=_md(vote['prompt']))}",
                "",
                *_table(
                    [_("Level"), _("Ballots"), _("Support")],
                    [
                        [_md(level), s["ballots"], _percent(s["support_share"])]
                        for level, s in vote["support_by_level"].items()
                    ],
                ),
                "",
            ]
    warnings = representation.spread_warnings(picture)
    if warnings:
        lines += [f"## {_('Clauses that divide the levels')}", ""]
        lines += [f"- {_md(w)}" for w in warnings]
        lines.append("")
    return "\n".join(lines)


def _objections(record: dict[str, Any]) -> str:
    lines = [f"# {_('Minority objections')}", ""]
    found = False
    for clause in record["clauses"]:
        for objection in clause.get("objections", []):
            found = True
            by = objection.get("by")
            who = f" — {_md(by['name'])} ({_md(by['level'])})" if by else ""
            earlier = f" {_('(on earlier words)')}" if objection.get("stale") else ""
            lines.append(f"- {_md(clause['clause'])}: “{_md(objection['reason'])}”{who}{earlier}")
    for round_ in record["rounds"]:
        results = round_.get("results") or {}
        if results.get("method") != "consent":
            continue
        for item in results.get("items", []):
            for reason in item.get("objections", []):
                found = True
                where = _md(round_.get("prompt") or _("Vote"))
                lines.append(f"- {where} (#{item['proposal_id']}): “{_md(reason)}”")
    if not found:
        lines.append(_("Nobody objected."))
    lines += ["", _("Who objected is named only where the workshop's anonymity allows it."), ""]
    return "\n".join(lines)


def _representation(picture: dict[str, Any]) -> str:
    lines = [f"# {_('Who took part, and who is in the mission')}", ""]
    lines.append(
        _(
            "Groups of fewer than %(n)s people are counted together, so nobody can be picked out.",
            n=picture["min_group_size"],
        )
    )
    lines.append("")
    for kind, title in (("level", _("By level")), ("department", _("By department"))):
        rows = picture[f"by_{kind}"]
        if not rows:
            continue
        headers = [_("Group"), _("Joined"), _("Proposed"), _("Voted")]
        headers += [_("Words in the current draft"), _("Words in the final text")]
        table = [
            [
                _md(row["group"])
                + (f" ({_md(', '.join(row['members']))})" if row["members"] else ""),
                row["joined"],
                row["proposed"],
                row["voted"],
                _percent(row["draft_share"]),
                _percent(row["final_share"]),
            ]
            for row in rows
        ]
        lines += [f"## {title}", "", *_table(headers, table)]
        lines.append("")
    if picture["flags"]:
        lines += (
            [f"## {_('What to notice')}", ""] + [f"- {_md(f)}" for f in picture["flags"]] + [""]
        )
    return "\n".join(lines)


def _values(record: dict[str, Any]) -> str:
    lines = [f"# {_('Values appendix')}", ""]
    if not record["values_appendix"]:
        return "\n".join([*lines, _("No values round was held."), ""])
    for entry in record["values_appendix"]:
        r = entry["results"] or {}
        columns, rows = r.get("columns", []), r.get("rows", [])
        lines += [f"## {_md(entry['prompt'] or _('Values'))}", ""]
        if not rows:
            lines += [_("Nobody has shared their values yet."), ""]
            continue
        alignment = (r.get("alignment") or {}).get("workshop") or 0
        lines += [_("Alignment: %(pct)s%%", pct=round(alignment * 100)), ""]
        lines.append(
            f"| {_('Personal value')} | " + " | ".join(_md(c["name"]) for c in columns) + " |"
        )
        lines.append("|---|" + "---|" * len(columns))
        for row in rows:
            counts = row.get("counts", {})
            cells = [str(counts.get(c["id"], counts.get(str(c["id"]), 0))) for c in columns]
            lines.append(f"| {_md(row['value'])} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _measures(context: dict[str, Any]) -> str:
    lines = [f"# {_('Success measures')}", ""]
    if not context["how_we_will_know"]:
        return "\n".join([*lines, _("No success measure has been agreed yet."), ""])
    for row in context["how_we_will_know"]:
        lines += [f"## {_md(row['clause'])}", "", *(f"- {_md(line)}" for line in row["lines"]), ""]
    return "\n".join(lines)
