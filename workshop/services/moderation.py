"""Moderating what participants write: approve a pre-moderated card, hide it with a reason
its author sees, restore, pin, merge duplicates (votes and authors carry over), split, the
anonymous read-out, and moderating comments. Every action is in the audit log.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import credits, events, voters
from ..audiences import moderated_notice
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import running_ranked_ballot_in_reach, workshop_for_staff, workshop_not_closed
from ..models import (
    AuditAction,
    Ballot,
    Comment,
    DocumentVersion,
    Proposal,
    ProposalCredit,
    ProposalStatus,
    Round,
    User,
    Workshop,
)
from ..queries import latest_vote_round, list_amendments, list_participants, list_proposals
from ..realtime import WorkshopChange, workshop_change
from ..text import one_line
from . import audit
from .proposals import MAX_PROPOSAL_LENGTH, clean_body
from .versions import ensure_open


def _moderated(actor: User, proposal_id: int) -> tuple[Workshop, Proposal]:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    workshop = workshop_for_staff(actor, proposal.workshop_id, moderate=True)
    return workshop, proposal


def _record_open(workshop: Workshop) -> None:
    """Refuse moderation that changes what the room voted on or who is credited once the
    record is final: a closed workshop, or a mission locked as final (reopen it first). A
    hidden, restored, merged or split card changes the results of rounds already counted and
    the people a version credits. Called under the workshop's lock."""
    workshop_not_closed(workshop)
    ensure_open(workshop.id)


def _tell_authors(change: WorkshopChange, proposal: Proposal, payload: dict[str, Any]) -> None:
    for credit in proposal.credits:
        change.tell(credit.participant_id, "proposal.moderated", payload)


def approve_proposal(actor: User, proposal_id: int) -> Proposal:
    """Let a pre-moderated proposal through to everyone."""
    workshop, proposal = _moderated(actor, proposal_id)
    with workshop_change(workshop.id) as change:
        _record_open(workshop)
        db.session.refresh(proposal)
        if proposal.status != ProposalStatus.PENDING:
            raise InvalidState(_("This proposal is not waiting for approval."))
        proposal.status = ProposalStatus.VISIBLE
        running_ranked_ballot_in_reach(workshop.id)
        audit.record(
            actor,
            workshop.id,
            AuditAction.PROPOSAL_APPROVE,
            audit.N_("Approved proposal %(id)s"),
            id=proposal.id,
        )
        events.proposal_changed(change, proposal)
        events.results_changed(change, workshop.id)
    return proposal


def hide_proposal(actor: User, proposal_id: int, reason: str = "") -> Proposal:
    """Take a proposal off everyone's screen; its author is told why."""
    workshop, proposal = _moderated(actor, proposal_id)
    reason = one_line(reason)
    if len(reason) > 300:
        raise ValidationFailed(_("Keep the reason under 300 characters."), field="reason")
    with workshop_change(workshop.id) as change:
        _record_open(workshop)
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
            audit.N_("Hid proposal %(id)s: %(reason)s"),
            id=proposal.id,
            reason=reason or "—",
        )
        events.proposal_changed(change, proposal)
        _tell_authors(change, proposal, moderated_notice(proposal))
        events.results_changed(change, workshop.id)
    return proposal


def restore_proposal(actor: User, proposal_id: int) -> Proposal:
    """Bring a hidden proposal back."""
    workshop, proposal = _moderated(actor, proposal_id)
    with workshop_change(workshop.id) as change:
        _record_open(workshop)
        db.session.refresh(proposal)
        if proposal.status != ProposalStatus.HIDDEN:
            raise InvalidState(_("This proposal is not hidden."))
        proposal.status = ProposalStatus.VISIBLE
        proposal.hidden_reason = ""
        running_ranked_ballot_in_reach(workshop.id)
        audit.record(
            actor,
            workshop.id,
            AuditAction.PROPOSAL_RESTORE,
            audit.N_("Restored proposal %(id)s"),
            id=proposal.id,
        )
        events.proposal_changed(change, proposal)
        _tell_authors(change, proposal, {"proposal_id": proposal.id, "status": "visible"})
        events.results_changed(change, workshop.id)
    return proposal


def pin_proposal(actor: User, proposal_id: int, pinned: bool) -> Proposal:
    """Pin a card to the top of every list (or unpin it)."""
    workshop, proposal = _moderated(actor, proposal_id)
    with workshop_change(workshop.id) as change:
        proposal.pinned = pinned
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.PROPOSAL_PIN if pinned else AuditAction.PROPOSAL_UNPIN,
            audit.N_("Pinned proposal %(id)s") if pinned else audit.N_("Unpinned proposal %(id)s"),
            id=proposal.id,
        )
        events.proposal_changed(change, proposal)
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
        _record_open(workshop)
        db.session.refresh(keep)
        db.session.refresh(gone)
        if keep.status != ProposalStatus.VISIBLE or gone.status not in (
            ProposalStatus.VISIBLE,
            ProposalStatus.PENDING,
        ):
            raise InvalidState(_("Only visible proposals can be merged."))
        final = _final_version_with_words_of(keep)
        if final is not None:
            raise InvalidState(
                _(
                    "Version %(number)s, which is final, has words from this card: merging "
                    "another card into it would credit that card's authors there too. Merge "
                    "this card into the other one instead.",
                    number=final.number,
                )
            )
        gone.status = ProposalStatus.MERGED
        gone.merged_into_id = keep.id
        credited = {c.participant_id for c in keep.credits}
        for credit in gone.credits:
            if credit.participant_id not in credited:
                keep.credits.append(ProposalCredit(participant_id=credit.participant_id))
        moved = []
        for ballot in _ballots_of(workshop.id):
            merged = _merged_ballot(ballot.data, str(keep.id), str(gone.id))
            if merged != ballot.data:
                ballot.data = merged
                moved.append(ballot)
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.PROPOSAL_MERGE,
            audit.N_("Merged %(gone)s into %(keep)s"),
            gone=gone.id,
            keep=keep.id,
        )
        events.proposal_changed(change, gone)
        events.proposal_changed(change, keep)
        _tell_authors(change, gone, moderated_notice(gone))
        _tell_voters(change, workshop.id, moved)
        events.results_changed(change, workshop.id)
    return keep


