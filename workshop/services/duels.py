"""Wording duels: two to five wordings of a clause (or a span of it) in a timed, blind vote.

The winner replaces the span as a new version (merged onto the clause as it is
by then); every losing wording stays on record with its count, for the
history, provenance and exports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _

from .. import clock, credits, events, permissions, voters, voting
from ..clauses import Clause
from ..errors import Conflict, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import taking_part, workshop_for_staff, workshop_not_closed
from ..models import (
    AuditAction,
    DocumentVersion,
    Duel,
    DuelBallot,
    DuelOption,
    DuelStatus,
    Participant,
    User,
    VersionSource,
    Workshop,
)
from ..queries import (
    clause_in,
    clause_of_draft,
    get_workshop,
    latest_version,
    list_duels,
    version_numbered,
)
from ..realtime import WorkshopChange, workshop_change
from ..text import normalise_text
from . import audit
from .editing import apply_to_clause, checked_clause_body, with_span_replaced
from .versions import Revision, ensure_open

MIN_OPTIONS, MAX_OPTIONS = 2, 5
MIN_SECONDS, MAX_SECONDS = 15, 30 * 60
MAX_WORDING = 1000


def _clean_options(options: list[str]) -> list[str]:
    cleaned: list[str] = []
    seen: set[str] = set()
    for option in options:
        text = normalise_text(option)
        same = " ".join(text.split()).casefold()
        if not text or same in seen:
            continue
        if len(text) > MAX_WORDING:
            raise ValidationFailed(
                _("Keep each wording under %(n)s characters.", n=MAX_WORDING), field="options"
            )
        seen.add(same)
        cleaned.append(text)
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        raise ValidationFailed(
            _(
                "A duel needs %(min)s to %(max)s different wordings.",
                min=MIN_OPTIONS,
                max=MAX_OPTIONS,
            ),
            field="options",
        )
    return cleaned


def start_duel(
    actor: User,
    workshop_id: int,
    *,
    clause_key: int,
    options: list[str],
    seconds: int,
    method: str = voting.DuelMethod.CHOOSE_ONE,
    start: int | None = None,
    end: int | None = None,
    version_number: int | None = None,
) -> Duel:
    """Put 2–5 wordings of a clause (or of the words ``start``–``end`` of the latest version,
    inside that clause) to a timed blind vote. ``version_number``: the version the span and
    the wordings were chosen on; if a colleague changed the clause since, the duel is
    refused (``conflict``) rather than run on words and places that are no longer there (a
    winner then wrote "we hpatientry", or put back the words the colleague had changed)."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    try:
        method = voting.DuelMethod(method)
    except ValueError:
        raise ValidationFailed(_("Choose how people vote in the duel."), field="method") from None
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValidationFailed(
            _("Give the duel between 15 seconds and 30 minutes."), field="seconds"
        )
    wordings = _clean_options(options)
    with workshop_change(workshop.id) as change:
        ensure_open(workshop.id)  # the final mission does not change
        workshop_not_closed(workshop)
        latest, clause = clause_of_draft(workshop.id, clause_key)
        body_start, body_end = clause.span
        if version_number is not None and version_number != latest.number:
            start, end = _moved_to_latest(latest, version_number, clause, start, end)
        if start is None or end is None:
            start, end = body_start, body_end
        if not (body_start <= start < end <= body_end):
            raise ValidationFailed(_("Choose words inside the clause for the duel."), field="span")
        for wording in wordings:  # the winner must leave the clause one clause
            checked_clause_body(
                clause.heading, with_span_replaced(latest, clause_key, start, end, wording)
            )
        if any(
            d.status == DuelStatus.OPEN and d.clause_key == clause_key
            for d in list_duels(workshop.id)
        ):
            raise InvalidState(
                _("A duel on this clause is still open; close it first."), code="duel_open"
            )
        duel = Duel(
            workshop_id=workshop.id,
            clause_key=clause_key,
            version_number=latest.number,
            start=start,
            end=end,
            original=latest.body_md[start:end],
            method=method,
            ends_at=clock.now() + dt.timedelta(seconds=seconds),
            created_by_id=actor.id,
            options=[DuelOption(position=i, text=text) for i, text in enumerate(wordings)],
        )
        db.session.add(duel)
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.DUEL_START,
            audit.N_("Duel %(id)s: %(count)s wordings"),
            id=duel.id,
            count=len(wordings),
        )
        events.duel_changed(change, duel, new=True)
    return duel


