"""Value tags: which values a proposal or an amendment expresses. The author's or a
facilitator's tag counts at once; anyone else's is a suggestion, confirmed once two
participants support it. Tags feed what the draft says about values (:mod:`coverage`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import events, permissions, voters
from ..catalogue import workshop_catalogue
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..models import (
    Amendment,
    Anonymity,
    AuditAction,
    Participant,
    Phase,
    Proposal,
    ProposalStatus,
    TagSupport,
    User,
    ValueTag,
    Workshop,
)
from ..queries import get_workshop, tagged_item
from ..realtime import WorkshopChange, workshop_change
from . import audit

TAG_SUPPORT_THRESHOLD = 2  # other participants needed to confirm a tag


def _known_keys(workshop: Workshop) -> set[str]:
    return {value.key for value in workshop_catalogue(workshop)}


def tag(
    actor: Participant | User,
    value_key: str,
    *,
    proposal_id: int | None = None,
    amendment_id: int | None = None,
) -> ValueTag:
    """Tag either a proposal or an amendment with a value."""
    if (proposal_id is None) == (amendment_id is None):
        raise ValidationFailed(_("Tag either a proposal or an amendment."), field="target")
    if proposal_id is not None:
        return tag_proposal(actor, proposal_id, value_key)
    assert amendment_id is not None
    return tag_amendment(actor, amendment_id, value_key)


def tag_proposal(actor: Participant | User, proposal_id: int, value_key: str) -> ValueTag:
    """Say that a proposal expresses a value; the author's or a facilitator's tag counts at once."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))

    def still_taggable() -> None:
        db.session.refresh(proposal)
        if proposal.status != ProposalStatus.VISIBLE:
            raise InvalidState(_("This proposal was hidden by the facilitator."), code="hidden")

    return _tag(
        actor,
        get_workshop(proposal.workshop_id),
        value_key,
        where=ValueTag.proposal_id == proposal.id,
        new_tag=lambda: ValueTag(proposal_id=proposal.id, value_key=value_key),
        author_ids={credit.participant_id for credit in proposal.credits},
        check=still_taggable,
        emit=lambda change: events.proposal_changed(change, proposal),
        what=audit.N_("Tagged proposal %(id)s with %(value)s"),
        what_id=proposal.id,
        anonymity=proposal.anonymity,
    )


def tag_amendment(actor: Participant | User, amendment_id: int, value_key: str) -> ValueTag:
    """Say that an amendment expresses a value, with the same rules as proposals."""
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFound(_("This amendment does not exist."))
    return _tag(
        actor,
        get_workshop(amendment.workshop_id),
        value_key,
        where=ValueTag.amendment_id == amendment.id,
        new_tag=lambda: ValueTag(amendment_id=amendment.id, value_key=value_key),
        author_ids={amendment.author_id} if amendment.author_id else set(),
        check=lambda: None,
        emit=lambda change: events.amendment_changed(change, amendment),
        what=audit.N_("Tagged amendment %(id)s with %(value)s"),
        what_id=amendment.id,
        anonymity=amendment.anonymity,
    )


def _tag(
    actor: Participant | User,
    workshop: Workshop,
    value_key: str,
    *,
    where: Any,
    new_tag: Callable[[], ValueTag],
    author_ids: set[int],
    check: Callable[[], None],
    emit: Callable[[WorkshopChange], None],
    what: str,
    what_id: int,
    anonymity: Anonymity,
) -> ValueTag:
    """The tagging rule for anything people write: the author's or a facilitator's tag counts
    at once; anyone else's is a suggestion, confirmed once two participants support it."""
    facilitator = permissions.can_moderate(actor, workshop)
    if not permissions.can_tag(actor, workshop):
        raise NotFound(_("This does not exist here."))
    if value_key not in _known_keys(workshop):
        raise ValidationFailed(_("Unknown value: %(key)s", key=value_key), field="value")
    with workshop_change(workshop.id) as change:
        check()
        tag = db.session.scalar(sa.select(ValueTag).where(where, ValueTag.value_key == value_key))
        if tag is None:
            tag = new_tag()
            tag.confirmed = False
            db.session.add(tag)
        if facilitator or (isinstance(actor, Participant) and actor.id in author_ids):
            tag.confirmed = True
        elif isinstance(actor, Participant):
            if workshop.phase == Phase.CLOSED:  # its keys are gone: support could count twice
                raise InvalidState(_("The workshop is closed."), code="phase_closed")
            db.session.flush()  # a new tag's id: its supports are hashed with it
            supporter = voters.voter(actor, voters.TAGS_SCOPE, anonymity, item=tag.id)
            assert supporter is not None, "an open workshop's tag key exists or is made"
            if not any(supporter.owns(s) for s in tag.supporters):
                tag.supporters.append(TagSupport(**supporter.fields()))
        if len(tag.supporters) >= TAG_SUPPORT_THRESHOLD:
            tag.confirmed = True
        db.session.flush()
        if facilitator and isinstance(actor, User):
            audit.record(actor, workshop.id, AuditAction.TAG_ADD, what, id=what_id, value=value_key)
        emit(change)
        events.wording_changed(change, workshop)
    return tag


def untag(actor: User, tag_id: int) -> None:
    """A facilitator removes a tag that does not fit."""
    tag = db.session.get(ValueTag, tag_id)
    if tag is None:
        raise NotFound(_("This tag does not exist."))
    item = tagged_item(tag)
    workshop = workshop_for_staff(actor, item.workshop_id, moderate=True)
    value_key = tag.value_key  # read before the row is gone
    with workshop_change(workshop.id) as change:
        db.session.delete(tag)
        db.session.flush()
        db.session.refresh(item)
        audit.record(
            actor,
            workshop.id,
            AuditAction.TAG_REMOVE,
            audit.N_("Removed the tag %(value)s"),
            value=value_key,
        )
        if isinstance(item, Proposal):
            events.proposal_changed(change, item)
        else:
            events.amendment_changed(change, item)
        events.wording_changed(change, workshop)
