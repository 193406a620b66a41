"""The agenda: which rounds a workshop has, in what order, with what settings.

Running them (start, pause, extend, end) is :mod:`services.rounds`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask_babel import gettext as _

from .. import clauses, clock, events
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import round_still_there, workshop_for_staff
from ..models import Anonymity, AuditAction, Round, RoundKind, RoundStatus, User, Workshop
from ..privacy import ROUND_SCOPED_KINDS
from ..queries import list_rounds
from ..realtime import workshop_change
from ..text import one_line
from ..vocabulary import validate_words
from ..voting import Method
from . import audit

MAX_ROUNDS = 30
MAX_DURATION_SECONDS = 4 * 60 * 60


@dataclasses.dataclass
class RoundSettings:
    """What a facilitator sets for one round."""

    kind: RoundKind | str
    prompt: str = ""
    duration_seconds: int = 600
    method: str | None = None
    dots_budget: int = 3
    dots_cap: int | None = None
    pick_limit: int = 5
    blind: bool = True
    breakdown_by_level: bool = False
    premoderation: bool = False
    anonymity: Anonymity | str | None = None
    words: list[dict[str, str]] = dataclasses.field(default_factory=list)
    clause: str = ""
    source_round_id: int | None = None
    all_proposals: bool = False


MAX_CLAUSE_LENGTH = 120


def template_rounds() -> list[RoundSettings]:
    """The default mission workshop, 87 minutes of rounds in a 90-minute slot: the values
    people bring, then each clause of the mission proposed and chosen in turn (what we value,
    in our own words while the values round is fresh; purpose, who we serve, how we work, how
    we will know), the draft sharpened together, consent on every clause, and what happens
    next. Clause names are the document template's headings, so the winners of each vote go to
    the right clause of the draft, and every clause is written by the room."""
    purpose, serve, work, value, know = (_(heading) for heading, _hint in clauses.DEFAULT_TEMPLATE)
    return [
        RoundSettings(
            RoundKind.VALUES, _("What do you value most in your work?"), 7 * 60, clause=value
        ),
        RoundSettings(
            RoundKind.PROPOSE,
            _("What we value: say it in our own words"),
            5 * 60,
            clause=value,
        ),
        RoundSettings(
            RoundKind.VOTE,
            _("How well does each say what we value?"),
            3 * 60,
            method=Method.SCORE,
            clause=value,
        ),
        RoundSettings(
            RoundKind.PROPOSE,
            _("Purpose: why do we exist, for clients and for us?"),
            7 * 60,
            clause=purpose,
        ),
        RoundSettings(
            RoundKind.VOTE,
            _("Which purpose says it best?"),
            4 * 60,
            method=Method.DOT,
            clause=purpose,
        ),
        RoundSettings(
            RoundKind.PROPOSE,
            _("Who do we serve: our clients and our colleagues?"),
            7 * 60,
            clause=serve,
        ),
        RoundSettings(
            RoundKind.VOTE,
            _("Rank the wordings of who we serve"),
            5 * 60,
            method=Method.RANKED,
            clause=serve,
        ),
        RoundSettings(
            RoundKind.PROPOSE, _("How do we work, and why does it matter?"), 7 * 60, clause=work
        ),
        RoundSettings(
            RoundKind.VOTE,
            _("Which of these could you stand behind?"),
            4 * 60,
            method=Method.APPROVAL,
            clause=work,
        ),
        RoundSettings(
            RoundKind.PROPOSE,
            _("How will we know we live it? What would clients and colleagues notice?"),
            6 * 60,
            clause=know,
        ),
        RoundSettings(
            RoundKind.VOTE, _("Which measure matters most?"), 4 * 60, method=Method.DOT, clause=know
        ),
        RoundSettings(RoundKind.REFINE, _("Sharpen the draft together"), 15 * 60),
        RoundSettings(
            RoundKind.CONSENT, _("Can you live with each clause of the mission?"), 8 * 60
        ),
        RoundSettings(RoundKind.FINALISE, _("What we agreed, and what happens next"), 5 * 60),
    ]


def checked_settings(settings: RoundSettings) -> RoundSettings:
    """The settings, cleaned and checked; a vote round with the consent method becomes a
    consent round, and only vote and consent rounds keep a method."""
    try:
        kind = RoundKind(settings.kind)
    except ValueError:
        raise ValidationFailed(_("Unknown round type."), field="kind") from None
    prompt = one_line(settings.prompt)
    if len(prompt) > 500:
        raise ValidationFailed(_("Keep the prompt under 500 characters."), field="prompt")
    if not 0 <= settings.duration_seconds <= MAX_DURATION_SECONDS:
        raise ValidationFailed(_("A round lasts from 0 (no timer) to 4 hours."), field="duration")
    method = settings.method
    if kind == RoundKind.VOTE:
        try:
            method = Method(method or Method.DOT)
        except ValueError:
            raise ValidationFailed(_("Unknown voting method."), field="method") from None
    else:
        # Values and vocabulary rounds have ballots of their own kind; a consent round takes
        # answers on the draft's clauses.
        method = None
    clause = one_line(settings.clause)
    if len(clause) > MAX_CLAUSE_LENGTH:
        raise ValidationFailed(_("Keep the clause name under 120 characters."), field="clause")
    words = validate_words(settings.words) if kind == RoundKind.VOCABULARY else []
    if not 1 <= settings.pick_limit <= 10:
        raise ValidationFailed(_("People pick between 1 and 10 values."), field="pick_limit")
    if not 1 <= settings.dots_budget <= 20:
        raise ValidationFailed(_("Dots per person must be between 1 and 20."), field="dots")
    if settings.dots_cap is not None and not 1 <= settings.dots_cap <= settings.dots_budget:
        raise ValidationFailed(
            _("The cap per proposal must be between 1 and the dots per person."), field="cap"
        )
    anonymity = settings.anonymity or None
    if anonymity is not None:
        try:
            anonymity = Anonymity(anonymity)
        except ValueError:
            raise ValidationFailed(_("Unknown anonymity setting."), field="anonymity") from None
        if kind not in ROUND_SCOPED_KINDS:
            raise ValidationFailed(
                _(
                    "This kind of round follows the workshop's anonymity: answers on the "
                    "clauses, duels, measures and everyone's own part are kept under one "
                    "setting for the whole workshop."
                ),
                field="anonymity",
            )
    return dataclasses.replace(
        settings,
        kind=kind,
        prompt=prompt,
        method=method,
        anonymity=anonymity,
        words=words,
        clause=clause,
        source_round_id=settings.source_round_id if kind == RoundKind.VOTE else None,
        all_proposals=bool(settings.all_proposals) and kind == RoundKind.VOTE,
    )


def _apply(round_: Round, settings: RoundSettings) -> None:
    round_.kind = RoundKind(settings.kind)
    round_.prompt = settings.prompt
    round_.duration_seconds = settings.duration_seconds
    round_.method = Method(settings.method) if settings.method else None
    round_.dots_budget = settings.dots_budget
    round_.dots_cap = settings.dots_cap
    round_.pick_limit = settings.pick_limit
    round_.blind = settings.blind
    round_.breakdown_by_level = settings.breakdown_by_level
    round_.premoderation = settings.premoderation
    round_.anonymity = Anonymity(settings.anonymity) if settings.anonymity else None
    round_.words = settings.words
    round_.clause = settings.clause
    round_.source_round_id = settings.source_round_id
    round_.all_proposals = settings.all_proposals


def _check_source(workshop_id: int, settings: RoundSettings) -> None:
    """A vote round's proposals come from a propose round of the same workshop."""
    if settings.source_round_id is None:
        return
    source = db.session.get(Round, settings.source_round_id)
    if source is None or source.workshop_id != workshop_id or source.kind != RoundKind.PROPOSE:
        raise ValidationFailed(
            _("Proposals for a vote come from a propose round of this workshop."),
            field="source_round_id",
        )