def _moved_to_latest(
    latest: DocumentVersion, seen: int, clause: Clause, start: int | None, end: int | None
) -> tuple[int | None, int | None]:
    """Offsets chosen on version ``seen``, in the latest version: the same words, moved by
    whatever other clauses gained or lost; refused when this clause changed since."""
    earlier = version_numbered(latest.workshop_id, seen)
    then = clause_in(earlier, clause.key) if earlier is not None else None
    if then is None or then.body != clause.body:
        raise InvalidState(
            _(
                "This clause changed since you chose the wordings (it is version %(number)s "
                "now): look at it again and start the duel on what it says.",
                number=latest.number,
            ),
            code="conflict",
        )
    if start is None or end is None:
        return start, end
    shift = clause.span[0] - then.span[0]
    return start + shift, end + shift


def vote_in_duel(actor: Participant, duel_id: int, ranking: list[int]) -> dict[str, Any]:
    """Choose one wording, or rank them; a new answer replaces the last until time is up."""
    missing = _("This duel does not exist.")
    duel = db.session.get(Duel, duel_id)
    if duel is None:
        raise NotFound(missing)
    actor = taking_part(
        actor, get_workshop(duel.workshop_id), permissions.can_vote, missing=missing
    )
    known = [option.id for option in duel.options]
    try:
        checked = voting.validate_ranking(ranking, known)
    except voting.BallotError as error:
        raise ValidationFailed(str(error), field="ranking") from None
    if duel.method == voting.DuelMethod.CHOOSE_ONE and len(checked) != 1:
        raise ValidationFailed(_("Choose one wording."), field="ranking")
    if not checked:
        raise ValidationFailed(_("Rank at least one wording."), field="ranking")
    with workshop_change(duel.workshop_id) as change:
        ensure_open(duel.workshop_id)  # the final mission does not change
        workshop_not_closed(get_workshop(duel.workshop_id))  # its keys are gone: no new ones
        _still_open(duel)
        if clock.now() >= duel.ends_at:
            raise InvalidState(_("Time is up for this duel."), code="voting_closed")
        workshop = get_workshop(duel.workshop_id)
        voter = voters.voter(actor, voters.duel_scope(duel.id), workshop.anonymity)
        assert voter is not None, "an open duel's key exists or is made"
        ballot = next((b for b in duel.ballots if voter.owns(b)), None)
        if ballot is None:
            ballot = DuelBallot(duel_id=duel.id, ranking=[], **voter.fields())
            duel.ballots.append(ballot)
        ballot.ranking = list(checked)
        db.session.flush()
        events.duel_soon(change, duel)
        change.tell(actor.id, "duel.mine", {"duel_id": duel.id, "ranking": list(checked)})
    return {"duel_id": duel.id, "ranking": list(checked)}


def tally(duel: Duel) -> tuple[int, dict[str, Any]]:
    """The winning option and the counts as announced. One choice each: the most votes win,
    and a tie goes to the wording listed first (the facilitator lists the current one first).
    Ranked: instant runoff, with its round-by-round counts."""
    ids = [option.id for option in duel.options]
    rankings = [tuple(b.ranking) for b in duel.ballots]
    first_choices = {i: sum(1 for r in rankings if r and r[0] == i) for i in ids}
    result: dict[str, Any] = {
        "counts": {str(i): n for i, n in first_choices.items()},
        "voters": len(rankings),
    }
    if duel.method == voting.DuelMethod.RANKED:
        runoff = voting.instant_runoff(rankings, ids)
        result["rounds"] = [{str(k): v for k, v in r.counts.items()} for r in runoff.rounds]
        return (runoff.winner if runoff.winner is not None else ids[0]), result
    return max(ids, key=lambda i: (first_choices[i], -ids.index(i))), result


