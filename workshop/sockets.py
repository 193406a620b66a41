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
from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_socketio import SocketIO, join_room
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import realtime
from .errors import DomainError, Forbidden, NotAuthenticated
from .extensions import db
from .identity import current_participant, current_staff
from .models import Connection, Participant, Phase, User
from .permissions import can_follow
from .services import live, participants, proposals, votes, workshops

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


class SetPhase(_Payload):
    phase: Phase = Field(strict=False)


class HideProposal(_Payload):
    proposal_id: int
    reason: str = Field(default="", max_length=300)


class ProposalRef(_Payload):
    proposal_id: int


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
        participants.disconnect(request.sid)  # type: ignore[attr-defined]

    @command(socketio, "state.sync", Empty)
    def sync(workshop_id: int, actor: Participant | User, _: Empty) -> dict[str, Any]:
        return {"snapshot": live.build_snapshot(workshop_id, actor)}

    @command(socketio, "proposal.submit", SubmitProposal)
    def submit(workshop_id: int, actor: Participant | User, data: SubmitProposal) -> dict[str, Any]:
        if not isinstance(actor, Participant):
            raise Forbidden(_("Staff accounts follow the room; participants propose."))
        proposal = proposals.submit_proposal(actor, workshop_id, data.body, op_id=data.op_id)
        return {"proposal_id": proposal.id}

    @command(socketio, "vote.set", SetVote)
    def vote(workshop_id: int, actor: Participant | User, data: SetVote) -> dict[str, Any]:
        if not isinstance(actor, Participant):
            raise Forbidden(_("Only participants vote."))
        return {"me": votes.set_dots(actor, data.proposal_id, data.dots)}

    @command(socketio, "phase.set", SetPhase)
    def phase(workshop_id: int, actor: Participant | User, data: SetPhase) -> dict[str, Any]:
        workshop = workshops.set_phase(_require_staff(actor), workshop_id, data.phase)
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
