"""Ballots in voting rounds: casting, changing, counting, revealing.

One ballot per person per round; casting again replaces it, so only the
current vote counts. Tallies come from :mod:`workshop.voting` and leave the
server only through :func:`results_payload`, which returns nothing for a
blind round until the facilitator reveals it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock, voting
from ..errors import Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    Anonymity,
    AuditAction,
    Ballot,
    BallotReceipt,
    Participant,
    Proposal,
    ProposalStatus,
    Round,
    RoundKind,
    User,
    Workshop,
)
from ..payloads import MIN_GROUP_SIZE, round_payload
from ..realtime import WorkshopChange, workshop_change
from . import audit, values, wording
from .rounds import (
    closed_for_input,
    current_round,
    is_open_for_input,
    results_visible,
)
from .workshops import get_workshop, get_workshop_for_staff


def effective_anonymity(workshop: Workshop, round_: Round | None) -> Anonymity:
    """A round's own setting wins over the workshop's."""
    if round_ is not None and round_.anonymity is not None:
        return round_.anonymity
    return workshop.anonymity


def candidates(workshop_id: int) -> list[Proposal]:
    """What a voting round votes on: every visible proposal, pinned first."""
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .where(Proposal.workshop_id == workshop_id, Proposal.status == ProposalStatus.VISIBLE)
            .order_by(Proposal.pinned.desc(), Proposal.id)
        )
    )


def hash_token(token: str) -> str:
    """Only a hash of an anonymous voter's token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _find_ballot(round_: Round, participant: Participant, token: str | None) -> Ballot | None:
    if effective_anonymity(get_workshop(round_.workshop_id), round_) == Anonymity.FULL:
        if not token:
            return None
        return db.session.scalar(
            sa.select(Ballot).where(
                Ballot.round_id == round_.id, Ballot.token_hash == hash_token(token)
            )
        )
    return db.session.scalar(
        sa.select(Ballot).where(
            Ballot.round_id == round_.id, Ballot.participant_id == participant.id
        )
    )


def has_voted(round_: Round, participant: Participant) -> bool:
    """Whether this person has a ballot in the round (true in every anonymity mode)."""
    receipt = db.session.get(BallotReceipt, (round_.id, participant.id))
    return receipt is not None


def voter_count(round_id: int) -> int:
    """How many people voted: shown live, never what they voted."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(BallotReceipt)
            .where(BallotReceipt.round_id == round_id)
        )
        or 0
    )


def _validate(
    round_: Round, raw: Mapping[str, Any], known: list[int], workshop: Workshop
) -> dict[str, Any]:
    """Check a ballot against the round's method; returns it in stored (JSON) form."""
    if round_.kind == RoundKind.VALUES:
        return values.validate_values_ballot(raw, workshop=workshop, round_=round_)
    if round_.kind == RoundKind.VOCABULARY:
        return wording.validate_vocabulary_ballot(raw, round_)
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
    token: str | None = None,
    merge_dots: bool = False,
) -> dict[str, Any]:
    """Cast or replace the participant's ballot in the current voting round.

    Returns the participant's own view (their ballot, and in a fully
    anonymous round the token that lets this browser change it later).
    """
    workshop = get_workshop(workshop_id)
    if not isinstance(actor, Participant) or actor.workshop_id != workshop.id:
        raise Forbidden(_("Only participants of this workshop vote."))
    with workshop_change(workshop.id) as change:
        round_ = current_round(workshop.id)
        if round_ is None or not round_.takes_ballots or (round_id and round_.id != round_id):
            raise InvalidState(_("Voting is not open right now."), code="voting_closed")
        if not is_open_for_input(round_):
            raise closed_for_input(round_, code="voting_closed")
        known = [p.id for p in candidates(workshop.id)]
        existing = _find_ballot(round_, actor, token)
        if merge_dots and existing is not None:
            # Under the lock, so two tabs placing dots at once never overwrite each other.
            # Dots on proposals that are no longer candidates (hidden) go back to the voter.
            dots = {k: v for k, v in existing.data.get("dots", {}).items() if int(k) in known}
            ballot = {"dots": {**dots, **ballot.get("dots", {})}}
        data = _validate(round_, ballot, known, workshop)
        anonymity = effective_anonymity(workshop, round_)
        new_token = None
        if existing is None:
            if has_voted(round_, actor):
                # Fully anonymous: the ballot cannot be found without this browser's token.
                raise InvalidState(
                    _("You already voted in this anonymous round, from another browser."),
                    code="already_voted",
                )
            existing = Ballot(id=uuid.uuid4().hex, round_id=round_.id, data=data)
            if anonymity == Anonymity.FULL:
                new_token = secrets.token_urlsafe(24)
                existing.token_hash = hash_token(new_token)
            else:
                existing.participant_id = actor.id
                existing.level = actor.level
                existing.department = actor.department or None
            db.session.add(existing)
            db.session.add(BallotReceipt(round_id=round_.id, participant_id=actor.id))
        else:
            existing.data = data
        db.session.flush()
        emit_vote_state(change, round_)
        mine = {"round_id": round_.id, "voted": True, "ballot": data}
        if anonymity != Anonymity.FULL:
            change.tell(actor.id, "ballot.mine", mine)
    return {**mine, "token": new_token or token}


