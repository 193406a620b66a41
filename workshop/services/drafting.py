"""Working on the document clause by clause: the template, paste and split, direct co-editing
with "X is editing this clause", and consent per clause that goes stale when the clause changes.

A clause save carries the version it was based on. When the clause changed
since, the two edits are merged (difflib, through merge.py) if they touch
different words, and otherwise the save is refused with both texts so the
person can resolve it: no edit is ever silently lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clauses, clock, permissions, voting
from ..errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..merge import merge
from ..models import (
    Anonymity,
    ClauseVote,
    Connection,
    DocumentVersion,
    Participant,
    Phase,
    Proposal,
    RoundKind,
    User,
    VersionSource,
    Workshop,
)
from ..payloads import shows_authors
from ..realtime import WorkshopChange, workshop_change
from ..text import normalise_text
from . import document
from .ballots import effective_anonymity
from .rounds import closed_for_input, current_round, is_open_for_input
from .workshops import get_workshop, get_workshop_for_staff

MAX_CLAUSE_LENGTH = 4000
MAX_HEADING_LENGTH = 120
MAX_CLAUSES = 30


# --- starting the document ------------------------------------------------------------------


def template_headings() -> list[dict[str, str]]:
    """The default template's clause headings, with the hint each one shows while empty."""
    return [{"heading": _(h), "hint": _(hint)} for h, hint in clauses.DEFAULT_TEMPLATE]


def start_from_template(actor: User, workshop_id: int, headings: list[str]) -> DocumentVersion:
    """Version 1 of the document: the template's (edited) headings, every clause still empty."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    cleaned = [" ".join(h.split()) for h in headings if h and h.strip()]
    if not cleaned:
        raise ValidationFailed(_("Give the document at least one clause."), field="headings")
    if len(cleaned) > MAX_CLAUSES or any(len(h) > MAX_HEADING_LENGTH for h in cleaned):
        raise ValidationFailed(
            _(
                "Use up to %(n)s clauses, with headings under %(m)s characters.",
                n=MAX_CLAUSES,
                m=MAX_HEADING_LENGTH,
            ),
            field="headings",
        )
    if document.latest_version(workshop.id) is not None:
        raise InvalidState(
            _("The draft has already started: edit its clauses, or paste a new text."),
            code="draft_started",
        )
    body = clauses.assemble([clauses.Part(h, "") for h in cleaned])
    return document.save_text(
        actor,
        workshop,
        body,
        based_on=None,
        note=_("Started from the template"),
        source=VersionSource.EDIT,
    )


def paste_document(
    actor: User, workshop_id: int, text: str, *, based_on: int | None
) -> DocumentVersion:
    """Take a whole existing mission and split it into clauses (by its headings, else its
    paragraphs, else its sentences), as the next version."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    parts = clauses.split_pasted(normalise_text(text))
    if not parts:
        raise ValidationFailed(_("Paste the mission text first."), field="text")
    if len(parts) > MAX_CLAUSES:
        raise ValidationFailed(
            _("That splits into more than %(n)s clauses; add headings to group it.", n=MAX_CLAUSES),
            field="text",
        )
    return document.save_text(
        actor,
        workshop,
        clauses.assemble(parts),
        based_on=based_on if based_on is not None else _latest_number(workshop.id),
        note=_("Pasted and split into %(n)s clauses", n=len(parts)),
        source=VersionSource.EDIT,
    )


def _latest_number(workshop_id: int) -> int | None:
    latest = document.latest_version(workshop_id)
    return latest.number if latest else None


# --- editing a clause -----------------------------------------------------------------------


def clauses_of(version: DocumentVersion) -> list[clauses.Clause]:
    """A version's clauses, with their keys."""
    return clauses.with_keys(version.body_md, version.clause_keys)


def clause_in(version: DocumentVersion, clause_key: int) -> clauses.Clause | None:
    """One clause of a version, if the version has it."""
    return next((c for c in clauses_of(version) if c.key == clause_key), None)


def _may_edit(actor: Participant | User, workshop: Workshop) -> None:
    """Facilitators edit any time; participants edit clauses while a refine round runs."""
    if isinstance(actor, User):
        get_workshop_for_staff(actor, workshop.id, moderate=True)
        return
    if not permissions.is_participant_of(actor, workshop):
        raise Forbidden(_("Only participants of this workshop edit its draft."))
    running = current_round(workshop.id)
    if running is None or running.kind != RoundKind.REFINE or not is_open_for_input(running):
        if running is not None and running.kind == RoundKind.REFINE:
            raise closed_for_input(running, code="round_closed")
        raise InvalidState(
            _("Clauses are edited directly during a refine round."), code="round_closed"
        )


