"""Exports of a document version: one rendering path, several formats."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from ..charts import heatmap_svg
from ..errors import ValidationFailed
from ..extensions import db
from ..models import Ballot, DocumentVersion, Participant, Proposal, User, Workshop
from ..payloads import shows_authors
from ..text import render_markdown
from . import rounds, values
from .document import get_version
from .workshops import get_workshop_for_staff

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


@dataclasses.dataclass(frozen=True)
class Export:
    """A file ready to download."""

    filename: str
    mimetype: str
    content: str


def slugify(text: str) -> str:
    """A filename-safe, readable form of a title."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "mission"


def export_version(actor: User, workshop_id: int, number: int, fmt: str) -> Export:
    """Render a version as Markdown or as a standalone printable HTML page."""
    if fmt not in FORMATS:
        raise ValidationFailed(_("Unknown export format “%(fmt)s”.", fmt=fmt), field="format")
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=False)
    version = get_version(actor, workshop_id, number)
    context = _export_context(workshop, version)
    template = "exports/version.md" if fmt == "md" else "exports/version.html"
    filename = f"{slugify(workshop.organisation)}-mission-v{version.number}.{fmt}"
    return Export(filename, FORMATS[fmt], render_template(template, **context))


def _values_appendix(workshop: Workshop) -> list[dict[str, object]]:
    """Values rounds whose results may be seen, as pictures and figures (never small groups)."""
    appendix = []
    for round_ in rounds.list_rounds(workshop.id):
        if round_.method != rounds.VALUES_METHOD or not rounds.results_visible(round_):
            continue
        stored = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id))
        results = values.values_results(workshop, values.submissions(stored))
        appendix.append(
            {
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
        )
    return appendix


def _export_context(workshop: Workshop, version: DocumentVersion) -> dict[str, object]:
    """Everything every format shows: the text, where it came from, who wrote it."""
    return {
        "values_appendix": _values_appendix(workshop),
        "workshop": workshop,
        "version": version,
        "body_html": render_markdown(version.body_md),
        "origins": [
            {
                "body_md": p.body_md,
                "body_html": render_markdown(p.body_md),
                "authors": [
                    {"name": a.display_name, "level": a.level, "department": a.department}
                    for a in _credited(p)
                ],
            }
            for p in version.source_proposals
        ],
    }


def _credited(proposal: Proposal) -> list[Participant]:
    """Who an export may name for a proposal: nobody for anonymous ones."""
    if not shows_authors(proposal.anonymity, staff=True, readout=False):
        return []
    return [credit.participant for credit in proposal.credits]
