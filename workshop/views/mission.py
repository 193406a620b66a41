"""The mission beyond its words: whom each clause speaks to, how we will know it is lived,
each person's own part in it, and, after the workshop, whether it lands.

Pages for the workshop's staff (``/workshops/<id>/mission``), for participants
(``/w/<id>/mission``) and for anyone with the standing feedback link (``/f/<key>``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from .. import permissions, throttles
from ..errors import DomainError, Forbidden, NotAuthenticated, ValidationFailed
from ..guards import workshop_for_staff
from ..identity import current_participant, current_staff
from ..models import Participant, Workshop
from ..queries import clauses_of, get_workshop, latest_version, next_revision_of
from ..services import feedback, final, measures, my_part, representation, stakeholders
from .shared import form_number, staff_member

bp = Blueprint("mission", __name__)


def _review_date(text: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_("Give the review date as a date."), field="review_on") from None


def _measure_fields(form) -> dict:
    return {
        "what": form.get("what", ""),
        "target": form.get("target", ""),
        "baseline": form.get("baseline", ""),
        "owner_team": form.get("owner_team", ""),
        "review_on": _review_date(form.get("review_on", "")),
    }


# ---- staff -------------------------------------------------------------------------------


@bp.get("/workshops/<int:workshop_id>/mission")
@login_required
def staff_page(workshop_id: int):
    """Whom it speaks to, how we will know, people's own part, and feedback."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=False)
    latest = latest_version(workshop.id)
    reader = request.args.get("reader", "")
    shown = stakeholders.reader_view(workshop.id, latest, reader) if latest and reader else None
    final = latest is not None and latest.final_at is not None
    return render_template(
        "staff/mission.html",
        workshop=workshop,
        version=latest,
        clauses=clauses_of(latest) if latest else [],
        tags=stakeholders.tags_of(workshop.id),
        labels=stakeholders.LABELS,
        balance=stakeholders.balance(workshop.id, latest),
        reader=reader,
        shown=shown,
        measures={row["key"]: row for row in measures.measures_by_clause(workshop.id, latest)},
        parts=my_part.coverage(me, workshop.id),
        feedback=feedback.summary(me, workshop.id),
        moderate=permissions.can_moderate(me, workshop),
        final=final,
        next_revision=next_revision_of(workshop.id, latest.number) if latest and final else None,
    )


@bp.get("/workshops/<int:workshop_id>/notices.json")
@login_required
def notices(workshop_id: int):
    """What to notice about representation, for the console (static/js/notices.js)."""
    return jsonify({"notices": representation.notices(staff_member(), workshop_id)})


@bp.post("/workshops/<int:workshop_id>/wall-notices")
@login_required
def wall_notices(workshop_id: int):
    """Show the notices on the projector, or stop."""
    shown = request.form.get("shown") == "1"
    representation.show_on_wall(staff_member(), workshop_id, shown)
    flash(_("The projector shows them.") if shown else _("The projector no longer shows them."))
    return redirect(url_for("staff.console", workshop_id=workshop_id) + "#representation-fold")


def _back(workshop_id: int, anchor: str = ""):
    return redirect(url_for("mission.staff_page", workshop_id=workshop_id) + anchor)


@bp.post("/workshops/<int:workshop_id>/mission/clauses/<int:clause_key>/stakeholders")
@login_required
def set_stakeholders(workshop_id: int, clause_key: int):
    stakeholders.set_stakeholders(
        staff_member(), workshop_id, clause_key, request.form.getlist("stakeholder")
    )
    flash(_("Saved whom this clause speaks to."))
    return _back(workshop_id, f"#clause-{clause_key}")


@bp.post("/workshops/<int:workshop_id>/mission/clauses/<int:clause_key>/measures")
@login_required
def staff_propose_measure(workshop_id: int, clause_key: int):
    fields = _measure_fields(request.form)
    measures.propose_measure(staff_member(), workshop_id, clause_key, **fields)
    flash(_("Measure added."))
    return _back(workshop_id, f"#clause-{clause_key}")


@bp.post("/workshops/<int:workshop_id>/mission/measures/<int:measure_id>/decide")
@login_required
def decide_measure(workshop_id: int, measure_id: int):
    agreed = request.form.get("decision") == "agree"
    measure = measures.decide_measure(staff_member(), measure_id, agreed)
    flash(_("Measure agreed.") if agreed else _("Measure dropped."))
    return _back(measure.workshop_id, f"#clause-{measure.clause_key}")


