"""Values rounds: a workshop's own catalogue of personal values, and the results a viewer
may see (the heatmap, filtered by level or department).

Checking one person's submission and aggregating the room's is :mod:`alignment`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from .. import events, permissions
from ..alignment import MAX_CUSTOM_LENGTH, filtered_results
from ..catalogue import load_catalogue
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..models import AuditAction, Participant, Round, RoundKind, User, Workshop
from ..privacy import results_visible
from ..queries import get_workshop, values_submissions
from ..realtime import workshop_change
from ..text import one_line
from . import audit

MAX_ADDED_VALUES = 30


def edit_catalogue(
    actor: User, workshop_id: int, *, hidden: Iterable[str], added: Iterable[Mapping[str, str]]
) -> Workshop:
    """Hide catalogue values and add the organisation's own for this workshop."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    known = {v.key for group in load_catalogue("en") for v in group.values}
    hidden_keys = sorted(set(hidden))
    if unknown := [key for key in hidden_keys if key not in known]:
        raise ValidationFailed(
            _("Unknown values: %(keys)s", keys=", ".join(unknown)), field="hidden"
        )
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in added:
        name = one_line(item.get("name"))
        if not name:
            continue
        if len(name) > MAX_CUSTOM_LENGTH:
            raise ValidationFailed(
                _("Keep a value under %(n)s characters.", n=MAX_CUSTOM_LENGTH), field="added"
            )
        key = "own:" + name.lower()
        if key in seen:
            continue
        seen.add(key)
        cleaned.append(
            {
                "key": key,
                "name": name,
                "description": one_line(item.get("description"))[:120],
                "group": "own",
            }
        )
    if len(cleaned) > MAX_ADDED_VALUES:
        raise ValidationFailed(_("Add at most %(n)s values.", n=MAX_ADDED_VALUES), field="added")
    with workshop_change(workshop.id) as change:
        workshop.catalogue_edits = {"hidden": hidden_keys, "added": cleaned}
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.CATALOGUE_EDIT,
            audit.N_("Values catalogue: %(hidden)s hidden, %(added)s added"),
            hidden=len(hidden_keys),
            added=len(cleaned),
        )
        events.workshop_updated(change, workshop)
    return workshop


def heatmap_view(
    viewer: Participant | User,
    workshop_id: int,
    round_id: int,
    *,
    level: str = "",
    department: str = "",
) -> tuple[Workshop, dict[str, Any] | None]:
    """The results a viewer may see for a values round (None: the group is too small)."""
    workshop = get_workshop(workshop_id)
    if not permissions.can_see_results(viewer, workshop):
        raise NotFound(_("This workshop does not exist."))
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.workshop_id != workshop.id or round_.kind != RoundKind.VALUES:
        raise NotFound(_("This values round does not exist."))
    if not results_visible(round_):
        raise Forbidden(_("Results stay hidden until the facilitator reveals them."))
    return workshop, filtered_results(
        workshop, values_submissions(round_), level=level, department=department
    )
