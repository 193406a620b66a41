"""What each audience sees: models turned into the JSON that pages, events, snapshots and
exports carry.

One module decides what leaves the server for whom, with the rules of
:mod:`privacy` (authors only where anonymity allows, nothing of a blind round
or an undecided duel before it may be seen, no small groups), so that a rule
holds on every channel at once. ``staff`` is the view of the workshop's
facilitators and leadership; everyone else (participants, the projector) gets
the participants' view. Exports are for staff: they read the staff view,
without the anonymous read-out (``staff=True, readout=False``), through the
same functions (:func:`proposal_authors`, :func:`named_author`,
:func:`version_author`, :func:`duel_results` ...), in their own shapes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _

from . import clock, voting
from .budget import length_budget
from .catalogue import find_value, load_catalogue, workshop_catalogue
from .clauses import Clause, with_keys
from .coverage import coverage
from .diffs import diff_payload
from .extensions import db
from .locales import current_language
from .models import (
    Amendment,
    ClauseVote,
    Comment,
    DocumentVersion,
    Duel,
    Participant,
    Proposal,
    ProposalStatus,
    Round,
    ValueTag,
    VersionSource,
    Workshop,
)
from .privacy import (
    ROUND_SCOPED_KINDS,
    duel_results_visible,
    effective_anonymity,
    shows_authors,
)
from .queries import (
    approved_and_vetoed,
    clause_votes,
    clauses_of,
    current_round,
    editing_rows,
    find_ballot,
    latest_version,
    moderated_proposals_of,
    participant_clause_votes,
    presence_counts,
    proposal_source,
    version_numbered,
    voter_count,
    widely_shared,
)
from .tallies import round_results
from .text import render_markdown
from .vocabulary import marked_words


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
        "wall_notices": workshop.wall_notices,
    }


def participant_payload(participant: Participant) -> dict[str, Any]:
    """How a participant appears to others."""
    return {
        "id": participant.id,
        "name": participant.display_name,
        "level": participant.level,
        "department": participant.department,
    }


def tag_name(key: str) -> str:
    """A tag's display name: the catalogue's, or the organisation's own words."""
    value = find_value(key, current_language())
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


def proposal_authors(
    proposal: Proposal, *, staff: bool, readout: bool = False
) -> list[Participant]:
    """The people behind a proposal (its credits after merges) that this audience may see:
    nobody where its anonymity does not allow it."""
    if not shows_authors(proposal.anonymity, staff=staff, readout=readout):
        return []
    return [credit.participant for credit in proposal.credits] or (
        [proposal.author] if proposal.author else []
    )


def named_author(
    item: Comment | Amendment, *, staff: bool, readout: bool = False
) -> Participant | None:
    """Who wrote a comment or suggested an amendment, if this audience may see it."""
    if item.author is None or not shows_authors(item.anonymity, staff=staff, readout=readout):
        return None
    return item.author


