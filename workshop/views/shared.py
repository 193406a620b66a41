"""What the blueprints share: who the staff member asking is, a service's refusal shown on
its form, numbers from forms, and the live pages served with their screen's snapshot."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, render_template
from flask_babel import gettext as _

from .. import snapshots
from ..errors import DomainError
from ..forms import Form
from ..identity import current_staff
from ..models import Audience, Participant, User, Workshop
from ..protocol import MAX_ID


def staff_member() -> User:
    """The logged-in staff account of a staff page (``login_required`` ran first; an account
    deactivated meanwhile is refused)."""
    user = current_staff()
    if user is None:
        abort(403)
    return user


def error_on_form(form: Form, error: DomainError, default: str | None) -> bool:
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
