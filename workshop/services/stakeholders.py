"""Whom the mission speaks to: each clause tagged with the groups it addresses (clients,
colleagues, community, owners or funders, partners), so leadership sees the balance and is
warned when the mission says nothing to colleagues or to clients — the imbalance that makes
staff feel a mission is not theirs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import ValidationFailed
from ..extensions import db
from ..guards import clause_in_draft, workshop_for_staff
from ..models import AuditAction, ClauseStakeholder, DocumentVersion, Stakeholder, User
from ..queries import clauses_of, latest_version
from ..realtime import workshop_change
from ..stakeholder_groups import LABELS, MUST_HAVE
from . import audit
from .versions import ensure_open


def tags_of(workshop_id: int) -> dict[int, set[Stakeholder]]:
    """Each clause key's groups."""
    out: dict[int, set[Stakeholder]] = {}
    for row in db.session.scalars(
        sa.select(ClauseStakeholder).where(ClauseStakeholder.workshop_id == workshop_id)
    ):
        out.setdefault(row.clause_key, set()).add(row.stakeholder)
    return out


def set_stakeholders(
    actor: User, workshop_id: int, clause_key: int, stakeholders: list[str]
) -> set[Stakeholder]:
    """Say whom one clause of the current draft speaks to (replacing what was said)."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    try:
        chosen = {Stakeholder(s) for s in stakeholders}
    except ValueError:
        raise ValidationFailed(_("Pick groups from the list."), field="stakeholders") from None
    with workshop_change(workshop.id):
        # Checked under the workshop's lock, so a lock committed meanwhile is seen: final
        # means final, and the tags are part of what was agreed.
        ensure_open(workshop.id)
        clause_in_draft(workshop.id, clause_key)
        _replace(workshop.id, clause_key, chosen)
        audit.record(
            actor,
            workshop.id,
            AuditAction.CLAUSE_STAKEHOLDERS,
            audit.N_("Clause %(clause)s speaks to: %(groups)s")
            if chosen
            else audit.N_("Clause %(clause)s speaks to nobody named"),
            clause=clause_key,
            groups=sorted(chosen),
        )
    return chosen


def _replace(workshop_id: int, clause_key: int, chosen: set[Stakeholder]) -> None:
    db.session.execute(
        sa.delete(ClauseStakeholder).where(
            ClauseStakeholder.workshop_id == workshop_id,
            ClauseStakeholder.clause_key == clause_key,
        )
    )
    db.session.add_all(
        ClauseStakeholder(workshop_id=workshop_id, clause_key=clause_key, stakeholder=s)
        for s in sorted(chosen)
    )


def balance(workshop_id: int, version: DocumentVersion | None = None) -> dict[str, Any]:
    """How many clauses (and words) of a version speak to each group, and warnings."""
    version = version or latest_version(workshop_id)
    if version is None:
        return {"clauses": [], "groups": [], "warnings": [], "tagged": 0}
    tags = tags_of(workshop_id)
    clauses = clauses_of(version)
    rows = []
    for group in Stakeholder:
        speaking = [c for c in clauses if group in tags.get(c.key, set())]
        rows.append(
            {
                "group": str(group),
                "label": str(LABELS[group]),
                "clauses": len(speaking),
                "share": round(len(speaking) / len(clauses), 3) if clauses else 0.0,
            }
        )
    tagged = sum(1 for c in clauses if tags.get(c.key))
    warnings = []
    if tagged:
        for group in MUST_HAVE:
            if not any(group in tags.get(c.key, set()) for c in clauses):
                warnings.append(
                    _("No clause speaks to %(group)s.", group=str(LABELS[group]).lower())
                )
    return {
        "clauses": [
            {"key": c.key, "groups": sorted(str(s) for s in tags.get(c.key, set()))}
            for c in clauses
        ],
        "groups": rows,
        "warnings": warnings,
        "tagged": tagged,
    }


def reader_view(workshop_id: int, version: DocumentVersion, reader: str) -> set[int]:
    """The clause keys a reader from one group finds addressed to them."""
    try:
        group = Stakeholder(reader)
    except ValueError:
        raise ValidationFailed(_("Pick a reader from the list."), field="reader") from None
    tags = tags_of(workshop_id)
    return {c.key for c in clauses_of(version) if group in tags.get(c.key, set())}
