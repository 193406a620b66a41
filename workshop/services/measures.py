"""How we will know: each clause of the mission can carry measurable objectives (what is
measured, the baseline, the target, the owning team, when it is reviewed). Participants and
facilitators propose them, participants support the ones they believe in (one vote each per
measure), and facilitators agree the ones that go into the mission. A clause without an
agreed measure is flagged before the lock, and every export lists them as "How we will know".

A measure is not tied to a version: an earlier version's export lists the measures as they
stood while it was the current draft (decided before the next version came), read from the
decisions the audit log keeps, so an old version never shows a measure agreed after it.

In a fully anonymous workshop a measure keeps no proposer and a support only a voter hash
(see voters.py), whose key goes when the workshop closes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import permissions, voters
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import clause_in_draft, taking_part, workshop_for_staff
from ..models import (
    Anonymity,
    AuditAction,
    AuditEntry,
    DocumentVersion,
    MeasureStatus,
    MeasureSupport,
    Participant,
    Phase,
    SuccessMeasure,
    User,
    Workshop,
)
from ..queries import clauses_of, get_workshop, latest_version
from ..realtime import workshop_change
from ..text import normalise_text
from . import audit
from .versions import ensure_open

LIMITS = {"what": 300, "baseline": 200, "target": 200, "owner_team": 120}


def propose_measure(
    actor: Participant | User,
    workshop_id: int,
    clause_key: int,
    *,
    what: str,
    target: str,
    baseline: str = "",
    owner_team: str = "",
    review_on: dt.date | None = None,
) -> SuccessMeasure:
    """Propose how the room will know a clause is lived."""
    workshop = get_workshop(workshop_id)
    if isinstance(actor, User):
        workshop_for_staff(actor, workshop.id, moderate=True)
        proposer = None
    else:
        proposer = taking_part(
            actor, workshop, permissions.can_vote, missing=_l("There is no draft here.")
        )
    fields = {
        name: normalise_text(value)
        for name, value in (
            ("what", what),
            ("target", target),
            ("baseline", baseline),
            ("owner_team", owner_team),
        )
    }
    for name, limit in LIMITS.items():
        if len(fields[name]) > limit:
            raise ValidationFailed(_("Keep this under %(n)s characters.", n=limit), field=name)
    if not fields["what"]:
        raise ValidationFailed(_("Say what will be measured."), field="what")
    if not fields["target"]:
        raise ValidationFailed(_("Say what the target is."), field="target")
    with workshop_change(workshop.id):
        ensure_open(workshop.id)
        clause_in_draft(workshop.id, clause_key)  # under the lock: not one removed meanwhile
        author = proposer if workshop.anonymity != Anonymity.FULL else None  # kept if named
        measure = SuccessMeasure(
            workshop_id=workshop.id,
            clause_key=clause_key,
            review_on=review_on,
            proposed_by_id=author.id if author is not None else None,
            **fields,
        )
        db.session.add(measure)
        db.session.flush()
        if proposer is not None:  # proposing is supporting
            supporter = _supporter(proposer, workshop, measure.id)
            db.session.add(MeasureSupport(measure_id=measure.id, **supporter.fields()))
    return measure


def support_measure(actor: Participant, measure_id: int, support: bool = True) -> int:
    """Give (or take back) one's vote for a proposed measure; returns its supporters."""
    measure = _measure(measure_id)
    workshop = get_workshop(measure.workshop_id)
    missing = _("There is no such measure.")
    actor = taking_part(actor, workshop, permissions.can_vote, missing=missing)
    with workshop_change(workshop.id):
        ensure_open(workshop.id)
        db.session.refresh(measure)  # decided meanwhile? (read before the lock)
        if measure.status != MeasureStatus.PROPOSED:
            raise InvalidState(_("This measure has been decided."), code="decided")
        supporter = _supporter(actor, workshop, measure.id)
        mine = db.session.scalar(
            sa.select(MeasureSupport).where(
                MeasureSupport.measure_id == measure.id, supporter.matches(MeasureSupport)
            )
        )
        if support and mine is None:
            db.session.add(MeasureSupport(measure_id=measure.id, **supporter.fields()))
        elif not support and mine is not None:
            db.session.delete(mine)
        db.session.flush()
        count = _support_count(measure.id)
    return count


def decide_measure(actor: User, measure_id: int, agreed: bool) -> SuccessMeasure:
    """A facilitator agrees a measure into the mission, or drops it."""
    measure = _measure(measure_id)
    workshop = workshop_for_staff(actor, measure.workshop_id, moderate=True)
    with workshop_change(workshop.id):
        ensure_open(workshop.id)
        db.session.refresh(measure)
        # A decision may be changed later (an agreed measure dropped from a newer draft); it
        # is on record, and each version's export shows the decisions of its own time.
        measure.status = MeasureStatus.AGREED if agreed else MeasureStatus.DROPPED
        audit.record(
            actor,
            workshop.id,
            AuditAction.MEASURE_AGREE if agreed else AuditAction.MEASURE_DROP,
            audit.N_("Agreed measure %(id)s: %(text)s")
            if agreed
            else audit.N_("Dropped measure %(id)s: %(text)s"),
            id=measure.id,
            text=measure.what,
            subject_id=measure.id,
        )
    return measure


def _superseded_at(version: DocumentVersion) -> dt.datetime | None:
    """When the next version came, ending this one's time as the current draft (None for
    the latest). A final version stays current until it is reopened: nothing is decided
    while it is locked."""
    return db.session.scalar(
        sa.select(DocumentVersion.created_at)
        .where(
            DocumentVersion.workshop_id == version.workshop_id,
            DocumentVersion.number > version.number,
        )
        .order_by(DocumentVersion.number)
        .limit(1)
    )