def proposal_payload(
    proposal: Proposal, *, staff: bool, readout: bool = False, comments: Sequence[Comment] = ()
) -> dict[str, Any]:
    """A proposal card. Authors only where anonymity allows; moderation fields only for staff."""
    authors = proposal_authors(proposal, staff=staff, readout=readout)
    payload: dict[str, Any] = {
        "id": proposal.id,
        "body_html": render_markdown(proposal.body_md),
        "authors": [participant_payload(a) for a in authors],
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


def moderated_notice(proposal: Proposal) -> dict[str, Any]:
    """What a proposal's authors are told when it is hidden or merged (and see again after a
    reload, in ``my_moderated``): which wording, why, and where a merged one went."""
    notice: dict[str, Any] = {
        "proposal_id": proposal.id,
        "status": str(proposal.status),
        "body_html": render_markdown(proposal.body_md),
    }
    if proposal.status == ProposalStatus.HIDDEN:
        notice["reason"] = proposal.hidden_reason
    kept = db.session.get(Proposal, proposal.merged_into_id) if proposal.merged_into_id else None
    if proposal.status == ProposalStatus.MERGED and kept is not None:
        notice["merged_into_id"] = kept.id
        notice["merged_into_html"] = render_markdown(kept.body_md)
    return notice


def my_moderated(participant: Participant) -> list[dict[str, Any]]:
    """The participant's own proposals that were hidden or merged, with the notice they got,
    so a reload does not lose why."""
    return [moderated_notice(p) for p in moderated_proposals_of(participant)]


def comment_payload(comment: Comment, *, staff: bool, readout: bool = False) -> dict[str, Any]:
    """A comment under a proposal, with the same author rule as proposals."""
    author = named_author(comment, staff=staff, readout=readout)
    payload: dict[str, Any] = {
        "id": comment.id,
        "body_html": render_markdown(comment.body_md),
        "author": participant_payload(author) if author else None,
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
        # Only where the round's own setting is in force (see privacy.ROUND_SCOPED_KINDS).
        "anonymity": str(round_.anonymity)
        if round_.anonymity and round_.kind in ROUND_SCOPED_KINDS
        else None,
        "words": list(round_.words or []),
        "clause": round_.clause,
        "source_round_id": round_.source_round_id,
        "all_proposals": round_.all_proposals,
        # Vote rounds: the propose round whose proposals are on the ballot (None: every
        # visible proposal); screens list a proposal on the ballot when its round_id matches.
        "proposals_from": source.id if (source := proposal_source(round_)) else None,
        "server_now": iso(clock.now()),
    }


def version_payload(
    version: DocumentVersion, *, staff: bool, readout: bool = False
) -> dict[str, Any]:
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
        # None: a participant this audience may not know (each screen says so in its language).
        "author": known_version_author(version, staff=staff, readout=readout),
        "created_at": iso(version.created_at),
    }


def source_label(version: DocumentVersion) -> str:
    """Where a version came from, in words people use (not the stored value)."""
    labels = {
        VersionSource.PROPOSAL: _("Proposals added"),
        VersionSource.EDIT: _("Edited"),
        VersionSource.RESTORE: _("Restored"),
        VersionSource.AMENDMENT: _("Amendment accepted"),
        VersionSource.DUEL: _("Duel decided"),
        VersionSource.REOPEN: _("Reopened"),
    }
    return labels[VersionSource(version.source)]


def known_version_author(
    version: DocumentVersion, *, staff: bool, readout: bool = False
) -> str | None:
    """Who saved a version, if this audience may know: facilitators are always named; a
    participant who saved a clause only where the anonymity they saved under allows."""
    if version.author is not None:
        return version.author.display_name
    person = version.editor_participant
    if person is not None and shows_authors(version.anonymity, staff=staff, readout=readout):
        return person.display_name
    return None


def version_author(version: DocumentVersion, *, staff: bool, readout: bool = False) -> str:
    """Who saved a version, in words for a page or a file: "A participant" where this
    audience may not know who."""
    return known_version_author(version, staff=staff, readout=readout) or _("A participant")


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


def presence_payload(workshop_id: int) -> dict[str, Any]:
    """Who is here: counts only, never names."""
    return presence_counts(workshop_id)


def amendment_payload(
    amendment: Amendment, *, staff: bool, readout: bool = False
) -> dict[str, Any]:
    """An amendment as cards show it: the inline difference, the counts, never voters."""
    author = named_author(amendment, staff=staff, readout=readout)
    return {
        "id": amendment.id,
        "version_number": amendment.version_number,
        "clause_key": amendment.clause_key,
        "original": amendment.original,
        "replacement": amendment.replacement,
        "diff": diff_payload(amendment.original, amendment.replacement),
        # The whole sentence around the change, with the change marked: what people read.
        "in_context": diff_payload(*_in_context(amendment)),
        "support": amendment_support(amendment),
        "reason": amendment.reason,
        "author": participant_payload(author) if author else None,
        "status": str(amendment.status),
        "decided_note": amendment.decided_note,
        "method": str(amendment.method),
        "counts": amendment_counts(amendment),
        "mean": amendment_mean(amendment),
        "objections": amendment_objections(amendment),
        "values": [tag_payload(tag) for tag in amendment.tags],
        "created_at": iso(amendment.created_at),
    }


_SENTENCE_BREAK = ".!?\n"


