"""Amendments: a participant suggests replacing a span of the draft; the room gives consent;
the facilitator accepts (a new version) or rejects it.

The span is kept as offsets into the version it was selected in, with the
original words, so accepting it later replays the change on that version and
the three-way merge carries it onto whatever the draft has become since, or
refuses when the same words were changed in the meantime.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import credits, events, permissions, voters, voting
from ..clauses import Clause
from ..errors import Conflict, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import taking_part, workshop_for_staff, workshop_not_closed
from ..models import (
    Amendment,
    AmendmentStatus,
    AmendmentVote,
    Anonymity,
    AuditAction,
    DocumentVersion,
    Participant,
    User,
    VersionSource,
    Workshop,
)
from ..queries import (
    clauses_of,
    get_workshop,
    latest_version,
    version_numbered,
)
from ..realtime import WorkshopChange, workshop_change
from ..text import normalise_text, one_line
from . import audit
from .editing import apply_to_clause, checked_clause_body, with_span_replaced
from .versions import OnSaved, Revision, ensure_open, save_text

MAX_SPAN = 1000


def _checked_answer(
    method: voting.AmendmentMethod, choice: str, reason: str
) -> tuple[voting.AmendmentAnswer, str]:
    """A valid answer for the amendment's method (the rounds' rules: consent needs a reason
    to object; approval is yes or no; a score is 1 to 5)."""
    if method == voting.AmendmentMethod.CONSENT:
        try:
            checked_choice, checked_reason = voting.validate_consent(choice, reason)
        except voting.BallotError as error:
            raise ValidationFailed(str(error), field="choice") from None
        return voting.AmendmentAnswer(checked_choice), checked_reason
    if choice not in voting.AMENDMENT_ANSWERS[method]:
        raise ValidationFailed(
            _("Answer with yes or no.")
            if method == voting.AmendmentMethod.APPROVAL
            else _("Give a score from 1 to 5."),
            field="choice",
        )
    return voting.AmendmentAnswer(choice), one_line(reason)[:500]


def propose_amendment(
    actor: Participant,
    workshop_id: int,
    *,
    version_number: int,
    start: int,
    end: int,
    replacement: str,
    reason: str = "",
) -> Amendment:
    """Suggest replacing the words between ``start`` and ``end`` of a version of the draft."""
    workshop = get_workshop(workshop_id)
    actor = taking_part(
        actor, workshop, permissions.can_suggest_amendments, missing=_l("There is no draft here.")
    )
    version = version_numbered(workshop.id, version_number)
    if version is None:
        raise NotFound(_("There is no version %(number)s of this document.", number=version_number))
    if not (0 <= start < end <= len(version.body_md)) or end - start > MAX_SPAN:
        raise ValidationFailed(
            _("Select up to %(n)s characters of the draft to change.", n=MAX_SPAN), field="span"
        )
    replacement = normalise_text(replacement)
    original = version.body_md[start:end]
    if len(replacement) > MAX_SPAN:
        raise ValidationFailed(
            _("Keep the new wording under %(n)s characters.", n=MAX_SPAN), field="replacement"
        )
    if replacement == original.strip():
        raise ValidationFailed(_("The new wording is the same as the old."), field="replacement")
    clause = _clause_around(version, start, end)
    checked_clause_body(  # the clause must still read as one clause with the change
        clause.heading, with_span_replaced(version, clause.key, start, end, replacement)
    )
    reason = one_line(reason)[:500]
    with workshop_change(workshop.id) as change:
        ensure_open(workshop.id)  # the final mission does not change
        workshop_not_closed(workshop)
        # Drafting input, kept per workshop: the workshop's setting, whatever round runs.
        anonymity = workshop.anonymity
        amendment = Amendment(
            workshop_id=workshop.id,
            version_number=version_number,
            clause_key=clause.key,
            start=start,
            end=end,
            original=original,
            replacement=replacement,
            reason=reason,
            author_id=None if anonymity == Anonymity.FULL else actor.id,
            anonymity=anonymity,
            method=workshop.amendment_method,
        )
        db.session.add(amendment)
        db.session.flush()
        events.amendment_changed(change, amendment, new=True)
    return amendment


def _clause_around(version: DocumentVersion, start: int, end: int) -> Clause:
    """The clause whose words hold the whole selection; a selection spans one clause."""
    for clause in clauses_of(version):
        body_start, body_end = clause.span
        if body_start <= start and end <= body_end:
            return clause
    raise ValidationFailed(
        _("Select words inside one clause (not its heading) to suggest a change."),
        field="span",
    )


def vote_on_amendment(
    actor: Participant, amendment_id: int, choice: str, reason: str = ""
) -> dict[str, Any]:
    """Answer on an amendment by its method (consent by default: agree, can live with it,
    object with a reason); a new answer replaces the last."""
    missing = _("This amendment does not exist.")
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFound(missing)
    actor = taking_part(
        actor, get_workshop(amendment.workshop_id), permissions.can_vote, missing=missing
    )
    checked_choice, checked_reason = _checked_answer(amendment.method, choice, reason)
    with workshop_change(amendment.workshop_id) as change:
        ensure_open(amendment.workshop_id)  # the final mission does not change
        workshop_not_closed(get_workshop(amendment.workshop_id))  # its keys are gone
        db.session.refresh(amendment)
        if amendment.status != AmendmentStatus.OPEN:
            raise InvalidState(_("This amendment is already decided."), code="voting_closed")
        voter = voters.voter(actor, voters.amendment_scope(amendment.id), amendment.anonymity)
        assert voter is not None, "an open amendment's key exists or is made"
        vote = next((v for v in amendment.votes if voter.owns(v)), None)
        if vote is None:
            vote = AmendmentVote(amendment_id=amendment.id, **voter.fields())
            amendment.votes.append(vote)
        vote.choice = checked_choice
        vote.reason = checked_reason
        db.session.flush()
        events.amendment_soon(change, amendment)
        # Every tab of this person shows their own answer.
        change.tell(
            actor.id, "amendment.mine", {"amendment_id": amendment.id, "choice": vote.choice}
        )
    return {"amendment_id": amendment.id, "choice": str(vote.choice)}


def accept_amendment(actor: User, amendment_id: int, note: str = "") -> DocumentVersion:
    """Make the amendment part of the draft: a new version, merged onto the latest one."""
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFound(_("This amendment does not exist."))
    workshop = workshop_for_staff(actor, amendment.workshop_id, moderate=True)
    if amendment.status != AmendmentStatus.OPEN:
        raise InvalidState(_("This amendment is already decided."))
    base = version_numbered(workshop.id, amendment.version_number)
    assert base is not None
    changed = (
        base.body_md[: amendment.start] + amendment.replacement + base.body_md[amendment.end :]
    )

    def mark_accepted(version: DocumentVersion, change: WorkshopChange) -> None:
        _close_voting(change, amendment)
        amendment.status = AmendmentStatus.ACCEPTED
        amendment.decided_note = one_line(note)[:500]
        audit.record(
            actor,
            workshop.id,
            AuditAction.AMENDMENT_ACCEPT,
            audit.N_("Accepted amendment %(id)s"),
            id=amendment.id,
        )
        events.amendment_changed(change, amendment)

    try:
        if amendment.clause_key is None:  # suggested before the draft had clauses
            revision = Revision(
                changed,
                VersionSource.AMENDMENT,
                actor,
                note=note or _("Amendment #%(id)s", id=amendment.id),
                amendment_id=amendment.id,
                credit=credits.participant_key(amendment.author_id),
            )
            return save_text(
                workshop, revision, based_on=amendment.version_number, on_saved=mark_accepted
            )
        return _accept_in_clause(actor, workshop, amendment, note, mark_accepted)
    except Conflict:
        raise Conflict(
            _("The draft changed in the same words since; this amendment no longer fits.")
        ) from None
    except InvalidState as error:
        if error.code != "unchanged":
            raise
    # The draft already says what the amendment asks for (someone wrote it in meanwhile):
    # accepted, with no new version.
    with workshop_change(workshop.id) as change:
        db.session.refresh(amendment)
        if amendment.status != AmendmentStatus.OPEN:
            raise InvalidState(_("This amendment is already decided."))
        ensure_open(workshop.id)  # final means final, even when the words are already there
        _close_voting(change, amendment)
        amendment.status = AmendmentStatus.ACCEPTED
        amendment.decided_note = one_line(note)[:500] or _("The draft already says this.")
        audit.record(
            actor,
            workshop.id,
            AuditAction.AMENDMENT_ACCEPT,
            audit.N_("Accepted amendment %(id)s"),
            id=amendment.id,
        )
        events.amendment_changed(change, amendment)
        latest = latest_version(workshop.id)
        assert latest is not None
    return latest


def _accept_in_clause(
    actor: User,
    workshop: Workshop,
    amendment: Amendment,
    note: str,
    on_saved: OnSaved,
) -> DocumentVersion:
    """Replay the amendment on its clause as it was, then carry it onto the clause as it is."""
    base = version_numbered(workshop.id, amendment.version_number)
    assert base is not None
    clause_key = amendment.clause_key
    assert clause_key is not None, "the caller takes amendments without a clause elsewhere"
    changed = with_span_replaced(
        base, clause_key, amendment.start, amendment.end, amendment.replacement
    )
    with workshop_change(workshop.id) as change:
        db.session.refresh(amendment)
        if amendment.status != AmendmentStatus.OPEN:
            raise InvalidState(_("This amendment is already decided."))
        latest = latest_version(workshop.id)
        assert latest is not None
        revision = Revision(
            changed,
            VersionSource.AMENDMENT,
            actor,
            note=note or _("Amendment #%(id)s", id=amendment.id),
            clause_key=amendment.clause_key,
            amendment_id=amendment.id,
            credit=credits.participant_key(amendment.author_id),  # the words are the author's
        )
        return apply_to_clause(
            change,
            workshop,
            latest,
            revision,
            based_on=amendment.version_number,
            on_saved=on_saved,
        )


def _close_voting(change: WorkshopChange, amendment: Amendment) -> None:
    """Decided: anonymous answers on it are nobody's from now on."""
    if voters.forget(amendment.workshop_id, [voters.amendment_scope(amendment.id)]):
        change.after_commit.append(voters.erase_deleted_keys)


def reject_amendment(actor: User, amendment_id: int, note: str = "") -> Amendment:
    """Decline an amendment; it stays on record with the note."""
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFound(_("This amendment does not exist."))
    workshop = workshop_for_staff(actor, amendment.workshop_id, moderate=True)
    with workshop_change(workshop.id) as change:
        db.session.refresh(amendment)
        if amendment.status != AmendmentStatus.OPEN:
            raise InvalidState(_("This amendment is already decided."))
        _close_voting(change, amendment)
        amendment.status = AmendmentStatus.REJECTED
        amendment.decided_note = one_line(note)[:500]
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.AMENDMENT_REJECT,
            audit.N_("Rejected amendment %(id)s"),
            id=amendment.id,
        )
        events.amendment_changed(change, amendment)
    return amendment