def round_for_staff(actor: User, round_id: int) -> tuple[Workshop, Round]:
    """A round and its workshop, if the actor moderates that workshop."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("This round does not exist."))
    workshop = workshop_for_staff(actor, round_.workshop_id, moderate=True)
    return workshop, round_


def add_round(actor: User, workshop_id: int, settings: RoundSettings) -> Round:
    """Append a round to the agenda."""
    workshop_for_staff(actor, workshop_id, moderate=True)
    settings = checked_settings(settings)
    _check_source(workshop_id, settings)
    with workshop_change(workshop_id) as change:
        round_ = append_round(actor, workshop_id, settings)
        events.agenda_changed(change, workshop_id)
    return round_


def append_round(actor: User, workshop_id: int, settings: RoundSettings) -> Round:
    """Put a round at the end of the agenda, inside the caller's change."""
    rounds = list_rounds(workshop_id)
    if len(rounds) >= MAX_ROUNDS:
        raise InvalidState(_("An agenda holds at most %(n)s rounds.", n=MAX_ROUNDS))
    round_ = Round(workshop_id=workshop_id, position=len(rounds))
    _apply(round_, settings)
    db.session.add(round_)
    db.session.flush()
    audit.record(
        actor,
        workshop_id,
        AuditAction.ROUND_ADD,
        audit.N_("Added a %(kind)s round"),
        kind=round_.kind,
    )
    return round_


