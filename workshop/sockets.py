"""Socket.IO handlers: parse, find who is asking, call one service, acknowledge.

Every command is acknowledged with ``{"ok": true, ...}`` after its change
has been committed, or with ``{"ok": false, "error": {"code", "message",
"details"?}}``.
The server puts each socket in its rooms from the person's membership; a
client never names a room. docs/protocol.md describes every message.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_socketio import SocketIO, join_room
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import realtime
from .errors import DomainError, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from .extensions import db
from .identity import current_participant, current_staff
from .models import Comment, Connection, Participant, Phase, User, ValueTag
from .permissions import can_follow
from .services import (
    amendments,
    ballots,
    drafting,
    duels,
    live,
    participants,
    proposals,
    rounds,
    wording,
    workshops,
)

log = logging.getLogger(__name__)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ConnectAuth(_Payload):
    model_config = ConfigDict(extra="ignore", strict=True)
    workshop_id: int


class Empty(_Payload):
    pass


class SubmitProposal(_Payload):
    body: str = Field(max_length=5000)
    op_id: str | None = Field(default=None, max_length=64)


class SetVote(_Payload):
    proposal_id: int
    dots: int = Field(ge=0, le=100)
    token: str | None = Field(default=None, max_length=64)


class CastBallot(_Payload):
    ballot: dict[str, Any]
    round_id: int | None = None
    token: str | None = Field(default=None, max_length=64)


class Sync(_Payload):
    token: str | None = Field(default=None, max_length=64)


class RoundRef(_Payload):
    round_id: int


class ExtendRound(_Payload):
    round_id: int
    seconds: int = Field(ge=1, le=3600)


class MoveRound(_Payload):
    round_id: int
    position: int = Field(ge=0, le=100)


class RoundSettingsIn(_Payload):
    kind: str = Field(max_length=20)
    prompt: str = Field(default="", max_length=500)
    minutes: float = Field(default=10, ge=0, le=240)
    method: str | None = Field(default=None, max_length=20)
    dots_budget: int = Field(default=3, ge=1, le=20)
    dots_cap: int | None = Field(default=None, ge=1, le=20)
    pick_limit: int = Field(default=5, ge=1, le=10)
    blind: bool = True
    breakdown_by_level: bool = False
    premoderation: bool = False
    anonymity: str | None = Field(default=None, max_length=20)
    words: list[dict[str, str]] = Field(default_factory=list, max_length=40)

    def settings(self) -> rounds.RoundSettings:
        return rounds.RoundSettings(
            kind=self.kind,
            prompt=self.prompt,
            duration_seconds=int(self.minutes * 60),
            method=self.method,
            dots_budget=self.dots_budget,
            dots_cap=self.dots_cap,
            pick_limit=self.pick_limit,
            blind=self.blind,
            breakdown_by_level=self.breakdown_by_level,
            premoderation=self.premoderation,
            anonymity=self.anonymity,
            words=self.words,
        )


class ProposeAmendment(_Payload):
    version_number: int
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    replacement: str = Field(max_length=2000)
    reason: str = Field(default="", max_length=500)


class VoteAmendment(_Payload):
    amendment_id: int
    choice: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)


class SaveClause(_Payload):
    clause_key: int
    body: str = Field(max_length=8000)
    based_on: int = Field(ge=1)
    note: str = Field(default="", max_length=500)


class EditingClause(_Payload):
    clause_key: int | None = None


class VoteClause(_Payload):
    clause_key: int
    choice: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)


class StartDuel(_Payload):
    clause_key: int
    options: list[str] = Field(min_length=2, max_length=5)
    seconds: int = Field(ge=15, le=1800)
    method: str = Field(default="choose_one", max_length=20)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)


class VoteDuel(_Payload):
    duel_id: int
    ranking: list[int] = Field(max_length=5)


class DuelRef(_Payload):
    duel_id: int


class DecideAmendment(_Payload):
    amendment_id: int
    note: str = Field(default="", max_length=500)


class TagValue(_Payload):
    """Tag a proposal or an amendment (exactly one of the two ids)."""

    proposal_id: int | None = None
    amendment_id: int | None = None
    value_key: str = Field(max_length=60)


class TagRef(_Payload):
    tag_id: int


class UpdateRound(RoundSettingsIn):
    """Only the fields sent change; the others keep the round's current values."""

    round_id: int
    kind: str | None = Field(default=None, max_length=20)  # type: ignore[assignment]


