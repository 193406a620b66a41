"""Where the words came from: each version's contribution (proposals, an amendment, a duel, an
edit, a restore), traced per clause for the origins appendix and per sentence for the
version page.

Everything here is read by staff and the exports, so people are named where staff may see
them (``shows_authors(..., staff=True)``): never in fully anonymous mode.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from . import clauses
from .diffs import sentences
from .errors import NotFound
from .guards import workshop_for_staff
from .models import DocumentVersion, Participant, Proposal, User, VersionSource
from .privacy import shows_authors
from .queries import clauses_of, history


def person(participant: Participant) -> dict[str, str]:
    """A person as the record shows them: name, level and department."""
    return {
        "name": participant.display_name,
        "level": participant.level,
        "department": participant.department or "",
    }


def proposal_people(proposal: Proposal) -> list[dict[str, str]]:
    """The people behind a proposal (its credits after merges), where anonymity allows."""
    if not shows_authors(proposal.anonymity, staff=True, readout=False):
        return []
    people = [credit.participant for credit in proposal.credits] or (
        [proposal.author] if proposal.author else []
    )
    return [person(p) for p in people]


def _said_in(proposal: Proposal, text: str) -> bool:
    """Whether any sentence of a proposal is in a text (spacing aside)."""
    flat = " ".join(text.split())
    return any(sentence in flat for sentence in sentences(proposal.body_md))


def contribution(version: DocumentVersion, within: str | None = None) -> dict[str, Any]:
    """What one version brought in and who was behind it; ``within`` keeps only the proposals
    whose words are in that text (a clause, a sentence)."""
    amendment = version.amendment
    duel = version.duel
    editor = version.editor_participant
    out: dict[str, Any] = {
        "version": version.number,
        "source": str(version.source),
        "note": version.note,
        "editor": version.editor_name,
        "proposals": [
            {"id": p.id, "body_md": p.body_md, "people": proposal_people(p)}
            for p in version.source_proposals
            if within is None or _said_in(p, within)
        ],
        "amendment": None,
        "duel": None,
        "people": [person(editor)] if editor is not None else [],
    }
    if amendment is not None:
        shown = amendment.author is not None and shows_authors(
            amendment.anonymity, staff=True, readout=False
        )
        out["amendment"] = {
            "id": amendment.id,
            "original": amendment.original,
            "replacement": amendment.replacement,
            "reason": amendment.reason,
        }
        if shown:
            out["people"] = [person(amendment.author)]
    if duel is not None:
        winner = next((o for o in duel.options if o.id == duel.winner_id), None)
        out["duel"] = {
            "id": duel.id,
            "winner": winner.text if winner else "",
            "alternatives": [o.text for o in duel.options if o.id != duel.winner_id],
            "voters": (duel.result or {}).get("voters", 0),
        }
    for proposal in out["proposals"]:
        out["people"].extend(p for p in proposal["people"] if p not in out["people"])
    out["label"] = label(out)
    return out


def label(item: dict[str, Any]) -> str:
    """One line saying where a contribution came from."""
    if item["amendment"]:
        return _("Amendment #%(id)s", id=item["amendment"]["id"])
    if item["duel"]:
        return _(
            "Duel #%(id)s: chosen by %(n)s people over %(others)s",
            id=item["duel"]["id"],
            n=item["duel"]["voters"],
            others="; ".join(f"“{text}”" for text in item["duel"]["alternatives"]),
        )
    if item["proposals"]:
        return ", ".join(_("Proposal #%(id)s", id=p["id"]) for p in item["proposals"])
    if item["source"] == str(VersionSource.RESTORE):
        return item["note"] or _("Restored")
    return _("Written by %(name)s", name=item["editor"])


def by_clause(version: DocumentVersion) -> list[dict[str, Any]]:
    """For each clause of a version: every version that changed its words, oldest first."""
    changes: dict[int, list[tuple[DocumentVersion, str]]] = {}
    before: dict[int, str] = {}
    for earlier in history(version.workshop_id, version.number):
        for clause in clauses_of(earlier):
            if clause.body and before.get(clause.key) != clause.body:
                changes.setdefault(clause.key, []).append((earlier, clause.body))
            before[clause.key] = clause.body
    return [
        {
            "clause_key": clause.key,
            "clause": clauses.label(clause),
            "body_md": clause.body,
            "contributions": [
                contribution(v, within=body) for v, body in changes.get(clause.key, [])
            ],
        }
        for clause in clauses_of(version)
        if clause.body
    ]


def by_sentence(actor: User, workshop_id: int, number: int) -> list[dict[str, Any]]:
    """Where each sentence of a version came from: the version that brought it in, its source
    (proposals, an amendment, a duel, an edit, a restore) and the people behind it, with their
    levels and departments (where anonymity allows)."""
    workshop_for_staff(actor, workshop_id, moderate=False)
    versions = history(workshop_id, number)
    if not versions or versions[-1].number != number:
        raise NotFound(_("There is no version %(number)s of this document.", number=number))

    def said(version: DocumentVersion) -> list[str]:  # headings are labels, not sentences
        return [s for part in clauses.parse(version.body_md) for s in sentences(part.body)]

    origin: dict[str, dict[str, Any]] = {}
    for version in versions:
        for sentence in said(version):
            if sentence not in origin:  # carried over: it keeps where it first came from
                origin[sentence] = contribution(version, within=sentence)
    return [{"sentence": sentence, **origin[sentence]} for sentence in said(versions[-1])]
