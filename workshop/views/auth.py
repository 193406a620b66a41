"""Staff login, logout and the first-run page that creates the first facilitator."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from .. import throttles
from ..errors import DomainError
from ..forms import LoginForm, PasswordForm, SetupForm
from ..identity import current_staff
from ..services import accounts
from .invites import forget_links
from .shared import error_on_form

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("staff.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@throttles.login_per_account
@throttles.login_per_address
def login():
    if not accounts.has_any_user():
        return redirect(url_for("auth.setup"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            form.password.errors = [error.message]
        else:
            before = current_staff()
            if before is None or before.id != user.id:
                forget_links()  # someone else's invites, on a shared computer
            login_user(user, remember=True)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Log out everywhere: every session and remember-me token of the account ends."""
    user = current_staff()
    if user is not None:
        accounts.end_every_session(user)
    logout_user()
    forget_links()
    flash(_("You are logged out."))
    return redirect(url_for("participant.landing"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """First run only: the first account is a facilitator; afterwards use the CLI."""
    if accounts.has_any_user():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_first_facilitator(
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
            )
        except DomainError as error:
            error_on_form(form, error, "email")
        else:
            login_user(user, remember=True)
            flash(_("Welcome! Create your first workshop."))
            return redirect(url_for("staff.dashboard"))
    return render_template("auth/setup.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@throttles.password_guesses
def change_password():
    """A new password; every other login of the account (any device, any cookie) ends."""
    user = current_staff()
    if user is None:
        abort(403)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(user, form.current.data, form.password.data)
        except DomainError as error:
            error_on_form(form, error, "current")
        else:
            login_user(user, remember=True)  # this browser stays logged in, with the new token
            flash(_("Your password is changed. Every other login of yours has ended."))
            return redirect(url_for("staff.dashboard"))
    return render_template("auth/password.html", form=form)