def _duel_for_staff(actor: User, duel_id: int) -> tuple[Duel, Workshop]:
    duel = db.session.get(Duel, duel_id)
    if duel is None:
        raise NotFound(_("This duel does not exist."))
    return duel, workshop_for_staff(actor, duel.workshop_id, moderate=True)


def _still_open(duel: Duel) -> None:
    """Under the workshop's lock: refuse when the duel was decided or cancelled meanwhile."""
    db.session.refresh(duel)
    if duel.status != DuelStatus.OPEN:
        raise InvalidState(_("This duel is over."), code="voting_closed")


def close_duel(actor: User, duel_id: int) -> Duel:
    """Count, announce, and put the winning wording into the draft as a new version."""
    duel, workshop = _duel_for_staff(actor, duel_id)
    with workshop_change(workshop.id) as change:
        _still_open(duel)
        # Final means final: a duel left open when the mission was locked decides nothing,
        # even when the words it would choose are already there (it can still be cancelled).
        ensure_open(workshop.id)
        if not duel.ballots:
            raise InvalidState(
                _("Nobody has voted in this duel yet: wait, or cancel it."), code="no_votes"
            )
        winner_id, result = tally(duel)
        winner = next(o for o in duel.options if o.id == winner_id)
        _close_voting(change, duel)
        duel.status = DuelStatus.DECIDED
        duel.decided_at = clock.now()
        duel.winner_id = winner_id
        duel.result = result
        if winner.text.strip() != duel.original.strip():
            try:
                duel.version_made = _apply_winner(change, workshop, duel, winner, actor).number
            except InvalidState as error:
                if error.code != "unchanged":
                    raise
                # The clause already says what won (edited in while the duel ran): decided,
                # with no new version.
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.DUEL_CLOSE, audit.N_("Closed duel %(id)s"), id=duel.id
        )
        events.duel_changed(change, duel)
    return duel


def _apply_winner(
    change: WorkshopChange, workshop: Workshop, duel: Duel, winner: DuelOption, actor: User
) -> DocumentVersion:
    base = version_numbered(workshop.id, duel.version_number)
    assert base is not None
    changed = with_span_replaced(base, duel.clause_key, duel.start, duel.end, winner.text)
    latest = latest_version(workshop.id)
    assert latest is not None
    try:
        revision = Revision(
            changed,
            VersionSource.DUEL,
            actor,
            note=_("Duel #%(id)s", id=duel.id),
            clause_key=duel.clause_key,
            duel_id=duel.id,
            # The wordings are those of the staff member who started the duel, whoever closes it.
            credit=credits.user_key(duel.created_by_id),
        )
        return apply_to_clause(change, workshop, latest, revision, based_on=duel.version_number)
    except Conflict:
        raise Conflict(
            _(
                "The same words of this clause changed while the duel ran, so the winner "
                "no longer fits. Cancel the duel, or edit the clause by hand."
            )
        ) from None


def _close_voting(change: WorkshopChange, duel: Duel) -> None:
    """Decided or called off: anonymous ballots in it are nobody's from now on."""
    if voters.forget(duel.workshop_id, [voters.duel_scope(duel.id)]):
        change.after_commit.append(voters.erase_deleted_keys)


def cancel_duel(actor: User, duel_id: int) -> Duel:
    """Call a duel off; it stays on record as cancelled and the draft is unchanged."""
    duel, workshop = _duel_for_staff(actor, duel_id)
    with workshop_change(workshop.id) as change:
        _still_open(duel)
        _close_voting(change, duel)
        duel.status = DuelStatus.CANCELLED
        duel.decided_at = clock.now()
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.DUEL_CANCEL,
            audit.N_("Cancelled duel %(id)s"),
            id=duel.id,
        )
        events.duel_changed(change, duel)
    return duel
