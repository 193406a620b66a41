"""Casting votes: ballots in voting, consent, values and vocabulary rounds, and revealing
a blind round's results.

One ballot per person per round; casting again replaces it, so only the
current vote counts. A fully anonymous round stores no link between a ballot
and a person: the ballot carries only a hash of a token that the voter's
browser keeps, and a receipt records that the person voted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import clock, events, permissions, voting
from ..alignment import validate_values_ballot
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import taking_part, workshop_for_staff
from ..models import (
    AuditAction,
    Ballot,
    Participant,
    Proposal,
    ProposalStatus,
    Round,
    RoundKind,
    User,
    Workshop,
)
from ..queries import (
    ballot_voter,
    closed_for_input,
    current_ballot_round,
    get_workshop,
    is_open_for_input,
)
from ..realtime import workshop_change
from ..vocabulary import validate_vocabulary_ballot
from . import audit


def _validate(
    round_: Round, raw: Mapping[str, Any], known: list[int], workshop: Workshop
) -> dict[str, Any]:
    """Check a ballot against the round's method; returns it in stored (JSON) form."""
    if round_.kind == RoundKind.VALUES:
        return validate_values_ballot(raw, workshop=workshop, pick_limit=round_.pick_limit)
    if round_.kind == RoundKind.VOCABULARY:
        return validate_vocabulary_ballot(raw, round_.words)
    assert round_.method is not None, "a round that takes ballots has a voting method"
    method = voting.Method(round_.method)
    try:
        if method == voting.Method.DOT:
            dots = voting.validate_dot(
                {int(k): v for k, v in raw.get("dots", {}).items()},
                known,
                budget=round_.dots_budget,
                cap=round_.dots_cap,
            )
            return {"dots": {str(k): v for k, v in dots.items()}}
        if method == voting.Method.APPROVAL:
            return {"approved": sorted(voting.validate_approval(raw.get("approved", []), known))}
        if method == voting.Method.SCORE:
            scores = voting.validate_score(
                {int(k): v for k, v in raw.get("scores", {}).items()}, known
            )
            return {"scores": {str(k): v for k, v in scores.items()}}
        if method == voting.Method.RANKED:
            return {"ranking": list(voting.validate_ranking(raw.get("ranking", []), known))}
        consent: dict[str, Any] = {}
        for key, answer in raw.get("consent", {}).items():
            proposal_id = int(key)
            if proposal_id not in known:
                raise voting.BallotError(_("That proposal is not on this ballot."))
            choice, reason = voting.validate_consent(
                answer.get("choice", ""), answer.get("reason", "")
            )
            consent[str(proposal_id)] = {"choice": str(choice), "reason": reason}
        return {"consent": consent}
    except voting.BallotError as error:
        raise ValidationFailed(
            str(error), field="ballot", reason=getattr(error, "code", "invalid")
        ) from None
    except (ValueError, TypeError, AttributeError, KeyError):
        # Malformed shapes ("abc" as an id, a list for a map): say so without Python's words.
        raise ValidationFailed(_("This ballot is not valid."), field="ballot") from None


def cast_ballot(
    actor: Participant,
    workshop_id: int,
    ballot: Mapping[str, Any],
    *,
    round_id: int | None = None,
    merge_dots: bool = False,
    proposal_id: int | None = None,
    op_id: str | None = None,
) -> dict[str, Any]:
    """Cast or replace the participant's ballot in the current round; returns their own
    view of it. A fully anonymous ballot stores no participant, only a voter hash (see
    voters.py), and nothing records who voted. An ``op_id`` already applied to this ballot
    changes nothing (a resend after a lost acknowledgement, perhaps after the person changed
    the vote again from another tab)."""
    workshop = get_workshop(workshop_id)
    actor = taking_part(actor, workshop, permissions.can_vote, missing=_l("Voting is not here."))
    with workshop_change(workshop.id) as change:
        round_, known = current_ballot_round(workshop.id)
        if round_id is not None and (round_ is None or round_.id != round_id):
            # Sent for a round that is no longer the current one (a resend after a reconnect,
            # say): never counted in another.
            earlier = db.session.get(Round, round_id)
            if (mine := _applied_before(actor, earlier, workshop.id, op_id)) is not None:
                return mine
            raise InvalidState(_("Voting is not open right now."), code="voting_closed")
        if proposal_id is not None and proposal_id not in known:
            _refuse_missing_proposal(proposal_id, workshop.id)
        if round_ is None or not round_.takes_ballots:
            raise InvalidState(_("Voting is not open right now."), code="voting_closed")
        if not is_open_for_input(round_):
            if (mine := _applied_before(actor, round_, workshop.id, op_id)) is not None:
                return mine
            raise closed_for_input(round_, code="voting_closed")
        if merge_dots and round_.method != voting.Method.DOT:
            raise InvalidState(
                _("This round does not use dots; use its own ballot."), code="wrong_method"
            )
        if proposal_id is not None and proposal_id not in known:
            raise ValidationFailed(
                _("This proposal is not on this round's ballot."),
                field="ballot",
                reason="unknown_candidate",
            )
        voter = ballot_voter(round_, actor, create=True)
        assert voter is not None, "an open round's key exists or is made"
        existing = db.session.scalar(
            sa.select(Ballot).where(Ballot.round_id == round_.id, voter.matches(Ballot))
        )
        key = applied_op_key(voter.voter_hash, op_id)
        if existing is not None and key is not None and key in (existing.op_keys or []):
            return {"round_id": round_.id, "voted": True, "ballot": existing.data}
        if merge_dots and existing is not None:
            # Under the lock, so two tabs placing dots at once never overwrite each other.
            # Dots on proposals that are no longer candidates (hidden) go back to the voter.
            dots = {k: v for k, v in existing.data.get("dots", {}).items() if int(k) in known}
            ballot = {"dots": {**dots, **ballot.get("dots", {})}}
        data = _validate(round_, ballot, known, workshop)
        if existing is None:
            existing = Ballot(round_id=round_.id, data=data, **voter.fields())
            if voter.participant_id is not None:  # breakdowns, never in fully anonymous rounds
                existing.level = actor.level
                existing.department = actor.department or None
            db.session.add(existing)
        else:
            existing.data = data
        if key is not None:
            existing.op_keys = [*(existing.op_keys or []), key][-MAX_OP_KEYS:]
        db.session.flush()
        events.tally_soon(change, round_)
        mine = {"round_id": round_.id, "voted": True, "ballot": data}
        change.tell(actor.id, "ballot.mine", mine)  # their other tabs; nothing stored
    return mine