def set_dots(actor: Participant, proposal_id: int, dots: int, *, token: str | None = None) -> dict:
    """Dot voting one proposal at a time: put exactly ``dots`` of your dots on it."""
    proposal = db.session.get(Proposal, proposal_id)
    if not isinstance(actor, Participant):
        raise Forbidden(_("Only participants vote."))
    if proposal is None or proposal.workshop_id != actor.workshop_id:
        raise NotFound(_("This proposal does not exist."))
    if proposal.status != ProposalStatus.VISIBLE:
        raise InvalidState(_("This proposal was hidden by the facilitator."), code="hidden")
    round_ = current_round(actor.workshop_id)
    if round_ is not None and round_.method not in (None, voting.Method.DOT):
        raise InvalidState(
            _("This round does not use dots; use its own ballot."), code="wrong_method"
        )
    return cast_ballot(
        actor, actor.workshop_id, {"dots": {str(proposal_id): dots}}, token=token, merge_dots=True
    )


def my_ballot(actor: Participant, round_: Round | None, token: str | None = None) -> dict | None:
    """The participant's own current ballot in a round, if the server can know it."""
    if round_ is None or not round_.takes_ballots:
        return None
    ballot = _find_ballot(round_, actor, token)
    return {
        "round_id": round_.id,
        "voted": has_voted(round_, actor),
        "ballot": ballot.data if ballot else None,
    }


def reveal_round(actor: User, round_id: int) -> Round:
    """Show a blind round's results to everyone, on every channel at once."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("This round does not exist."))
    get_workshop_for_staff(actor, round_.workshop_id, moderate=True)
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
            f"Revealed round {round_.position + 1}",
        )
        change.emit("round.updated", {"round": round_payload(round_)})
        emit_vote_state(change, round_)
    return round_


def suppress_small_groups(sizes: Mapping[str, int]) -> dict[str, bool]:
    """Which groups may be shown: none under the threshold, and never exactly one hidden.

    With one group hidden, the total minus the shown groups would give it
    away; so the smallest shown group is hidden with it.
    """
    shown = {group: size >= MIN_GROUP_SIZE for group, size in sorted(sizes.items())}
    hidden = [group for group, show in shown.items() if not show]
    if len(hidden) == 1:
        visible = sorted((size, group) for group, size in sizes.items() if shown[group])
        if visible:
            shown[visible[0][1]] = False
    return shown


def emit_vote_state(change: WorkshopChange, round_: Round) -> None:
    """Publish a voting round's count of voters, and its results once they may be seen."""
    payload: dict[str, Any] = {"round_id": round_.id, "voters": voter_count(round_.id)}
    results = results_payload(round_)
    if results is not None:
        payload["results"] = results
    change.emit("round.tallied", payload)
    if results is not None and round_.kind in (RoundKind.VALUES, RoundKind.VOCABULARY):
        from .document import emit_wording  # document does not import ballots

        emit_wording(change, get_workshop(round_.workshop_id))


