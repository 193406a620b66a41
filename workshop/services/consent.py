"""Consent per clause: people agree, can live with, or object to each clause of the draft.

An answer is given on the clause's words as they read then; when the clause
changes, only that clause's answers go stale, and those people are shown what
changed and asked again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import events, permissions, voters, voting
from ..audiences import my_clause_vote
from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..guards import taking_part, workshop_not_closed
from ..models import ClauseVote, Participant, RoundKind
from ..queries import clause_of_draft, closed_for_input, get_workshop, is_open_for_input, task_round
from ..realtime import workshop_change
from .versions import ensure_open


def vote_on_clause(
    actor: Participant, clause_key: int, choice: str, reason: str = ""
) -> dict[str, Any]:
    """Consent on one clause as it reads now; a change to the clause later makes this stale.

    Answers go on beside the other rounds (after a refine round changed a clause, say); only
    a consent round, the room's own time for them, closes them: while it is paused, once its
    time is up, and once it has ended with no round after it."""
    if not isinstance(actor, Participant):
        raise Forbidden(_("Staff accounts follow the room; participants take part."))
    workshop = get_workshop(actor.workshop_id)
    actor = taking_part(
        actor, workshop, permissions.can_vote, missing=_l("There is no draft here.")
    )
    try:
        checked_choice, checked_reason = voting.validate_consent(choice, reason)
    except voting.BallotError as error:
        raise ValidationFailed(str(error), field="choice") from None
    with workshop_change(workshop.id) as change:
        ensure_open(workshop.id)  # the final mission does not change
        workshop_not_closed(workshop)
        round_ = task_round(workshop.id)
        consent_round = round_ is not None and round_.kind == RoundKind.CONSENT
        if consent_round and not is_open_for_input(round_):
            raise closed_for_input(round_, code="voting_closed")
        latest, clause = clause_of_draft(workshop.id, clause_key)
        voter = voters.voter(actor, voters.CONSENT_SCOPE, workshop.anonymity, item=clause_key)
        assert voter is not None, "consent's key exists or is made while the workshop is open"
        vote = db.session.scalar(
            sa.select(ClauseVote).where(
                ClauseVote.workshop_id == workshop.id,
                ClauseVote.clause_key == clause_key,
                voter.matches(ClauseVote),
            )
        )
        if vote is None:
            vote = ClauseVote(workshop_id=workshop.id, clause_key=clause_key, **voter.fields())
            db.session.add(vote)
        vote.choice = checked_choice
        vote.reason = checked_reason
        vote.version_number = latest.number
        vote.voted_text = clause.markdown
        db.session.flush()
        events.consent_soon(change, workshop.id, clause_key)
        mine = my_clause_vote(vote, clause)
        change.tell(actor.id, "clause.mine", {"clause_key": clause_key, "vote": mine})
    return {"clause_key": clause_key, "vote": mine}
