"""Proposed wordings and their comments: submitting and moderating them.

Moderation states: pending (pre-moderated rounds) → visible → hidden or
merged. Participants only ever receive visible cards; staff receive every
card with its state. Every moderation action is written to the audit log.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..errors import Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    Anonymity,
    AuditAction,
    Ballot,
    Comment,
    Participant,
    Phase,
    Proposal,
    ProposalCredit,
    ProposalStatus,
    Round,
    RoundKind,
    User,
    Workshop,
)
from ..payloads import proposal_payload
from ..realtime import WorkshopChange, workshop_change
from ..text import normalise_text
from . import audit
from .ballots import effective_anonymity, emit_vote_state
from .rounds import closed_for_input, current_round, is_open_for_input, latest_vote_round
from .workshops import get_workshop, get_workshop_for_staff

MAX_PROPOSAL_LENGTH = 1000
MAX_COMMENT_LENGTH = 500
MAX_OP_ID_LENGTH = 64


def _clean_body(body_md: str, limit: int) -> str:
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


def _resent(
    model: type[Proposal] | type[Comment], workshop_id: int, actor: Participant, op_id: str | None
) -> Proposal | Comment | None:
    """What a resent command already created: same operation id, same (or no stored) author."""
    if not op_id:
        return None
    return db.session.scalar(
        sa.select(model).where(
            model.workshop_id == workshop_id,
            model.client_op_id == op_id,
            sa.or_(model.author_id == actor.id, model.author_id.is_(None)),
        )
    )


def comments_of(proposal_ids: list[int]) -> dict[int, list[Comment]]:
    """Comments per proposal, oldest first."""
    grouped: dict[int, list[Comment]] = {pid: [] for pid in proposal_ids}
    if proposal_ids:
        for comment in db.session.scalars(
            sa.select(Comment).where(Comment.proposal_id.in_(proposal_ids)).order_by(Comment.id)
        ):
            grouped[comment.proposal_id].append(comment)
    return grouped


def emit_results(change: WorkshopChange, workshop_id: int) -> None:
    """Moderation changes what is counted (hidden cards drop out, merged ones add up)."""
    round_ = latest_vote_round(workshop_id)
    if round_ is not None:
        emit_vote_state(change, round_)


def emit_proposal(change: WorkshopChange, proposal: Proposal, *, new: bool = False) -> None:
    """Tell both audiences about a card: staff see it in every state, participants only visible."""
    workshop = get_workshop(proposal.workshop_id)
    comments = comments_of([proposal.id])[proposal.id]
    name = "proposal.submitted" if new else "proposal.updated"
    staff = {"proposal": proposal_payload(proposal, staff=True, comments=comments)}
    if proposal.status == ProposalStatus.VISIBLE:
        public = proposal_payload(
            proposal, staff=False, readout=workshop.readout_anonymous, comments=comments
        )
        change.emit(name, {"proposal": public}, staff_payload=staff)
    elif new:
        change.emit(name, {}, staff_payload=staff, participants=False)
    else:
        change.emit(
            "proposal.removed",
            {"proposal_id": proposal.id},
            staff_payload=staff,
            staff_name="proposal.updated",
        )


def submit_proposal(
    actor: Participant, workshop_id: int, body_md: str, *, op_id: str | None = None
) -> Proposal:
    """Add a participant's wording to the current propose round.

    ``op_id`` is the client's id for this command: resending the same one
    (after a lost acknowledgement) returns the first proposal, not a copy.
    """
    workshop = get_workshop(workshop_id)
    if not permissions.is_participant_of(actor, workshop):
        raise Forbidden(_("Only participants of this workshop can propose here."))
    body = _clean_body(body_md, MAX_PROPOSAL_LENGTH)
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
            client_op_id=op_id,
            anonymity=anonymity,
            status=ProposalStatus.PENDING if round_.premoderation else ProposalStatus.VISIBLE,
        )
        if anonymity != Anonymity.FULL:
            proposal.credits = [ProposalCredit(participant_id=actor.id)]
        db.session.add(proposal)
        db.session.flush()
        emit_proposal(change, proposal, new=True)
    return proposal


def get_proposal(proposal_id: int, workshop_id: int) -> Proposal:
    """A proposal of this workshop; one of another workshop does not exist here."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.workshop_id != workshop_id:
        raise NotFound(_("This proposal does not exist."))
    return proposal


def _moderated(actor: User, proposal_id: int) -> tuple[Workshop, Proposal]:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    workshop = get_workshop_for_staff(actor, proposal.workshop_id, moderate=True)
    return workshop, proposal


def _tell_authors(change: WorkshopChange, proposal: Proposal, payload: dict[str, Any]) -> None:
    for credit in proposal.credits:
        change.tell(credit.participant_id, "proposal.moderated", payload)


