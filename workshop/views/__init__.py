"""HTTP blueprints and the error pages that turn domain errors into answers."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from .. import snapshots
from ..errors import DomainError
from ..extensions import login_manager
from ..identity import current_staff
from ..models import Audience, Participant, User, Workshop
from ..protocol import MAX_ID
from ..services.accounts import user_for_session


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in URLs, no larger than any id can be: an absurd number is a 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def staff_member() -> User:
    """The logged-in staff account of a staff page (``login_required`` ran first; an account
    deactivated meanwhile is refused)."""
    user = current_staff()
    if user is None:
        abort(403)
    return user


def error_on_form(form: FlaskForm, error: DomainError, default: str | None) -> bool:
    """Show a service's refusal under the form field it names (``details["field"]``), or
    under ``default``; False when neither is a field of the form (the caller says it
    elsewhere)."""
    field = getattr(form, str(error.details.get("field", "")), None)
    if field is None and default is not None:
        field = getattr(form, default)
    if field is None:
        return False
    field.errors = [*field.errors, error.message]
    return True


def form_number(value: str | None, *, what: str) -> int | None:
    """A whole number sent in a form field or the query string (empty: None); anything else,
    including a number larger than any id can be, is a 400 that says which field, never a
    server error. Numbers in paths are bounded by ``BoundedIntConverter`` instead (a 404)."""
    value = (value or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"-?[0-9]{1,16}", value) or abs(int(value)) > MAX_ID:
        abort(400, description=_("“%(what)s” must be a whole number.", what=what))
    return int(value)


def live_page(
    template: str,
    workshop: Workshop,
    viewer: User | Participant,
    audience: Audience | None = None,
    **context: Any,
) -> Response:
    """A live page (the room, the console, the projector), served with its screen's snapshot:
    the live client draws it at once, so the task of the moment shows before the socket
    connects and nothing moves when it does (the socket's own snapshot then replaces it). It
    holds the viewer's own state (their ballot, for one), so it is kept in no cache: neither a
    shared computer's back button nor a proxy shows it to anyone else."""
    snapshot = snapshots.build_snapshot(workshop.id, viewer, audience)
    page = render_template(template, workshop=workshop, first_snapshot=snapshot, **context)
    response = Response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


# No inline script or style anywhere, nothing from other sites, and no page inside another
# site's frame (the console could otherwise be overlaid and clicked through).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register(app: Flask) -> None:
    """Attach every blueprint, the login loader and the error handlers."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.after_request(_security_headers)
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


def wants_json() -> bool:
    """API clients and fetch() calls get JSON; browsers get a page."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or best == "application/json"


def _domain_error(error: DomainError):
    if wants_json():
        return jsonify({"ok": False, "error": error.as_dict()}), error.status
    return render_template("error.html", message=error.message, status=error.status), error.status


def _csrf_error(error: CSRFError):
    from flask_babel import gettext as _

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
    from flask_babel import gettext as _

    response = render_template("error.html", message=_("The request came too slowly."), status=408)
    return response, 408, {"Connection": "close"}
