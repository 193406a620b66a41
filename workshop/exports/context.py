"""The one context every export format renders: the text, where it came from, who shaped it
and the workshop's record, already filtered by the rules that hold everywhere else
(:mod:`privacy`): authors only where anonymity allows, results only through
:func:`tallies.round_results` (nothing of a blind round before the reveal, small groups
suppressed). Each format renders this context and adds nothing of its own.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from .. import provenance
from ..charts import heatmap_svg
from ..models import DocumentVersion, RoundKind, Workshop
from ..queries import list_rounds
from ..tallies import round_results
from ..text import render_markdown
from .record import workshop_record


def export_context(workshop: Workshop, version: DocumentVersion) -> dict[str, Any]:
    """Everything every format shows: the text, where it came from, who wrote it, the record."""
    agenda = [(round_, round_results(round_)) for round_ in list_rounds(workshop.id)]
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
        "record": workshop_record(workshop, version, agenda, origins),
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
