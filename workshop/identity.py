"""Who is asking, as the web layer knows it: staff login and participant tokens.

A participant's identity is a map of workshop id to participant id kept in
Flask's signed session cookie: it survives reloads, a closed lid and lost
connections, and every tab of one browser is one participant. It cannot be
forged without the server's secret key.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from .extensions import db
from .models import Participant, User

_KEY = "participations"


def remember_participant(participant: Participant) -> None:
    """Tie this browser to a participant of one workshop."""
    participations = dict(session.get(_KEY, {}))
    participations[str(participant.workshop_id)] = participant.id
    session[_KEY] = participations
    session.permanent = True


def current_participant(workshop_id: int) -> Participant | None:
    """The participant this browser is in the given workshop, if any."""
    participant_id = session.get(_KEY, {}).get(str(workshop_id))
    if participant_id is None:
        return None
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.workshop_id != workshop_id:
        return None
    return participant


def current_staff() -> User | None:
    """The logged-in, active staff account, if any."""
    if current_user.is_authenticated and current_user.is_active:
        return current_user._get_current_object()
    return None


def joined_workshop_ids() -> list[int]:
    """Workshops this browser has joined as a participant."""
    return [int(key) for key in session.get(_KEY, {})]


class SocketAwareSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, read once per socket instead of once per event.

    Each Socket.IO event runs in a request context rebuilt from the connect request, and
    Flask reads (verifies and decodes) the session cookie for every one; Flask-SocketIO then
    swaps in the session it keeps for the socket (``manage_session``), so that read was for
    nothing. From a socket's second event on, the kept session is returned at once.
    """

    def open_session(self, app: Flask, request: Request) -> Any:
        kept = request.environ.get("saved_session")  # Flask-SocketIO's, after the first event
        if kept is not None:
            return kept
        return super().open_session(app, request)
