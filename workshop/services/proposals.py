"""Proposed wordings: submitting them and hiding them."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..errors import Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import Participant, Phase, Proposal, User, Vote, utcnow
from ..payloads import Tally, proposal_payload
from ..realtime import workshop_change
from ..text import normalise_text
from .votes import my_votes_payload, tallies
from .workshops import get_workshop, get_workshop_for_staff

MAX_PROPOSAL_LENGTH = 1000
MAX_OP_ID_LENGTH = 64


def submit_proposal(
    actor: Participant, workshop_id: int, body_md: str, *, op_id: str | None = None
) -> Proposal:
    """Add a participant's wording; everyone sees it at once.

    ``op_id`` is the client's id for this command: resending the same one
    (after a lost acknowledgement) returns the first proposal, not a copy.
    """
    workshop = get_workshop(workshop_id)
    if not permissions.is_participant_of(actor, workshop):
        raise Forbidden(_("Only participants of this workshop can propose here."))
    body = normalise_text(body_md)
    if not body:
        raise ValidationFailed(_("Write some wording before you send it."), field="body")
    if len(body) > MAX_PROPOSAL_LENGTH:
        raise ValidationFailed(
            _(
                "Keep a proposal under %(n)s characters (this one has %(length)s).",
                n=MAX_PROPOSAL_LENGTH,
                length=len(body),
            ),
            field="body",
        )
    if op_id is not None and not (0 < len(op_id) <= MAX_OP_ID_LENGTH):
        raise ValidationFailed(_("The operation id is malformed."), field="op_id")
    with workshop_change(workshop.id) as change:
        # Checked under the workshop lock, so two resends racing each other find one proposal.
        earlier = op_id and db.session.scalar(
            sa.select(Proposal).where(
                Proposal.author_id == actor.id, Proposal.client_op_id == op_id
            )
        )
        if earlier:
            return earlier
        db.session.refresh(workshop)
        if workshop.phase != Phase.PROPOSE:
            raise InvalidState(_("Proposals are not open right now."), code="phase_closed")
        proposal = Proposal(
            workshop_id=workshop.id, author_id=actor.id, body_md=body, client_op_id=op_id
        )
        db.session.add(proposal)
        db.session.flush()
        change.emit(
            "proposal.submitted",
            {"proposal": proposal_payload(proposal, Tally(), staff=False)},
            staff_payload={"proposal": proposal_payload(proposal, Tally(), staff=True)},
        )
    return proposal


def _moderated_proposal(actor: User, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    get_workshop_for_staff(actor, proposal.workshop_id, moderate=True)
    return proposal


def hide_proposal(actor: User, proposal_id: int, reason: str = "") -> Proposal:
    """Take a proposal off everyone's screen; its dots go back to the voters."""
    proposal = _moderated_proposal(actor, proposal_id)
    reason = " ".join((reason or "").split())
    if len(reason) > 300:
        raise ValidationFailed(_("Keep the reason under 300 characters."), field="reason")
    with workshop_change(proposal.workshop_id) as change:
        db.session.refresh(proposal)
        if proposal.is_hidden:
            raise InvalidState(_("This proposal is already hidden."))
        voters = list(
            db.session.scalars(
                sa.select(Vote.participant_id).where(Vote.proposal_id == proposal.id)
            )
        )
        db.session.execute(sa.delete(Vote).where(Vote.proposal_id == proposal.id))
        proposal.hidden_at = utcnow()
        proposal.hidden_reason = reason
        db.session.flush()
        change.emit(
            "proposal.hidden",
            {"proposal_id": proposal.id},
            staff_payload={"proposal": proposal_payload(proposal, Tally(), staff=True)},
        )
        for participant_id in voters:
            change.tell(participant_id, "vote.mine", my_votes_payload(participant_id))
    return proposal


def restore_proposal(actor: User, proposal_id: int) -> Proposal:
    """Bring a hidden proposal back (with no dots: they were returned on hiding)."""
    proposal = _moderated_proposal(actor, proposal_id)
    with workshop_change(proposal.workshop_id) as change:
        db.session.refresh(proposal)
        if not proposal.is_hidden:
            raise InvalidState(_("This proposal is not hidden."))
        proposal.hidden_at = None
        proposal.hidden_reason = ""
        db.session.flush()
        tally = tallies(proposal.workshop_id).get(proposal.id, Tally())
        change.emit(
            "proposal.submitted",
            {"proposal": proposal_payload(proposal, tally, staff=False)},
            staff_payload={"proposal": proposal_payload(proposal, tally, staff=True)},
        )
    return proposal


def list_proposals(workshop_id: int, *, include_hidden: bool) -> list[Proposal]:
    """Proposals in the order they came in."""
    query = sa.select(Proposal).where(Proposal.workshop_id == workshop_id)
    if not include_hidden:
        query = query.where(Proposal.hidden_at.is_(None))
    return list(db.session.scalars(query.order_by(Proposal.created_at, Proposal.id)))


def get_proposal(proposal_id: int, workshop_id: int) -> Proposal:
    """A proposal of this workshop; one of another workshop does not exist here."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.workshop_id != workshop_id:
        raise NotFound(_("This proposal does not exist."))
    return proposal
