"""The facilitators' audit log: every moderation and agenda action, who and when."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..guards import workshop_for_staff
from ..models import AuditAction, AuditEntry, User


def record(
    actor: User,
    workshop_id: int,
    action: AuditAction,
    summary: str,
    *,
    subject_id: int | None = None,
) -> None:
    """Add an entry to the current transaction (committed with the action itself);
    ``subject_id``: the id of what it was about, for an action read back later."""
    db.session.add(
        AuditEntry(
            workshop_id=workshop_id,
            actor_id=actor.id,
            action=action,
            summary=summary[:500],
            subject_id=subject_id,
        )
    )


def list_entries(actor: User, workshop_id: int) -> list[AuditEntry]:
    """Newest first, for the workshop's facilitators and leadership."""
    workshop_for_staff(actor, workshop_id, moderate=False)
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.workshop_id == workshop_id)
            .order_by(AuditEntry.id.desc())
        )
    )
