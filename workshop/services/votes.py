"""Dot voting: each participant spreads a budget of dots over proposals."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import permissions
from ..errors import Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import Participant, Phase, Proposal, Vote, Workshop, utcnow
from ..payloads import Tally
from ..realtime import workshop_change


def tallies(workshop_id: int) -> dict[int, Tally]:
    """Dots and voters per visible proposal of a workshop."""
    rows = db.session.execute(
        sa.select(Vote.proposal_id, sa.func.sum(Vote.dots), sa.func.count(Vote.id))
        .where(Vote.workshop_id == workshop_id)
        .group_by(Vote.proposal_id)
    ).all()
    return {proposal_id: Tally(int(dots), int(voters)) for proposal_id, dots, voters in rows}


def votes_of(participant_id: int) -> dict[int, int]:
    """One participant's dots per proposal."""
    rows = db.session.execute(
        sa.select(Vote.proposal_id, Vote.dots).where(Vote.participant_id == participant_id)
    ).all()
    return {proposal_id: dots for proposal_id, dots in rows}


def my_votes_payload(participant_id: int) -> dict[str, Any]:
    """What a participant's own screen shows: where their dots are, how many are left."""
    participant = db.session.get(Participant, participant_id)
    assert participant is not None
    budget = (
        db.session.scalar(
            sa.select(Workshop.dots_per_participant).where(Workshop.id == participant.workshop_id)
        )
        or 0
    )
    votes = votes_of(participant_id)
    return {
        "votes": {str(pid): dots for pid, dots in votes.items()},
        "budget": budget,
        "dots_left": max(budget - sum(votes.values()), 0),
    }


def set_dots(actor: Participant, proposal_id: int, dots: int) -> dict[str, Any]:
    """Put exactly ``dots`` of the participant's dots on a proposal (0 takes them back).

    Setting an absolute number rather than adding one makes a resent command
    harmless. Returns the participant's own votes after the change.
    """
    if not isinstance(actor, Participant):
        raise Forbidden(_("Only participants vote."))
    if not isinstance(dots, int) or isinstance(dots, bool) or dots < 0:
        raise ValidationFailed(_("Dots must be a whole number, 0 or more."), field="dots")
    proposal = db.session.get(Proposal, proposal_id)
    # A proposal of another workshop is reported as missing: it is none of this person's business.
    if proposal is None or proposal.workshop_id != actor.workshop_id:
        raise NotFound(_("This proposal does not exist."))
    with workshop_change(proposal.workshop_id) as change:
        workshop = db.session.get(Workshop, proposal.workshop_id)
        assert workshop is not None
        db.session.refresh(workshop)
        db.session.refresh(proposal)
        if not permissions.is_participant_of(actor, workshop):
            raise Forbidden(_("You are not a participant of this workshop."))
        if workshop.phase != Phase.VOTE:
            raise InvalidState(_("Voting is not open right now."), code="voting_closed")
        if proposal.is_hidden:
            raise InvalidState(_("This proposal was hidden by the facilitator."), code="hidden")
        current = votes_of(actor.id)
        spent_elsewhere = sum(d for pid, d in current.items() if pid != proposal.id)
        if spent_elsewhere + dots > workshop.dots_per_participant:
            left = workshop.dots_per_participant - spent_elsewhere
            raise InvalidState(
                ngettext(
                    "You have %(num)s dot left for this proposal.",
                    "You have %(num)s dots left for this proposal.",
                    left,
                ),
                code="over_budget",
                dots_left=left,
            )
        vote = db.session.scalar(
            sa.select(Vote).where(Vote.participant_id == actor.id, Vote.proposal_id == proposal.id)
        )
        if dots == 0:
            if vote is not None:
                db.session.delete(vote)
        elif vote is None:
            db.session.add(
                Vote(
                    workshop_id=workshop.id,
                    proposal_id=proposal.id,
                    participant_id=actor.id,
                    dots=dots,
                )
            )
        else:
            vote.dots = dots
            vote.updated_at = utcnow()
        db.session.flush()
        tally = tallies(workshop.id).get(proposal.id, Tally())
        change.emit(
            "vote.tallied",
            {"proposal_id": proposal.id, "dots": tally.dots, "voters": tally.voters},
        )
        mine = my_votes_payload(actor.id)
        change.tell(actor.id, "vote.mine", mine)
    return mine
