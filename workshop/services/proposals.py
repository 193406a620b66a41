"""Proposed wordings and their comments: what participants write.

Moderating them (approve, hide, merge, split, pin, read-out) is
:mod:`services.moderation`.
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import events, permissions, voters
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import taking_part
from ..models import (
    Anonymity,
    Comment,
    Participant,
    Phase,
    Proposal,
    ProposalCredit,
    ProposalStatus,
    RoundKind,
)
from ..privacy import effective_anonymity
from ..queries import (
    closed_for_input,
    current_round,
    get_workshop,
    is_open_for_input,
)
from ..realtime import workshop_change
from ..text import normalise_text

MAX_PROPOSAL_LENGTH = 1000
MAX_COMMENT_LENGTH = 500
MAX_OP_ID_LENGTH = 64


def clean_body(body_md: str, limit: int) -> str:
    body = normalise_text(body_md)
    if not body:
        raise ValidationFailed(_("Write some wording before you send it."), field="body")
    if len(body) > limit:
        raise ValidationFailed(
            _("Keep it under %(n)s characters (this has %(length)s).", n=limit, length=len(body)),
            field="body",
        )
    return body


def _check_op_id(op_id: str | None) -> None:
    if op_id is not None and not (0 < len(op_id) <= MAX_OP_ID_LENGTH):
        raise ValidationFailed(_("The operation id is malformed."), field="op_id")


def _op_key(actor: Participant, anonymity: Anonymity, op_id: str | None) -> str | None:
    """How a command's operation id is stored: as sent, next to its author; in fully
    anonymous mode, where no author is stored, hashed with the sender's voter hash, so a
    resend finds its own earlier command and nobody else's, and the id names nobody."""
    if not op_id or anonymity != Anonymity.FULL:
        return op_id
    sender = voters.voter(actor, voters.OPS_SCOPE, anonymity)
    assert sender is not None and sender.voter_hash is not None
    return hashlib.sha256(f"{sender.voter_hash}:{op_id}".encode()).hexdigest()


# What a command may create, and find again when it is sent twice.
Created = TypeVar("Created", Proposal, Comment)


def _resent(
    model: type[Created], workshop_id: int, actor: Participant, op_id: str | None
) -> Created | None:
    """What a resent command already created: the same operation, from the same person
    (stored with its author, or, fully anonymous, under a key only the sender's op makes)."""
    if not op_id:
        return None
    named = sa.and_(model.client_op_id == op_id, model.author_id == actor.id)
    anonymous = sa.and_(
        model.client_op_id == _op_key(actor, Anonymity.FULL, op_id), model.author_id.is_(None)
    )
    return db.session.scalar(
        sa.select(model).where(model.workshop_id == workshop_id, sa.or_(named, anonymous))
    )


def submit_proposal(
    actor: Participant, workshop_id: int, body_md: str, *, op_id: str | None = None
) -> Proposal:
    """Add a participant's wording to the current propose round.

    ``op_id`` is the client's id for this command: resending the same one
    (after a lost acknowledgement) returns the first proposal, not a copy.
    """
    workshop = get_workshop(workshop_id)
    actor = taking_part(
        actor, workshop, permissions.can_propose, missing=_l("Nothing to propose to here.")
    )
    body = clean_body(body_md, MAX_PROPOSAL_LENGTH)
    _check_op_id(op_id)
    with workshop_change(workshop.id) as change:
        if (earlier := _resent(Proposal, workshop.id, actor, op_id)) is not None:
            return earlier
        round_ = current_round(workshop.id)
        db.session.refresh(workshop)
        if round_ is None or round_.kind != RoundKind.PROPOSE or workshop.phase != Phase.PROPOSE:
            raise InvalidState(_("Proposals are not open right now."), code="phase_closed")
        if not is_open_for_input(round_):
            raise closed_for_input(round_, code="phase_closed")
        anonymity = effective_anonymity(workshop, round_)
        proposal = Proposal(
            workshop_id=workshop.id,
            round_id=round_.id,
            author_id=None if anonymity == Anonymity.FULL else actor.id,
            body_md=body,
            client_op_id=_op_key(actor, anonymity, op_id),
            anonymity=anonymity,
            status=ProposalStatus.PENDING if round_.premoderation else ProposalStatus.VISIBLE,
        )
        if anonymity != Anonymity.FULL:
            proposal.credits = [ProposalCredit(participant_id=actor.id)]
        db.session.add(proposal)
        db.session.flush()
        events.proposal_changed(change, proposal, new=True)
    return proposal


def add_comment(
    actor: Participant, proposal_id: int, body_md: str, *, op_id: str | None = None
) -> Comment:
    """Reply under a visible proposal; moderated like proposals in pre-moderated rounds."""
    missing = _("This proposal does not exist.")
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(missing)
    actor = taking_part(
        actor, get_workshop(proposal.workshop_id), permissions.can_comment, missing=missing
    )
    body = clean_body(body_md, MAX_COMMENT_LENGTH)
    _check_op_id(op_id)
    workshop = get_workshop(actor.workshop_id)
    with workshop_change(workshop.id) as change:
        if (earlier := _resent(Comment, workshop.id, actor, op_id)) is not None:
            return earlier
        db.session.refresh(workshop)
        db.session.refresh(proposal)
        if workshop.phase == Phase.CLOSED:
            raise InvalidState(_("The workshop is closed."), code="phase_closed")
        if proposal.status != ProposalStatus.VISIBLE:
            raise InvalidState(_("This proposal was hidden by the facilitator."), code="hidden")
        round_ = current_round(workshop.id)
        anonymity = effective_anonymity(workshop, round_)
        comment = Comment(
            proposal_id=proposal.id,
            workshop_id=workshop.id,
            author_id=None if anonymity == Anonymity.FULL else actor.id,
            body_md=body,
            anonymity=anonymity,
            client_op_id=_op_key(actor, anonymity, op_id),
            status=ProposalStatus.PENDING
            if round_ is not None and round_.premoderation
            else ProposalStatus.VISIBLE,
        )
        db.session.add(comment)
        db.session.flush()
        events.proposal_changed(change, proposal)
    return comment