def checked_clause_body(heading: str, body: str) -> str:
    body = normalise_text(body)
    if len(body) > MAX_CLAUSE_LENGTH:
        raise ValidationFailed(
            _("Keep a clause under %(n)s characters.", n=MAX_CLAUSE_LENGTH), field="body"
        )
    problem = clauses.problem_with_body(heading, body)
    if problem == "heading":
        raise ValidationFailed(
            _("A heading would start a new clause; ask the facilitator to add one."), field="body"
        )
    if problem == "paragraphs":
        raise ValidationFailed(
            _("This clause is one paragraph; leave out the blank line."), field="body"
        )
    return body


def save_clause(
    actor: Participant | User,
    workshop_id: int,
    clause_key: int,
    body: str,
    *,
    based_on: int,
    note: str = "",
) -> DocumentVersion:
    """Save one clause's new words as the next version, merged with whatever changed since
    ``based_on``; refused with both texts when the same words changed."""
    workshop = get_workshop(workshop_id)
    note = document.checked_note(note)
    with workshop_change(workshop.id) as change:
        _may_edit(actor, workshop)  # under the lock: the round may be ending this moment
        latest = document.latest_version(workshop.id)
        clause = clause_in(latest, clause_key) if latest else None
        if latest is None or clause is None:
            raise NotFound(_("This clause is no longer in the draft."), field="clause")
        checked = checked_clause_body(clause.heading, body)
        editor: Participant | User | None = actor
        if isinstance(actor, Participant):
            anonymity = effective_anonymity(workshop, current_round(workshop.id))
            editor = None if anonymity == Anonymity.FULL else actor
        return apply_to_clause(
            change,
            workshop,
            latest,
            clause_key,
            checked,
            based_on=based_on,
            editor=editor,
            source=VersionSource.EDIT,
            note=note,
        )


def apply_to_clause(
    change: WorkshopChange,
    workshop: Workshop,
    latest: DocumentVersion,
    clause_key: int,
    body: str,
    *,
    based_on: int,
    editor: Participant | User | None,
    source: VersionSource,
    note: str,
    amendment_id: int | None = None,
    duel_id: int | None = None,
    on_saved: Callable[[DocumentVersion, WorkshopChange], None] | None = None,
    proposals: list[Proposal] | None = None,
) -> DocumentVersion:
    """The next version with one clause's body replaced (under the workshop's lock).

    ``body`` was written against version ``based_on``; if the clause changed
    since, both changes are merged, or a Conflict hands back both texts.
    """
    current = clauses_of(latest)
    clause = next((c for c in current if c.key == clause_key), None)
    if clause is None:
        raise Conflict(
            _("This clause was removed from the draft meanwhile; your text is kept."),
            latest_number=latest.number,
            clause_key=clause_key,
            latest_body="",
            your_body=body,
        )
    if based_on != latest.number:
        base_version = document.version_numbered(workshop.id, based_on)
        base = clause_in(base_version, clause_key) if base_version else None
        if base is None:
            raise NotFound(
                _("There is no version %(number)s of this document.", number=based_on),
                field="based_on",
            )
        if base.body != clause.body:
            merged = merge(base.body, body, clause.body)
            if merged is not None and clauses.problem_with_body(clause.heading, merged):
                merged = None  # each text is one clause, but together they would not be
            if merged is None:
                raise Conflict(
                    _(
                        "Someone changed the same words of this clause in version %(number)s. "
                        "Both texts are below: combine them and save again.",
                        number=latest.number,
                    ),
                    latest_number=latest.number,
                    clause_key=clause_key,
                    latest_body=clause.body,
                    your_body=body,
                )
            body = merged
            note = note or _("Merged with version %(number)s", number=latest.number)
    if body == clause.body:
        raise InvalidState(_("Nothing changed since the last version."), code="unchanged")
    parts = [clauses.Part(c.heading, body if c.key == clause_key else c.body) for c in current]
    return document.new_version(
        change,
        workshop,
        latest,
        clauses.assemble(parts),
        editor=editor,
        note=note or _("Edited “%(clause)s”", clause=label(clause)),
        source=source,
        clause_key=clause_key,
        amendment_id=amendment_id,
        duel_id=duel_id,
        on_saved=on_saved,
        proposals=proposals,
    )


