"""The workshop's record as data: the JSON export (schema in docs/export-schema.json), which
the CSV tables read too. Authors, results and counts only where the rules of
:mod:`privacy` let staff see them.
"""

from __future__ import annotations

import collections
from typing import Any

from .. import clock, provenance
from ..audiences import amendment_counts, iso, tag_payload
from ..models import (
    Amendment,
    Comment,
    DocumentVersion,
    Duel,
    DuelStatus,
    Proposal,
    Round,
    RoundKind,
    Workshop,
)
from ..privacy import MIN_GROUP_SIZE, effective_anonymity, shows_authors, suppress_small_groups
from ..queries import (
    comments_of,
    list_amendments,
    list_duels,
    list_participants,
    list_proposals,
    voter_count,
)

# The JSON export's shape, published as docs/export-schema.json; bump on breaking changes.
JSON_FORMAT = "mission-workshop-export"
JSON_FORMAT_VERSION = 2


def _comment_author(comment: Comment) -> dict[str, str] | None:
    if comment.author is None or not shows_authors(comment.anonymity, staff=True, readout=False):
        return None
    return provenance.person(comment.author)


def workshop_record(
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
                "anonymity": str(effective_anonymity(workshop, round_)),
                "duration_seconds": round_.duration_seconds,
                "started_at": iso(round_.started_at),
                "ended_at": iso(round_.ended_at),
                "revealed_at": iso(round_.revealed_at),
                "voters": voter_count(round_.id) if round_.takes_ballots else None,
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
        "duels": [_duel_record(d) for d in list_duels(workshop.id)],
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
        "counts": amendment_counts(amendment),
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
    people = list_participants(workshop.id)

    def counted(attribute: str) -> dict[str, int | None]:
        sizes = collections.Counter(getattr(p, attribute) for p in people if getattr(p, attribute))
        shown = suppress_small_groups(sizes)
        return {group: sizes[group] if show else None for group, show in shown.items()}

    return {
        "joined": len(people),
        "min_group_size": MIN_GROUP_SIZE,
        "by_level": counted("level"),
        "by_department": counted("department"),
        "proposals": len(proposals),
        "comments": sum(len(c) for c in comments.values()),
    }
