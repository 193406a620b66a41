"""The end of the process: is the mission ready, lock it as final, reopen it, sign it off.

Final means final: once a version is locked, nothing changes the document (no clause
save, amendment, duel, restore or new version, over any channel) until a facilitator
reopens it. Reopening is a recorded step of its own: it starts a new draft on top of the
final version, which stays final, with its sign-offs, on record. A sign-off belongs to
one version; a later final version needs its own.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import clauses, clock, events, permissions
from ..errors import Forbidden, InvalidState, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..models import (
    AuditAction,
    ClauseVote,
    Connection,
    DocumentVersion,
    SignOff,
    User,
    VersionSource,
    Workshop,
    WorkshopStaff,
)
from ..queries import (
    clause_votes,
    clauses_of,
    latest_version,
    list_participants,
    next_revision_of,
)
from ..realtime import WorkshopChange, workshop_change
from ..record import record_at_lock
from ..text import normalise_text, one_line
from . import audit, measures, representation, stakeholders
from .versions import Revision, get_version, write_version

MAX_NOTE_LENGTH = 500


def people_present(workshop_id: int) -> set[int]:
    """The participants whose answers lock readiness asks for: those online now, or, when
    nobody is (the room has gone home), everyone who joined."""
    online = {
        participant_id
        for participant_id in db.session.scalars(
            sa.select(Connection.participant_id).where(
                Connection.workshop_id == workshop_id, Connection.participant_id.is_not(None)
            )
        )
        if participant_id is not None  # as the query says; its type cannot
    }
    return online or {p.id for p in list_participants(workshop_id)}


def readiness(workshop: Workshop, version: DocumentVersion | None = None) -> dict[str, Any]:
    """Per clause of a version (the latest by default): its current answers from the people
    present, the answers gone stale, open objections with their reasons (and, where the
    anonymity allows, who made them, so staff can talk to them), and whether its text is
    empty; and what stands in the way of locking it."""
    version = version or latest_version(workshop.id)
    if version is None:
        return {
            "ready": False,
            "warnings": [],
            "present": 0,
            "needed": 0,
            "clauses": [],
            "problems": [],
        }
    if version.final_at is not None and version.final_readiness:
        return _as_locked(workshop, version, version.final_readiness)
    present = people_present(workshop.id)
    needed = math.ceil(len(present) * workshop.lock_quorum / 100)
    votes = clause_votes(workshop.id)
    people = {p.id: p for p in list_participants(workshop.id)}
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for clause in clauses_of(version):
        mine = [v for v in votes if v.clause_key == clause.key]
        current = [v for v in mine if v.voted_text == clause.markdown]
        counted = [v for v in current if v.participant_id is None or v.participant_id in present]
        objections = [_objection(v, people, clause.markdown) for v in mine if v.choice == "object"]
        row: dict[str, Any] = {
            "clause_key": clause.key,
            "clause": clauses.label(clause),
            "empty": not clause.body.strip(),
            "answers": {
                choice: sum(1 for v in current if v.choice == choice)
                for choice in ("agree", "live_with", "object")
            },
            "current": len(counted),
            "stale": len(mine) - len(current),
            "objections": objections,
        }
        row["problems"] = _problems(row, needed)
        rows.append(row)
        problems.extend(
            {"clause_key": clause.key, "clause": row["clause"], **p} for p in row["problems"]
        )
    return {
        "ready": not problems,
        "warnings": _warnings(workshop, version),
        "present": len(present),
        "quorum": workshop.lock_quorum,
        "needed": needed,
        "clauses": rows,
        "problems": problems,
    }


def _warnings(workshop: Workshop, version: DocumentVersion) -> list[dict[str, Any]]:
    """Worth a look before the lock, but not in its way."""
    return (
        measures.missing_measures(workshop.id, version)
        + stakeholders.balance(workshop.id, version)["warnings"]
        + representation.divisive_clauses(workshop, version)
    )


def frozen_readiness(ready: dict[str, Any]) -> dict[str, Any]:
    """What a lock keeps of the readiness it was granted on: the counts, no names (a version
    that locks has no open objection and no problem to keep)."""
    return {
        "present": ready["present"],
        "quorum": ready["quorum"],
        "needed": ready["needed"],
        "clauses": {
            str(row["clause_key"]): {
                "answers": row["answers"],
                "current": row["current"],
                "stale": row["stale"],
            }
            for row in ready["clauses"]
        },
    }


def _as_locked(
    workshop: Workshop, version: DocumentVersion, kept: dict[str, Any]
) -> dict[str, Any]:
    """A final version's readiness as it stood when it was locked."""
    nothing = {"answers": {"agree": 0, "live_with": 0, "object": 0}, "current": 0, "stale": 0}
    rows = [
        {
            "clause_key": clause.key,
            "clause": clauses.label(clause),
            "empty": not clause.body.strip(),
            **kept["clauses"].get(str(clause.key), nothing),
            "objections": [],
            "problems": [],
        }
        for clause in clauses_of(version)
    ]
    return {
        "ready": True,
        "warnings": _warnings(workshop, version),
        "present": kept["present"],
        "quorum": kept["quorum"],
        "needed": kept["needed"],
        "clauses": rows,
        "problems": [],
    }