def _tell_voters(change: WorkshopChange, workshop_id: int, moved: list[Ballot]) -> None:
    """Each person whose ballot in the round their screen shows now holds the merged card's
    support tells them where it went (``ballot.mine``, as their own vote would): their
    screen still had it on a card that is gone, counted those dots as unspent, and the next
    tap set the kept card's dots from nought, losing the ones that moved there."""
    shown = latest_vote_round(workshop_id)
    moved = [b for b in moved if shown is not None and b.round_id == shown.id]
    if not moved or shown is None:
        return
    anonymous: dict[str, int] = {}
    if any(b.voter_hash for b in moved):  # fully anonymous: only the server can tell
        scope = voters.round_scope(shown.id)
        anonymous = voters.hashes_of(list_participants(workshop_id), workshop_id, scope)
    for ballot in moved:
        owner = ballot.participant_id or anonymous.get(ballot.voter_hash or "")
        if owner is not None:
            mine = {"round_id": shown.id, "voted": True, "ballot": ballot.data}
            change.tell(owner, "ballot.mine", mine)


def _final_version_with_words_of(proposal: Proposal) -> DocumentVersion | None:
    """A final version whose words are credited to this card (the card's authors, as they
    stand, are who that version credits for them), if there is one."""
    key = credits.proposal_key(proposal.id)
    finals = db.session.scalars(
        sa.select(DocumentVersion).where(
            DocumentVersion.workshop_id == proposal.workshop_id,
            DocumentVersion.final_at.is_not(None),
        )
    )
    return next((v for v in finals if key in v.word_credits), None)


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
    cleaned = [clean_body(part, MAX_PROPOSAL_LENGTH) for part in parts if part.strip()]
    if len(cleaned) < 2:
        raise ValidationFailed(_("Split a proposal into at least two parts."), field="parts")
    with workshop_change(workshop.id) as change:
        _record_open(workshop)
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
        running_ranked_ballot_in_reach(workshop.id)
        audit.record(
            actor,
            workshop.id,
            AuditAction.PROPOSAL_SPLIT,
            audit.N_("Split %(id)s in %(pieces)s"),
            id=original.id,
            pieces=len(pieces),
        )
        events.proposal_changed(change, original)
        for piece in pieces:
            events.proposal_changed(change, piece, new=True)
        events.results_changed(change, workshop.id)
    return pieces


def set_readout(actor: User, workshop_id: int, anonymous: bool) -> Workshop:
    """Anonymous read-out: every screen shows cards shuffled and without authors."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    with workshop_change(workshop.id) as change:
        workshop.readout_anonymous = anonymous
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.READOUT_SET,
            audit.N_("Anonymous read-out on") if anonymous else audit.N_("Anonymous read-out off"),
        )
        events.workshop_updated(change, workshop)
        # Cards change shape for participants (authors appear or vanish): resend them, the
        # amendments and who is editing what.
        for proposal in list_proposals(workshop.id, include_hidden=False):
            events.proposal_changed(change, proposal)
        for amendment in list_amendments(workshop.id):
            events.amendment_changed(change, amendment)
        events.editors_changed(change, workshop)
    return workshop


def moderate_comment(actor: User, comment_id: int, *, visible: bool, reason: str = "") -> Comment:
    """Approve (or show again) or hide a comment."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("This comment does not exist."))
    workshop = workshop_for_staff(actor, comment.workshop_id, moderate=True)
    with workshop_change(workshop.id) as change:
        comment.status = ProposalStatus.VISIBLE if visible else ProposalStatus.HIDDEN
        comment.hidden_reason = "" if visible else one_line(reason)[:300]
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.COMMENT_SHOW if visible else AuditAction.COMMENT_HIDE,
            audit.N_("Showed comment %(id)s") if visible else audit.N_("Hid comment %(id)s"),
            id=comment.id,
        )
        proposal = db.session.get(Proposal, comment.proposal_id)
        assert proposal is not None
        events.proposal_changed(change, proposal)
        if comment.author_id is not None and not visible:
            change.tell(
                comment.author_id,
                "comment.moderated",
                {"comment_id": comment.id, "status": "hidden", "reason": comment.hidden_reason},
            )
    return comment