def apply_template(actor: User, workshop_id: int) -> list[Round]:
    """Fill an empty agenda with the default 90-minute mission workshop."""
    workshop_for_staff(actor, workshop_id, moderate=True)
    with workshop_change(workshop_id) as change:
        if list_rounds(workshop_id):
            raise InvalidState(_("The agenda already has rounds; add or remove them one by one."))
        for position, settings in enumerate(template_rounds()):
            round_ = Round(workshop_id=workshop_id, position=position)
            _apply(round_, checked_settings(settings))
            db.session.add(round_)
        db.session.flush()
        audit.record(
            actor, workshop_id, AuditAction.AGENDA_TEMPLATE, audit.N_("Used the 90-minute template")
        )
        events.agenda_changed(change, workshop_id)
    return list_rounds(workshop_id)


def settings_of(round_id: int, **changes: Any) -> RoundSettings:
    """A round's current settings, with some of them changed (for partial updates)."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("This round does not exist."))
    current = RoundSettings(
        kind=round_.kind,
        prompt=round_.prompt,
        duration_seconds=round_.duration_seconds,
        method=round_.method,
        dots_budget=round_.dots_budget,
        dots_cap=round_.dots_cap,
        pick_limit=round_.pick_limit,
        blind=round_.blind,
        breakdown_by_level=round_.breakdown_by_level,
        premoderation=round_.premoderation,
        anonymity=round_.anonymity,
        words=list(round_.words or []),
        clause=round_.clause,
        source_round_id=round_.source_round_id,
        all_proposals=round_.all_proposals,
    )
    return dataclasses.replace(current, **changes)


def _move_countdown(round_: Round, seconds: int) -> None:
    """A round under way whose length changed by ``seconds``: its countdown moves by as much
    on every screen (a running round's end, a paused one's time left), down to "time is up"
    at the least; a round whose timer is taken off has none, and one that gets a timer counts
    its length down from now. Before, the settings said 2 minutes while every screen still
    counted down the 10 it started with."""
    if round_.status not in (RoundStatus.RUNNING, RoundStatus.PAUSED):
        return  # a round not started takes its length when it starts; an ended one has none
    now = clock.now()
    if round_.duration_seconds == 0:
        round_.ends_at, round_.remaining_seconds = None, None
    elif round_.status == RoundStatus.PAUSED:
        left = round_.remaining_seconds
        round_.remaining_seconds = (
            round_.duration_seconds if left is None else max(0, left + seconds)
        )
    elif round_.ends_at is None:
        round_.ends_at = now + dt.timedelta(seconds=round_.duration_seconds)
    else:
        round_.ends_at = max(now, round_.ends_at + dt.timedelta(seconds=seconds))


def change_round(actor: User, round_id: int, changes: dict[str, Any]) -> Round:
    """Change some of a round's settings (its prompt, timing or voting settings, not its
    results); the others keep the values they have when the change takes the lock, so a
    colleague's change to another setting made meanwhile is kept, not written back over."""
    round_ = round_for_staff(actor, round_id)[1]
    settings = checked_settings(settings_of(round_id, **changes))  # refused before the lock
    _check_source(round_.workshop_id, settings)
    with workshop_change(round_.workshop_id) as change:
        round_still_there(round_)
        settings = checked_settings(settings_of(round_id, **changes))
        if round_.started_at is not None and round_.kind != settings.kind:
            # What was already given in it (ballots, proposals) is of the kind it had.
            raise InvalidState(_("A round's kind cannot change once it has started."))
        if round_.started_at is not None and round_.method != settings.method:
            raise InvalidState(_("The voting method cannot change once the round has started."))
        if round_.started_at is not None and (
            round_.source_round_id != settings.source_round_id
            or round_.all_proposals != settings.all_proposals
        ):
            raise InvalidState(_("The proposals on the ballot cannot change once voting began."))
        if round_.started_at is not None and round_.anonymity != (settings.anonymity or None):
            # Ballots already cast were stored under the old promise.
            raise InvalidState(_("Anonymity cannot change once the round has started."))
        # Results of a blind round that has run show only by revealing them: turning "blind"
        # off is the reveal (audited as one), and turning it back on hides nothing again.
        reveals = (
            round_.takes_ballots
            and round_.started_at is not None
            and round_.blind
            and round_.revealed_at is None
            and not settings.blind
        )
        lengthened = settings.duration_seconds - round_.duration_seconds
        _apply(round_, settings)
        if lengthened:
            _move_countdown(round_, lengthened)
        if round_.revealed_at is not None or reveals:
            round_.blind = True  # revealed stays revealed; results_visible reads revealed_at
        if reveals:
            round_.revealed_at = clock.now()
        db.session.flush()
        audit.record(
            actor,
            round_.workshop_id,
            AuditAction.ROUND_EDIT,
            audit.N_("Edited round %(number)s"),
            number=round_.position + 1,
        )
        if reveals:
            audit.record(
                actor,
                round_.workshop_id,
                AuditAction.ROUND_REVEAL,
                audit.N_("Revealed round %(number)s (results turned on)"),
                number=round_.position + 1,
            )
        events.agenda_changed(change, round_.workshop_id)
        if reveals:
            events.vote_state(change, round_)
    return round_