def _objection(vote: ClauseVote, people: dict, markdown: str) -> dict[str, Any]:
    person = people.get(vote.participant_id) if vote.participant_id is not None else None
    return {
        "reason": vote.reason,
        "stale": vote.voted_text != markdown,  # open until its author answers the new words
        "by": {"name": person.display_name, "level": person.level} if person else None,
    }


def _problems(row: dict[str, Any], needed: int) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    if row["empty"]:
        problems.append({"kind": "empty", "message": _("it has no text")})
    if row["objections"]:
        problems.append(
            {
                "kind": "objection",
                # How many, not every reason: they are listed with the clause, and twenty of
                # them in one refusal buried the page.
                "message": ngettext(
                    "%(num)s objection open", "%(num)s objections open", len(row["objections"])
                ),
            }
        )
    if row["current"] < needed:
        problems.append(
            {
                "kind": "answers",
                "message": _(
                    "%(have)s of the %(needed)s current answers needed (%(stale)s gone stale "
                    "since the words changed)",
                    have=row["current"],
                    needed=needed,
                    stale=row["stale"],
                ),
            }
        )
    return problems


def open_objections(workshop_id: int) -> int:
    """How many objections to clauses of the draft are open (stale ones stay open until
    their authors answer the new words)."""
    workshop = db.session.get(Workshop, workshop_id)
    assert workshop is not None
    return sum(len(row["objections"]) for row in readiness(workshop)["clauses"])


def set_quorum(actor: User, workshop_id: int, percent: int) -> Workshop:
    """How many of the people present must have answered every clause before it locks."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    if not 0 <= percent <= 100:
        raise ValidationFailed(_("The quorum is a share from 0 to 100 per cent."), field="quorum")
    with workshop_change(workshop.id) as change:
        workshop.lock_quorum = percent
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.QUORUM_SET,
            audit.N_("Lock quorum %(percent)s%%"),
            percent=percent,
        )
        events.workshop_updated(change, workshop)
    return workshop


def lock_version(actor: User, workshop_id: int, number: int) -> DocumentVersion:
    """Lock the latest version as the final mission; refused, with every clause that is not
    ready and why, while an objection is open, answers are missing or stale below the
    quorum, or a clause has no text."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    version = get_version(actor, workshop.id, number)
    with workshop_change(workshop.id) as change:
        db.session.refresh(version)
        db.session.refresh(workshop)
        latest = latest_version(workshop.id)
        if version.final_at is not None:
            raise InvalidState(_("This version is already final."), code="already_final")
        if latest is not None and latest.number != version.number:
            raise InvalidState(
                _(
                    "Only the latest version can be locked: version %(latest)s came after it. "
                    "Restore this one first to lock its words.",
                    latest=latest.number,
                ),
                code="not_latest",
            )
        ready = readiness(workshop, version)
        if not ready["ready"]:
            lines = "; ".join(f"{p['clause']}: {p['message']}" for p in ready["problems"])
            raise InvalidState(
                _("The mission is not ready to lock. %(lines)s.", lines=lines),
                code="not_ready",
                problems=ready["problems"],
            )
        version.final_at = clock.now()
        version.final_by_id = actor.id
        version.final_readiness = {
            **frozen_readiness(ready),
            # Consent by level as the sign-off pack shows it (pooled groups, counts only).
            "agreement": representation.agreement(
                workshop,
                list_participants(workshop.id),
                version,
                representation.pooled_at_locks(workshop.id)["consent"],
            ),
            # Who had joined, proposed and voted: the pack's "who took part" as at the lock.
            "taking_part": representation.taking_part(workshop.id),
        }
        # What every export of this version will say, however the workshop goes on.
        version.final_record = record_at_lock(
            actor, workshop, version, readiness(workshop, version)
        )
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.VERSION_LOCK,
            audit.N_("Locked version %(number)s as final"),
            number=number,
        )
        events.latest_document(change, workshop)
    return version


