"""The agenda: rounds, their order, and running them against a server-side clock.

At most one round is running or paused at a time: that is the *current*
round, and every screen shows it. Time is kept as an end moment in the
database (``ends_at``), never as a countdown in a process, so a reload, a
reconnect or a server restart shows the same remaining time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    BALLOT_KINDS,
    Anonymity,
    AuditAction,
    Phase,
    Round,
    RoundKind,
    RoundStatus,
    User,
    Workshop,
)
from ..payloads import round_payload
from ..realtime import WorkshopChange, workshop_change
from ..voting import Method
from . import audit
from .workshops import get_workshop_for_staff

MAX_ROUNDS = 30
CATEGORIES = ("what", "whom", "how", "why")
MAX_WORDS = 40
MAX_DURATION_SECONDS = 4 * 60 * 60

PHASE_OF_KIND = {
    RoundKind.VALUES: Phase.VALUES,
    RoundKind.PROPOSE: Phase.PROPOSE,
    RoundKind.VOTE: Phase.VOTE,
    RoundKind.CONSENT: Phase.VOTE,
    RoundKind.REFINE: Phase.DRAFT,
    RoundKind.FINALISE: Phase.DRAFT,
    RoundKind.VOCABULARY: Phase.VOTE,
}


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


# The default 90-minute mission workshop.
DEFAULT_TEMPLATE: list[RoundSettings] = [
    RoundSettings(RoundKind.VALUES, "What do you value most in your work?", 10 * 60),
    RoundSettings(RoundKind.PROPOSE, "Who do we serve: our clients and our colleagues?", 15 * 60),
    RoundSettings(RoundKind.VOTE, "Which wording says it best?", 8 * 60, method=Method.DOT),
    RoundSettings(RoundKind.PROPOSE, "How do we work, and why does it matter?", 15 * 60),
    RoundSettings(RoundKind.VOTE, "Rank the wordings", 8 * 60, method=Method.RANKED),
    RoundSettings(RoundKind.REFINE, "Sharpen the draft together", 17 * 60),
    RoundSettings(
        RoundKind.CONSENT, "Can you live with this mission?", 10 * 60, method=Method.CONSENT
    ),
    RoundSettings(RoundKind.FINALISE, "What we agreed, and what happens next", 7 * 60),
]


def _validated(settings: RoundSettings) -> RoundSettings:
    try:
        kind = RoundKind(settings.kind)
    except ValueError:
        raise ValidationFailed(_("Unknown round type."), field="kind") from None
    prompt = " ".join((settings.prompt or "").split())
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
        if method == Method.CONSENT:
            kind = RoundKind.CONSENT
    elif kind == RoundKind.CONSENT:
        method = Method.CONSENT
    else:
        method = None  # values and vocabulary rounds have ballots of their own kind
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
    return dataclasses.replace(
        settings,
        kind=kind,
        prompt=prompt,
        method=method,
        anonymity=anonymity,
        words=words,
    )


def validate_words(words: Any) -> list[dict[str, str]]:
    """Candidate words for a vocabulary round: each with its place (what/whom/how/why)."""
    if not isinstance(words, list) or not words:
        raise ValidationFailed(_("Give at least one candidate word."), field="words")
    if len(words) > MAX_WORDS:
        raise ValidationFailed(_("Give at most %(n)s words.", n=MAX_WORDS), field="words")
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in words:
        word = " ".join(str((item or {}).get("word", "")).split())
        category = str((item or {}).get("category", "what"))
        if not word or len(word) > 40:
            raise ValidationFailed(_("Each word has 1 to 40 characters."), field="words")
        if category not in CATEGORIES:
            raise ValidationFailed(_("Sort each word into what, whom, how or why."), field="words")
        if word.lower() not in seen:
            seen.add(word.lower())
            cleaned.append({"word": word, "category": category})
    return cleaned


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


def list_rounds(workshop_id: int) -> list[Round]:
    """The agenda in order."""
    return list(
        db.session.scalars(
            sa.select(Round).where(Round.workshop_id == workshop_id).order_by(Round.position)
        )
    )


def current_round(workshop_id: int) -> Round | None:
    """The running or paused round, which every screen follows."""
    return db.session.scalar(
        sa.select(Round).where(
            Round.workshop_id == workshop_id,
            Round.status.in_([RoundStatus.RUNNING, RoundStatus.PAUSED]),
        )
    )


def latest_vote_round(workshop_id: int) -> Round | None:
    """The voting round most recently started (its results stay on screen after it ends)."""
    return db.session.scalar(
        sa.select(Round)
        .where(
            Round.workshop_id == workshop_id,
            Round.kind.in_(BALLOT_KINDS),
            Round.started_at.is_not(None),
        )
        .order_by(Round.started_at.desc(), Round.id.desc())
        .limit(1)
    )


def is_open_for_input(round_: Round | None, now: dt.datetime | None = None) -> bool:
    """Running, and its time (if it has a timer) not yet up."""
    if round_ is None or round_.status != RoundStatus.RUNNING:
        return False
    return round_.ends_at is None or (now or clock.now()) < round_.ends_at


def closed_for_input(round_: Round | None, *, code: str) -> InvalidState:
    """The refusal that says why input is closed right now."""
    if round_ is not None and round_.status == RoundStatus.PAUSED:
        return InvalidState(_("The facilitator paused this round."), code=code)
    if round_ is not None and round_.status == RoundStatus.RUNNING:
        return InvalidState(_("Time is up for this round."), code=code)
    return InvalidState(_("This round is not open right now."), code=code)


def results_visible(round_: Round) -> bool:
    """Blind rounds show nothing, to anyone, before the reveal; live rounds always."""
    return not round_.blind or round_.revealed_at is not None


def _emit_agenda(change: WorkshopChange, workshop_id: int) -> None:
    from .drafting import release_participants_if_closed

    rounds = list_rounds(workshop_id)
    change.emit("agenda.changed", {"rounds": [round_payload(r) for r in rounds]})
    release_participants_if_closed(change, workshop_id)


def _round_for_staff(actor: User, round_id: int) -> tuple[Workshop, Round]:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("This round does not exist."))
    workshop = get_workshop_for_staff(actor, round_.workshop_id, moderate=True)
    return workshop, round_


def add_round(actor: User, workshop_id: int, settings: RoundSettings) -> Round:
    """Append a round to the agenda."""
    get_workshop_for_staff(actor, workshop_id, moderate=True)
    settings = _validated(settings)
    with workshop_change(workshop_id) as change:
        round_ = _append(actor, workshop_id, settings)
        _emit_agenda(change, workshop_id)
    return round_


def _append(actor: User, workshop_id: int, settings: RoundSettings) -> Round:
    """Put a round at the end of the agenda, inside the caller's change."""
    rounds = list_rounds(workshop_id)
    if len(rounds) >= MAX_ROUNDS:
        raise InvalidState(_("An agenda holds at most %(n)s rounds.", n=MAX_ROUNDS))
    round_ = Round(workshop_id=workshop_id, position=len(rounds))
    _apply(round_, settings)
    db.session.add(round_)
    db.session.flush()
    audit.record(actor, workshop_id, AuditAction.ROUND_ADD, f"Added a {round_.kind} round")
    return round_