@bp.post("/workshops/<int:workshop_id>/mission/feedback")
@login_required
def feedback_link(workshop_id: int):
    if request.form.get("action") == "close":
        feedback.close_link(staff_member(), workshop_id)
        flash(_("The feedback link is closed."))
    else:
        feedback.open_link(staff_member(), workshop_id)
        flash(_("The feedback link is open: share it with all staff."))
    return _back(workshop_id, "#feedback")


@bp.post("/workshops/<int:workshop_id>/mission/next-revision")
@login_required
def next_revision(workshop_id: int):
    new = final.start_next_revision(staff_member(), workshop_id)
    flash(_("The next revision starts from the final mission."))
    return redirect(url_for("staff.console", workshop_id=new.id))


# ---- participants ------------------------------------------------------------------------


@bp.route("/w/<int:workshop_id>/mission", methods=["GET", "POST"])
def participant_page(workshop_id: int):
    """My part in each clause, and how we will know it is lived."""
    workshop = get_workshop(workshop_id)
    me = current_participant(workshop.id)
    if me is None:
        if permissions.can_follow(current_staff(), workshop):
            raise Forbidden(_("Staff accounts follow the room; participants take part."))
        raise NotAuthenticated(_("Join this workshop first."))
    if request.method == "POST":
        action = request.form.get("action", "")
        clause_key = form_number(request.form.get("clause_key"), what="clause_key") or 0
        try:
            if action == "my_part":
                my_part.write_my_part(me, clause_key, request.form.get("sentence", ""))
            elif action == "measure":
                measures.propose_measure(
                    me, workshop.id, clause_key, **_measure_fields(request.form)
                )
            elif action in ("support", "unsupport"):
                measure_id = form_number(request.form.get("measure_id"), what="measure_id") or 0
                measures.support_measure(me, measure_id, support=action == "support")
            else:
                raise ValidationFailed(_("Unknown action."), field="action")
        except DomainError as error:
            if action not in ("my_part", "measure"):
                flash(error.message, "error")
            else:  # the page again, with what they typed and why it was refused, by its form
                refused = {
                    "action": action,
                    "clause_key": clause_key,
                    "values": request.form.to_dict(),
                    "message": error.message,
                }
                return _participant_page(workshop, me, refused=refused), error.status
        # Back to the clause, which says it was saved: a message at the top of the page was
        # off the screen the page scrolls to.
        saved: dict[str, Any] = {"saved": action, "clause": clause_key} if action in SAVED else {}
        return redirect(
            url_for("mission.participant_page", workshop_id=workshop.id, **saved)
            + f"#clause-{clause_key}"
        )
    return _participant_page(workshop, me)


# What a clause says once a form of it was saved (the redirect's ``saved`` and ``clause``).
SAVED = {"my_part": _l("Your part is saved."), "measure": _l("Your measure is proposed.")}


def _participant_page(
    workshop: Workshop, me: Participant, *, refused: dict[str, Any] | None = None
) -> str:
    latest = latest_version(workshop.id)
    saved = SAVED.get(request.args.get("saved", ""))
    return render_template(
        "participant/mission.html",
        refused=refused,
        saved=(form_number(request.args.get("clause"), what="clause"), saved) if saved else None,
        workshop=workshop,
        participant=me,
        version=latest,
        clauses=clauses_of(latest) if latest else [],
        mine=my_part.my_parts(me),
        coverage=my_part.coverage_for_participant(me),
        measures={row["key"]: row for row in measures.measures_by_clause(workshop.id, latest)},
        supported=measures.supported_by(me),
        final=latest is not None and latest.final_at is not None,
    )


# ---- anyone with the feedback link ------------------------------------------------------


@bp.route("/f/<key>", methods=["GET", "POST"])
@throttles.feedback_answers
def give_feedback(key: str):
    """Does the mission land for you, and where not? Anonymous: nothing about you is kept."""
    workshop, version = feedback.workshop_for_link(key)
    if request.method == "POST":
        answers = {
            clause.key: (
                request.form.get(f"answer-{clause.key}", ""),
                request.form.get(f"comment-{clause.key}", ""),
            )
            for clause in clauses_of(version)
        }
        try:
            feedback.give_feedback(key, answers)
        except ValidationFailed as error:  # shown again with what they wrote
            return render_template(
                "participant/feedback.html",
                workshop=workshop,
                clauses=clauses_of(version),
                answers=answers,
                error=error.message,
            ), 400
        return render_template("participant/feedback_thanks.html", workshop=workshop)
    return render_template(
        "participant/feedback.html", workshop=workshop, clauses=clauses_of(version), answers={}
    )
