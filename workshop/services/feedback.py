"""After the workshop: a standing, anonymous feedback link on the final mission ("does this
land for you, and where not?"), open to all staff with the link, no account, no join, and
aggregated per clause for leadership.

Anonymous means no person, cookie or address is stored with an answer, and only the day it
came; the link can be closed and a new one made (the old one then stops working)."""

from __future__ import annotations

import collections
import secrets
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..models import (
    AuditAction,
    DocumentVersion,
    Feedback,
    FeedbackAnswer,
    User,
    Workshop,
)
from ..queries import clauses_of, final_version
from ..realtime import workshop_change
from ..text import normalise_text
from . import audit

MAX_COMMENT = 1000


def open_link(actor: User, workshop_id: int) -> str:
    """Open the feedback link (a new one each time: an old one stops working); facilitators
    do, leadership follows."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    if final_version(workshop.id) is None:
        raise InvalidState(_("Feedback opens once the mission is final."), code="not_final")
    with workshop_change(workshop.id):
        workshop.feedback_key = secrets.token_urlsafe(24)
        audit.record(
            actor, workshop.id, AuditAction.FEEDBACK_OPEN, audit.N_("Opened the feedback link")
        )
    return workshop.feedback_key


def close_link(actor: User, workshop_id: int) -> None:
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    with workshop_change(workshop.id):
        workshop.feedback_key = None
        audit.record(
            actor, workshop.id, AuditAction.FEEDBACK_CLOSE, audit.N_("Closed the feedback link")
        )


def workshop_for_link(key: str) -> tuple[Workshop, DocumentVersion]:
    """The workshop and final text a feedback link opens; an unknown or closed link is not
    found (the same answer for both, so links cannot be guessed at)."""
    workshop = (
        db.session.scalar(sa.select(Workshop).where(Workshop.feedback_key == key))
        if key and len(key) <= 64
        else None
    )
    version = final_version(workshop.id) if workshop else None
    if workshop is None or version is None:
        raise NotFound(_("This feedback link does not work (any more)."))
    return workshop, version


def give_feedback(key: str, answers: dict[int, tuple[str, str]]) -> int:
    """Record one person's answers: clause key -> (answer, where it does not land)."""
    workshop, version = workshop_for_link(key)
    keys = {c.key for c in clauses_of(version)}
    rows = []
    for clause_key, (answer, comment) in answers.items():
        if not answer:
            continue
        if clause_key not in keys:
            raise ValidationFailed(_("That clause is not in the mission."), field="clause_key")
        try:
            choice = FeedbackAnswer(answer)
        except ValueError:
            raise ValidationFailed(_("Pick one of the answers."), field="answer") from None
        comment = normalise_text(comment)
        if len(comment) > MAX_COMMENT:
            raise ValidationFailed(
                _("Keep each comment under %(n)s characters.", n=MAX_COMMENT), field="comment"
            )
        rows.append(
            Feedback(
                workshop_id=workshop.id,
                version_number=version.number,
                clause_key=clause_key,
                answer=choice,
                comment=comment,
                received_on=clock.now().date(),
            )
        )
    if not rows:
        raise ValidationFailed(_("Answer for at least one clause."), field="answer")
    with workshop_change(workshop.id):
        db.session.add_all(rows)
    return len(rows)


def summary(actor: User, workshop_id: int) -> dict[str, Any]:
    """Per clause of the final mission: how many say it lands, partly, or not, and the
    comments (for the workshop's staff)."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=False)
    version = final_version(workshop.id)
    if version is None:
        return {"version": None, "clauses": [], "answers": 0, "open": False}
    rows = list(
        db.session.scalars(
            sa.select(Feedback)
            .where(Feedback.workshop_id == workshop.id, Feedback.version_number == version.number)
            .order_by(Feedback.received_on, Feedback.id)
        )
    )
    by_clause = collections.defaultdict(list)
    for row in rows:
        by_clause[row.clause_key].append(row)
    clauses = []
    for clause in clauses_of(version):
        mine = by_clause.get(clause.key, [])
        counts = collections.Counter(str(r.answer) for r in mine)
        clauses.append(
            {
                "key": clause.key,
                "title": clause.heading or clause.body[:60],
                "counts": {str(a): counts.get(str(a), 0) for a in FeedbackAnswer},
                "answers": len(mine),
                "comments": [r.comment for r in mine if r.comment],
            }
        )
    return {
        "version": version.number,
        "clauses": clauses,
        "answers": len(rows),
        "open": workshop.feedback_key is not None,
        "key": workshop.feedback_key,
    }