def reopen(actor: User, workshop_id: int, note: str = "") -> DocumentVersion:
    """Start a new draft on top of the final version (which stays final, with its sign-offs):
    a recorded step that every screen shows."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    note = one_line(note)
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(_("Keep the note under 500 characters."), field="note")
    with workshop_change(workshop.id) as change:
        latest = latest_version(workshop.id)
        if latest is None or latest.final_at is None:
            raise InvalidState(_("The mission is not locked."), code="not_final")
        reason = note or _("Reopened after version %(number)s was final", number=latest.number)
        version = write_version(
            change,
            workshop,
            latest,
            Revision(
                latest.body_md,
                VersionSource.REOPEN,
                actor,
                note=reason,
                proposals=tuple(latest.source_proposals),
                title=latest.title,
            ),
        )
        audit.record(
            actor,
            workshop.id,
            AuditAction.VERSION_REOPEN,
            audit.N_("Reopened version %(old)s as version %(new)s: %(reason)s"),
            old=latest.number,
            new=version.number,
            reason=reason,
        )
    return version


def sign_off(actor: User, workshop_id: int, number: int, comment: str = "") -> SignOff:
    """Leadership signs the final version off, with their name, the time and a comment."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=False)
    if not permissions.can_sign_off(actor, workshop):
        raise Forbidden(_("Leadership signs the mission off."))
    version = get_version(actor, workshop.id, number)
    comment = normalise_text(comment)
    if len(comment) > 1000:
        raise ValidationFailed(_("Keep the comment under 1000 characters."), field="comment")
    with workshop_change(workshop.id) as change:
        db.session.refresh(version)
        if version.final_at is None:
            raise InvalidState(_("Only the final version can be signed off."), code="not_final")
        latest = latest_version(workshop.id)
        if latest is not None and latest.number != version.number:
            raise InvalidState(
                _(
                    "This version was reopened: version %(latest)s is the current draft.",
                    latest=latest.number,
                ),
                code="not_latest",
            )
        if any(s.user_id == actor.id for s in version.signoffs):
            raise InvalidState(_("You have already signed this version off."))
        signoff = SignOff(
            version_id=version.id,
            user_id=actor.id,
            signer_name=actor.display_name,
            comment=comment,
        )
        version.signoffs.append(signoff)
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.VERSION_SIGNOFF,
            audit.N_("Signed off version %(number)s"),
            number=number,
        )
        events.latest_document(change, workshop)
    return signoff


def start_next_revision(actor: User, workshop_id: int) -> Workshop:
    """The mission's next revision, a year on: a new workshop with this one's settings and
    staff, whose draft starts from the final mission (its words credited as the existing
    mission, as a pasted mission is). This workshop, its final text and sign-offs stay.

    All of it commits at once, or nothing does: a failure half way leaves no workshop
    without its draft. Asked again for the same final version (a second click, or two
    facilitators at once: this workshop's lock takes them in turn), it returns the next
    revision already started instead of starting another."""
    from . import editing, workshops  # workshops imports this module's neighbours

    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    with workshop_change(workshop.id):
        version = latest_version(workshop.id)
        if version is None or version.final_at is None:
            raise InvalidState(_("Lock the mission as final first."), code="not_final")
        started = next_revision_of(workshop.id, version.number)
        if started is not None:
            return started
        text = f"# {version.title}\n\n{version.body_md}" if version.title else version.body_md
        draft = editing.pasted_revision(actor, text)
        new = workshops.add_workshop(
            actor,
            workshops.WorkshopSettings(
                title=_("%(title)s: next revision", title=workshop.title)[:200],
                organisation=workshop.organisation,
                brief_md=workshop.brief_md,
                values=[v.name for v in workshop.values],
                levels=list(workshop.levels),
                departments=list(workshop.departments),
                dots_per_participant=workshop.dots_per_participant,
                anonymity=workshop.anonymity,
                words_per_clause=workshop.words_per_clause,
                words_total=workshop.words_total,
                amendment_method=workshop.amendment_method,
                language=workshop.language,
            ),
        )
        for member in workshop.staff:
            if member.user_id != actor.id:
                new.staff.append(WorkshopStaff(user_id=member.user_id, role=member.role))
        db.session.flush()  # write_version reloads the new workshop: its staff go in first
        audit.record(
            actor,
            workshop.id,
            AuditAction.WORKSHOP_NEXT_REVISION,
            audit.N_("Started the next revision from version %(number)s"),
            subject_id=new.id,
            number=version.number,
        )
        # Nobody can be in the room of a workshop this transaction made: its first version's
        # news has no one to reach, and its screens start from a snapshot.
        write_version(WorkshopChange(new.id), new, None, draft)
    return new