def _applied_before(
    actor: Participant, round_: Round | None, workshop_id: int, op_id: str | None
) -> dict[str, Any] | None:
    """The ballot as it is, when this operation was applied before its round closed: its
    acknowledgement was lost with the connection, and the resend comes after the round
    ended. Answered as applied (it counted), not refused as "voting is not open", which told
    the person their vote was lost while it was counted. Only on the way to a refusal, so a
    vote in an open round costs nothing more."""
    if op_id is None or round_ is None or round_.workshop_id != workshop_id:
        return None
    voter = ballot_voter(round_, actor)
    if voter is None:  # fully anonymous and closed: nobody can tell whose ballot it was
        return None
    key = applied_op_key(voter.voter_hash, op_id)
    existing = db.session.scalar(
        sa.select(Ballot).where(Ballot.round_id == round_.id, voter.matches(Ballot))
    )
    if existing is None or key not in (existing.op_keys or []):
        return None
    return {"round_id": round_.id, "voted": True, "ballot": existing.data}


# How many of a ballot's last operations it remembers: a resend comes within seconds, a few
# changes later at most.
MAX_OP_KEYS = 20


def applied_op_key(voter_hash: str | None, op_id: str | None) -> str | None:
    """How an operation is remembered on a ballot: as sent, on a named ballot; hashed with
    the ballot's voter hash on a fully anonymous one, so the stored key is not the id the
    browser sent."""
    if not op_id:
        return None
    if voter_hash is None:
        return op_id
    return hashlib.sha256(f"{voter_hash}:{op_id}".encode()).hexdigest()


def _refuse_missing_proposal(proposal_id: int, workshop_id: int) -> None:
    """A dot vote naming a proposal that is not on the ballot: say so if it does not exist
    here or was hidden (one lookup, only on this path)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.workshop_id != workshop_id:
        raise NotFound(_("This proposal does not exist."))
    if proposal.status != ProposalStatus.VISIBLE:
        raise InvalidState(_("This proposal was hidden by the facilitator."), code="hidden")


def set_dots(
    actor: Participant,
    proposal_id: int,
    dots: int,
    *,
    round_id: int | None = None,
    op_id: str | None = None,
) -> dict[str, Any]:
    """Dot voting one proposal at a time: put exactly ``dots`` of your dots on it (in round
    ``round_id``, when given: refused if another round is the current one)."""
    if not isinstance(actor, Participant):  # staff follow the room; they are told so
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is None:
            raise NotFound(_("This proposal does not exist."))
        missing = _("This proposal does not exist.")
        taking_part(
            actor, get_workshop(proposal.workshop_id), permissions.can_vote, missing=missing
        )
    return cast_ballot(
        actor,
        actor.workshop_id,
        {"dots": {str(proposal_id): dots}},
        merge_dots=True,
        proposal_id=proposal_id,
        round_id=round_id,
        op_id=op_id,
    )


def reveal_round(actor: User, round_id: int) -> Round:
    """Show a blind round's results to everyone, on every channel at once."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("This round does not exist."))
    workshop_for_staff(actor, round_.workshop_id, moderate=True)
    if not round_.takes_ballots:
        raise InvalidState(_("Only voting rounds have results to reveal."))
    if round_.started_at is None:
        raise InvalidState(_("This round has not run yet."))
    with workshop_change(round_.workshop_id) as change:
        db.session.refresh(round_)
        if round_.revealed_at is not None:
            raise InvalidState(_("The results are already revealed."))
        round_.revealed_at = clock.now()
        db.session.flush()
        audit.record(
            actor,
            round_.workshop_id,
            AuditAction.ROUND_REVEAL,
            audit.N_("Revealed round %(number)s"),
            number=round_.position + 1,
        )
        events.round_updated(change, round_)
        events.vote_state(change, round_)
    return round_
