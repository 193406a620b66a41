"""Who is asking, checked: the refusals every operation shares.

Each guard finds what an operation acts on and refuses, with the domain's
own errors, when the actor may not: a workshop is "not found" to people
outside it (its existence is not revealed), "forbidden" to people inside it
without the role.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

from . import permissions
from .errors import Forbidden, InvalidState, NotAuthenticated, NotFound, ValidationFailed
from .extensions import db
from .models import Audience, Participant, Phase, Round, User, Workshop
from .queries import (
    candidates,
    clauses_of,
    connection_screen,
    current_round,
    get_workshop,
    latest_version,
)
from .voting import MAX_RANKED_PROPOSALS, Method


def workshop_for_staff(
    actor: User | Participant | None, workshop_id: int, *, moderate: bool
) -> Workshop:
    """The workshop if the account may follow it (or moderate it, when asked)."""
    workshop = get_workshop(workshop_id)
    if permissions.is_participant_of(actor, workshop):
        raise Forbidden(_("Only this workshop's facilitators can do that."))
    if not permissions.can_follow(actor, workshop):
        raise NotFound(_("This workshop does not exist."))
    if moderate and not permissions.can_moderate(actor, workshop):
        raise Forbidden(_("Only this workshop's facilitators can do that."))
    return workshop


def workshop_for_participant(actor: User | Participant | None, workshop_id: int) -> Workshop:
    """The workshop if the actor is one of its participants."""
    workshop = get_workshop(workshop_id)
    if not permissions.is_participant_of(actor, workshop):
        if permissions.can_follow(actor, workshop):
            raise Forbidden(_("Staff accounts follow the room; participants take part."))
        raise NotFound(_("This workshop does not exist."))
    return workshop


def taking_part(
    actor: User | Participant | None,
    workshop: Workshop,
    may: Callable[[User | Participant | None, Workshop], bool],
    *,
    missing: str | LazyString,
) -> Participant:
    """The actor, if ``may`` lets them do this in this workshop (``permissions.can_vote``,
    ``can_propose`` …). Staff accounts are told that participants do this; a participant of
    another workshop, that the thing is not there (``missing``: a lazy string, so that the
    words are looked up only when someone is refused, not on every vote)."""
    if may(actor, workshop) and isinstance(actor, Participant):
        return actor
    if isinstance(actor, User):
        raise Forbidden(_("Staff accounts follow the room; participants take part."))
    raise NotFound(str(missing))


def clause_in_draft(workshop_id: int, clause_key: int) -> None:
    """Refuse work on a clause the current draft does not hold (tags, measures, my part)."""
    latest = latest_version(workshop_id)
    if latest is None or clause_key not in {c.key for c in clauses_of(latest)}:
        raise ValidationFailed(_("That clause is not in the current draft."), field="clause_key")


# ---- live screens: who a socket is, which screen, and what it may send


def actor_in(
    workshop: Workshop, *, staff: User | None, participant: Participant | None
) -> User | Participant:
    """Who is asking in this workshop: its staff first (they may also hold a participant
    cookie), then its participant; anyone else is told to join first."""
    if staff is not None and permissions.can_follow(staff, workshop):
        return staff
    if participant is None or not permissions.is_participant_of(participant, workshop):
        raise NotAuthenticated(_("Join this workshop first."))
    return participant


def screen_for(actor: User | Participant, workshop: Workshop, *, projector: bool) -> Audience:
    """Which screen a new socket is: the projector (only the workshop's staff open it), a
    staff screen, or a participant's."""
    if projector:
        if not permissions.can_show_projector(actor, workshop):
            raise Forbidden(_("The projector is opened by the workshop's staff."))
        return Audience.PROJECTOR
    return Audience.STAFF if permissions.can_follow(actor, workshop) else Audience.PARTICIPANT


def registered_screen(sid: str) -> tuple[Audience, Workshop, Participant | None]:
    """An open socket's screen, workshop and participant (None for staff screens); refused
    when the socket is not registered."""
    found = connection_screen(sid)
    if found is None:
        raise NotAuthenticated(_("This connection is not registered; reconnect."))
    return found


def may_send(audience: Audience, command: str) -> None:
    """Refuse a command this screen may not send (the projector only shows the room)."""
    if not permissions.can_send(audience, command):
        raise Forbidden(_("The projector only shows the room."))


def round_still_there(round_: Round) -> None:
    """Read a round afresh under the workshop's lock: a co-facilitator may have removed it
    between the check of who is asking and the lock (then: not found, not a server error)."""
    try:
        db.session.refresh(round_)
    except sa.exc.InvalidRequestError:
        raise NotFound(_("This round does not exist.")) from None


def workshop_not_closed(workshop: Workshop) -> None:
    """Read a workshop's phase afresh under its lock and refuse input once it is closed:
    closing forgot whose fully anonymous answers were whose, so a new answer could count a
    person twice, and the record it closed on is final."""
    db.session.refresh(workshop)
    if workshop.phase == Phase.CLOSED:
        raise InvalidState(_("The workshop is closed."), code="phase_closed")


def ranked_ballot_in_reach(round_: Round | None) -> None:
    """Refuse a ranked vote holding more proposals than people can put in order: at its
    start, and (``round_`` the running one) when cards shown again, approved or split
    would join its ballot. Counting it grows with the cube of the proposals ranked (300
    took seconds per ballot, the server waiting); a larger set is shortlisted first."""
    if round_ is None or round_.method != Method.RANKED:
        return
    count = len(candidates(round_))
    if count > MAX_RANKED_PROPOSALS:
        raise InvalidState(
            _(
                "A ranked vote takes up to %(most)s proposals: people put them in order on a "
                "phone. This one has %(count)s. Shortlist them with a dot vote first, or hide "
                "or merge some.",
                most=MAX_RANKED_PROPOSALS,
                count=count,
            ),
            code="too_many_to_rank",
        )


def running_ranked_ballot_in_reach(workshop_id: int) -> None:
    """:func:`ranked_ballot_in_reach` for the workshop's running round, after a card became
    visible in this change."""
    db.session.flush()
    ranked_ballot_in_reach(current_round(workshop_id))