def _statuses_before(workshop_id: int, moment: dt.datetime) -> dict[int, MeasureStatus]:
    """Each measure's last decision before ``moment``, from the audit log."""
    entries = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.subject_id, AuditEntry.created_at)
        .where(
            AuditEntry.workshop_id == workshop_id,
            AuditEntry.action.in_([AuditAction.MEASURE_AGREE, AuditAction.MEASURE_DROP]),
        )
        .order_by(AuditEntry.id)
    ).all()
    out: dict[int, MeasureStatus] = {}
    for action, measure_id, at in entries:
        if measure_id is not None and at < moment:
            agreed = action == AuditAction.MEASURE_AGREE
            out[measure_id] = MeasureStatus.AGREED if agreed else MeasureStatus.DROPPED
    return out


def _as_they_stood(
    workshop_id: int, version: DocumentVersion, rows: list[SuccessMeasure]
) -> dict[int, MeasureStatus]:
    """Each measure's status while ``version`` was the current draft: its status now for
    the latest version; for an earlier one, its last decision before the next version came
    (proposed if none), and measures proposed after that left out."""
    moment = _superseded_at(version)
    if moment is None:
        return {m.id: m.status for m in rows}
    decided = _statuses_before(workshop_id, moment)
    out = {}
    for measure in rows:
        if measure.id in decided:
            out[measure.id] = decided[measure.id]
        elif measure.created_at < moment:
            # Decided with no entry in the log (none is written without one): as proposed.
            out[measure.id] = MeasureStatus.PROPOSED
    return out


def measures_by_clause(
    workshop_id: int, version: DocumentVersion | None = None, *, agreed_only: bool = False
) -> list[dict[str, Any]]:
    """Each clause of a version (the latest by default) with its measures as they stood
    while it was the current draft (agreed first, then most supported)."""
    version = version or latest_version(workshop_id)
    if version is None:
        return []
    every = list(
        db.session.scalars(
            sa.select(SuccessMeasure)
            .where(SuccessMeasure.workshop_id == workshop_id)
            .order_by(SuccessMeasure.id)
        )
    )
    status = _as_they_stood(workshop_id, version, every)
    rows = [
        m
        for m in every
        if m.id in status and (not agreed_only or status[m.id] == MeasureStatus.AGREED)
    ]
    counts = dict(
        db.session.execute(
            sa.select(MeasureSupport.measure_id, sa.func.count())
            .where(MeasureSupport.measure_id.in_([m.id for m in rows]))
            .group_by(MeasureSupport.measure_id)
        ).all()
    )
    out = []
    for clause in clauses_of(version):
        mine = [m for m in rows if m.clause_key == clause.key]
        mine.sort(key=lambda m: (status[m.id] != MeasureStatus.AGREED, -counts.get(m.id, 0), m.id))
        out.append(
            {
                "key": clause.key,
                "title": clause.heading or clause.body[:60],
                "measures": [_payload(m, counts.get(m.id, 0), status[m.id]) for m in mine],
                "agreed": sum(status[m.id] == MeasureStatus.AGREED for m in mine),
            }
        )
    return out


def supported_by(participant: Participant) -> set[int]:
    """The measures this participant supports (fully anonymous: while the workshop is open,
    found by their voter hash; afterwards nobody can tell)."""
    workshop = get_workshop(participant.workshop_id)
    measures = sa.select(SuccessMeasure.id).where(SuccessMeasure.workshop_id == workshop.id)
    supporter = voters.voter_on_items(
        participant, voters.MEASURES_SCOPE, workshop.anonymity, db.session.scalars(measures)
    )
    if supporter is None:
        return set()
    return set(
        db.session.scalars(
            sa.select(MeasureSupport.measure_id)
            .join(SuccessMeasure)
            .where(SuccessMeasure.workshop_id == workshop.id, supporter.matches(MeasureSupport))
        )
    )


def missing_measures(workshop_id: int, version: DocumentVersion | None = None) -> list[str]:
    """Clauses with no agreed measure: a warning before the lock, not a refusal."""
    return [
        _("%(clause)s has no agreed success measure yet.", clause=row["title"])
        for row in measures_by_clause(workshop_id, version)
        if not row["agreed"]
    ]


def _payload(measure: SuccessMeasure, support: int, status: MeasureStatus) -> dict[str, Any]:
    return {
        "id": measure.id,
        "what": measure.what,
        "baseline": measure.baseline,
        "target": measure.target,
        "owner_team": measure.owner_team,
        "review_on": measure.review_on.isoformat() if measure.review_on else None,
        "status": str(status),
        "support": support,
    }


def _supporter(participant: Participant, workshop: Workshop, measure_id: int) -> voters.Voter:
    """How this participant's support is stored: by participant, or (fully anonymous) by a
    voter hash. Once the workshop has closed its key is gone, and a new one would let the
    same person support twice: refused."""
    db.session.refresh(workshop)
    supporter = voters.voter(
        participant,
        voters.MEASURES_SCOPE,
        workshop.anonymity,
        create=workshop.phase != Phase.CLOSED,
        item=measure_id,
    )
    if supporter is None:
        raise InvalidState(_("The workshop is closed."), code="phase_closed")
    return supporter


def _measure(measure_id: int) -> SuccessMeasure:
    measure = db.session.get(SuccessMeasure, measure_id)
    if measure is None:
        raise NotFound(_("There is no such measure."))
    return measure


def _support_count(measure_id: int) -> int:
    return (
        db.session.scalar(sa.select(sa.func.count()).where(MeasureSupport.measure_id == measure_id))
        or 0
    )
