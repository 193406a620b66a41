"""Participants: enter a code, say who you are, take part. No account needed."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..errors import DomainError
from ..forms import JoinCodeForm, JoinForm, choices
from ..identity import (
    current_participant,
    current_staff,
    joined_workshop_ids,
    remember_participant,
)
from ..permissions import can_follow
from ..services import participants, workshops

bp = Blueprint("participant", __name__)


@bp.route("/", methods=["GET", "POST"])
def landing():  # noqa: ANN201
    """The front door: type a join code (or follow a link that carries it)."""
    form = JoinCodeForm()
    if form.validate_on_submit():
        try:
            workshop = workshops.find_open_workshop(form.code.data)
        except DomainError as error:
            form.code.errors = [error.message]
        else:
            return redirect(url_for("participant.join", code=workshop.join_code))
    ongoing = workshops.open_workshops(joined_workshop_ids())
    return render_template(
        "participant/landing.html", form=form, staff=current_staff(), ongoing=ongoing
    )


@bp.route("/j/<code>", methods=["GET", "POST"])
def join(code: str):  # noqa: ANN201
    """The join link (and QR code) lands here."""
    workshop = workshops.find_open_workshop(code)
    if current_participant(workshop.id) is not None:
        return redirect(url_for("participant.room", workshop_id=workshop.id))
    form = JoinForm()
    form.level.choices = choices(workshop.levels, _("Choose…"))
    form.department.choices = choices(workshop.departments, _("Choose…"))
    if form.validate_on_submit():
        try:
            participant = participants.join_workshop(
                workshop.join_code,
                display_name=form.display_name.data,
                level=form.level.data,
                department=form.department.data or "",
            )
        except DomainError as error:
            field = getattr(form, str(error.details.get("field", "display_name")), None)
            (field or form.display_name).errors = [error.message]
        else:
            remember_participant(participant)
            return redirect(url_for("participant.room", workshop_id=workshop.id))
    return render_template("participant/join.html", form=form, workshop=workshop)


@bp.get("/w/<int:workshop_id>")
def room(workshop_id: int):  # noqa: ANN201
    """The live page a participant keeps open for the whole workshop."""
    workshop = workshops.get_workshop(workshop_id)
    participant = current_participant(workshop.id)
    if participant is None:
        if can_follow(current_staff(), workshop):
            return redirect(url_for("staff.console", workshop_id=workshop.id))
        flash(_("Join the workshop first: ask your facilitator for the code or link."))
        return redirect(url_for("participant.landing"))
    return render_template("participant/room.html", workshop=workshop, participant=participant)