def _in_context(amendment: Amendment) -> tuple[str, str]:
    """The sentence(s) an amendment's words sit in, before and after the change."""
    version = version_numbered(amendment.workshop_id, amendment.version_number)
    if version is None:
        return amendment.original, amendment.replacement
    text, start, end = version.body_md, amendment.start, amendment.end
    while start > 0 and text[start - 1] not in _SENTENCE_BREAK:
        start -= 1
    while end < len(text) and text[end - 1 : end] not in (".", "!", "?") and text[end] != "\n":
        end += 1
    before = text[start:end].strip()
    after = (
        text[start : amendment.start] + amendment.replacement + text[amendment.end : end]
    ).strip()
    return before, after


def amendment_support(amendment: Amendment) -> float:
    """How much the room backs an amendment, to list the best-supported first: consent
    counts agreement and living with it against objections, approval yes against no, a
    score its average."""
    counts = amendment_counts(amendment)
    if amendment.method == voting.AmendmentMethod.SCORE:
        return amendment_mean(amendment) or 0.0
    if amendment.method == voting.AmendmentMethod.APPROVAL:
        return float(counts.get("yes", 0) - counts.get("no", 0))
    return float(counts.get("agree", 0) + counts.get("live_with", 0) - 2 * counts.get("object", 0))


def amendment_counts(amendment: Amendment) -> dict[str, int]:
    """How many gave each answer, for the amendment's method."""
    answers = voting.AMENDMENT_ANSWERS[voting.AmendmentMethod(amendment.method)]
    counts = {str(answer): 0 for answer in answers}
    for vote in amendment.votes:
        counts[str(vote.choice)] = counts.get(str(vote.choice), 0) + 1
    return counts


def amendment_mean(amendment: Amendment) -> float | None:
    """A score amendment's average score (None for other methods, or with no answers)."""
    if amendment.method != voting.AmendmentMethod.SCORE:
        return None
    scores = [int(vote.choice) for vote in amendment.votes]
    return round(sum(scores) / len(scores), 2) if scores else None


def amendment_objections(amendment: Amendment) -> list[str]:
    """The reasons people objected to an amendment with, sorted: never who gave them."""
    return sorted(v.reason for v in amendment.votes if v.choice == "object")


def duel_results(duel: Duel) -> dict[str, Any] | None:
    """A duel's counts as they may be seen: None (blind) until it is decided."""
    return duel.result if duel_results_visible(duel) else None


def duel_winner(duel: Duel) -> int | None:
    """The winning wording's id, blind like the counts until the duel is decided."""
    return duel.winner_id if duel_results_visible(duel) else None


def duel_payload(duel: Duel, now: dt.datetime | None = None) -> dict[str, Any]:
    """A duel as every screen shows it: blind (the number of voters only) until decided."""
    return {
        "id": duel.id,
        "clause_key": duel.clause_key,
        "version_number": duel.version_number,
        "original": duel.original,
        "method": str(duel.method),
        "status": str(duel.status),
        "ends_at": iso(duel.ends_at),
        "server_now": iso(now or clock.now()),
        "options": [
            {
                "id": option.id,
                "text": option.text,
                "diff": diff_payload(duel.original, option.text),
            }
            for option in duel.options
        ],
        "voters": len(duel.ballots),
        "results": duel_results(duel),
        "winner_id": duel_winner(duel),
        "version_made": duel.version_made,
    }


def document_payload(
    workshop: Workshop, version: DocumentVersion, *, staff: bool
) -> dict[str, Any]:
    """A version with what it says about values: covered, missing, approved and vetoed words,
    consent per clause and its length budget."""
    return {
        "version": version_payload(version, staff=staff, readout=workshop.readout_anonymous),
        "consent": {
            str(key): counts for key, counts in consent_counts(workshop.id, version).items()
        },
        "budget": length_budget(
            version.body_md, per_clause=workshop.words_per_clause, total=workshop.words_total
        ),
        "coverage": value_coverage(workshop, version.body_md, list(version.source_proposals)),
        "words": marked_words(version.body_md, approved_and_vetoed(workshop.id)),
    }


def value_coverage(
    workshop: Workshop, body_md: str, source_proposals: list[Proposal]
) -> dict[str, Any]:
    """Which of the room's widely shared values a text expresses and which it misses."""
    tagged = [tag.value_key for p in source_proposals for tag in p.tags if tag.confirmed]
    return coverage(widely_shared(workshop), tagged, body_md)


