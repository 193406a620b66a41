"""Actions on document versions: name, restore, lock as final, sign off (forms, no JS needed)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..errors import DomainError
from ..forms import Form
from ..identity import current_staff
from ..services import final, versions
from .shared import form_number

bp = Blueprint("versions", __name__, url_prefix="/workshops/<int:workshop_id>/document/versions")


def _back(workshop_id: int, number: int):
    return redirect(url_for("staff.version", workshop_id=workshop_id, number=number))


def _run(workshop_id: int, number: int, action, done: str):
    """Check the form's CSRF token, run the service call, and report back on the version page."""
    me = current_staff()
    if me is None:
        abort(403)
    if not Form().validate_on_submit():
        abort(400)
    try:
        result = action(me)
    except DomainError as error:
        flash(error.message, "error")
        return _back(workshop_id, number)
    flash(done)
    return _back(workshop_id, getattr(result, "number", number))


@bp.post("/<int:number>/name")
@login_required
def name(workshop_id: int, number: int):
    return _run(
        workshop_id,
        number,
        lambda me: versions.name_version(me, workshop_id, number, request.form.get("name", "")),
        _("The version is named."),
    )


@bp.post("/<int:number>/restore")
@login_required
def restore(workshop_id: int, number: int):
    latest = form_number(request.form.get("based_on"), what="based_on")
    return _run(
        workshop_id,
        number,
        lambda me: versions.restore_version(me, workshop_id, number, based_on=latest),
        _("Restored as a new version."),
    )


@bp.post("/<int:number>/final")
@login_required
def finalise(workshop_id: int, number: int):
    return _run(
        workshop_id,
        number,
        lambda me: final.lock_version(me, workshop_id, number),
        _("This version is locked as the final mission."),
    )


@bp.post("/reopen")
@login_required
def reopen(workshop_id: int):
    """Start a new draft on top of the final mission (recorded and shown everywhere)."""
    return _run(
        workshop_id,
        0,
        lambda me: final.reopen(me, workshop_id, request.form.get("note", "")),
        _("The mission is reopened: a new draft starts on top of the final version."),
    )


@bp.post("/<int:number>/signoff")
@login_required
def sign_off(workshop_id: int, number: int):
    return _run(
        workshop_id,
        number,
        lambda me: final.sign_off(me, workshop_id, number, request.form.get("comment", "")),
        _("Thank you: your sign-off is recorded."),
    )
