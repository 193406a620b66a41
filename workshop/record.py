"""The workshop's full record as data: the JSON export (schema in docs/export-schema.json,
format version 5) and the tables of the CSV export.

Everything is filtered by the rules that hold on every channel (:mod:`privacy`), through
the same functions of :mod:`audiences` that build what staff see live (exports are for
staff, without the anonymous read-out): authors only where staff may see them, results only
once they may be seen, duel counts only once a duel is decided, participation never for a
group under five (small groups are pooled).

A final version keeps the record it was locked with (``record_at_lock``), in every language
the app speaks: a reopened draft, the rounds after it and the people who joined later change
the live record, not what the final mission was agreed on.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from . import clock, provenance
from .audiences import (
    amendment_counts,
    amendment_mean,
    amendment_objections,
    duel_results,
    duel_winner,
    iso,
    named_author,
    source_label,
    tag_payload,
    version_author,
)
from .locales import current_language, shipped_languages
from .models import (
    Amendment,
    Comment,
    DocumentVersion,
    Duel,
    Proposal,
    Round,
    RoundKind,
    User,
    VersionSource,
    Workshop,
)
from .privacy import MIN_GROUP_SIZE, effective_anonymity
from .queries import (
    ballot_count_by_round,
    comments_of,
    history,
    known_proposers,
    known_voters,
    list_amendments,
    list_duels,
    list_participants,
    list_proposals,
    list_rounds,
    proposal_source,
    voter_count,
)
from .services.measures import measures_by_clause
from .services.representation import group_rows, grouping, pooled_at_locks
from .tallies import duel_winner_votes, round_results

# The JSON export's shape, published as docs/export-schema.json; bump on breaking changes.
JSON_FORMAT = "mission-workshop-export"
JSON_FORMAT_VERSION = 5  # 5: values results name each value by its key; who voted per group


MEASURE_FIELDS = ("what", "baseline", "target", "owner_team", "review_on", "support")


def workshop_record(
    workshop: Workshop,
    version: DocumentVersion,
    agenda: list[tuple[Round, dict | None]],
    origins: list[dict[str, Any]],
    readiness: dict[str, Any],
    sentences: list[dict[str, Any]],
) -> dict[str, Any]:
    """The workshop's record, up to ``version``, as data."""
    proposals = list_proposals(workshop.id, include_hidden=True)
    comments = comments_of([p.id for p in proposals])
    versions = history(workshop.id, version.number)
    final = [v for v in versions if v.final_at is not None]
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
            "lock_quorum": workshop.lock_quorum,
            "levels": list(workshop.levels),
            "departments": list(workshop.departments),
            "values": [
                {"id": v.id, "name": v.name, "description": v.description} for v in workshop.values
            ],
            "created_at": iso(workshop.created_at),
        },
        "document": {
            "title": version.title,
            "version": version.number,
            "final": version.final_at is not None,
            "locked_at": iso(version.final_at),
            "final_versions": [v.number for v in final],
            "signoffs": _signoffs(version),
            "reopened": [
                {"version": v.number, "after": v.based_on, "at": iso(v.created_at), "note": v.note}
                for v in versions
                if v.source == VersionSource.REOPEN
            ],
        },
        "versions": [_version(v) for v in versions],
        "clauses": [_clause(row) for row in readiness["clauses"]],
        "readiness": {
            "ready": readiness["ready"],
            "people_present": readiness["present"],
            "quorum_percent": readiness.get("quorum", workshop.lock_quorum),
            "answers_needed": readiness["needed"],
            "problems": [
                {k: p[k] for k in ("clause_key", "clause", "kind", "message")}
                for p in readiness["problems"]
            ],
        },
        "rounds": [_round(workshop, round_, results) for round_, results in agenda],
        "proposals": [_proposal(p, comments[p.id]) for p in proposals],
        "amendments": [amendment_record(a) for a in list_amendments(workshop.id)],
        "duels": [duel_record(d) for d in list_duels(workshop.id)],
        "provenance": [_provenance_entry(v) for v in versions],
        "origins": [
            {
                "clause_key": origin["clause_key"],
                "clause": origin["clause"],
                "body_md": origin["body_md"],
                "versions": [item["version"] for item in origin["contributions"]],
                "people": origin["people"],
                "by_level": origin["by_level"],
            }
            for origin in origins
        ],
        "sentences": [
            {
                "sentence": row["sentence"],
                "version": row["version"],
                "source": row["source"],
                "label": row["label"],
                "people": row["people"],
            }
            for row in sentences
        ],
        "participation": participation(workshop, proposals, comments, agenda),
        "success_measures": [
            {
                "clause_key": row["key"],
                "clause": row["title"],
                "measures": [{k: m[k] for k in MEASURE_FIELDS} for m in row["measures"]],
            }
            for row in measures_by_clause(workshop.id, version, agreed_only=True)
            if row["measures"]
        ],
        "values_appendix": [
            {"round_id": round_.id, "prompt": round_.prompt, "results": results}
            for round_, results in agenda
            if round_.kind == RoundKind.VALUES and results is not None
        ],
    }


