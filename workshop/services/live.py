"""The full state a live screen starts from: the snapshot."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..errors import NotFound
from ..extensions import db
from ..models import Participant, Round, User, Workshop
from ..payloads import (
    participant_payload,
    proposal_payload,
    round_payload,
    version_payload,
    workshop_payload,
)
from . import ballots, drafting, duels
from .amendments import amendment_payload, list_amendments, my_votes
from .document import document_payload, latest_version
from .participants import presence
from .proposals import comments_of, list_proposals
from .rounds import current_round, latest_vote_round, list_rounds


def build_snapshot(
    workshop_id: int, viewer: Participant | User, *, ballot_token: str | None = None
) -> dict[str, Any]:
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
    proposals = list_proposals(workshop_id, include_hidden=is_staff)
    comments = comments_of([p.id for p in proposals])
    latest = latest_version(workshop_id)
    running = current_round(workshop_id)
    vote_round = latest_vote_round(workshop_id)
    snapshot: dict[str, Any] = {
        "seq": seq,
        "workshop": workshop_payload(workshop),
        "rounds": [round_payload(r) for r in list_rounds(workshop_id)],
        "current_round_id": running.id if running else None,
        "vote": _vote_state(vote_round),
        "proposals": [
            proposal_payload(
                p, staff=is_staff, readout=workshop.readout_anonymous, comments=comments[p.id]
            )
            for p in proposals
        ],
        "presence": presence(workshop_id),
        "document": version_payload(latest) if latest else None,
        "wording": {k: v for k, v in document_payload(workshop, latest).items() if k != "version"}
        if latest
        else None,
    }
    snapshot["editors"] = drafting.editors(workshop, staff=is_staff)
    snapshot["duels"] = [duels.duel_payload(d) for d in duels.list_duels(workshop_id)]
    snapshot["amendments"] = [
        amendment_payload(a, staff=is_staff, readout=workshop.readout_anonymous)
        for a in list_amendments(workshop_id)
    ]
    if isinstance(viewer, Participant):
        snapshot["viewer"] = {"kind": "participant", **participant_payload(viewer)}
        snapshot["me"] = ballots.my_ballot(viewer, vote_round, ballot_token)
        snapshot["my_amendment_votes"] = my_votes(viewer)
        snapshot["my_clause_votes"] = drafting.my_clause_votes(viewer)
        snapshot["my_duel_votes"] = duels.my_duel_votes(viewer)
    else:
        snapshot["viewer"] = {"kind": str(staff_role), "name": viewer.display_name}
    return snapshot


def _vote_state(round_: Round | None) -> dict[str, Any] | None:
    """The latest voting round's count of voters, and its results once they may be seen."""
    if round_ is None:
        return None
    return {
        "round_id": round_.id,
        "voters": ballots.voter_count(round_.id),
        "results": ballots.results_payload(round_),
    }
