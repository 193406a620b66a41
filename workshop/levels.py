"""The organisational levels a new workshop starts with, in the workshop's language.

A workshop's levels are stored as words (``Workshop.levels``: people pick one when they join,
and every screen and export shows it as stored), so a workshop run in Dutch needs Dutch
words there: "Je bent Anouk (Werkvloer)", not "(Frontline)". The defaults are translated
once, when the workshop is created, into its language (or, when it follows each browser,
the language of the facilitator who creates it); workshops that exist keep what they have.
``models.DEFAULT_LEVELS`` stays the English list (the database's default and the msgids).
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .models import DEFAULT_LEVELS

# Spelled out one by one so the translation tools find them (pybabel ``-k _l``).
_NAMES = (
    _l("Frontline"),
    _l("Specialist"),
    _l("Team lead"),
    _l("Manager"),
    _l("Director"),
    _l("Executive"),
)


def default_levels(language: str | None = None) -> list[str]:
    """The default levels in ``language``, or in the language in use now when None."""
    if language is None:
        return [str(name) for name in _NAMES]
    with force_locale(language):
        return [str(name) for name in _NAMES]


def in_language(levels: list[str], language: str, languages: tuple[str, ...]) -> list[str]:
    """``levels`` as given, unless they are the untouched defaults of one of ``languages``
    (the form's prefilled list, say, in the facilitator's language): then the defaults in
    ``language``. A list anybody changed is theirs and stays as it is."""
    given = [level.casefold() for level in levels]
    for defaults in (DEFAULT_LEVELS, *(default_levels(other) for other in languages)):
        if given == [level.casefold() for level in defaults]:
            return default_levels(language)
    return levels
