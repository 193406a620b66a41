"""Participants: enter a code, say who you are, take part. No account needed."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import audiences, queries, throttles
from ..charts import heatmap_svg
from ..errors import DomainError, NotAuthenticated
from ..forms import JoinCodeForm, JoinForm, choices
from ..identity import (
    current_participant,
    current_staff,
    joined_workshop_ids,
    remember_participant,
)
from ..locales import use_workshop
from ..permissions import can_follow
from ..privacy import MIN_GROUP_SIZE
from ..services import accounts, participants, values
from .shared import error_on_form, live_page

bp = Blueprint("participant", __name__)


@bp.route("/", methods=["GET", "POST"])
@throttles.join_code_guesses
def landing():
    """The front door: type a join code (or follow a link that carries it)."""
    form = JoinCodeForm()
    if form.validate_on_submit():
        try:
            workshop = queries.find_open_workshop(form.code.data)
        except DomainError as error:
            throttles.wrong_join_code()
            form.code.errors = [error.message]
        else:
            return redirect(url_for("participant.join", code=workshop.join_code))
    ongoing = queries.open_workshops(joined_workshop_ids())
    return render_template(
        "participant/landing.html",
        form=form,
        staff=current_staff(),
        ongoing=ongoing,
        first_run=not accounts.has_any_user(),
    )


@bp.route("/j/<code>", methods=["GET", "POST"])
@throttles.join_code_guesses
@throttles.new_participants
def join(code: str):
    """The join link (and QR code) lands here."""
    workshop = queries.find_open_workshop(code)
    use_workshop(workshop)  # its language, without looking it up by its code again
    if current_participant(workshop.id) is not None:
        return redirect(url_for("participant.room", workshop_id=workshop.id))
    form = JoinForm()
    form.level.choices = choices(workshop.levels, _("Choose…"))
    form.department.choices = choices(workshop.departments, _("Choose…"))
    status = 200
    if form.validate_on_submit():
        try:
            participant = participants.join_workshop(
                workshop.join_code,
                display_name=form.display_name.data,
                level=form.level.data,
                department=form.department.data or "",
                join_key=form.join_key.data or "",
            )
        except DomainError as error:
            if not error_on_form(form, error, None):  # e.g. the workshop is full
                flash(error.message, "error")
                status = error.status
        else:
            remember_participant(participant)
            return redirect(url_for("participant.room", workshop_id=workshop.id))
    if not form.join_key.data:  # a form sent again after a refusal keeps its key
        form.join_key.data = participants.new_join_key()
    return render_template("participant/join.html", form=form, workshop=workshop), status


@bp.get("/w/<int:workshop_id>")
def room(workshop_id: int):
    """The live page a participant keeps open for the whole workshop."""
    workshop = queries.get_workshop(workshop_id)
    participant = current_participant(workshop.id)
    if participant is None:
        if can_follow(current_staff(), workshop):
            return redirect(url_for("staff.console", workshop_id=workshop.id))
        flash(_("Join the workshop first: ask your facilitator for the code or link."))
        return redirect(url_for("participant.landing"))
    catalogue = audiences.grouped_catalogue(workshop, str(get_locale() or "en"))
    return live_page(
        "participant/room.html", workshop, participant, participant=participant, catalogue=catalogue
    )


@bp.get("/w/<int:workshop_id>/rounds/<int:round_id>/heatmap.svg")
def values_heatmap(workshop_id: int, round_id: int):
    """The values heatmap as a picture, for the room, the console, the projector and exports."""
    # This workshop's staff first, then its participant: a browser may also hold a staff login
    # of other workshops, which sees nothing here (404) but must not hide the participant.
    staff, participant = current_staff(), current_participant(workshop_id)
    follows = staff is not None and can_follow(staff, queries.get_workshop(workshop_id))
    viewer = staff if staff is not None and (follows or participant is None) else participant
    if viewer is None:
        raise NotAuthenticated(_("Join this workshop first."))
    level = request.args.get("level", "")[:60]
    department = request.args.get("department", "")[:80]
    _workshop, results = values.heatmap_view(
        viewer, workshop_id, round_id, level=level, department=department
    )
    group = level or department
    title = _("Personal values and the organisation's values") + (f" · {group}" if group else "")
    svg = heatmap_svg(
        results or {},
        title=title,
        empty_text=_("Fewer than %(n)s people: not shown.", n=MIN_GROUP_SIZE)
        if results is None
        else _("Nobody has shared their values yet."),
    )
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response