class PinProposal(_Payload):
    proposal_id: int
    pinned: bool


class MergeProposals(_Payload):
    keep_id: int
    merge_id: int


class SplitProposal(_Payload):
    proposal_id: int
    parts: list[str] = Field(min_length=2, max_length=5)


class AddComment(_Payload):
    proposal_id: int
    body: str = Field(max_length=2000)
    op_id: str | None = Field(default=None, max_length=64)


class ModerateComment(_Payload):
    comment_id: int
    visible: bool
    reason: str = Field(default="", max_length=300)


class SetReadout(_Payload):
    anonymous: bool


class SetPhase(_Payload):
    phase: Phase = Field(strict=False)


class HideProposal(_Payload):
    proposal_id: int
    reason: str = Field(default="", max_length=300)


class ProposalRef(_Payload):
    proposal_id: int


class CommandBudget:
    """A token bucket per connection: bursts are fine, floods are refused.

    Connection-local on purpose (a socket lives on one server process), so it
    needs no shared store; shared workshop state stays in the database.
    """

    def __init__(self, rate_per_second: float = 5.0, burst: int = 30) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self.clock = time.monotonic
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, sid: str) -> bool:
        now = self.clock()
        tokens, last = self._buckets.get(sid, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        self._buckets[sid] = (tokens - 1 if allowed else tokens, now)
        return allowed

    def forget(self, sid: str) -> None:
        self._buckets.pop(sid, None)


budget = CommandBudget()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def _actor_for(workshop_id: int) -> Participant | User:
    """Staff of the workshop first (they may also hold a participant cookie), then participant."""
    workshop = workshops.get_workshop(workshop_id)
    staff = current_staff()
    if staff is not None and can_follow(staff, workshop):
        return staff
    participant = current_participant(workshop_id)
    if participant is None:
        raise NotAuthenticated(_("Join this workshop first."))
    return participant


def _connection_actor() -> tuple[int, Participant | User]:
    """The workshop this socket belongs to and who is asking, re-checked on every command."""
    connection = db.session.get(Connection, request.sid)  # type: ignore[attr-defined]
    if connection is None:
        raise NotAuthenticated(_("This connection is not registered; reconnect."))
    return connection.workshop_id, _actor_for(connection.workshop_id)


def command(socketio: SocketIO, name: str, schema: type[_Payload]) -> Callable[..., Any]:
    """Register a command handler with validation, identity and error handling."""

    def decorate(handler: Callable[[int, Participant | User, Any], dict[str, Any] | None]):
        @socketio.on(name)
        @functools.wraps(handler)
        def wrapper(data: Any = None) -> dict[str, Any]:
            if not budget.allow(request.sid):  # type: ignore[attr-defined]
                return _error("rate_limited", _("Too many actions at once; wait a moment."))
            try:
                payload = schema.model_validate(data if data is not None else {})
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "payload"
                return _error("invalid", f"{where}: {first['msg']}")
            try:
                workshop_id, actor = _connection_actor()
                result = handler(workshop_id, actor, payload) or {}
            except DomainError as error:
                db.session.rollback()
                return {"ok": False, "error": error.as_dict()}
            except Exception:  # pragma: no cover - logged, and the client is told plainly
                db.session.rollback()
                log.exception("socket command %s failed", name)
                return _error(
                    "internal",
                    _("Something went wrong on the server. Reload to see what was saved."),
                )
            return {"ok": True, **result}

        return wrapper

    return decorate


def _voter(actor: Participant | User) -> Participant:
    """The participant casting a vote: staff accounts follow the room and never vote."""
    if not isinstance(actor, Participant):
        raise Forbidden(_("Only participants vote."))
    return actor


def _require_staff(actor: Participant | User) -> User:
    if not isinstance(actor, User):
        raise Forbidden(_("Only the workshop's facilitators can do that."))
    return actor


def register(socketio: SocketIO) -> None:
    """Attach every handler to the Socket.IO server."""

    @socketio.on("connect")
    def on_connect(auth: Any = None) -> bool:
        try:
            workshop_id = ConnectAuth.model_validate(auth or {}).workshop_id
            actor = _actor_for(workshop_id)
        except (ValidationError, DomainError):
            db.session.rollback()
            return False  # the client sees connect_error; nothing joins
        workshop = workshops.get_workshop(workshop_id)
        if isinstance(actor, User):
            join_room(realtime.staff_room(workshop_id))
        else:
            join_room(realtime.participants_room(workshop_id))
            join_room(realtime.person_room(actor.id))
        participants.connect(request.sid, workshop, actor)  # type: ignore[attr-defined]
        realtime.send_snapshot(request.sid, live.build_snapshot(workshop_id, actor))  # type: ignore[attr-defined]
        return True

    @socketio.on("disconnect")
    def on_disconnect(reason: Any = None) -> None:
        budget.forget(request.sid)  # type: ignore[attr-defined]
        participants.disconnect(request.sid)  # type: ignore[attr-defined]

    @command(socketio, "state.sync", Sync)
    def sync(workshop_id: int, actor: Participant | User, data: Sync) -> dict[str, Any]:
        return {"snapshot": live.build_snapshot(workshop_id, actor, ballot_token=data.token)}

    @command(socketio, "proposal.submit", SubmitProposal)
    def submit(workshop_id: int, actor: Participant | User, data: SubmitProposal) -> dict[str, Any]:
        if not isinstance(actor, Participant):
            raise Forbidden(_("Staff accounts follow the room; participants propose."))
        proposal = proposals.submit_proposal(actor, workshop_id, data.body, op_id=data.op_id)
        return {"proposal_id": proposal.id, "status": str(proposal.status)}

    @command(socketio, "vote.set", SetVote)
    def vote(workshop_id: int, actor: Participant | User, data: SetVote) -> dict[str, Any]:
        return {
            "me": ballots.set_dots(_voter(actor), data.proposal_id, data.dots, token=data.token)
        }

    @command(socketio, "ballot.cast", CastBallot)
    def cast(workshop_id: int, actor: Participant | User, data: CastBallot) -> dict[str, Any]:
        mine = ballots.cast_ballot(
            _voter(actor), workshop_id, data.ballot, round_id=data.round_id, token=data.token
        )
        return {"me": mine}

    @command(socketio, "comment.add", AddComment)
    def comment(workshop_id: int, actor: Participant | User, data: AddComment) -> dict[str, Any]:
        if not isinstance(actor, Participant):
            raise Forbidden(_("Staff accounts follow the room; participants comment."))
        proposals.get_proposal(data.proposal_id, workshop_id)
        created = proposals.add_comment(actor, data.proposal_id, data.body, op_id=data.op_id)
        return {"comment_id": created.id, "status": str(created.status)}

    def staff_command(name: str, schema: type[_Payload]):  # noqa: ANN202
        """Commands only this workshop's facilitators may send; the service re-checks."""

        def decorate(handler):  # noqa: ANN001, ANN202
            @command(socketio, name, schema)
            @functools.wraps(handler)
            def run(workshop_id: int, actor: Participant | User, data: Any) -> dict[str, Any]:
                return handler(workshop_id, _require_staff(actor), data) or {}

            return run

        return decorate

    def _round_of(workshop_id: int, round_id: int) -> int:
        if not any(r.id == round_id for r in rounds.list_rounds(workshop_id)):
            raise NotFound(_("This round does not exist."))
        return round_id

    @staff_command("agenda.template", Empty)
    def template(workshop_id: int, staff: User, _data: Empty) -> None:
        rounds.apply_template(staff, workshop_id)

    @staff_command("round.add", RoundSettingsIn)
    def add_round(workshop_id: int, staff: User, data: RoundSettingsIn) -> dict[str, Any]:
        return {"round_id": rounds.add_round(staff, workshop_id, data.settings()).id}

    @staff_command("round.update", UpdateRound)
    def update_round(workshop_id: int, staff: User, data: UpdateRound) -> None:
        round_id = _round_of(workshop_id, data.round_id)
        changes = data.model_dump(exclude_unset=True, exclude={"round_id"})
        if "minutes" in changes:
            changes["duration_seconds"] = int(changes.pop("minutes") * 60)
        rounds.update_round(staff, round_id, rounds.settings_of(round_id, **changes))

    @staff_command("round.remove", RoundRef)
    def remove_round(workshop_id: int, staff: User, data: RoundRef) -> None:
        rounds.remove_round(staff, _round_of(workshop_id, data.round_id))

    @staff_command("round.move", MoveRound)
    def move_round(workshop_id: int, staff: User, data: MoveRound) -> None:
        rounds.move_round(staff, _round_of(workshop_id, data.round_id), data.position)

    for verb, service in [
        ("start", rounds.start_round),
        ("pause", rounds.pause_round),
        ("resume", rounds.resume_round),
        ("end", rounds.end_round),
        ("reveal", ballots.reveal_round),
    ]:

        def round_action(workshop_id: int, staff: User, data: RoundRef, service=service) -> None:
            service(staff, _round_of(workshop_id, data.round_id))

        staff_command(f"round.{verb}", RoundRef)(round_action)

    @staff_command("round.extend", ExtendRound)
    def extend(workshop_id: int, staff: User, data: ExtendRound) -> None:
        rounds.extend_round(staff, _round_of(workshop_id, data.round_id), data.seconds)

    @staff_command("proposal.approve", ProposalRef)
    def approve(workshop_id: int, staff: User, data: ProposalRef) -> None:
        proposals.approve_proposal(staff, proposals.get_proposal(data.proposal_id, workshop_id).id)

    @staff_command("proposal.pin", PinProposal)
    def pin(workshop_id: int, staff: User, data: PinProposal) -> None:
        proposal = proposals.get_proposal(data.proposal_id, workshop_id)
        proposals.pin_proposal(staff, proposal.id, data.pinned)

    @staff_command("proposal.merge", MergeProposals)
    def merge(workshop_id: int, staff: User, data: MergeProposals) -> None:
        keep = proposals.get_proposal(data.keep_id, workshop_id)
        gone = proposals.get_proposal(data.merge_id, workshop_id)
        proposals.merge_proposals(staff, keep.id, gone.id)

    @staff_command("proposal.split", SplitProposal)
    def split(workshop_id: int, staff: User, data: SplitProposal) -> dict[str, Any]:
        proposal = proposals.get_proposal(data.proposal_id, workshop_id)
        return {
            "proposal_ids": [p.id for p in proposals.split_proposal(staff, proposal.id, data.parts)]
        }

    @staff_command("comment.moderate", ModerateComment)
    def moderate_comment(workshop_id: int, staff: User, data: ModerateComment) -> None:
        comment = db.session.get(Comment, data.comment_id)
        if comment is None or comment.workshop_id != workshop_id:
            raise NotFound(_("This comment does not exist."))
        proposals.moderate_comment(staff, comment.id, visible=data.visible, reason=data.reason)

    @command(socketio, "value.tag", TagValue)
    def tag(workshop_id: int, actor: Participant | User, data: TagValue) -> dict[str, Any]:
        if (data.proposal_id is None) == (data.amendment_id is None):
            raise ValidationFailed(_("Tag either a proposal or an amendment."), field="target")
        if data.proposal_id is not None:
            proposals.get_proposal(data.proposal_id, workshop_id)
            created = wording.tag_proposal(actor, data.proposal_id, data.value_key)
        else:
            amendments.get_amendment(data.amendment_id, workshop_id)
            created = wording.tag_amendment(actor, data.amendment_id, data.value_key)
        return {"tag_id": created.id, "confirmed": created.confirmed}

    @command(socketio, "amendment.propose", ProposeAmendment)
    def propose_amendment(
        workshop_id: int, actor: Participant | User, data: ProposeAmendment
    ) -> dict[str, Any]:
        if not isinstance(actor, Participant):
            raise Forbidden(_("Staff accounts follow the room; participants suggest changes."))
        created = amendments.propose_amendment(
            actor,
            workshop_id,
            version_number=data.version_number,
            start=data.start,
            end=data.end,
            replacement=data.replacement,
            reason=data.reason,
        )
        return {"amendment_id": created.id}

    @command(socketio, "amendment.vote", VoteAmendment)
    def vote_amendment(
        workshop_id: int, actor: Participant | User, data: VoteAmendment
    ) -> dict[str, Any]:
        return amendments.vote_on_amendment(
            _voter(actor), data.amendment_id, data.choice, data.reason
        )

    @staff_command("amendment.accept", DecideAmendment)
    def accept_amendment(workshop_id: int, staff: User, data: DecideAmendment) -> dict[str, Any]:
        amendments.get_amendment(data.amendment_id, workshop_id)
        version = amendments.accept_amendment(staff, data.amendment_id, data.note)
        return {"version": version.number}

    @staff_command("amendment.reject", DecideAmendment)
    def reject_amendment(workshop_id: int, staff: User, data: DecideAmendment) -> None:
        amendments.get_amendment(data.amendment_id, workshop_id)
        amendments.reject_amendment(staff, data.amendment_id, data.note)

    @command(socketio, "clause.save", SaveClause)
    def save_clause(
        workshop_id: int, actor: Participant | User, data: SaveClause
    ) -> dict[str, Any]:
        version = drafting.save_clause(
            actor, workshop_id, data.clause_key, data.body, based_on=data.based_on, note=data.note
        )
        return {"version": version.number}

    @command(socketio, "clause.editing", EditingClause)
    def editing(workshop_id: int, actor: Participant | User, data: EditingClause) -> None:
        drafting.set_editing(request.sid, actor, data.clause_key)  # type: ignore[attr-defined]

    @command(socketio, "clause.vote", VoteClause)
    def vote_clause(
        workshop_id: int, actor: Participant | User, data: VoteClause
    ) -> dict[str, Any]:
        return drafting.vote_on_clause(_voter(actor), data.clause_key, data.choice, data.reason)

    @staff_command("duel.start", StartDuel)
    def start_duel(workshop_id: int, staff: User, data: StartDuel) -> dict[str, Any]:
        duel = duels.start_duel(
            staff,
            workshop_id,
            clause_key=data.clause_key,
            options=data.options,
            seconds=data.seconds,
            method=data.method,
            start=data.start,
            end=data.end,
        )
        return {"duel_id": duel.id}

    @command(socketio, "duel.vote", VoteDuel)
    def vote_duel(workshop_id: int, actor: Participant | User, data: VoteDuel) -> dict[str, Any]:
        return duels.vote_in_duel(_voter(actor), data.duel_id, data.ranking)

    @staff_command("duel.close", DuelRef)
    def close_duel(workshop_id: int, staff: User, data: DuelRef) -> dict[str, Any]:
        duels.get_duel(data.duel_id, workshop_id)
        duel = duels.close_duel(staff, data.duel_id)
        return {"winner_id": duel.winner_id, "version": duel.version_made}

    @staff_command("duel.cancel", DuelRef)
    def cancel_duel(workshop_id: int, staff: User, data: DuelRef) -> None:
        duels.get_duel(data.duel_id, workshop_id)
        duels.cancel_duel(staff, data.duel_id)

    @staff_command("value.untag", TagRef)
    def untag(workshop_id: int, staff: User, data: TagRef) -> None:
        tag = db.session.get(ValueTag, data.tag_id)
        if tag is None or wording.tagged_item(tag).workshop_id != workshop_id:
            raise NotFound(_("This tag does not exist."))
        wording.untag(staff, tag.id)

    @staff_command("readout.set", SetReadout)
    def readout(workshop_id: int, staff: User, data: SetReadout) -> None:
        proposals.set_readout(staff, workshop_id, data.anonymous)

    @command(socketio, "phase.set", SetPhase)
    def phase(workshop_id: int, actor: Participant | User, data: SetPhase) -> dict[str, Any]:
        workshop = rounds.set_phase(_require_staff(actor), workshop_id, data.phase)
        return {"phase": str(workshop.phase)}

    @command(socketio, "proposal.hide", HideProposal)
    def hide(workshop_id: int, actor: Participant | User, data: HideProposal) -> None:
        staff = _require_staff(actor)
        proposal = proposals.get_proposal(data.proposal_id, workshop_id)
        proposals.hide_proposal(staff, proposal.id, data.reason)

    @command(socketio, "proposal.restore", ProposalRef)
    def restore(workshop_id: int, actor: Participant | User, data: ProposalRef) -> None:
        staff = _require_staff(actor)
        proposal = proposals.get_proposal(data.proposal_id, workshop_id)
        proposals.restore_proposal(staff, proposal.id)
