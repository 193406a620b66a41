"""The facilitators' audit log: every moderation and agenda action, who and when.

An entry keeps its words untranslated: ``summary`` is an English message id with %(name)s
placeholders (marked with :func:`N_` so ``pybabel extract`` finds it) and ``params`` the
values that fill them. :func:`summary_of` translates it when it is read, into the reader's
language; what people typed (a reason, a prompt, a measure) stays a parameter, as typed."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..catalogue import find_value
from ..extensions import db
from ..guards import workshop_for_staff
from ..locales import current_language
from ..models import AuditAction, AuditEntry, Phase, RoundKind, StaffRole, User
from ..stakeholder_groups import LABELS as STAKEHOLDER_LABELS

MAX_PARAM = 500  # characters of one typed parameter kept, as the summary column once did


def N_(message: str) -> str:  # Babel's default keyword for "translate later"
    """Mark an audit message for extraction; :func:`summary_of` translates it when shown."""
    return message


# The labels the screens already show for these (templates/_live.html, the invites page),
# written lower-case inside a sentence.
KIND_LABELS = {
    RoundKind.VALUES: _l("Values"),
    RoundKind.PROPOSE: _l("Propose"),
    RoundKind.VOTE: _l("Vote"),
    RoundKind.REFINE: _l("Refine"),
    RoundKind.CONSENT: _l("Consent"),
    RoundKind.FINALISE: _l("Finalise"),
    RoundKind.VOCABULARY: _l("Vocabulary"),
    RoundKind.MEASURES: _l("Success measures"),
}
PHASE_LABELS = {
    Phase.LOBBY: _l("Lobby"),
    Phase.VALUES: _l("Values"),
    Phase.PROPOSE: _l("Propose"),
    Phase.VOTE: _l("Vote"),
    Phase.DRAFT: _l("Draft"),
    Phase.CLOSED: _l("Closed"),
}
ROLE_LABELS = {
    StaffRole.FACILITATOR: _l("Co-facilitator"),
    StaffRole.LEADERSHIP: _l("Leadership"),
}


def record(
    actor: User,
    workshop_id: int,
    action: AuditAction,
    message: str,
    *,
    subject_id: int | None = None,
    **params: Any,
) -> None:
    """Add an entry to the current transaction (committed with the action itself).
    ``message``: an ``N_("...")`` message id whose %(name)s placeholders ``params`` fill;
    ``subject_id``: the id of what it was about, for an action read back later."""
    db.session.add(
        AuditEntry(
            workshop_id=workshop_id,
            actor_id=actor.id,
            action=action,
            summary=message[:500],
            params={key: _stored(value) for key, value in params.items()},
            subject_id=subject_id,
        )
    )


def _stored(value: Any) -> Any:
    """A parameter as JSON keeps it: enums by their value, long text cut."""
    if isinstance(value, list | tuple | set | frozenset):
        return [_stored(item) for item in value]
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str):
        return value[:MAX_PARAM]
    return value


def _label(table: Mapping[Any, Any], value: Any) -> str:
    """The translated label of an enum value, lower-case inside a sentence; the value itself
    when it has none."""
    try:
        return str(table[value]).lower()
    except (KeyError, ValueError):
        return str(value)


def _shown(key: str, value: Any) -> Any:
    """One parameter as the reader sees it."""
    if key == "kind":
        return _label(KIND_LABELS, value)
    if key == "phase":
        return _label(PHASE_LABELS, value)
    if key == "role":
        return _label(ROLE_LABELS, value)
    if key == "groups":
        return ", ".join(str(STAKEHOLDER_LABELS.get(group, group)) for group in value)
    if key == "value":
        found = find_value(str(value), current_language())
        return found.name if found else value
    return value


def summary_of(entry: AuditEntry) -> str:
    """What an entry says, in the current language."""
    params = {key: _shown(key, value) for key, value in (entry.params or {}).items()}
    if not params:
        return gettext(entry.summary)
    try:
        return gettext(entry.summary, **params)
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder
        return entry.summary % params


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
