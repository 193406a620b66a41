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
from ..models import DocumentVersion, RoundKind, User, VersionSource, Workshop
from ..queries import clauses_of, list_rounds
from ..services.final import readiness
from ..tallies import round_results
from ..text import render_markdown, safe_markdown
from .record import workshop_record


def export_context(actor: User, workshop: Workshop, version: DocumentVersion) -> dict[str, Any]:
    """Everything every format shows: the text, where it came from, who wrote it, the record."""
    agenda = [(round_, round_results(round_)) for round_ in list_rounds(workshop.id)]
    values_rounds = [
        (round_, results)
        for round_, results in agenda
        if round_.kind == RoundKind.VALUES and results is not None
    ]
    origins = provenance.by_clause(version)
    sentences = provenance.by_sentence(actor, workshop.id, version.number)
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
        "title": version.title or _("%(org)s: our mission", org=workshop.organisation),
        # What the reader needs, not what the editor noted while saving.
        "meta": " · ".join(
            [
                workshop.organisation,
                _("Version %(number)s", number=version.number),
                version.created_at.strftime("%Y-%m-%d"),
            ]
        ),
        "clauses": [
            {
                "heading": clause.heading,
                "html": Markup(render_markdown(clause.body)),
                "markdown": safe_markdown(clause.body),
                "heading_markdown": safe_markdown(clause.heading),
            }
            for clause in clauses_of(version)
        ],
        "body_html": render_markdown(version.body_md),
        "origins": [_story(origin) for origin in origins],
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
        "record": workshop_record(
            workshop, version, agenda, origins, readiness(workshop, version), sentences
        ),
    }


def _story(origin: dict[str, Any]) -> dict[str, Any]:
    """One clause's origin as a few sentences a reader follows: where its words came from,
    who wrote the words it has now (with their share), and how they divide among levels."""
    sources: list[str] = []
    if any(p["name"] == _("the existing mission") for p in origin["people"]):
        sources.append(_("the existing mission"))
    for item in origin["contributions"]:
        for proposal in item["proposals"]:
            text = " ".join(proposal["body_md"].split())
            sources.append(_("Proposal #%(id)s (“%(text)s”)", id=proposal["id"], text=text))
        if item["proposals"]:
            continue
        if item["amendment"]:
            sources.append(
                _(
                    "Amendment #%(id)s: “%(new)s” instead of “%(old)s”",
                    id=item["amendment"]["id"],
                    new=item["amendment"]["replacement"],
                    old=item["amendment"]["original"],
                )
            )
        elif item["duel"] or item["source"] in (str(VersionSource.RESTORE),):
            sources.append(item["label"])
        else:
            sources.append(_("edited in version %(number)s", number=item["version"]))
    people = [p for p in origin["people"] if p["name"] != _("the existing mission")]
    return {
        "clause": origin["clause"],
        "sources": list(dict.fromkeys(sources)),
        "people": [
            {
                "name": p["name"],
                "about": ", ".join(x for x in (p["level"], p["department"]) if x),
            }
            for p in people
        ],
        "levels": [
            {"level": row["level"], "percent": round(row["share"] * 100)}
            for row in origin["by_level"]
        ],
    }