def current_record(
    actor: User,
    workshop: Workshop,
    version: DocumentVersion,
    readiness: dict[str, Any],
    origins: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The record of ``version`` as the workshop stands now (``readiness``: the version's;
    ``origins``: its ``provenance.by_clause``, when the caller has it already)."""
    agenda = [(round_, round_results(round_)) for round_ in list_rounds(workshop.id)]
    return workshop_record(
        workshop,
        version,
        agenda,
        provenance.by_clause(version) if origins is None else origins,
        readiness,
        provenance.by_sentence(actor, workshop.id, version.number),
    )


def record_at_lock(
    actor: User, workshop: Workshop, version: DocumentVersion, readiness: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """The record a version is locked with, once per language the app speaks (it holds the
    server's words: labels, pooled groups' names)."""
    out = {}
    for language in shipped_languages():
        with force_locale(language):
            out[language] = current_record(actor, workshop, version, readiness)
    return out


def record_of(
    actor: User,
    workshop: Workshop,
    version: DocumentVersion,
    readiness: dict[str, Any],
    origins: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The record to export for ``version``: a final one's as it was locked (who has signed
    its versions since, their names, and when it is exported, as now); any other's as the
    workshop stands now."""
    kept = version.final_record if version.final_at is not None else None
    if not kept:
        return current_record(actor, workshop, version, readiness, origins)
    record = kept.get(current_language()) or next(iter(kept.values()))
    now = {v.number: v for v in history(workshop.id, version.number)}
    return {
        **record,
        "exported_at": iso(clock.now()),
        "document": {**record["document"], "signoffs": _signoffs(version)},
        "versions": [
            {**row, "name": now[row["number"]].name, "signoffs": _signoffs(now[row["number"]])}
            for row in record["versions"]
        ],
    }


def _signoffs(version: DocumentVersion) -> list[dict[str, Any]]:
    return [
        {"name": s.signer_name, "comment": s.comment, "at": iso(s.created_at)}
        for s in version.signoffs
    ]


def _version(version: DocumentVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "name": version.name,
        "title": version.title,
        "body_md": version.body_md,
        "note": version.note,
        "source": str(version.source),
        "source_label": source_label(version),
        "based_on": version.based_on,
        "author": version_author(version, staff=True),
        "created_at": iso(version.created_at),
        "final": version.final_at is not None,
        "locked_at": iso(version.final_at),
        "signoffs": _signoffs(version),
    }


def _clause(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "clause_key": row["clause_key"],
        "clause": row["clause"],
        "empty": row["empty"],
        "consent": {**row["answers"], "stale": row["stale"], "current": row["current"]},
        "objections": row["objections"],
        "problems": [p["kind"] for p in row["problems"]],
    }


def _round(workshop: Workshop, round_: Round, results: dict | None) -> dict[str, Any]:
    return {
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
        "clause": round_.clause,
        "proposals_from": source.id if (source := proposal_source(round_)) else None,
        "results": results,
    }


def _comment_author(comment: Comment) -> dict[str, str] | None:
    author = named_author(comment, staff=True)
    return provenance.person(author) if author else None


def _proposal(p: Proposal, comments: list[Comment]) -> dict[str, Any]:
    return {
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
            for c in comments
        ],
    }


def _provenance_entry(version: DocumentVersion) -> dict[str, Any]:
    item = provenance.contribution(version)
    return {
        "version": version.number,
        "source": str(version.source),
        "label": item["label"],
        "based_on": version.based_on,
        "proposal_ids": sorted(p["id"] for p in item["proposals"]),
        "clause_key": version.clause_key,
        "amendment_id": version.amendment_id,
        "duel_id": version.duel_id,
        "people": provenance.people_of(provenance.text_credits(version)),
    }


def amendment_record(amendment: Amendment) -> dict[str, Any]:
    """An amendment with the count of each answer (never who answered what)."""
    author = named_author(amendment, staff=True)
    counts = amendment_counts(amendment)
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
        "author": provenance.person(author) if author else None,
        "method": str(amendment.method),
        "counts": counts,
        "answers": sum(counts.values()),
        "mean_score": amendment_mean(amendment),
        "objections": amendment_objections(amendment),
        "created_at": iso(amendment.created_at),
    }


def duel_record(duel: Duel) -> dict[str, Any]:
    """A duel with every wording, the winner and the losers; counts once it was decided."""
    results = duel_results(duel)
    decided = results is not None
    counts = results.get("counts", {}) if results is not None else {}
    return {
        "id": duel.id,
        "clause_key": duel.clause_key,
        "version_number": duel.version_number,
        "original": duel.original,
        "method": str(duel.method),
        "status": str(duel.status),
        "voters": len(duel.ballots),
        "winner_id": duel_winner(duel),
        "winner_votes": duel_winner_votes(duel),
        "version_made": duel.version_made,
        "options": [
            {"id": o.id, "text": o.text, "votes": counts.get(str(o.id), 0) if decided else None}
            for o in duel.options
        ],
        "created_at": iso(duel.created_at),
        "decided_at": iso(duel.decided_at),
    }


def participation(
    workshop: Workshop,
    proposals: list[Proposal],
    comments: dict[int, list[Comment]],
    agenda: list[tuple[Round, dict | None]],
) -> dict[str, Any]:
    """How many joined and took part, by level and department, with every group under five
    pooled with others ("Other levels"), so a small organisation still sees a picture and no
    small group can be picked out."""
    people = list_participants(workshop.id)
    proposers, voters = known_proposers(workshop.id), known_voters(workshop.id)
    keep = pooled_at_locks(workshop.id)  # as the "who took part" page pools them

    def grouped(attribute: str, other: str) -> list[dict[str, Any]]:
        groups = grouping(people, attribute, other, keep[attribute])
        return group_rows(people, groups, proposers, voters)

    return {
        "joined": len(people),
        "min_group_size": MIN_GROUP_SIZE,
        "by_level": grouped("level", _("Other levels")),
        "by_department": grouped("department", _("Other departments")),
        "proposals": len(proposals),
        "comments": sum(len(c) for c in comments.values()),
        "voters_by_round": ballot_count_by_round(workshop.id),
    }
