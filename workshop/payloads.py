"""What each audience sees: models turned into the JSON that pages and events carry.

One place decides what leaves the server, so a later rule ("no tallies
before reveal", "no authors in anonymous mode") is enforced for every
channel at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import clock
from .catalogue import find_value
from .clauses import with_keys
from .models import (
    Anonymity,
    Comment,
    DocumentVersion,
    Participant,
    Proposal,
    Round,
    ValueTag,
    Workshop,
)
from .text import render_markdown

# Results are never broken down for a group smaller than this, anywhere.
MIN_GROUP_SIZE = 5


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
        "amendment_method": workshop.amendment_method,
        "levels": list(workshop.levels),
        "departments": list(workshop.departments),
        "values": [
            {"id": v.id, "name": v.name, "description": v.description} for v in workshop.values
        ],
        "join_code": workshop.join_code,
        "anonymity": str(workshop.anonymity),
        "readout_anonymous": workshop.readout_anonymous,
    }


def participant_payload(participant: Participant) -> dict[str, Any]:
    """How a participant appears to others."""
    return {
        "id": participant.id,
        "name": participant.display_name,
        "level": participant.level,
        "department": participant.department,
    }


def shows_authors(anonymity: Anonymity, *, staff: bool, readout: bool) -> bool:
    """The one rule for every channel: may this audience see who wrote something?"""
    if anonymity == Anonymity.FULL:
        return False  # nothing is stored to show
    if staff:
        return True
    return anonymity == Anonymity.NAMED and not readout


def tag_name(key: str) -> str:
    """A tag's display name: the catalogue's, or the organisation's own words."""
    value = find_value(key)
    if value is not None:
        return value.name
    return key.split(":", 1)[-1].capitalize()


def tag_payload(tag: ValueTag) -> dict[str, Any]:
    """A value tag as cards show it."""
    return {
        "id": tag.id,
        "key": tag.value_key,
        "name": tag_name(tag.value_key),
        "confirmed": tag.confirmed,
        "supporters": len(tag.supporters),
    }


def proposal_payload(
    proposal: Proposal, *, staff: bool, readout: bool = False, comments: list[Comment] = ()
) -> dict[str, Any]:
    """A proposal card. Authors only where anonymity allows; moderation fields only for staff."""
    authors = [credit.participant for credit in proposal.credits] or (
        [proposal.author] if proposal.author else []
    )
    payload: dict[str, Any] = {
        "id": proposal.id,
        "body_html": render_markdown(proposal.body_md),
        "authors": [participant_payload(a) for a in authors]
        if shows_authors(proposal.anonymity, staff=staff, readout=readout)
        else [],
        "pinned": proposal.pinned,
        "values": [tag_payload(tag) for tag in proposal.tags],
        "round_id": proposal.round_id,
        "created_at": iso(proposal.created_at),
        "comments": [
            comment_payload(c, staff=staff, readout=readout)
            for c in comments
            if staff or c.status == "visible"
        ],
    }
    if staff:
        payload["status"] = str(proposal.status)
        payload["hidden_reason"] = proposal.hidden_reason
        payload["merged_into_id"] = proposal.merged_into_id
        payload["body_md"] = proposal.body_md
        payload["anonymity"] = str(proposal.anonymity)
    return payload


def comment_payload(comment: Comment, *, staff: bool, readout: bool = False) -> dict[str, Any]:
    """A comment under a proposal, with the same author rule as proposals."""
    show = comment.author is not None and shows_authors(
        comment.anonymity, staff=staff, readout=readout
    )
    payload: dict[str, Any] = {
        "id": comment.id,
        "body_html": render_markdown(comment.body_md),
        "author": participant_payload(comment.author) if show and comment.author else None,
        "created_at": iso(comment.created_at),
    }
    if staff:
        payload["status"] = str(comment.status)
    return payload


def round_payload(round_: Round) -> dict[str, Any]:
    """A round of the agenda with its timer; ``server_now`` lets clients correct clock skew."""
    return {
        "id": round_.id,
        "position": round_.position,
        "kind": str(round_.kind),
        "prompt": round_.prompt,
        "duration_seconds": round_.duration_seconds,
        "status": str(round_.status),
        "started_at": iso(round_.started_at),
        "ends_at": iso(round_.ends_at),
        "remaining_seconds": round_.remaining_seconds,
        "method": round_.method,
        "dots_budget": round_.dots_budget,
        "dots_cap": round_.dots_cap,
        "pick_limit": round_.pick_limit,
        "blind": round_.blind,
        "revealed": round_.revealed_at is not None,
        "breakdown_by_level": round_.breakdown_by_level,
        "premoderation": round_.premoderation,
        "anonymity": str(round_.anonymity) if round_.anonymity else None,
        "words": list(round_.words or []),
        "server_now": iso(clock.now()),
    }


def version_payload(version: DocumentVersion) -> dict[str, Any]:
    """A document version as the draft panel shows it."""
    return {
        "number": version.number,
        "name": version.name,
        "final": version.final_at is not None,
        "signoffs": [
            {"name": s.signer_name, "comment": s.comment, "at": iso(s.created_at)}
            for s in version.signoffs
        ],
        "html": render_markdown(version.body_md),
        "body_md": version.body_md,  # the words amendments select from
        "clauses": clauses_payload(version),
        "note": version.note,
        "source": str(version.source),
        "author": version.editor_name,
        "created_at": iso(version.created_at),
    }


def clauses_payload(version: DocumentVersion) -> list[dict[str, Any]]:
    """A version's clauses with their keys, and where each one's words lie in ``body_md``
    (a selection for an amendment or a duel is made inside one clause)."""
    out = []
    for clause in with_keys(version.body_md, version.clause_keys):
        start, end = clause.span
        out.append(
            {
                "key": clause.key,
                "heading": clause.heading,
                "body": clause.body,
                "html": render_markdown(clause.body),
                "body_start": start,
                "body_end": end,
                "words": len(clause.body.split()),
            }
        )
    return out


def presence_payload(
    online: int, joined: int, by_level: dict[str, int], by_department: dict[str, int]
) -> dict[str, Any]:
    """Who is here: counts only, never names."""
    return {
        "online": online,
        "joined": joined,
        "by_level": by_level,
        "by_department": by_department,
    }