def approve_proposal(actor: User, proposal_id: int) -> Proposal:
    """Let a pre-moderated proposal through to everyone."""
    workshop, proposal = _moderated(actor, proposal_id)
    with workshop_change(workshop.id) as change:
        db.session.refresh(proposal)
        if proposal.status != ProposalStatus.PENDING:
            raise InvalidState(_("This proposal is not waiting for approval."))
        proposal.status = ProposalStatus.VISIBLE
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.PROPOSAL_APPROVE, f"Approved proposal {proposal.id}"
        )
        emit_proposal(change, proposal)
        emit_results(change, workshop.id)
    return proposal


def hide_proposal(actor: User, proposal_id: int, reason: str = "") -> Proposal:
    """Take a proposal off everyone's screen; its author is told why."""
    workshop, proposal = _moderated(actor, proposal_id)
    reason = " ".join((reason or "").split())
    if len(reason) > 300:
        raise ValidationFailed(_("Keep the reason under 300 characters."), field="reason")
    with workshop_change(workshop.id) as change:
        db.session.refresh(proposal)
        if proposal.status in (ProposalStatus.HIDDEN, ProposalStatus.MERGED):
            raise InvalidState(_("This proposal is already hidden."))
        proposal.status = ProposalStatus.HIDDEN
        proposal.hidden_reason = reason
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.PROPOSAL_HIDE,
            f"Hid proposal {proposal.id}: {reason or '—'}",
        )
        emit_proposal(change, proposal)
        _tell_authors(
            change,
            proposal,
            {
                "proposal_id": proposal.id,
                "status": "hidden",
                "reason": reason,
                "body_html": proposal_payload(proposal, staff=False)["body_html"],
            },
        )
        emit_results(change, workshop.id)
    return proposal


def restore_proposal(actor: User, proposal_id: int) -> Proposal:
    """Bring a hidden proposal back."""
    workshop, proposal = _moderated(actor, proposal_id)
    with workshop_change(workshop.id) as change:
        db.session.refresh(proposal)
        if proposal.status != ProposalStatus.HIDDEN:
            raise InvalidState(_("This proposal is not hidden."))
        proposal.status = ProposalStatus.VISIBLE
        proposal.hidden_reason = ""
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.PROPOSAL_RESTORE, f"Restored proposal {proposal.id}"
        )
        emit_proposal(change, proposal)
        _tell_authors(change, proposal, {"proposal_id": proposal.id, "status": "visible"})
        emit_results(change, workshop.id)
    return proposal


def pin_proposal(actor: User, proposal_id: int, pinned: bool) -> Proposal:
    """Pin a card to the top of every list (or unpin it)."""
    workshop, proposal = _moderated(actor, proposal_id)
    with workshop_change(workshop.id) as change:
        proposal.pinned = pinned
        db.session.flush()
        action = "pin" if pinned else "unpin"
        audit.record(
            actor,
            workshop.id,
            AuditAction.PROPOSAL_PIN if pinned else AuditAction.PROPOSAL_UNPIN,
            f"{action} proposal {proposal.id}",
        )
        emit_proposal(change, proposal)
    return proposal


def merge_proposals(actor: User, keep_id: int, merge_id: int) -> Proposal:
    """Fold a duplicate into another card: its votes and authors carry over.

    Dots add up, approvals unite, the higher score stays, a ranking keeps the
    better of the two places, and both authors are credited on the kept card.
    """
    if keep_id == merge_id:
        raise ValidationFailed(_("Choose two different proposals to merge."), field="merge")
    workshop, keep = _moderated(actor, keep_id)
    gone = _moderated(actor, merge_id)[1]
    if gone.workshop_id != workshop.id:
        raise NotFound(_("This proposal does not exist."))
    with workshop_change(workshop.id) as change:
        db.session.refresh(keep)
        db.session.refresh(gone)
        if keep.status != ProposalStatus.VISIBLE or gone.status not in (
            ProposalStatus.VISIBLE,
            ProposalStatus.PENDING,
        ):
            raise InvalidState(_("Only visible proposals can be merged."))
        gone.status = ProposalStatus.MERGED
        gone.merged_into_id = keep.id
        credited = {c.participant_id for c in keep.credits}
        for credit in gone.credits:
            if credit.participant_id not in credited:
                keep.credits.append(ProposalCredit(participant_id=credit.participant_id))
        for ballot in _ballots_of(workshop.id):
            ballot.data = _merged_ballot(ballot.data, str(keep.id), str(gone.id))
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.PROPOSAL_MERGE, f"Merged {gone.id} into {keep.id}"
        )
        emit_proposal(change, gone)
        emit_proposal(change, keep)
        emit_results(change, workshop.id)
    return keep


def _ballots_of(workshop_id: int) -> list[Ballot]:
    return list(
        db.session.scalars(
            sa.select(Ballot)
            .join(Round, Round.id == Ballot.round_id)
            .where(Round.workshop_id == workshop_id)
        )
    )


