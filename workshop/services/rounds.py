"""Running the agenda: start, pause, resume, extend and end rounds against a server clock,
and the console's phase shortcuts.

At most one round is running or paused at a time: that is the *current*
round, and every screen shows it. Time is kept as an end moment in the
database (``ends_at``), never as a countdown in a process, so a reload, a
reconnect or a server restart shows the same remaining time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _

from .. import clock, events, voters
from ..errors import InvalidState, ValidationFailed
from ..extensions import db
from ..guards import ranked_ballot_in_reach, round_still_there, workshop_for_staff
from ..models import (
    Anonymity,
    AuditAction,
    Phase,
    Round,
    RoundKind,
    RoundStatus,
    User,
    Workshop,
)
from ..privacy import effective_anonymity
from ..queries import current_round, list_rounds, proposal_source, voter_count
from ..realtime import WorkshopChange, workshop_change
from ..voting import Method
from . import audit
from .agenda import RoundSettings, append_round, checked_settings, round_for_staff

PHASE_OF_KIND = {
    RoundKind.VALUES: Phase.VALUES,
    RoundKind.PROPOSE: Phase.PROPOSE,
    RoundKind.VOTE: Phase.VOTE,
    RoundKind.CONSENT: Phase.DRAFT,  # consent on the draft's clauses
    RoundKind.REFINE: Phase.DRAFT,
    RoundKind.FINALISE: Phase.DRAFT,
    RoundKind.VOCABULARY: Phase.VOTE,
    RoundKind.MEASURES: Phase.DRAFT,  # measures are proposed for the draft's clauses
}


@contextmanager
def _acting_on(actor: User, round_id: int) -> Iterator[tuple[Workshop, Round, WorkshopChange]]:
    """Under the workshop's lock, with the round read afresh; the screens get the agenda
    afterwards. The caller records what it did in the audit log."""
    workshop, round_ = round_for_staff(actor, round_id)
    with workshop_change(workshop.id) as change:
        round_still_there(round_)
        db.session.refresh(workshop)
        yield workshop, round_, change
        db.session.flush()
        events.agenda_changed(change, workshop.id)


def start_round(actor: User, round_id: int) -> Round:
    """Run a round now (ending the current one); going back to an earlier round reopens it."""
    workshop, round_ = round_for_staff(actor, round_id)
    with workshop_change(workshop.id) as change:
        round_still_there(round_)
        db.session.refresh(workshop)
        _start(actor, workshop, round_, change)
    return round_


def next_round_of(workshop_id: int) -> Round | None:
    """The round "Next" starts: the first one not yet run after the current round (or after
    the last one that ran), else the first one not yet run at all."""
    rounds = list_rounds(workshop_id)
    current = current_round(workshop_id)
    started = [r.position for r in rounds if r.started_at is not None]
    anchor = current.position if current else (max(started) if started else -1)
    pending = [r for r in rounds if r.status == RoundStatus.PENDING]
    after = [r for r in pending if r.position > anchor]
    candidates = after or pending
    return candidates[0] if candidates else None


def start_next_round(actor: User, workshop_id: int, *, from_round_id: int | None = None) -> Round:
    """The facilitator's "Next": end the current round and start the next one of the agenda.
    ``from_round_id``: the round the screen showed as current (0: none was; None: not
    checked). A second press, or a co-facilitator's at the same moment, meant the same step:
    refused once the room has moved on, instead of skipping a round."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    with workshop_change(workshop.id) as change:
        db.session.refresh(workshop)
        if from_round_id is not None:
            current = current_round(workshop.id)
            if (current.id if current else 0) != from_round_id:
                raise InvalidState(
                    _("The room has moved on already: look at the round that is on now.")
                )
        upcoming = next_round_of(workshop.id)
        if upcoming is None:
            raise InvalidState(
                _("That was the last round on the agenda: add a round, or close the workshop."),
                code="agenda_done",
            )
        _start(actor, workshop, upcoming, change)
    return upcoming


def _start(actor: User, workshop: Workshop, round_: Round, change: WorkshopChange) -> None:
    """Start a round inside the caller's change: one agenda event, one phase event."""
    if workshop.phase == Phase.CLOSED:
        raise InvalidState(_("The workshop is closed."))
    if round_.status in (RoundStatus.RUNNING, RoundStatus.PAUSED):
        raise InvalidState(_("This round is already under way."))
    if round_.started_at is not None and _anonymous_ballots_exist(workshop, round_):
        raise InvalidState(
            _(
                "This fully anonymous round has ended: its ballots are nobody's any more, so "
                "it cannot reopen. Add a new round instead."
            ),
            code="anonymous_round_ended",
        )
    if round_.kind == RoundKind.VOTE and round_.source_round_id is None:
        # The ballot's proposals are fixed now: moving rounds later does not change them.
        source = proposal_source(round_)
        round_.source_round_id = source.id if source is not None else None
    ranked_ballot_in_reach(round_)  # before the running round is closed: nothing to undo
    now = clock.now()
    running = current_round(workshop.id)
    if running is not None:
        _close(change, running, now)
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
        audit.N_("Started round %(number)s: %(prompt)s"),
        number=round_.position + 1,
        prompt=round_.prompt,
    )
    events.agenda_changed(change, workshop.id)
    events.phase_changed(change, workshop)
    if round_.takes_ballots:
        events.vote_state(change, round_)  # screens switch to the new ballot at once


def _close(change: WorkshopChange, round_: Round, now: dt.datetime) -> None:
    """End a round: input closes, its results stay, and its fully anonymous ballots become
    nobody's (the key that could tell whose they are is deleted)."""
    round_.status = RoundStatus.ENDED
    round_.ended_at = now
    round_.remaining_seconds = None
    if voters.forget(round_.workshop_id, [voters.round_scope(round_.id)]):
        change.after_commit.append(voters.erase_deleted_keys)


