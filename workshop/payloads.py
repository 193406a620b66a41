"""What each audience sees: models turned into the JSON that pages and events carry.

One place decides what leaves the server, so a later rule ("no tallies
before reveal", "no authors in anonymous mode") is enforced for every
channel at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from .models import DocumentVersion, Participant, Proposal, Workshop
from .text import render_markdown


@dataclasses.dataclass(frozen=True)
class Tally:
    """Dots on one proposal and how many people placed them."""

    dots: int = 0
    voters: int = 0


def iso(moment: dt.datetime | None) -> str | None:
    """Timestamps travel as ISO 8601 in UTC."""
    return moment.isoformat() if moment else None


def workshop_payload(workshop: Workshop) -> dict[str, Any]:
    """The workshop's public settings and phase."""
    return {
        "id": workshop.id,
        "title": workshop.title,
        "organisation": workshop.organisation,
        "brief_html": render_markdown(workshop.brief_md),
        "phase": str(workshop.phase),
        "phase_changed_at": iso(workshop.phase_changed_at),
        "dots_per_participant": workshop.dots_per_participant,
        "levels": list(workshop.levels),
        "departments": list(workshop.departments),
        "values": [
            {"id": v.id, "name": v.name, "description": v.description} for v in workshop.values
        ],
        "join_code": workshop.join_code,
    }


def participant_payload(participant: Participant) -> dict[str, Any]:
    """How a participant appears to others."""
    return {
        "id": participant.id,
        "name": participant.display_name,
        "level": participant.level,
        "department": participant.department,
    }


def proposal_payload(proposal: Proposal, tally: Tally, *, staff: bool) -> dict[str, Any]:
    """A proposal card; hidden ones and the reason exist only for staff."""
    payload: dict[str, Any] = {
        "id": proposal.id,
        "body_html": render_markdown(proposal.body_md),
        "author": participant_payload(proposal.author),
        "created_at": iso(proposal.created_at),
        "dots": tally.dots,
        "voters": tally.voters,
    }
    if staff:
        payload["hidden"] = proposal.is_hidden
        payload["hidden_reason"] = proposal.hidden_reason
        payload["body_md"] = proposal.body_md
    return payload


def version_payload(version: DocumentVersion) -> dict[str, Any]:
    """A document version as the draft panel shows it."""
    return {
        "number": version.number,
        "html": render_markdown(version.body_md),
        "note": version.note,
        "source": str(version.source),
        "author": version.author.display_name,
        "created_at": iso(version.created_at),
    }


def presence_payload(online: int, joined: int, by_level: dict[str, int]) -> dict[str, Any]:
    """Who is here: counts only, never names."""
    return {"online": online, "joined": joined, "by_level": by_level}