def _merged_ballot(data: dict[str, Any], keep: str, gone: str) -> dict[str, Any]:
    """One ballot with the merged card's support moved onto the kept card."""
    data = dict(data)
    if "dots" in data and gone in data["dots"]:
        dots = dict(data["dots"])
        dots[keep] = dots.get(keep, 0) + dots.pop(gone)
        data["dots"] = dots
    if "approved" in data and int(gone) in data["approved"]:
        data["approved"] = sorted({*data["approved"], int(keep)} - {int(gone)})
    if "scores" in data and gone in data["scores"]:
        scores = dict(data["scores"])
        scores[keep] = max(scores.get(keep, 0), scores.pop(gone))
        data["scores"] = scores
    if "ranking" in data and int(gone) in data["ranking"]:
        replaced = [int(keep) if c == int(gone) else c for c in data["ranking"]]
        data["ranking"] = list(dict.fromkeys(replaced))
    if "consent" in data and gone in data["consent"]:
        consent = dict(data["consent"])
        moved = consent.pop(gone)
        consent.setdefault(keep, moved)
        data["consent"] = consent
    return data


def split_proposal(actor: User, proposal_id: int, parts: list[str]) -> list[Proposal]:
    """Replace one card by two or more; authors are credited on each, votes start afresh."""
    workshop, original = _moderated(actor, proposal_id)
    cleaned = [_clean_body(part, MAX_PROPOSAL_LENGTH) for part in parts if part.strip()]
    if len(cleaned) < 2:
        raise ValidationFailed(_("Split a proposal into at least two parts."), field="parts")
    with workshop_change(workshop.id) as change:
        db.session.refresh(original)
        if original.status != ProposalStatus.VISIBLE:
            raise InvalidState(_("Only visible proposals can be split."))
        pieces = []
        for body in cleaned:
            piece = Proposal(
                workshop_id=workshop.id,
                round_id=original.round_id,
                author_id=original.author_id,
                body_md=body,
                anonymity=original.anonymity,
                credits=[ProposalCredit(participant_id=c.participant_id) for c in original.credits],
            )
            db.session.add(piece)
            pieces.append(piece)
        db.session.flush()
        original.status = ProposalStatus.HIDDEN
        original.hidden_reason = _("Split into %(ids)s", ids=", ".join(f"#{p.id}" for p in pieces))
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.PROPOSAL_SPLIT, f"Split {original.id} in {len(pieces)}"
        )
        emit_proposal(change, original)
        for piece in pieces:
            emit_proposal(change, piece, new=True)
        emit_results(change, workshop.id)
    return pieces


def set_readout(actor: User, workshop_id: int, anonymous: bool) -> Workshop:
    """Anonymous read-out: every screen shows cards shuffled and without authors."""
    from ..payloads import workshop_payload

    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    with workshop_change(workshop.id) as change:
        workshop.readout_anonymous = anonymous
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.READOUT_SET,
            f"Anonymous read-out {'on' if anonymous else 'off'}",
        )
        change.emit("workshop.updated", {"workshop": workshop_payload(workshop)})
        # Cards change shape for participants (authors appear or vanish): resend them.
        for proposal in list_proposals(workshop.id, include_hidden=False):
            emit_proposal(change, proposal)
    return workshop


def list_proposals(workshop_id: int, *, include_hidden: bool) -> list[Proposal]:
    """Proposals in the order they came in; staff also see pending, hidden and merged ones."""
    query = sa.select(Proposal).where(Proposal.workshop_id == workshop_id)
    if not include_hidden:
        query = query.where(Proposal.status == ProposalStatus.VISIBLE)
    return list(db.session.scalars(query.order_by(Proposal.created_at, Proposal.id)))


def add_comment(
    actor: Participant, proposal_id: int, body_md: str, *, op_id: str | None = None
) -> Comment:
    """Reply under a visible proposal; moderated like proposals in pre-moderated rounds."""
    if not isinstance(actor, Participant):
        raise Forbidden(_("Only participants comment."))
    proposal = get_proposal(proposal_id, actor.workshop_id)
    body = _clean_body(body_md, MAX_COMMENT_LENGTH)
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
            client_op_id=op_id,
            status=ProposalStatus.PENDING
            if round_ is not None and round_.premoderation
            else ProposalStatus.VISIBLE,
        )
        db.session.add(comment)
        db.session.flush()
        emit_proposal(change, proposal)
    return comment


def moderate_comment(actor: User, comment_id: int, *, visible: bool, reason: str = "") -> Comment:
    """Approve (or show again) or hide a comment."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("This comment does not exist."))
    workshop = get_workshop_for_staff(actor, comment.workshop_id, moderate=True)
    with workshop_change(workshop.id) as change:
        comment.status = ProposalStatus.VISIBLE if visible else ProposalStatus.HIDDEN
        comment.hidden_reason = "" if visible else " ".join(reason.split())[:300]
        db.session.flush()
        verb = "show" if visible else "hide"
        audit.record(
            actor,
            workshop.id,
            AuditAction.COMMENT_SHOW if visible else AuditAction.COMMENT_HIDE,
            f"{verb} comment {comment.id}",
        )
        proposal = db.session.get(Proposal, comment.proposal_id)
        assert proposal is not None
        emit_proposal(change, proposal)
        if comment.author_id is not None and not visible:
            change.tell(
                comment.author_id,
                "comment.moderated",
                {"comment_id": comment.id, "status": "hidden", "reason": comment.hidden_reason},
            )
    return comment