def _anonymous_ballots_exist(workshop: Workshop, round_: Round) -> bool:
    return effective_anonymity(workshop, round_) == Anonymity.FULL and voter_count(round_.id) > 0


def pause_round(actor: User, round_id: int) -> Round:
    """Stop the clock; input stays closed until the round resumes."""
    with _acting_on(actor, round_id) as (workshop, round_, _change):
        if round_.status != RoundStatus.RUNNING:
            raise InvalidState(_("Only a running round can be paused."))
        if round_.ends_at is not None:
            left = (round_.ends_at - clock.now()).total_seconds()
            round_.remaining_seconds = max(int(round(left)), 0)
        round_.ends_at = None
        round_.status = RoundStatus.PAUSED
        audit.record(actor, workshop.id, AuditAction.ROUND_PAUSE, audit.N_("Paused the round"))
    return round_


def resume_round(actor: User, round_id: int) -> Round:
    """Restart the clock from where it was paused."""
    with _acting_on(actor, round_id) as (workshop, round_, _change):
        if round_.status != RoundStatus.PAUSED:
            raise InvalidState(_("Only a paused round can be resumed."))
        if round_.remaining_seconds is not None:
            round_.ends_at = clock.now() + dt.timedelta(seconds=round_.remaining_seconds)
        round_.remaining_seconds = None
        round_.status = RoundStatus.RUNNING
        audit.record(actor, workshop.id, AuditAction.ROUND_RESUME, audit.N_("Resumed the round"))
    return round_


def extend_round(actor: User, round_id: int, seconds: int) -> Round:
    """Give the current round more time (also after its time ran out)."""
    if not 1 <= seconds <= 60 * 60:
        raise ValidationFailed(_("Add between 1 second and 1 hour."), field="seconds")
    with _acting_on(actor, round_id) as (workshop, round_, _change):
        now = clock.now()
        if round_.status == RoundStatus.RUNNING:
            base = max(round_.ends_at or now, now)
            round_.ends_at = base + dt.timedelta(seconds=seconds)
        elif round_.status == RoundStatus.PAUSED:
            round_.remaining_seconds = (round_.remaining_seconds or 0) + seconds
        else:
            raise InvalidState(_("Only the current round can get more time."))
        audit.record(
            actor,
            workshop.id,
            AuditAction.ROUND_EXTEND,
            audit.N_("Added %(minutes)s min %(seconds)s s"),
            minutes=seconds // 60,
            seconds=seconds % 60,
        )
    return round_


def end_round(actor: User, round_id: int) -> Round:
    """Close the round for input; its results stay."""
    with _acting_on(actor, round_id) as (workshop, round_, _change):
        if round_.status not in (RoundStatus.RUNNING, RoundStatus.PAUSED):
            raise InvalidState(_("This round is not under way."))
        _close(_change, round_, clock.now())
        audit.record(
            actor,
            workshop.id,
            AuditAction.ROUND_END,
            audit.N_("Ended round %(number)s"),
            number=round_.position + 1,
        )
    return round_


def _refuse_same_phase(workshop: Workshop, phase: Phase, kind: RoundKind | None) -> None:
    """Already there: in the phase and, for a phase that runs a round, with a round of that
    kind current. Checked again under the lock: two presses at once add one round, not two."""
    running = current_round(workshop.id)
    if workshop.phase == phase and (kind is None or (running and running.kind == kind)):
        raise InvalidState(_("The workshop is already in this phase."))


def set_phase(actor: User, workshop_id: int, phase: Phase | str) -> Workshop:
    """The console's shortcuts: lobby and closed end the current round; the others start
    an untimed round of that kind, so ad-hoc facilitation needs no agenda."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
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
    _refuse_same_phase(workshop, phase, kind)
    if workshop.phase == Phase.CLOSED:
        # Closing forgot whose anonymous votes were whose and made them final: a workshop
        # opened again could take a second vote from the same person. Closed is closed.
        raise InvalidState(_("The workshop is closed."))
    if kind is not None:
        settings = checked_settings(
            RoundSettings(
                kind=kind,
                duration_seconds=0,
                method=Method.DOT if kind == RoundKind.VOTE else None,
                dots_budget=workshop.dots_per_participant,
            )
        )
        with workshop_change(workshop.id) as change:
            # Added and started in one change: screens get the agenda once, then the phase.
            db.session.refresh(workshop)
            _refuse_same_phase(workshop, phase, kind)  # a second press meanwhile
            _start(actor, workshop, append_round(actor, workshop.id, settings), change)
        return workshop
    with workshop_change(workshop.id) as change:
        db.session.refresh(workshop)
        if workshop.phase == Phase.CLOSED:  # closed by someone else meanwhile
            raise InvalidState(_("The workshop is closed."))
        _refuse_same_phase(workshop, phase, kind)
        now = clock.now()
        running = current_round(workshop.id)
        if running is not None:
            _close(change, running, now)
        if phase == Phase.CLOSED and voters.forget(workshop.id):
            # The workshop is over: every anonymous vote in it is nobody's from now on.
            change.after_commit.append(voters.erase_deleted_keys)
        workshop.phase = phase
        workshop.phase_changed_at = now
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.WORKSHOP_PHASE,
            audit.N_("Moved the workshop to %(phase)s"),
            phase=phase,
        )
        if running is not None:
            events.agenda_changed(change, workshop.id)
        events.phase_changed(change, workshop)
    return workshop
