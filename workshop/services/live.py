"""The full state a live screen starts from: the snapshot."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..errors import NotFound
from ..extensions import db
from ..models import Participant, User, Workshop
from ..payloads import (
    Tally,
    participant_payload,
    proposal_payload,
    version_payload,
    workshop_payload,
)
from .document import latest_version
from .participants import presence
from .proposals import list_proposals
from .votes import my_votes_payload, tallies


def build_snapshot(workshop_id: int, viewer: Participant | User) -> dict[str, Any]:
    """Everything one viewer's screen shows, with the sequence number it is current at.

    The number is read before the state, so the state is at least that
    recent; events after it may repeat what the state already holds, which
    is harmless because every event is an absolute update.
    """
    seq = db.session.scalar(sa.select(Workshop.event_seq).where(Workshop.id == workshop_id))
    workshop = db.session.get(Workshop, workshop_id)
    if seq is None or workshop is None:
        raise NotFound(_("This workshop does not exist."))
    db.session.refresh(workshop)
    staff_role = permissions.staff_role(viewer, workshop)
    is_staff = staff_role is not None
    if not is_staff and not permissions.is_participant_of(viewer, workshop):
        raise NotFound(_("This workshop does not exist."))
    counts = tallies(workshop_id)
    proposals = list_proposals(workshop_id, include_hidden=is_staff)
    latest = latest_version(workshop_id)
    snapshot: dict[str, Any] = {
        "seq": seq,
        "workshop": workshop_payload(workshop),
        "proposals": [
            proposal_payload(p, counts.get(p.id, Tally()), staff=is_staff) for p in proposals
        ],
        "presence": presence(workshop_id),
        "document": version_payload(latest) if latest else None,
    }
    if isinstance(viewer, Participant):
        snapshot["viewer"] = {"kind": "participant", **participant_payload(viewer)}
        snapshot["me"] = my_votes_payload(viewer.id)
    else:
        snapshot["viewer"] = {"kind": str(staff_role), "name": viewer.display_name}
    return snapshot
