"""Socket.IO handlers: parse, find who is asking, call one service, acknowledge.

Every command is acknowledged with ``{"ok": true, ...}`` after its change
has been committed, or with ``{"ok": false, "error": {"code", "message",
"details"?}}``. Handlers check and look up nothing themselves: the payload's
shape is :mod:`protocol`'s; who a socket is, which screen it is and what that
screen may send is :mod:`guards`' (with :mod:`permissions`' predicates and
:mod:`queries`' lookups); who may do what is the services'. The server puts
each socket in its rooms from the person's membership (:func:`realtime.rooms_for`);
a client never names a room.
docs/protocol.md describes every message.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any, cast

from flask import request
from flask_babel import gettext as _
from flask_socketio import SocketIO, join_room
from pydantic import ValidationError

from . import guards, realtime, snapshots
from . import protocol as p
from .errors import DomainError, Forbidden
from .extensions import db
from .identity import current_participant, current_staff
from .locales import use_workshop
from .models import Audience, Participant, User, Workshop
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
    servers,
    tags,
    votes,
    winners,
)

log = logging.getLogger(__name__)

Actor = Participant | User
Handler = Callable[[Any, Any], dict[str, Any] | None]
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


def socket_id() -> str:
    """The id of the socket whose event this is: Flask-SocketIO sets it on the request,
    whose type in Flask does not declare it."""
    return cast(Any, request).sid


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def _actor_for(workshop: Workshop) -> Actor:
    """Who this socket's browser is in the workshop (see :func:`guards.actor_in`)."""
    return guards.actor_in(
        workshop, staff=current_staff(), participant=current_participant(workshop.id)
    )


def _login_holds(user: User, token: str) -> bool:
    """Whether a staff login read before this screen's row was written still holds. The row
    is committed first, and an ending login writes its new token before it looks for rows:
    whichever comes second sees the other."""
    db.session.refresh(user)
    return user.is_active and user.session_token == token


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who sent a command: the workshop their socket belongs to, who they are, and which
    screen (a participant's, staff's, or the projector)."""

    workshop_id: int
    actor: Actor
    audience: Audience
    # Held for the command's length, so every later lookup of it is served from memory.
    workshop: Workshop

    def participant(self) -> Participant:
        """The caller, for a command only participants send: a staff account is told what
        the services tell it (staff follow the room), before any lookup."""
        if isinstance(self.actor, Participant):
            return self.actor
        raise Forbidden(_("Staff accounts follow the room; participants take part."))

    def staff(self) -> User:
        """The caller, for a command only staff send: a participant is refused before any
        lookup (which round, which card), so a refusal tells them nothing of the workshop.
        The service still checks this account's role in this workshop."""
        if isinstance(self.actor, User):
            return self.actor
        raise Forbidden(_("Only this workshop's facilitators can do that."))


def _caller(name: str) -> Caller:
    """Who is asking, re-checked on every command (an account may have lost its role), and
    whether their screen may send this command at all (the projector only shows the room)."""
    # The participant is kept while the command's caller is found, so finding them again (by
    # the browser's cookie) is served from memory.
    audience, workshop, _participant = guards.registered_screen(socket_id())
    use_workshop(workshop)  # its language, unless this person chose their own
    guards.may_send(audience, name)
    return Caller(workshop.id, _actor_for(workshop), audience, workshop)