def wording_payload(workshop: Workshop, version: DocumentVersion) -> dict[str, Any]:
    """What the draft says about values and its budget, without the version itself."""
    payload = document_payload(workshop, version, staff=False)
    del payload["version"]
    return payload


def consent_counts(
    workshop_id: int, version: DocumentVersion, *, only: int | None = None
) -> dict[int, dict[str, Any]]:
    """Per clause of a version (or ``only`` one): current answers, how many went stale, and
    open objections."""
    current = {c.key: c for c in clauses_of(version) if only is None or c.key == only}
    counts: dict[int, dict[str, Any]] = {
        key: {"agree": 0, "live_with": 0, "object": 0, "stale": 0, "objections": []}
        for key in current
    }
    for vote in clause_votes(workshop_id, only):
        clause = current.get(vote.clause_key)
        if clause is None:
            continue
        entry = counts[vote.clause_key]
        if vote.voted_text != clause.markdown:
            entry["stale"] += 1
        else:
            entry[str(vote.choice)] = entry.get(str(vote.choice), 0) + 1
        if vote.choice == "object" and vote.reason:
            entry["objections"].append(vote.reason)
    for entry in counts.values():
        entry["objections"].sort()
    return counts


def my_clause_vote(vote: ClauseVote, clause: Clause | None) -> dict[str, Any]:
    """A person's own answer on a clause; when stale, with what changed since they voted."""
    now = clause.markdown if clause else ""
    stale = vote.voted_text != now
    return {
        "choice": str(vote.choice),
        "reason": vote.reason,
        "version_number": vote.version_number,
        "stale": stale,
        "diff": diff_payload(vote.voted_text, now) if stale else [],
    }


def my_clause_votes(
    participant: Participant, latest: DocumentVersion | None = None
) -> dict[str, dict[str, Any]]:
    """All of a participant's clause answers, for their screen's snapshot."""
    latest = latest or latest_version(participant.workshop_id)
    current = {c.key: c for c in clauses_of(latest)} if latest else {}
    return {
        str(v.clause_key): my_clause_vote(v, current.get(v.clause_key))
        for v in participant_clause_votes(participant)
        if v.clause_key in current
    }


def editors(workshop: Workshop, *, staff: bool, rows: list[Any] | None = None) -> dict:
    """Who has which clause open, by clause key. Participants' names follow the anonymity
    of the running round (None for each one this audience may not know: screens say
    "someone" in their own language); facilitators are always named."""
    rows = editing_rows(workshop.id) if rows is None else rows
    anonymity = effective_anonymity(workshop, current_round(workshop.id))
    named = shows_authors(anonymity, staff=staff, readout=workshop.readout_anonymous)
    out: dict[str, list[str | None]] = {}
    for key, participant_name, staff_name in rows:
        name = staff_name or (participant_name if named else None)
        names = out.setdefault(str(key), [])
        if name is None or name not in names:
            names.append(name)  # None: someone this audience may not know, once per person
    return out


def my_ballot(participant: Participant, round_: Round | None) -> dict[str, Any] | None:
    """The participant's own current ballot in a round, if the server can still know it
    (a fully anonymous round's ballots are nobody's once it ended)."""
    if round_ is None or not round_.takes_ballots:
        return None
    ballot = find_ballot(round_, participant)
    return {
        "round_id": round_.id,
        "voted": ballot is not None,
        "ballot": ballot.data if ballot else None,
    }


def vote_state(round_: Round | None) -> dict[str, Any] | None:
    """A round's count of voters, and its results once they may be seen."""
    if round_ is None:
        return None
    return {
        "round_id": round_.id,
        "voters": voter_count(round_.id),
        "results": round_results(round_),
    }


def grouped_catalogue(workshop: Workshop, language: str = "en") -> list[dict[str, Any]]:
    """The workshop's catalogue grouped for pages: [{key, name, values: [{key, name, ...}]}]."""
    groups: dict[str, list[dict[str, str]]] = {}
    for value in workshop_catalogue(workshop, language):
        groups.setdefault(value.group, []).append(
            {"key": value.key, "name": value.name, "description": value.description}
        )
    names = {group.key: group.name for group in load_catalogue(language)}
    return [
        {"key": key, "name": names.get(key, _("Our own")), "values": items}
        for key, items in groups.items()
    ]
