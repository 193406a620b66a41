"""The full state a live screen starts from: the snapshot, as each audience may see it."""

from __future__ import annotations

import threading
from typing import Any

from flask_babel import gettext as _

from . import clock, permissions
from .audiences import (
    amendment_payload,
    duel_payload,
    editors,
    iso,
    my_ballot,
    my_clause_votes,
    my_moderated,
    participant_payload,
    presence_payload,
    proposal_payload,
    round_payload,
    version_payload,
    vote_state,
    wording_payload,
    workshop_payload,
)
from .errors import NotFound
from .extensions import db
from .locales import current_language
from .models import Audience, Participant, Round, User, Workshop
from .queries import (
    comments_of,
    current_round,
    latest_version,
    latest_vote_round,
    list_amendments,
    list_duels,
    list_proposals,
    list_rounds,
    my_amendment_votes,
    my_duel_votes,
)

# The part of a snapshot every viewer of one audience shares, per workshop, kept for the
# sequence number it was built at: a room of 1,000 reconnecting builds it once, not 1,000
# times. Whatever changed since without a new number (a vote, a join) is due as a coalesced
# event with a higher number (see realtime.py), which brings every such screen up to date.
# Kept per language too: the shared part holds words the server writes (value names, labels).
_shared: dict[tuple[int, bool, str], tuple[int, dict[str, Any]]] = {}
_shared_guard = threading.Lock()


def build_snapshot(
    workshop_id: int, viewer: Participant | User, audience: Audience | None = None
) -> dict[str, Any]:
    """Everything one viewer's screen shows, with the sequence number it is current at.

    The number is read before the state, so the state is at least that
    recent; events after it may repeat what the state already holds, which
    is harmless because every event is an absolute update. The projector (a
    staff login showing the room) gets the participants' view, without anything
    personal.
    """
    # Usually already loaded by whoever asks (the connect or the command's caller) earlier
    # in this same unit of work, so its sequence number was read before any state below.
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound(_("This workshop does not exist."))
    seq = workshop.event_seq
    staff_role = permissions.staff_role(viewer, workshop)
    if staff_role is None and not permissions.is_participant_of(viewer, workshop):
        raise NotFound(_("This workshop does not exist."))
    projector = audience == Audience.PROJECTOR
    is_staff = staff_role is not None and not projector
    key = (workshop_id, is_staff, current_language())
    with _shared_guard:
        cached = _shared.get(key)
    if cached is not None and cached[0] == seq:
        shared = cached[1]
    else:
        shared = _shared_state(workshop, seq, is_staff=is_staff)
        with _shared_guard:
            _shared[key] = (seq, shared)
    snapshot = _stamped(shared)
    vote_round_id = (shared["vote"] or {}).get("round_id")
    if projector:
        snapshot["viewer"] = {"kind": "projector"}
    elif isinstance(viewer, Participant):
        vote_round = db.session.get(Round, vote_round_id) if vote_round_id else None
        latest = latest_version(workshop_id) if shared["document"] else None
        snapshot["viewer"] = {"kind": "participant", **participant_payload(viewer)}
        snapshot["me"] = my_ballot(viewer, vote_round)
        # Only what can exist is looked up: no amendments, no answers on them.
        snapshot["my_amendment_votes"] = my_amendment_votes(viewer) if shared["amendments"] else {}
        snapshot["my_clause_votes"] = my_clause_votes(viewer, latest) if latest else {}
        snapshot["my_duel_votes"] = my_duel_votes(viewer) if shared["duels"] else {}
        snapshot["my_moderated"] = my_moderated(viewer)
    else:
        snapshot["viewer"] = {"kind": str(staff_role), "name": viewer.display_name}
    return snapshot


def _stamped(shared: dict[str, Any]) -> dict[str, Any]:
    """A copy of the shared state whose rounds and duels carry the server's clock now (clients
    correct their timers by it), ready for personal fields."""
    now = iso(clock.now())
    snapshot = dict(shared)
    snapshot["rounds"] = [{**r, "server_now": now} for r in shared["rounds"]]
    snapshot["duels"] = [
        {**d, "server_now": now} if "server_now" in d else d for d in shared["duels"]
    ]
    return snapshot


def _shared_state(workshop: Workshop, seq: int, *, is_staff: bool) -> dict[str, Any]:
    """What every viewer of one audience sees of the workshop at ``seq``."""
    workshop_id = workshop.id
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
        "vote": vote_state(vote_round),
        "proposals": [
            proposal_payload(
                p, staff=is_staff, readout=workshop.readout_anonymous, comments=comments[p.id]
            )
            for p in proposals
        ],
        "presence": presence_payload(workshop_id),
        "document": version_payload(latest, staff=is_staff, readout=workshop.readout_anonymous)
        if latest
        else None,
        "wording": wording_payload(workshop, latest) if latest else None,
    }
    snapshot["editors"] = editors(workshop, staff=is_staff)
    snapshot["duels"] = [duel_payload(d) for d in list_duels(workshop_id)]
    snapshot["amendments"] = [
        amendment_payload(a, staff=is_staff, readout=workshop.readout_anonymous)
        for a in list_amendments(workshop_id)
    ]
    return snapshot
