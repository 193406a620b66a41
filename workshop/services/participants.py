"""Joining a workshop and being present in it."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import events
from ..errors import ValidationFailed, WorkshopFull
from ..extensions import db
from ..guards import workshop_for_staff
from ..models import Audience, Connection, Participant, User, Workshop, utcnow
from ..queries import find_open_workshop, list_participants, participant_count, staff_names
from ..realtime import counter_change, workshop_change
from ..text import clean_name, same_name

MAX_NAME_LENGTH = 60

# A join form's key (new_join_key): the same form sent again within this long, with the same
# answers, is the person it made; later (a form kept open, sent again) it is a new person.
_JOIN_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
JOIN_KEY_LIFETIME = dt.timedelta(minutes=2)


def new_join_key() -> str:
    """A random key for one join form, so that sending it twice makes one person."""
    return secrets.token_urlsafe(16)


def join_workshop(
    join_code: str, *, display_name: str, level: str, department: str = "", join_key: str = ""
) -> Participant:
    """Add a person to the workshop a join code opens: no account, no email. A form sent
    twice (``join_key``: a double tap on "Join" sends both before the first answer comes)
    makes one person: the second gets the first's participant, under the workshop's lock."""
    workshop = find_open_workshop(join_code)
    display_name = clean_name(display_name)
    if not display_name:
        raise ValidationFailed(_("Tell the room what to call you."), field="display_name")
    if any(same_name(display_name, name) for name in staff_names(workshop.id)):
        raise ValidationFailed(
            _("That is the name of one of the workshop's staff; choose another."),
            field="display_name",
        )
    if len(display_name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _("Keep your name under %(n)s characters.", n=MAX_NAME_LENGTH), field="display_name"
        )
    if level not in workshop.levels:
        raise ValidationFailed(_("Pick your level from the list."), field="level")
    department = (department or "").strip()
    if workshop.departments and department not in workshop.departments:
        raise ValidationFailed(_("Pick your department from the list."), field="department")
    if len(department) > 80:
        raise ValidationFailed(_("Keep the department under 80 characters."), field="department")
    key = join_key if _JOIN_KEY.fullmatch(join_key or "") else None
    with workshop_change(workshop.id) as change:
        if key is not None:
            earlier = db.session.scalar(
                sa.select(Participant).where(
                    Participant.workshop_id == workshop.id, Participant.join_key == key
                )
            )
            if earlier is not None:
                answers = (earlier.display_name, earlier.level, earlier.department)
                recent = earlier.joined_at > utcnow() - JOIN_KEY_LIFETIME
                if recent and answers == (display_name, level, department):
                    return earlier  # the same form again: the same person
                key = None  # an old form, or other answers: a new person
        # Counted under the workshop's lock, so two people taking the last place at once
        # cannot both get it. Someone who joined before comes back with their cookie and
        # never reaches this (see views/participant.py).
        cap = db.session.execute(
            sa.select(Workshop.max_participants).where(Workshop.id == workshop.id)
        ).scalar_one()
        if participant_count(workshop.id) >= cap:
            raise WorkshopFull(
                ngettext(
                    "This workshop is full: %(num)s person has joined, as many as it takes. "
                    "Ask the facilitator to make room.",
                    "This workshop is full: %(num)s people have joined, as many as it takes. "
                    "Ask the facilitator to make room.",
                    cap,
                )
            )
        participant = Participant(
            workshop_id=workshop.id,
            display_name=display_name,
            level=level,
            department=department,
            join_key=key,
        )
        db.session.add(participant)
        db.session.flush()
        # Only the coalesced count: a room of 3,000 joining must not send every screen a
        # message per newcomer (names are on the staff's "Who took part" page).
        events.presence_soon(change, workshop.id)
    return participant


def connect(
    sid: str,
    workshop: Workshop,
    actor: Participant | User,
    audience: Audience | None = None,
    *,
    server_id: str,
) -> None:
    """Record an open socket, held by the process ``server_id``, so the room's presence
    counts include it (staff screens and the projector are not counted)."""
    if audience is None:
        audience = Audience.PARTICIPANT if isinstance(actor, Participant) else Audience.STAFF
    with counter_change(workshop.id) as change:
        # A new socket id each time, so a plain insert (no read of the row first).
        db.session.add(
            Connection(
                sid=sid,
                server_id=server_id,
                workshop_id=workshop.id,
                participant_id=actor.id if isinstance(actor, Participant) else None,
                user_id=actor.id if isinstance(actor, User) else None,
                audience=audience,
            )
        )
        if isinstance(actor, Participant):  # staff are not counted as present
            events.presence_soon(change, workshop.id)


def disconnect(sid: str) -> None:
    """Forget a closed socket and tell the room."""
    connection = db.session.get(Connection, sid)
    if connection is None:
        return
    counted = connection.participant_id is not None
    was_editing = connection.editing_clause_key is not None
    with counter_change(connection.workshop_id) as change:
        db.session.delete(connection)
        db.session.flush()
        if counted:
            events.presence_soon(change, connection.workshop_id)
        if was_editing:  # "X is editing this clause" goes when X's screen goes
            events.editors_soon(change, connection.workshop_id)


def who_took_part(actor: User, workshop_id: int) -> list[Participant]:
    """Everyone who joined, in the order they came: for the workshop's staff only."""
    workshop_for_staff(actor, workshop_id, moderate=False)
    return list_participants(workshop_id)
