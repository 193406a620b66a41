"""Which language a person sees: their own choice, else their workshop's, else their browser's.

Flask-Babel asks :func:`select_locale` once per request (and once per Socket.IO event, which
runs in a request context of its own built from the connect request, so the cookie and the
``Accept-Language`` header are there too). The order:

1. the language this person picked with the switch in the page header (a cookie);
2. the language the workshop is set to, when the page or socket belongs to a workshop
   (``Workshop.language``: "" follows the browser);
3. the browser's ``Accept-Language``;
4. English (``BABEL_DEFAULT_LOCALE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_babel import force_locale, get_locale, refresh
from markupsafe import Markup

from .catalogue import value_names
from .extensions import db
from .join_codes import normalise_join_code
from .models import Workshop

COOKIE = "language"
"""The person's own choice; not a secret, so a plain cookie beside the session."""

COOKIE_MAX_AGE = 60 * 60 * 24 * 365

LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands"}
"""Each language named in itself, so a person who cannot read the page still finds theirs."""


def shipped_languages() -> list[str]:
    """The languages the interface is translated into (config ``LANGUAGES``)."""
    return list(current_app.config["LANGUAGES"])


def chosen_language() -> str | None:
    """The language this person picked with the switch, if any (and still shipped)."""
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in shipped_languages() else None


def workshop_language(workshop: Any) -> str | None:
    """The language a workshop is set to, or None when it follows each person's browser."""
    language = getattr(workshop, "language", "") or ""
    return language if language in shipped_languages() else None


def select_locale() -> str | None:
    """Flask-Babel's locale selector (None outside requests: the default, English)."""
    if not has_request_context():
        return None
    chosen = chosen_language()
    if chosen is not None:
        return chosen
    set_for_workshop = workshop_language(_request_workshop())
    if set_for_workshop is not None:
        return set_for_workshop
    return request.accept_languages.best_match(shipped_languages())


def use_workshop(workshop: Any) -> None:
    """Let the workshop's language count for the rest of this request or socket event
    (socket handlers know their workshop only once they have looked it up)."""
    g.locale_workshop = workshop
    refresh()


def current_language() -> str:
    """The language code in use now ("en" outside requests)."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


_LIVE_CATALOGUES: dict[str, Markup] = {}


def live_catalogue() -> Markup:
    """The live client's strings (the ``i18n`` macro of templates/_live.html) in the reader's
    language, rendered once per language. They are some 400 translations, looked up again for
    every page before: a participant's room page took 10.3-17.6 ms, now 4.4-7.5 ms
    (bench/live_pages.py, medians of interleaved runs)."""
    language = current_language()
    catalogue = _LIVE_CATALOGUES.get(language)
    if catalogue is None:
        # A template's module has its macros as attributes, which its type cannot name.
        module: Any = current_app.jinja_env.get_template("_live.html").module
        catalogue = _LIVE_CATALOGUES[language] = Markup(module.i18n())
    return catalogue


def live_value_names(workshop: Any) -> dict[str, str]:
    """Every value's name in the reader's language, for the live client: the room's news names
    values by key, so that each screen names them in its own language whoever caused it."""
    return value_names(workshop, current_language())


@contextmanager
def room_language(workshop: Any) -> Iterator[None]:
    """Text that everyone in a workshop's room receives alike (published events, the shared
    part of snapshots) in the workshop's language; when it follows the browser, in the
    language of whoever caused the change (English in background work)."""
    language = workshop_language(workshop)
    if language is None:
        yield
        return
    with force_locale(language):
        yield


def _request_workshop() -> Any:
    """The workshop this request is about: set by a socket handler, or found from the URL
    (``/…/<workshop_id>/…`` and the join link ``/j/<code>``)."""
    workshop = g.get("locale_workshop")
    if workshop is not None:
        return workshop
    view_args = request.view_args or {}
    if isinstance(view_args.get("workshop_id"), int):
        # Usually already loaded by the view, so served from the session's identity map.
        return db.session.get(Workshop, view_args["workshop_id"])
    if request.endpoint == "participant.join" and isinstance(view_args.get("code"), str):
        code = normalise_join_code(view_args["code"])
        return db.session.scalar(sa.select(Workshop).where(Workshop.join_code == code))
    return None