def apply_template(actor: User, workshop_id: int) -> list[Round]:
    """Fill an empty agenda with the default 90-minute mission workshop."""
    get_workshop_for_staff(actor, workshop_id, moderate=True)
    with workshop_change(workshop_id) as change:
        if list_rounds(workshop_id):
            raise InvalidState(_("The agenda already has rounds; add or remove them one by one."))
        for position, settings in enumerate(DEFAULT_TEMPLATE):
            round_ = Round(workshop_id=workshop_id, position=position)
            _apply(round_, _validated(settings))
            db.session.add(round_)
        db.session.flush()
        audit.record(actor, workshop_id, AuditAction.AGENDA_TEMPLATE, "Used the 90-minute template")
        _emit_agenda(change, workshop_id)
    return list_rounds(workshop_id)


def settings_of(round_id: int, **changes: object) -> RoundSettings:
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
    )
    return dataclasses.replace(current, **changes)  # type: ignore[arg-type]


def update_round(actor: User, round_id: int, settings: RoundSettings) -> Round:
    """Change a round's prompt, timing or voting settings (not its results)."""
    round_ = _round_for_staff(actor, round_id)[1]
    settings = _validated(settings)
    with workshop_change(round_.workshop_id) as change:
        db.session.refresh(round_)
        if round_.started_at is not None and round_.method != settings.method:
            raise InvalidState(_("The voting method cannot change once the round has started."))
        if round_.started_at is not None and round_.anonymity != (settings.anonymity or None):
            # Ballots already cast were stored under the old promise.
            raise InvalidState(_("Anonymity cannot change once the round has started."))
        _apply(round_, settings)
        db.session.flush()
        audit.record(
            actor, round_.workshop_id, AuditAction.ROUND_EDIT, f"Edited round {round_.position + 1}"
        )
        _emit_agenda(change, round_.workshop_id)
    return round_