def fill_clause_from_proposals(
    actor: User, workshop_id: int, clause_key: int, proposal_ids: list[int], *, note: str = ""
) -> DocumentVersion:
    """Add the chosen proposals' words to one clause (after what it says already), so the
    version records which proposals the clause's sentences came from."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    chosen = document.chosen_proposals(workshop, proposal_ids)
    note = document.checked_note(note)
    with workshop_change(workshop.id) as change:
        latest = document.latest_version(workshop.id)
        clause = clause_in(latest, clause_key) if latest else None
        if latest is None or clause is None:
            raise NotFound(_("This clause is no longer in the draft."), field="clause")
        joiner = "\n\n" if clause.heading else " "
        words = [" ".join(p.body_md.split()) if not clause.heading else p.body_md for p in chosen]
        body = checked_clause_body(clause.heading, joiner.join([clause.body, *words]).strip())
        return apply_to_clause(
            change,
            workshop,
            latest,
            clause_key,
            body,
            based_on=latest.number,
            editor=actor,
            source=VersionSource.PROPOSAL,
            note=note or _("Proposals added to “%(clause)s”", clause=label(clause)),
            proposals=chosen,
        )


def with_span_replaced(
    version: DocumentVersion, clause_key: int, start: int, end: int, text: str
) -> str:
    """A clause's words in ``version`` with the span ``start``–``end`` of the version's text
    replaced: what an amendment or a duel's winner makes of the clause it was made on."""
    clause = clause_in(version, clause_key)
    assert clause is not None, "the span was checked to lie in this clause"
    offset = clause.span[0]
    return clause.body[: start - offset] + text + clause.body[end - offset :]


def label(clause: clauses.Part) -> str:
    """How people refer to a clause: its heading, or its first words."""
    if clause.heading:
        return clause.heading
    words = clause.body.split()
    return " ".join(words[:6]) + ("…" if len(words) > 6 else "")


# --- "X is editing this clause" -------------------------------------------------------------


def set_editing(sid: str, actor: Participant | User, clause_key: int | None) -> None:
    """Mark (or clear) the clause this screen has open; everyone sees who is editing what."""
    connection = db.session.get(Connection, sid)
    if connection is None:
        raise NotFound(_("This connection is not known; reload the page."))
    workshop = get_workshop(connection.workshop_id)
    if clause_key is not None:
        _may_edit(actor, workshop)
        latest = document.latest_version(workshop.id)
        if latest is None or clause_in(latest, clause_key) is None:
            raise NotFound(_("This clause is no longer in the draft."), field="clause")
    with workshop_change(workshop.id) as change:
        if connection.editing_clause_key == clause_key:
            return
        connection.editing_clause_key = clause_key
        connection.editing_since = clock.now() if clause_key is not None else None
        db.session.flush()
        emit_editors(change, workshop)


def editors(workshop: Workshop, *, staff: bool) -> dict[str, list[str]]:
    """Who has which clause open, by clause key. Participants' names follow the anonymity
    of the running round; facilitators are always named."""
    return _editors_from(_editing_rows(workshop), workshop, staff=staff)


def _editing_rows(workshop: Workshop) -> list[Any]:
    return list(
        db.session.execute(
            sa.select(Connection.editing_clause_key, Participant.display_name, User.display_name)
            .outerjoin(Participant, Participant.id == Connection.participant_id)
            .outerjoin(User, User.id == Connection.user_id)
            .where(
                Connection.workshop_id == workshop.id, Connection.editing_clause_key.is_not(None)
            )
            .order_by(Connection.editing_since, Connection.sid)
        ).all()
    )


def _editors_from(rows: list[Any], workshop: Workshop, *, staff: bool) -> dict[str, list[str]]:
    anonymity = effective_anonymity(workshop, current_round(workshop.id))
    named = shows_authors(anonymity, staff=staff, readout=workshop.readout_anonymous)
    out: dict[str, list[str]] = {}
    for key, participant_name, staff_name in rows:
        name = staff_name or (participant_name if named else _("Someone"))
        names = out.setdefault(str(key), [])
        if name not in names or name == _("Someone"):
            names.append(name)
    return out


def release_participants_if_closed(change: WorkshopChange, workshop_id: int) -> None:
    """When no refine round is open any more, participants' "editing" marks go (their saves
    would be refused now); facilitators keep theirs."""
    running = current_round(workshop_id)
    if running is not None and running.kind == RoundKind.REFINE and is_open_for_input(running):
        return
    released = db.session.execute(
        sa.update(Connection)
        .where(
            Connection.workshop_id == workshop_id,
            Connection.participant_id.is_not(None),
            Connection.editing_clause_key.is_not(None),
        )
        .values(editing_clause_key=None, editing_since=None)
    ).rowcount
    if released:
        emit_editors(change, get_workshop(workshop_id))


def emit_editors(change: WorkshopChange, workshop: Workshop) -> None:
    rows = _editing_rows(workshop)
    change.emit(
        "clause.editing",
        {"editors": _editors_from(rows, workshop, staff=False)},
        staff_payload={"editors": _editors_from(rows, workshop, staff=True)},
    )


# --- consent per clause ---------------------------------------------------------------------


