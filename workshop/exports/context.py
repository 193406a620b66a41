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
from ..charts import heatmap_svgs
from ..models import DocumentVersion, User, VersionSource, Workshop
from ..queries import clauses_of
from ..record import record_of
from ..services.final import readiness
from ..text import plain_text, render_markdown, safe_markdown, without_direction_controls


def export_context(actor: User, workshop: Workshop, version: DocumentVersion) -> dict[str, Any]:
    """Everything every format shows: the text, where it came from, who wrote it, the record."""
    origins = provenance.by_clause(version)
    status = ""
    if version.final_at is not None:
        status = _(
            "Final: locked as our agreed mission on %(date)s.",
            date=version.final_at.strftime("%Y-%m-%d"),
        )
    # A final version's as it was locked; the others' as the workshop stands now.
    record = record_of(actor, workshop, version, readiness(workshop, version), origins)
    # The organisation's name from the record too: a final version renamed after its lock
    # took the new name in its title and filename, while its record kept the old.
    organisation = record["workshop"]["organisation"]
    return {
        "status": status,
        # How we will know: one line per agreed success measure, under its clause.
        "how_we_will_know": [
            {"clause": row["clause"], "lines": [measure_line(m) for m in row["measures"]]}
            for row in record["success_measures"]
        ],
        "signoffs": [
            _(
                "Signed off by %(name)s on %(date)s",
                name=s.signer_name,
                date=s.created_at.strftime("%Y-%m-%d %H:%M") + " UTC",
            )
            + (f": “{s.comment}”" if s.comment else "")
            for s in version.signoffs
        ],
        "organisation": organisation,
        "version": version,
        "title": version.title or _("%(org)s: our mission", org=organisation),
        # What the reader needs, not what the editor noted while saving.
        "meta": " · ".join(
            [
                organisation,
                _("Version %(number)s", number=version.number),
                version.created_at.strftime("%Y-%m-%d"),
            ]
        ),
        "clauses": [
            {
                "heading": clause.heading,
                "html": Markup(render_markdown(clause.body)),
                "markdown": safe_markdown(clause.body),
            }
            for clause in clauses_of(version)
        ],
        "body_html": render_markdown(version.body_md),
        "origins": [_story(origin) for origin in origins],
        "values_appendix": [
            {
                **appendix,
                # Every personal value, a picture per page's worth.
                "svgs": [
                    Markup(svg)
                    for svg in heatmap_svgs(
                        appendix["results"],
                        title=_("Personal values and the organisation's values"),
                        empty_text=_("Nobody has shared their values yet."),
                    )
                ],
            }
            for appendix in record["values_appendix"]
        ],
        "record": record,
    }


def measure_line(measure: dict[str, Any]) -> str:
    """One success measure in words: what, from where to where, who, when reviewed."""
    line = _(
        "%(what)s: from %(baseline)s to %(target)s",
        what=measure["what"],
        baseline=measure["baseline"] or "—",
        target=measure["target"],
    )
    if measure["owner_team"]:
        line += " · " + measure["owner_team"]
    if measure["review_on"]:
        line += " · " + _("review %(date)s", date=measure["review_on"])
    return line


def _about(person: dict[str, str]) -> str:
    """ "Amira, Frontline, Care": a person with their level and department."""
    return ", ".join(x for x in (person["name"], person["level"], person["department"]) if x)


def _edited_in(numbers: list[int]) -> str:
    """ "edited in version 3", or for a run "edited in versions 1 to 5" / "versions 2 and 7"."""
    if len(numbers) == 1:
        return _("edited in version %(number)s", number=numbers[0])
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return _("edited in versions %(first)s to %(last)s", first=numbers[0], last=numbers[-1])
    return _(
        "edited in versions %(some)s and %(last)s",
        some=", ".join(str(n) for n in numbers[:-1]),
        last=numbers[-1],
    )


def _story(origin: dict[str, Any]) -> dict[str, Any]:
    """One clause's origin as a few sentences a reader follows: where its words came from,
    who wrote the words it has now (with their share), and how they divide among levels."""
    sources: list[str] = []
    edits: list[int] = []  # a run of plain edits reads as one step, not a line each

    def end_of_edits() -> None:
        if edits:
            sources.append(_edited_in(edits))
            edits.clear()

    if any(provenance.is_existing_mission(p) for p in origin["people"]):
        sources.append(_("the existing mission"))
    for item in origin["contributions"]:
        plain_edit = not (item["proposals"] or item["amendment"] or item["duel"])
        if plain_edit and item["source"] != str(VersionSource.RESTORE):
            edits.append(item["version"])
            continue
        end_of_edits()
        for proposal in item["proposals"]:
            text = plain_text(proposal["body_md"])
            sources.append(_("Proposal #%(id)s (“%(text)s”)", id=proposal["id"], text=text))
        if item["proposals"]:
            continue
        if item["amendment"]:
            change = item["amendment"]
            sources.append(
                _(
                    "Amendment #%(id)s: “%(new)s” instead of “%(old)s”",
                    id=change["id"],
                    new=without_direction_controls(change["replacement"]),
                    old=without_direction_controls(change["original"]),
                )
                + "".join(f" ({_about(p)})" for p in change["people"])
            )
        else:
            sources.append(item["label"])
    end_of_edits()
    people = [p for p in origin["people"] if not provenance.is_existing_mission(p)]
    return {
        "clause": origin["clause"],
        "sources": list(dict.fromkeys(sources)),
        "people": [
            {"name": p["name"], "about": ", ".join(x for x in (p["level"], p["department"]) if x)}
            for p in people
        ],
        "levels": [
            {"level": row["level"], "percent": round(row["share"] * 100)}
            for row in origin["by_level"]
        ],
    }