def _run(name: str, schema: type[p.Payload], handler: Handler, data: Any) -> dict[str, Any]:
    """Validate, identify, call, and turn the outcome into an acknowledgement."""
    if not budget.allow(socket_id()):
        return _error("rate_limited", _("Too many actions at once; wait a moment."))
    try:
        payload = schema.model_validate(data if data is not None else {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        return _error("invalid", f"{where}: {first['msg']}")
    try:
        result = handler(_caller(name), payload) or {}
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
            wanted = p.ConnectAuth.model_validate(auth or {})
            workshop_id = wanted.workshop_id
            workshop = get_workshop(workshop_id)
            use_workshop(workshop)
            actor = _actor_for(workshop)
            audience = guards.screen_for(
                actor, workshop, projector=wanted.audience == Audience.PROJECTOR
            )
        except (ValidationError, DomainError):
            db.session.rollback()
            return False  # the client sees connect_error; nothing joins
        login = actor.session_token if isinstance(actor, User) else None
        for room in realtime.rooms_for(workshop_id, audience, actor.id):
            join_room(room)
        sid = socket_id()
        # The snapshot first, read in the same unit of work as the workshop above (no second
        # read of it); the presence news this connection makes follows with a higher number.
        realtime.send_snapshot(sid, snapshots.build_snapshot(workshop_id, actor, audience))
        participants.connect(sid, workshop, actor, audience, server_id=servers.this_process())
        if isinstance(actor, User) and login is not None and not _login_holds(actor, login):
            # Its login ended while this screen connected ("log out everywhere" found no row
            # of it yet): it leaves the staff rooms now, not when it next closes.
            participants.disconnect(sid)
            return False
        return True

    @socketio.on(TOO_DEEP_EVENT)
    def too_deep(*_args: Any) -> dict[str, Any]:
        return _error("invalid", _("The message is nested too deeply."))

    @socketio.on("disconnect")
    def on_disconnect(reason: Any = None) -> None:
        budget.forget(socket_id())
        participants.disconnect(socket_id())

    @command("state.sync", p.Empty)
    def sync(caller: Caller, data: p.Empty) -> dict[str, Any]:
        return {
            "snapshot": snapshots.build_snapshot(caller.workshop_id, caller.actor, caller.audience)
        }

    # ---- participants' commands ----------------------------------------------------------

    @command("proposal.submit", p.SubmitProposal)
    def submit(caller: Caller, data: p.SubmitProposal) -> dict[str, Any]:
        proposal = proposals.submit_proposal(
            caller.participant(), caller.workshop_id, data.body, op_id=data.op_id
        )
        return {"proposal_id": proposal.id, "status": str(proposal.status)}

    @command("comment.add", p.AddComment)
    def comment(caller: Caller, data: p.AddComment) -> dict[str, Any]:
        created = proposals.add_comment(
            caller.participant(), data.proposal_id, data.body, op_id=data.op_id
        )
        return {"comment_id": created.id, "status": str(created.status)}

    @command("vote.set", p.SetVote)
    def vote(caller: Caller, data: p.SetVote) -> dict[str, Any]:
        return {
            "me": votes.set_dots(
                caller.participant(),
                data.proposal_id,
                data.dots,
                round_id=data.round_id,
                op_id=data.op_id,
            )
        }

    @command("ballot.cast", p.CastBallot)
    def cast(caller: Caller, data: p.CastBallot) -> dict[str, Any]:
        return {
            "me": votes.cast_ballot(
                caller.participant(),
                caller.workshop_id,
                data.ballot,
                round_id=data.round_id,
                op_id=data.op_id,
            )
        }

    @command("value.tag", p.TagValue)
    def tag(caller: Caller, data: p.TagValue) -> dict[str, Any]:
        created = tags.tag(
            caller.actor,
            data.value_key,
            proposal_id=data.proposal_id,
            amendment_id=data.amendment_id,
        )
        return {"tag_id": created.id, "confirmed": created.confirmed}

    @command("amendment.propose", p.ProposeAmendment)
    def propose_amendment(caller: Caller, data: p.ProposeAmendment) -> dict:
        created = amendments.propose_amendment(
            caller.participant(),
            caller.workshop_id,
            version_number=data.version_number,
            start=data.start,
            end=data.end,
            replacement=data.replacement,
            reason=data.reason,
        )
        return {"amendment_id": created.id}

    @command("amendment.vote", p.VoteAmendment)
    def vote_amendment(caller: Caller, data: p.VoteAmendment) -> dict:
        return amendments.vote_on_amendment(
            caller.participant(), data.amendment_id, data.choice, data.reason
        )

    @command("clause.save", p.SaveClause)
    def save_clause(caller: Caller, data: p.SaveClause) -> dict[str, Any]:
        version = editing.save_clause(
            caller.actor,
            caller.workshop_id,
            data.clause_key,
            data.body,
            based_on=data.based_on,
            note=data.note,
        )
        return {"version": version.number}

    @command("clause.editing", p.EditingClause)
    def clause_editing(caller: Caller, data: p.EditingClause) -> None:
        editing.set_editing(socket_id(), caller.actor, data.clause_key)

    @command("clause.vote", p.VoteClause)
    def vote_clause(caller: Caller, data: p.VoteClause) -> dict[str, Any]:
        return consent.vote_on_clause(
            caller.participant(), data.clause_key, data.choice, data.reason
        )

    @command("duel.vote", p.VoteDuel)
    def vote_duel(caller: Caller, data: p.VoteDuel) -> dict[str, Any]:
        return duels.vote_in_duel(caller.participant(), data.duel_id, data.ranking)

    # ---- facilitators' commands ----------------------------------------------------------

    @command("phase.set", p.SetPhase)
    def phase(caller: Caller, data: p.SetPhase) -> dict[str, Any]:
        return {
            "phase": str(rounds.set_phase(caller.staff(), caller.workshop_id, data.phase).phase)
        }

    @command("agenda.template", p.Empty)
    def template(caller: Caller, data: p.Empty) -> None:
        agenda.apply_template(caller.staff(), caller.workshop_id)

    @command("round.add", p.RoundSettingsIn)
    def add_round(caller: Caller, data: p.RoundSettingsIn) -> dict[str, Any]:
        return {
            "round_id": agenda.add_round(caller.staff(), caller.workshop_id, data.settings()).id
        }

    @command("round.update", p.UpdateRound)
    def update_round(caller: Caller, data: p.UpdateRound) -> None:
        agenda.change_round(caller.staff(), data.round_id, data.changes())

    @command("round.remove", p.RoundRef)
    def remove_round(caller: Caller, data: p.RoundRef) -> None:
        agenda.remove_round(caller.staff(), data.round_id)

    @command("round.move", p.MoveRound)
    def move_round(caller: Caller, data: p.MoveRound) -> None:
        agenda.move_round(caller.staff(), data.round_id, data.position)

    for verb, service in [
        ("start", rounds.start_round),
        ("pause", rounds.pause_round),
        ("resume", rounds.resume_round),
        ("end", rounds.end_round),
        ("reveal", votes.reveal_round),
    ]:

        def round_action(caller: Caller, data: p.RoundRef, act=service) -> None:
            act(caller.staff(), data.round_id)

        command(f"round.{verb}", p.RoundRef)(round_action)

    @command("round.next", p.NextRound)
    def next_round(caller: Caller, data: p.NextRound) -> dict[str, Any]:
        started = rounds.start_next_round(
            caller.staff(), caller.workshop_id, from_round_id=data.from_round_id
        )
        return {"round_id": started.id}

    @command("round.place_winners", p.PlaceWinners)
    def place_winners(caller: Caller, data: p.PlaceWinners) -> dict[str, Any]:
        version = winners.place_winners(caller.staff(), data.round_id, data.count)
        return {"number": version.number}

    @command("round.extend", p.ExtendRound)
    def extend(caller: Caller, data: p.ExtendRound) -> None:
        rounds.extend_round(caller.staff(), data.round_id, data.seconds)

    @command("proposal.approve", p.ProposalRef)
    def approve(caller: Caller, data: p.ProposalRef) -> None:
        moderation.approve_proposal(caller.staff(), data.proposal_id)

    @command("proposal.hide", p.HideProposal)
    def hide(caller: Caller, data: p.HideProposal) -> None:
        moderation.hide_proposal(caller.staff(), data.proposal_id, data.reason)

    @command("proposal.restore", p.ProposalRef)
    def restore(caller: Caller, data: p.ProposalRef) -> None:
        moderation.restore_proposal(caller.staff(), data.proposal_id)

    @command("proposal.pin", p.PinProposal)
    def pin(caller: Caller, data: p.PinProposal) -> None:
        moderation.pin_proposal(caller.staff(), data.proposal_id, data.pinned)

    @command("proposal.merge", p.MergeProposals)
    def merge(caller: Caller, data: p.MergeProposals) -> None:
        moderation.merge_proposals(caller.staff(), data.keep_id, data.merge_id)

    @command("proposal.split", p.SplitProposal)
    def split(caller: Caller, data: p.SplitProposal) -> dict[str, Any]:
        pieces = moderation.split_proposal(caller.staff(), data.proposal_id, data.parts)
        return {"proposal_ids": [piece.id for piece in pieces]}

    @command("comment.moderate", p.ModerateComment)
    def moderate_comment(caller: Caller, data: p.ModerateComment) -> None:
        moderation.moderate_comment(
            caller.staff(), data.comment_id, visible=data.visible, reason=data.reason
        )

    @command("readout.set", p.SetReadout)
    def readout(caller: Caller, data: p.SetReadout) -> None:
        moderation.set_readout(caller.staff(), caller.workshop_id, data.anonymous)

    @command("value.untag", p.TagRef)
    def untag(caller: Caller, data: p.TagRef) -> None:
        tags.untag(caller.staff(), data.tag_id)

    @command("amendment.accept", p.DecideAmendment)
    def accept_amendment(caller: Caller, data: p.DecideAmendment) -> dict:
        return {
            "version": amendments.accept_amendment(
                caller.staff(), data.amendment_id, data.note
            ).number
        }

    @command("amendment.reject", p.DecideAmendment)
    def reject_amendment(caller: Caller, data: p.DecideAmendment) -> None:
        amendments.reject_amendment(caller.staff(), data.amendment_id, data.note)

    @command("duel.start", p.StartDuel)
    def start_duel(caller: Caller, data: p.StartDuel) -> dict[str, Any]:
        duel = duels.start_duel(
            caller.staff(),
            caller.workshop_id,
            clause_key=data.clause_key,
            options=data.options,
            seconds=data.seconds,
            method=data.method,
            start=data.start,
            end=data.end,
            version_number=data.version_number,
        )
        return {"duel_id": duel.id}

    @command("duel.close", p.DuelRef)
    def close_duel(caller: Caller, data: p.DuelRef) -> dict[str, Any]:
        duel = duels.close_duel(caller.staff(), data.duel_id)
        return {"winner_id": duel.winner_id, "version": duel.version_made}

    @command("duel.cancel", p.DuelRef)
    def cancel_duel(caller: Caller, data: p.DuelRef) -> None:
        duels.cancel_duel(caller.staff(), data.duel_id)
