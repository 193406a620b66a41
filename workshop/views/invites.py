"""Invite links: facilitators make and revoke them; whoever has one accepts it."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required, login_user

from ..errors import DomainError, InvalidState
from ..forms import AcceptInviteForm, Form, InviteForm
from ..guards import workshop_for_staff
from ..identity import current_staff
from ..models import StaffInvite
from ..services import accounts, invites
from .shared import error_on_form, staff_member

bp = Blueprint("invites", __name__)

# The links this browser made, by invite id, so its facilitator can copy them again while
# they are pending. The database holds only their hashes; the signed session cookie is the
# facilitator's own (HttpOnly) and holds at most this many.
_LINKS = "invite_links"
_KEEP_LINKS = 20


def _absolute(path: str) -> str:
    """A link to this site; PUBLIC_URL wins when the app sits behind a proxy."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + path


def _remember_link(invite_id: int, token: str) -> None:
    links = dict(session.get(_LINKS, {}))
    links[str(invite_id)] = token
    session[_LINKS] = dict(list(links.items())[-_KEEP_LINKS:])


def _links_of(pending: list[StaffInvite]) -> dict[int, str]:
    """The copyable links of pending invites this browser made; forgets the others (used,
    revoked or expired links are worthless anyway)."""
    stored = session.get(_LINKS, {})
    if not stored:
        return {}
    kept = {str(i.id): stored[str(i.id)] for i in pending if str(i.id) in stored}
    if kept != stored:
        session[_LINKS] = kept
    return {
        int(key): _absolute(url_for("invites.accept", token=token)) for key, token in kept.items()
    }


@bp.route("/workshops/<int:workshop_id>/invites", methods=["GET", "POST"])
@login_required
def manage(workshop_id: int):
    """Invite co-facilitators and leadership; see, copy and revoke pending invites."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=True)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            new = invites.create_invite(me, workshop.id, form.email.data, form.role.data)
        except DomainError as error:
            error_on_form(form, error, "email")
        else:
            _remember_link(new.invite.id, new.token)
            flash(
                _(
                    "Invite made for %(email)s. Copy its link below and send it to them: it works "
                    "once, for 7 days.",
                    email=new.invite.email,
                )
            )
            return redirect(url_for("invites.manage", workshop_id=workshop.id))
    pending = invites.list_pending(me, workshop.id)
    page = render_template(
        "staff/invites.html",
        workshop=workshop,
        form=form,
        pending=pending,
        links=_links_of(pending),
        revoke_form=Form(),
    )
    # Its links make whoever opens them staff: not for a shared computer's Back button.
    return page, 200, {"Cache-Control": "no-store"}


def forget_links() -> None:
    """The copyable links of this browser's invites go (at logout, or when someone else logs
    in on it): the cookie is signed, not secret, and each link makes its opener staff."""
    session.pop(_LINKS, None)


@bp.post("/workshops/<int:workshop_id>/invites/<int:invite_id>/revoke")
@login_required
def revoke(workshop_id: int, invite_id: int):
    """Withdraw a pending invite: its link stops working at once."""
    me = staff_member()
    if not Form().validate_on_submit():
        abort(400)
    try:
        invite = invites.revoke_invite(me, workshop_id, invite_id)
    except InvalidState as error:
        flash(error.message, "error")
    else:
        flash(
            _("The invite of %(email)s is revoked; its link no longer works.", email=invite.email)
        )
    return redirect(url_for("invites.manage", workshop_id=workshop_id))


def _gone(error: InvalidState):
    """A link that worked once and no longer does: 410, with what to do now."""
    return render_template("auth/invite_gone.html", message=error.message), 410


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Open an invite link: set a name and password (no account yet) or accept as the
    logged-in account the invite is for."""
    try:
        invite = invites.find_invite(token)
    except InvalidState as error:
        return _gone(error)
    me = current_staff()
    existing = accounts.find_user(invite.email)
    form = AcceptInviteForm() if existing is None and me is None else Form()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            user = invites.accept_invite(
                token,
                actor=me,
                display_name=form.data.get("display_name") or "",
                password=form.data.get("password") or "",
            )
        except InvalidState as error:
            return _gone(error)
        except DomainError as error:
            if not error_on_form(form, error, None):
                flash(error.message, "error")
                status = error.status
        else:
            if me is None:
                login_user(user, remember=True)
            flash(_("Welcome! You can now open this workshop."))
            return redirect(url_for("staff.console", workshop_id=invite.workshop_id))
    return render_template(
        "auth/invite.html",
        invite=invite,
        workshop=invite.workshop,
        inviter=invite.created_by,
        form=form,
        me=me,
        has_account=existing is not None,
        login_url=url_for("auth.login", next=url_for("invites.accept", token=token)),
    ), status