def remove_round(actor: User, round_id: int) -> None:
    """Take a round that has not started off the agenda."""
    round_ = _round_for_staff(actor, round_id)[1]
    with workshop_change(round_.workshop_id) as change:
        db.session.refresh(round_)
        if round_.started_at is not None:
            raise InvalidState(_("A round that has run stays on the agenda, with its results."))
        workshop_id = round_.workshop_id
        db.session.delete(round_)
        db.session.flush()
        for position, other in enumerate(list_rounds(workshop_id)):
            other.position = position
        audit.record(actor, workshop_id, AuditAction.ROUND_REMOVE, f"Removed a {round_.kind} round")
        _emit_agenda(change, workshop_id)


def move_round(actor: User, round_id: int, position: int) -> None:
    """Put a round at another place in the agenda."""
    round_ = _round_for_staff(actor, round_id)[1]
    with workshop_change(round_.workshop_id) as change:
        rounds = list_rounds(round_.workshop_id)
        if not 0 <= position < len(rounds):
            raise ValidationFailed(_("That position is outside the agenda."), field="position")
        rounds.remove(round_)
        rounds.insert(position, round_)
        for index, other in enumerate(rounds):
            other.position = index
        db.session.flush()
        audit.record(
            actor, round_.workshop_id, AuditAction.ROUND_MOVE, f"Moved a round to {position + 1}"
        )
        _emit_agenda(change, round_.workshop_id)


def start_round(actor: User, round_id: int) -> Round:
    """Run a round now (ending the current one); going back to an earlier round reopens it."""
    workshop, round_ = _round_for_staff(actor, round_id)
    with workshop_change(workshop.id) as change:
        db.session.refresh(round_)
        db.session.refresh(workshop)
        _start(actor, workshop, round_, change)
    return round_


def _start(actor: User, workshop: Workshop, round_: Round, change: WorkshopChange) -> None:
    """Start a round inside the caller's change: one agenda event, one phase event."""
    if workshop.phase == Phase.CLOSED:
        raise InvalidState(_("The workshop is closed."))
    if round_.status in (RoundStatus.RUNNING, RoundStatus.PAUSED):
        raise InvalidState(_("This round is already under way."))
    now = clock.now()
    running = current_round(workshop.id)
    if running is not None:
        running.status = RoundStatus.ENDED
        running.ended_at = now
        db.session.flush()  # one current round at a time, also between two statements
    round_.status = RoundStatus.RUNNING
    round_.started_at = now
    round_.ended_at = None
    round_.remaining_seconds = None
    round_.ends_at = (
        now + dt.timedelta(seconds=round_.duration_seconds) if round_.duration_seconds else None
    )
    workshop.phase = PHASE_OF_KIND[round_.kind]
    workshop.phase_changed_at = now
    db.session.flush()
    audit.record(
        actor,
        workshop.id,
        AuditAction.ROUND_START,
        f"Started round {round_.position + 1}: {round_.prompt}",
    )
    _emit_agenda(change, workshop.id)
    change.emit(
        "phase.changed", {"phase": str(workshop.phase), "phase_changed_at": now.isoformat()}
    )
    if round_.takes_ballots:
        # Screens switch to the new ballot at once (ballots imports this module).
        from .ballots import emit_vote_state

        emit_vote_state(change, round_)


def pause_round(actor: User, round_id: int) -> Round:
    """Stop the clock; input stays closed until the round resumes."""
    round_ = _round_for_staff(actor, round_id)[1]
    with workshop_change(round_.workshop_id) as change:
        db.session.refresh(round_)
        if round_.status != RoundStatus.RUNNING:
            raise InvalidState(_("Only a running round can be paused."))
        if round_.ends_at is not None:
            left = (round_.ends_at - clock.now()).total_seconds()
            round_.remaining_seconds = max(int(round(left)), 0)
        round_.ends_at = None
        round_.status = RoundStatus.PAUSED
        db.session.flush()
        audit.record(actor, round_.workshop_id, AuditAction.ROUND_PAUSE, "Paused the round")
        _emit_agenda(change, round_.workshop_id)
    return round_