def results_payload(round_: Round) -> dict[str, Any] | None:
    """The round's results as every channel shows them, or None while they are hidden."""
    if not round_.takes_ballots or not results_visible(round_):
        return None
    workshop = get_workshop(round_.workshop_id)
    ballots = list(db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id)))
    if round_.kind == RoundKind.VALUES:
        return values.values_results(workshop, values.submissions(ballots))
    if round_.kind == RoundKind.VOCABULARY:
        return wording.vocabulary_results(round_, [b.data for b in ballots])
    known = [p.id for p in candidates(round_.workshop_id)]
    payload = _tally(round_, [b.data for b in ballots], known)
    if round_.breakdown_by_level and effective_anonymity(workshop, round_) != Anonymity.FULL:
        groups: dict[str, list[dict]] = {}
        for ballot in ballots:
            groups.setdefault(ballot.level or "", []).append(ballot.data)
        shown = suppress_small_groups({k: len(v) for k, v in groups.items() if k})
        payload["by_level"] = {
            level: _tally(round_, groups[level], known) if show else None
            for level, show in shown.items()
        }
        payload["min_group_size"] = MIN_GROUP_SIZE
    return payload


def _everyone(ranking: tuple[int, ...], known: list[int]) -> list[int]:
    """Every candidate, ranked ones first: proposals nobody supported still get a zero row."""
    return [*ranking, *(c for c in known if c not in ranking)]


def _tally(round_: Round, ballots: list[dict], known: list[int]) -> dict[str, Any]:
    """Count one set of ballots with the round's method, as JSON."""
    method = voting.Method(round_.method)
    base: dict[str, Any] = {"method": str(method), "ballots": len(ballots)}
    if method == voting.Method.DOT:
        r = voting.tally_dots([_int_keys(b.get("dots", {})) for b in ballots], known)
        return {
            **base,
            "winner": r.winner,
            "ranking": list(r.ranking),
            "items": [
                {"proposal_id": c, "dots": r.totals.get(c, 0), "voters": r.voters.get(c, 0)}
                for c in _everyone(r.ranking, known)
            ],
        }
    if method == voting.Method.APPROVAL:
        r = voting.tally_approval([b.get("approved", []) for b in ballots], known)
        return {
            **base,
            "winner": r.winner,
            "ranking": list(r.ranking),
            "items": [
                {"proposal_id": c, "approvals": r.approvals.get(c, 0), "share": r.share.get(c, 0.0)}
                for c in _everyone(r.ranking, known)
            ],
        }
    if method == voting.Method.SCORE:
        r = voting.tally_score([_int_keys(b.get("scores", {})) for b in ballots], known)
        return {
            **base,
            "winner": r.winner,
            "ranking": list(r.ranking),
            "items": [
                {"proposal_id": c, "mean": r.mean.get(c), "count": r.count.get(c, 0)}
                for c in _everyone(r.ranking, known)
            ],
        }
    if method == voting.Method.RANKED:
        r = voting.tally_ranked([b.get("ranking", []) for b in ballots], known)
        irv, bc, sz = r.instant_runoff, r.borda, r.schulze
        return {
            **base,
            "winner": sz.winner,
            "instant_runoff": {
                "winner": irv.winner,
                "rounds": [
                    {
                        "counts": {str(k): v for k, v in rr.counts.items()},
                        "exhausted": rr.exhausted,
                        "eliminated": rr.eliminated,
                    }
                    for rr in irv.rounds
                ],
            },
            "borda": {
                "winner": bc.winner,
                "ranking": list(bc.ranking),
                "scores": {str(k): v for k, v in bc.scores.items()},
            },
            "schulze": {"winner": sz.winner, "ranking": list(sz.ranking)},
        }
    items = []
    for candidate in known:
        answers = [
            (voting.ConsentChoice(a["choice"]), a.get("reason", ""))
            for b in ballots
            if (a := b.get("consent", {}).get(str(candidate)))
        ]
        r = voting.tally_consent(answers)
        items.append(
            {
                "proposal_id": candidate,
                "counts": {str(k): v for k, v in r.counts.items()},
                "objections": list(r.objections),
                "consented": r.consented,
            }
        )
    return {**base, "items": items}


def _int_keys(mapping: Mapping[str, int]) -> dict[int, int]:
    return {int(k): v for k, v in mapping.items()}
