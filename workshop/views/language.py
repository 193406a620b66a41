"""The language switch in the page header: a person's own choice, kept in a cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request, url_for

from ..locales import COOKIE, COOKIE_MAX_AGE, shipped_languages

bp = Blueprint("language", __name__)


def _back_to(target: str | None) -> str:
    """The page the switch was pressed on, only within this site."""
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("participant.landing")


@bp.post("/language")
def choose_language():
    """Remember this person's language (overriding the workshop's and the browser's) and
    go back to the page they were on."""
    language = request.form.get("language", "")
    if language not in shipped_languages():
        abort(400)
    response = redirect(_back_to(request.form.get("next")))
    response.set_cookie(
        COOKIE,
        language,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response
