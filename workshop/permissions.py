"""Pure ``can_*`` predicates: who may do what in which workshop.

Services call them to enforce, templates call them to hide controls; both
read the same rule. They take plain objects and never touch the request.
"""

from __future__ import annotations

from .models import Audience, Participant, StaffRole, User, UserRole, Workshop

Actor = User | Participant


def staff_role(actor: Actor | None, workshop: Workshop) -> StaffRole | None:
    """The account's role in this workshop, or None for participants and strangers."""
    if not isinstance(actor, User) or not actor.is_active:
        return None
    for member in workshop.staff:
        if member.user_id == actor.id:
            return member.role
    return None


def can_create_workshop(actor: Actor | None) -> bool:
    """Only facilitator accounts set up workshops."""
    return isinstance(actor, User) and actor.is_active and actor.role == UserRole.FACILITATOR


def can_moderate(actor: Actor | None, workshop: Workshop) -> bool:
    """Facilitators of this workshop run it: phases, hiding, the document."""
    return staff_role(actor, workshop) == StaffRole.FACILITATOR


def can_follow(actor: Actor | None, workshop: Workshop) -> bool:
    """Staff of this workshop (facilitators and leadership) see everything in it."""
    return staff_role(actor, workshop) is not None


def is_participant_of(actor: Actor | None, workshop: Workshop) -> bool:
    """The participant belongs to this workshop (and to no other)."""
    return isinstance(actor, Participant) and actor.workshop_id == workshop.id


# ---- one predicate per kind of operation: services enforce with these, pages hide with them


def can_take_part(actor: Actor | None, workshop: Workshop) -> bool:
    """Participants take part: they propose, comment, vote, suggest and answer."""
    return is_participant_of(actor, workshop)


can_propose = can_take_part
can_comment = can_take_part
can_vote = can_take_part
can_suggest_amendments = can_take_part


def can_edit_clauses(actor: Actor | None, workshop: Workshop, *, refine_open: bool) -> bool:
    """Facilitators edit the draft any time; participants while a refine round is open."""
    return can_moderate(actor, workshop) or (can_take_part(actor, workshop) and refine_open)


def can_tag(actor: Actor | None, workshop: Workshop) -> bool:
    """Facilitators tag with authority; participants suggest or support tags."""
    return can_moderate(actor, workshop) or can_take_part(actor, workshop)


def can_sign_off(actor: Actor | None, workshop: Workshop) -> bool:
    """Leadership of this workshop signs the final mission off."""
    return staff_role(actor, workshop) == StaffRole.LEADERSHIP


def can_export(actor: Actor | None, workshop: Workshop) -> bool:
    """Leadership and facilitators of this workshop download the document and its record."""
    return can_follow(actor, workshop)


def can_see_results(actor: Actor | None, workshop: Workshop) -> bool:
    """Everyone in the workshop sees results (once they may be seen at all)."""
    return can_take_part(actor, workshop) or can_follow(actor, workshop)


# ---- screens: which live screen a socket may be, and what it may send


def can_show_projector(actor: Actor | None, workshop: Workshop) -> bool:
    """The room's big screen is opened by the workshop's staff (it then receives only what
    participants receive)."""
    return can_follow(actor, workshop)


def can_send(audience: Audience, command: str) -> bool:
    """The projector shows the room: it may ask for the state and send nothing else. Other
    screens may send any command; each operation checks its own predicate above."""
    return audience != Audience.PROJECTOR or command == "state.sync"