def resume_round(actor: User, round_id: int) -> Round:
    """Restart the clock from where it was paused."""
    round_ = _round_for_staff(actor, round_id)[1]
    with workshop_change(round_.workshop_id) as change:
        db.session.refresh(round_)
        if round_.status != RoundStatus.PAUSED:
            raise InvalidState(_("Only a paused round can be resumed."))
        if round_.remaining_seconds is not None:
            round_.ends_at = clock.now() + dt.timedelta(seconds=round_.remaining_seconds)
        round_.remaining_seconds = None
        round_.status = RoundStatus.RUNNING
        db.session.flush()
        audit.record(actor, round_.workshop_id, AuditAction.ROUND_RESUME, "Resumed the round")
        _emit_agenda(change, round_.workshop_id)
    return round_


def extend_round(actor: User, round_id: int, seconds: int) -> Round:
    """Give the current round more time (also after its time ran out)."""
    round_ = _round_for_staff(actor, round_id)[1]
    if not 1 <= seconds <= 60 * 60:
        raise ValidationFailed(_("Add between 1 second and 1 hour."), field="seconds")
    with workshop_change(round_.workshop_id) as change:
        db.session.refresh(round_)
        now = clock.now()
        if round_.status == RoundStatus.RUNNING:
            base = max(round_.ends_at or now, now)
            round_.ends_at = base + dt.timedelta(seconds=seconds)
        elif round_.status == RoundStatus.PAUSED:
            round_.remaining_seconds = (round_.remaining_seconds or 0) + seconds
        else:
            raise InvalidState(_("Only the current round can get more time."))
        db.session.flush()
        audit.record(
            actor,
            round_.workshop_id,
            AuditAction.ROUND_EXTEND,
            f"Added {seconds // 60} min {seconds % 60} s",
        )
        _emit_agenda(change, round_.workshop_id)
    return round_


def end_round(actor: User, round_id: int) -> Round:
    """Close the round for input; its results stay."""
    workshop, round_ = _round_for_staff(actor, round_id)
    with workshop_change(workshop.id) as change:
        db.session.refresh(round_)
        if round_.status not in (RoundStatus.RUNNING, RoundStatus.PAUSED):
            raise InvalidState(_("This round is not under way."))
        round_.status = RoundStatus.ENDED
        round_.ended_at = clock.now()
        round_.remaining_seconds = None
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.ROUND_END, f"Ended round {round_.position + 1}"
        )
        _emit_agenda(change, workshop.id)
    return round_


def set_phase(actor: User, workshop_id: int, phase: Phase | str) -> Workshop:
    """The console's shortcuts: lobby and closed end the current round; the others start
    an untimed round of that kind, so ad-hoc facilitation needs no agenda."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    try:
        phase = Phase(phase)
    except ValueError:
        raise ValidationFailed(
            _("Unknown phase “%(phase)s”.", phase=phase), field="phase"
        ) from None
    kind = {
        Phase.PROPOSE: RoundKind.PROPOSE,
        Phase.VOTE: RoundKind.VOTE,
        Phase.DRAFT: RoundKind.REFINE,
    }.get(phase)
    running = current_round(workshop.id)
    if workshop.phase == phase and (kind is None or (running and running.kind == kind)):
        raise InvalidState(_("The workshop is already in this phase."))
    if workshop.phase == Phase.CLOSED and kind is not None:
        raise InvalidState(_("The workshop is closed."))
    if kind is not None:
        settings = RoundSettings(
            kind=kind,
            duration_seconds=0,
            method=Method.DOT if kind == RoundKind.VOTE else None,
            dots_budget=workshop.dots_per_participant,
        )
        settings = _validated(settings)
        with workshop_change(workshop.id) as change:
            # Added and started in one change: screens get the agenda once, then the phase.
            db.session.refresh(workshop)
            _start(actor, workshop, _append(actor, workshop.id, settings), change)
        return workshop
    with workshop_change(workshop.id) as change:
        db.session.refresh(workshop)
        now = clock.now()
        running = current_round(workshop.id)
        if running is not None:
            running.status = RoundStatus.ENDED
            running.ended_at = now
        workshop.phase = phase
        workshop.phase_changed_at = now
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.WORKSHOP_PHASE, f"Moved the workshop to {phase}"
        )
        if running is not None:
            _emit_agenda(change, workshop.id)
        change.emit("phase.changed", {"phase": str(phase), "phase_changed_at": now.isoformat()})
    return workshop