def remove_round(actor: User, round_id: int) -> None:
    """Take a round that has not started off the agenda."""
    round_ = round_for_staff(actor, round_id)[1]
    with workshop_change(round_.workshop_id) as change:
        round_still_there(round_)
        if round_.started_at is not None:
            raise InvalidState(_("A round that has run stays on the agenda, with its results."))
        workshop_id = round_.workshop_id
        db.session.delete(round_)
        db.session.flush()
        for position, other in enumerate(list_rounds(workshop_id)):
            other.position = position
        audit.record(
            actor,
            workshop_id,
            AuditAction.ROUND_REMOVE,
            audit.N_("Removed a %(kind)s round"),
            kind=round_.kind,
        )
        events.agenda_changed(change, workshop_id)


def move_round(actor: User, round_id: int, position: int) -> None:
    """Put a round at another place in the agenda."""
    round_ = round_for_staff(actor, round_id)[1]
    with workshop_change(round_.workshop_id) as change:
        round_still_there(round_)
        rounds = list_rounds(round_.workshop_id)
        if not 0 <= position < len(rounds):
            raise ValidationFailed(_("That position is outside the agenda."), field="position")
        rounds.remove(round_)
        rounds.insert(position, round_)
        for index, other in enumerate(rounds):
            other.position = index
        db.session.flush()
        audit.record(
            actor,
            round_.workshop_id,
            AuditAction.ROUND_MOVE,
            audit.N_("Moved a round to %(position)s"),
            position=position + 1,
        )
        events.agenda_changed(change, round_.workshop_id)