def vote_on_clause(
    actor: Participant, clause_key: int, choice: str, reason: str = ""
) -> dict[str, Any]:
    """Consent on one clause as it reads now; a change to the clause later makes this stale."""
    if not isinstance(actor, Participant):
        raise Forbidden(_("Only participants vote."))
    workshop = get_workshop(actor.workshop_id)
    try:
        checked_choice, checked_reason = voting.validate_consent(choice, reason)
    except voting.BallotError as error:
        raise ValidationFailed(str(error), field="choice") from None
    with workshop_change(workshop.id) as change:
        db.session.refresh(workshop)
        if workshop.phase == Phase.CLOSED:
            raise InvalidState(_("The workshop is closed."), code="phase_closed")
        latest = document.latest_version(workshop.id)
        clause = clause_in(latest, clause_key) if latest else None
        if latest is None or clause is None:
            raise NotFound(_("This clause is no longer in the draft."), field="clause")
        vote = db.session.get(ClauseVote, (workshop.id, clause_key, actor.id))
        if vote is None:
            vote = ClauseVote(
                workshop_id=workshop.id, clause_key=clause_key, participant_id=actor.id
            )
            db.session.add(vote)
        vote.choice = str(checked_choice)
        vote.reason = checked_reason
        vote.version_number = latest.number
        vote.voted_text = clause.markdown
        db.session.flush()
        counts = consent_counts(workshop.id, latest, only=clause_key)[clause_key]
        change.emit("clause.consent", {"clause_key": clause_key, "consent": counts})
        mine = my_clause_vote(vote, clause)
        change.tell(actor.id, "clause.mine", {"clause_key": clause_key, "vote": mine})
    return {"clause_key": clause_key, "vote": mine}


def _votes(workshop_id: int, clause_key: int | None = None) -> list[ClauseVote]:
    query = sa.select(ClauseVote).where(ClauseVote.workshop_id == workshop_id)
    if clause_key is not None:
        query = query.where(ClauseVote.clause_key == clause_key)
    return list(db.session.scalars(query))


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
    for vote in _votes(workshop_id, only):
        clause = current.get(vote.clause_key)
        if clause is None:
            continue
        entry = counts[vote.clause_key]
        if vote.voted_text != clause.markdown:
            entry["stale"] += 1
        else:
            entry[vote.choice] = entry.get(vote.choice, 0) + 1
        if vote.choice == "object" and vote.reason:
            entry["objections"].append(vote.reason)
    for entry in counts.values():
        entry["objections"].sort()
    return counts


def open_clause_objections(workshop_id: int) -> int:
    """Objections to clauses still in the draft. A stale objection stays open until its
    author answers again on the new words: changing a clause does not silence anyone."""
    latest = document.latest_version(workshop_id)
    if latest is None:
        return 0
    keys = {c.key for c in clauses_of(latest)}
    return sum(1 for v in _votes(workshop_id) if v.clause_key in keys and v.choice == "object")


def my_clause_vote(vote: ClauseVote, clause: clauses.Clause | None) -> dict[str, Any]:
    """A person's own answer on a clause; when stale, with what changed since they voted."""
    now = clause.markdown if clause else ""
    stale = vote.voted_text != now
    return {
        "choice": vote.choice,
        "reason": vote.reason,
        "version_number": vote.version_number,
        "stale": stale,
        "diff": document.diff_payload(vote.voted_text, now) if stale else [],
    }


def my_clause_votes(participant: Participant) -> dict[str, dict[str, Any]]:
    """All of a participant's clause answers, for their screen's snapshot."""
    latest = document.latest_version(participant.workshop_id)
    current = {c.key: c for c in clauses_of(latest)} if latest else {}
    rows = db.session.scalars(
        sa.select(ClauseVote).where(
            ClauseVote.workshop_id == participant.workshop_id,
            ClauseVote.participant_id == participant.id,
        )
    )
    return {
        str(v.clause_key): my_clause_vote(v, current.get(v.clause_key))
        for v in rows
        if v.clause_key in current
    }


def tell_stale_voters(
    change: WorkshopChange,
    workshop: Workshop,
    version: DocumentVersion,
    *,
    previous: DocumentVersion | None,
) -> None:
    """After a new version: everyone whose clause vote it made stale sees the difference and
    is asked to confirm again (their own screens only; clauses this version left alone are
    not news)."""
    current = {c.key: c for c in clauses_of(version)}
    before = {c.key: c.markdown for c in clauses_of(previous)} if previous else {}
    changed = {key for key, clause in current.items() if before.get(key) != clause.markdown}
    for vote in _votes(workshop.id):
        clause = current.get(vote.clause_key)
        if vote.clause_key not in changed or clause is None or vote.voted_text == clause.markdown:
            continue
        change.tell(
            vote.participant_id,
            "clause.mine",
            {"clause_key": vote.clause_key, "vote": my_clause_vote(vote, clause)},
        )
