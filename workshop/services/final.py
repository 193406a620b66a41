"""The end of the process: lock a version as the final mission, and leadership's sign-off."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock, events, permissions
from ..errors import Forbidden, InvalidState, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..models import AuditAction, Ballot, DocumentVersion, RoundKind, SignOff, User
from ..queries import list_rounds, open_clause_objections
from ..realtime import workshop_change
from ..text import normalise_text
from . import audit
from .versions import get_version


def open_objections(workshop_id: int) -> int:
    """How many objections are open: consent ballots that object in the latest consent round
    that has run, and objections to clauses of the draft."""
    consent_rounds = [
        r
        for r in list_rounds(workshop_id)
        if r.kind == RoundKind.CONSENT and r.started_at is not None
    ]
    on_clauses = open_clause_objections(workshop_id)
    if not consent_rounds:
        return on_clauses
    latest = max(consent_rounds, key=lambda r: (r.started_at, r.id))
    ballots = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == latest.id))
    return on_clauses + sum(
        1
        for ballot in ballots
        for answer in ballot.data.get("consent", {}).values()
        if answer.get("choice") == "object"
    )


def finalise_version(actor: User, workshop_id: int, number: int) -> DocumentVersion:
    """Lock a version as the final mission; refused while a consent objection is open."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    version = get_version(actor, workshop.id, number)
    with workshop_change(workshop.id) as change:
        db.session.refresh(version)
        if version.final_at is not None:
            raise InvalidState(_("This version is already final."))
        if open_objections(workshop.id):
            raise InvalidState(
                _("A consent objection is still open: resolve it before locking the mission."),
                code="objection_open",
            )
        version.final_at = clock.now()
        version.final_by_id = actor.id
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.VERSION_LOCK, f"Locked version {number} as final"
        )
        events.latest_document(change, workshop)
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
            raise InvalidState(_("Only the final version can be signed off."))
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
            actor, workshop.id, AuditAction.VERSION_SIGNOFF, f"Signed off version {number}"
        )
        events.latest_document(change, workshop)
    return signoff
