"""HTTP blueprints and the error pages that turn domain errors into answers."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from ..errors import DomainError
from ..extensions import login_manager
from ..protocol import MAX_ID
from ..services.accounts import user_for_session
from ..text import holds_unstorable
from .headers import add_security_headers


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in URLs, no larger than any id can be: an absurd number is a 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register(app: Flask) -> None:
    """Attach every blueprint, the login loader and the error handlers."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_nul_characters)
    app.before_request(_refuse_bodies_other_than_forms)
    app.after_request(add_security_headers)
    from . import auth, health, invites, language, mission, participant, staff, versions

    app.register_blueprint(auth.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(invites.bp)
    app.register_blueprint(participant.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(versions.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(mission.bp)

    login_manager.login_view = "auth.login"
    login_manager.user_loader(user_for_session)

    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(TimeoutError, _too_slow)


def _refuse_nul_characters() -> None:
    """An address, query or form holding a NUL character is a 400 that says so, before any
    view reads it (PostgreSQL cannot store one: it was a server error there)."""
    received = [
        *(request.view_args or {}).values(),
        *(value for _, values in request.args.lists() for value in values),
        *(value for _, values in request.form.lists() for value in values),
        *request.args.keys(),
        *request.form.keys(),
    ]
    if holds_unstorable(received):
        abort(
            400,
            description=_("Text cannot hold the character NUL (\\0): remove it and send again."),
        )


# What an HTML form sends (and nothing: a button that posts no field).
FORM_BODIES = {"", "application/x-www-form-urlencoded", "multipart/form-data"}


def _refuse_bodies_other_than_forms() -> None:
    """Every route that takes a body takes a form. Flask-WTF reads a JSON body as the form's
    data when a request says it is JSON, and a number or a list where fields belong was a
    server error; any other body is refused with a 415 that says what to send."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.mimetype in FORM_BODIES:
        return
    abort(
        415,
        description=_("This address takes a form, not %(kind)s.", kind=request.mimetype),
    )


def wants_json() -> bool:
    """API clients and fetch() calls get JSON; browsers get a page."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or best == "application/json"


def _domain_error(error: DomainError):
    if wants_json():
        return jsonify({"ok": False, "error": error.as_dict()}), error.status
    return render_template("error.html", message=error.message, status=error.status), error.status


def _csrf_error(error: CSRFError):
    message = _("This form expired. Go back, reload the page and send it again.")
    return render_template("error.html", message=message, status=400), 400


def _http_error(error: HTTPException):
    if wants_json():
        return jsonify(
            {
                "ok": False,
                "error": {
                    "code": error.name.lower().replace(" ", "_"),
                    "message": error.description,
                },
            }
        ), error.code
    return render_template("error.html", message=error.description, status=error.code), error.code


def _too_slow(error: TimeoutError):
    """The request's body came too slowly (see server.py): answered, not logged as a fault."""
    response = render_template("error.html", message=_("The request came too slowly."), status=408)
    return response, 408, {"Connection": "close"}
