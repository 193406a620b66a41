"""Socket.IO handlers: parse, find who is asking, call one service, acknowledge.

Every command is acknowledged with ``{"ok": true, ...}`` after its change
has been committed, or with ``{"ok": false, "error": {"code", "message",
"details"?}}``. Handlers check nothing themselves: the payload's shape is
:mod:`protocol`'s, and who may do what is the services' (through
:mod:`guards` and :mod:`permissions`). The server puts each socket in its
rooms from the person's membership; a client never names a room.
docs/protocol.md describes every message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_socketio import SocketIO, join_room
from pydantic import ValidationError

from . import protocol as p
from . import realtime, snapshots
from .errors import DomainError, NotAuthenticated
from .extensions import db
from .identity import current_participant, current_staff
from .models import Connection, Participant, User
from .permissions import can_follow
from .queries import get_workshop
from .server import TOO_DEEP_EVENT
from .services import (
    agenda,
    amendments,
    consent,
    duels,
    editing,
    moderation,
    participants,
    proposals,
    rounds,
    tags,
    votes,
)

log = logging.getLogger(__name__)

Actor = Participant | User
Handler = Callable[[int, Actor, Any], dict[str, Any] | None]
# Every command the server answers, by name: its payload schema (the documentation test
# checks docs/protocol.md against this registry).
COMMANDS: dict[str, type[p.Payload]] = {}


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


def _actor_for(workshop_id: int) -> Actor:
    """Staff of the workshop first (they may also hold a participant cookie), then participant."""
    workshop = get_workshop(workshop_id)
    staff = current_staff()
    if staff is not None and can_follow(staff, workshop):
        return staff
    participant = current_participant(workshop_id)
    if participant is None:
        raise NotAuthenticated(_("Join this workshop first."))
    return participant


def _connection_actor() -> tuple[int, Actor]:
    """The workshop this socket belongs to and who is asking, re-checked on every command."""
    connection = db.session.get(Connection, request.sid)
    if connection is None:
        raise NotAuthenticated(_("This connection is not registered; reconnect."))
    return connection.workshop_id, _actor_for(connection.workshop_id)


def _run(name: str, schema: type[p.Payload], handler: Handler, data: Any) -> dict[str, Any]:
    """Validate, identify, call, and turn the outcome into an acknowledgement."""
    if not budget.allow(request.sid):
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
    except Exception:  # logged, and the client is told plainly
        db.session.rollback()
        log.exception("socket command %s failed", name)
        return _error(
            "internal", _("Something went wrong on the server. Reload to see what was saved.")
        )
    return {"ok": True, **result}


def register(socketio: SocketIO) -> None:
    """Attach every handler to the Socket.IO server."""

    def command(name: str, schema: type[p.Payload]) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            def answer(data: Any = None) -> dict[str, Any]:
                return _run(name, schema, handler, data)

            COMMANDS[name] = schema
            socketio.on_event(name, answer)
            return handler

        return decorate

    @socketio.on("connect")
    def on_connect(auth: Any = None) -> bool:
        try:
            workshop_id = p.ConnectAuth.model_validate(auth or {}).workshop_id
            actor = _actor_for(workshop_id)
        except (ValidationError, DomainError):
            db.session.rollback()
            return False  # the client sees connect_error; nothing joins
        workshop = get_workshop(workshop_id)
        if isinstance(actor, User):
            join_room(realtime.staff_room(workshop_id))
        else:
            join_room(realtime.participants_room(workshop_id))
            join_room(realtime.person_room(actor.id))
        sid = request.sid
        participants.connect(sid, workshop, actor)
        realtime.send_snapshot(sid, snapshots.build_snapshot(workshop_id, actor))
        return True

    @socketio.on(TOO_DEEP_EVENT)
    def too_deep(*_args: Any) -> dict[str, Any]:
        return _error("invalid", _("The message is nested too deeply."))

    @socketio.on("disconnect")
    def on_disconnect(reason: Any = None) -> None:
        budget.forget(request.sid)
        participants.disconnect(request.sid)

    @command("state.sync", p.Empty)
    def sync(workshop_id: int, actor: Actor, data: p.Empty) -> dict[str, Any]:
        return {"snapshot": snapshots.build_snapshot(workshop_id, actor)}

    # ---- participants' commands ----------------------------------------------------------

    @command("proposal.submit", p.SubmitProposal)
    def submit(workshop_id: int, actor: Actor, data: p.SubmitProposal) -> dict[str, Any]:
        proposal = proposals.submit_proposal(actor, workshop_id, data.body, op_id=data.op_id)
        return {"proposal_id": proposal.id, "status": str(proposal.status)}

    @command("comment.add", p.AddComment)
    def comment(workshop_id: int, actor: Actor, data: p.AddComment) -> dict[str, Any]:
        created = proposals.add_comment(actor, data.proposal_id, data.body, op_id=data.op_id)
        return {"comment_id": created.id, "status": str(created.status)}

    @command("vote.set", p.SetVote)
    def vote(workshop_id: int, actor: Actor, data: p.SetVote) -> dict[str, Any]:
        return {"me": votes.set_dots(actor, data.proposal_id, data.dots)}

    @command("ballot.cast", p.CastBallot)
    def cast(workshop_id: int, actor: Actor, data: p.CastBallot) -> dict[str, Any]:
        return {"me": votes.cast_ballot(actor, workshop_id, data.ballot, round_id=data.round_id)}

    @command("value.tag", p.TagValue)
    def tag(workshop_id: int, actor: Actor, data: p.TagValue) -> dict[str, Any]:
        created = tags.tag(
            actor, data.value_key, proposal_id=data.proposal_id, amendment_id=data.amendment_id
        )
        return {"tag_id": created.id, "confirmed": created.confirmed}

    @command("amendment.propose", p.ProposeAmendment)
    def propose_amendment(workshop_id: int, actor: Actor, data: p.ProposeAmendment) -> dict:
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

    @command("amendment.vote", p.VoteAmendment)
    def vote_amendment(workshop_id: int, actor: Actor, data: p.VoteAmendment) -> dict:
        return amendments.vote_on_amendment(actor, data.amendment_id, data.choice, data.reason)

    @command("clause.save", p.SaveClause)
    def save_clause(workshop_id: int, actor: Actor, data: p.SaveClause) -> dict[str, Any]:
        version = editing.save_clause(
            actor, workshop_id, data.clause_key, data.body, based_on=data.based_on, note=data.note
        )
        return {"version": version.number}

    @command("clause.editing", p.EditingClause)
    def clause_editing(workshop_id: int, actor: Actor, data: p.EditingClause) -> None:
        editing.set_editing(request.sid, actor, data.clause_key)

    @command("clause.vote", p.VoteClause)
    def vote_clause(workshop_id: int, actor: Actor, data: p.VoteClause) -> dict[str, Any]:
        return consent.vote_on_clause(actor, data.clause_key, data.choice, data.reason)

    @command("duel.vote", p.VoteDuel)
    def vote_duel(workshop_id: int, actor: Actor, data: p.VoteDuel) -> dict[str, Any]:
        return duels.vote_in_duel(actor, data.duel_id, data.ranking)

    # ---- facilitators' commands ----------------------------------------------------------

    @command("phase.set", p.SetPhase)
    def phase(workshop_id: int, actor: Actor, data: p.SetPhase) -> dict[str, Any]:
        return {"phase": str(rounds.set_phase(actor, workshop_id, data.phase).phase)}

    @command("agenda.template", p.Empty)
    def template(workshop_id: int, actor: Actor, data: p.Empty) -> None:
        agenda.apply_template(actor, workshop_id)

    @command("round.add", p.RoundSettingsIn)
    def add_round(workshop_id: int, actor: Actor, data: p.RoundSettingsIn) -> dict[str, Any]:
        return {"round_id": agenda.add_round(actor, workshop_id, data.settings()).id}

    @command("round.update", p.UpdateRound)
    def update_round(workshop_id: int, actor: Actor, data: p.UpdateRound) -> None:
        agenda.change_round(actor, data.round_id, data.changes())

    @command("round.remove", p.RoundRef)
    def remove_round(workshop_id: int, actor: Actor, data: p.RoundRef) -> None:
        agenda.remove_round(actor, data.round_id)

    @command("round.move", p.MoveRound)
    def move_round(workshop_id: int, actor: Actor, data: p.MoveRound) -> None:
        agenda.move_round(actor, data.round_id, data.position)

    for verb, service in [
        ("start", rounds.start_round),
        ("pause", rounds.pause_round),
        ("resume", rounds.resume_round),
        ("end", rounds.end_round),
        ("reveal", votes.reveal_round),
    ]:

        def round_action(workshop_id: int, actor: Actor, data: p.RoundRef, act=service) -> None:
            act(actor, data.round_id)

        command(f"round.{verb}", p.RoundRef)(round_action)

    @command("round.extend", p.ExtendRound)
    def extend(workshop_id: int, actor: Actor, data: p.ExtendRound) -> None:
        rounds.extend_round(actor, data.round_id, data.seconds)

    @command("proposal.approve", p.ProposalRef)
    def approve(workshop_id: int, actor: Actor, data: p.ProposalRef) -> None:
        moderation.approve_proposal(actor, data.proposal_id)

    @command("proposal.hide", p.HideProposal)
    def hide(workshop_id: int, actor: Actor, data: p.HideProposal) -> None:
        moderation.hide_proposal(actor, data.proposal_id, data.reason)

    @command("proposal.restore", p.ProposalRef)
    def restore(workshop_id: int, actor: Actor, data: p.ProposalRef) -> None:
        moderation.restore_proposal(actor, data.proposal_id)

    @command("proposal.pin", p.PinProposal)
    def pin(workshop_id: int, actor: Actor, data: p.PinProposal) -> None:
        moderation.pin_proposal(actor, data.proposal_id, data.pinned)

    @command("proposal.merge", p.MergeProposals)
    def merge(workshop_id: int, actor: Actor, data: p.MergeProposals) -> None:
        moderation.merge_proposals(actor, data.keep_id, data.merge_id)

    @command("proposal.split", p.SplitProposal)
    def split(workshop_id: int, actor: Actor, data: p.SplitProposal) -> dict[str, Any]:
        pieces = moderation.split_proposal(actor, data.proposal_id, data.parts)
        return {"proposal_ids": [piece.id for piece in pieces]}

    @command("comment.moderate", p.ModerateComment)
    def moderate_comment(workshop_id: int, actor: Actor, data: p.ModerateComment) -> None:
        moderation.moderate_comment(
            actor, data.comment_id, visible=data.visible, reason=data.reason
        )

    @command("readout.set", p.SetReadout)
    def readout(workshop_id: int, actor: Actor, data: p.SetReadout) -> None:
        moderation.set_readout(actor, workshop_id, data.anonymous)

    @command("value.untag", p.TagRef)
    def untag(workshop_id: int, actor: Actor, data: p.TagRef) -> None:
        tags.untag(actor, data.tag_id)

    @command("amendment.accept", p.DecideAmendment)
    def accept_amendment(workshop_id: int, actor: Actor, data: p.DecideAmendment) -> dict:
        return {"version": amendments.accept_amendment(actor, data.amendment_id, data.note).number}

    @command("amendment.reject", p.DecideAmendment)
    def reject_amendment(workshop_id: int, actor: Actor, data: p.DecideAmendment) -> None:
        amendments.reject_amendment(actor, data.amendment_id, data.note)

    @command("duel.start", p.StartDuel)
    def start_duel(workshop_id: int, actor: Actor, data: p.StartDuel) -> dict[str, Any]:
        duel = duels.start_duel(
            actor,
            workshop_id,
            clause_key=data.clause_key,
            options=data.options,
            seconds=data.seconds,
            method=data.method,
            start=data.start,
            end=data.end,
        )
        return {"duel_id": duel.id}

    @command("duel.close", p.DuelRef)
    def close_duel(workshop_id: int, actor: Actor, data: p.DuelRef) -> dict[str, Any]:
        duel = duels.close_duel(actor, data.duel_id)
        return {"winner_id": duel.winner_id, "version": duel.version_made}

    @command("duel.cancel", p.DuelRef)
    def cancel_duel(workshop_id: int, actor: Actor, data: p.DuelRef) -> None:
        duels.cancel_duel(actor, data.duel_id)
