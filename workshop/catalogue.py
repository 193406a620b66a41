"""The catalogue of personal values that staff pick from in the values exercise.

The catalogue is content, not code: it lives in ``data/values_catalogue.json`` so translators can
review the English and Dutch side by side without reading Python. It ships inside the package and
is read through :mod:`importlib.resources`, so it is found the same way from a source checkout and
from an installed wheel.

The file is validated as a whole before anything is handed out. A value with a missing Dutch name
would otherwise only show up as a blank button in a live workshop, in front of the whole room, so
we would rather fail loudly at start-up or in the tests.

Callers get objects that are already in one language; they never see the translation dicts.
Keys are the stable identifiers to store (in picks, in mappings to organisational values);
names and descriptions may be reworded freely between releases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "nl")
"""Languages every name and description must be translated into; the first is the fallback."""

DEFAULT_LANGUAGE = SUPPORTED_LANGUAGES[0]

MAX_DESCRIPTION_LENGTH = 120
"""Descriptions appear on small cards and on a phone; longer text wraps into an unreadable block."""

CATALOGUE_VERSION = 1
"""The file format this module understands; a newer file needs a newer reader, not a guess."""

_KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class CatalogueValue:
    """One personal value, in a single language, ready to show."""

    key: str
    group: str
    name: str
    description: str


@dataclass(frozen=True)
class CatalogueGroup:
    """A heading in the catalogue with its values, in file order, in a single language."""

    key: str
    name: str
    values: tuple[CatalogueValue, ...]


def normalise_language(language: str | None) -> str:
    """Map a requested language to a supported one.

    Locales arrive in several spellings (``"nl"``, ``"nl-BE"``, ``"nl_NL"``, ``"NL"``) from the
    browser, Flask-Babel or a stored preference; all of them mean Dutch here. Anything we do not
    ship falls back to English, because showing the exercise in English beats showing nothing.
    """
    primary = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return primary if primary in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def parse_catalogue(
    raw: Mapping[str, Any], language: str = DEFAULT_LANGUAGE
) -> tuple[CatalogueGroup, ...]:
    """Validate a decoded catalogue and return its groups in ``language``.

    Every supported language is checked, not only the one asked for, so a gap in the Dutch text
    fails an English-only test run too. Raises :class:`ValueError` naming the offending entry.
    """
    _validate(raw)
    lang = normalise_language(language)
    values_by_group: dict[str, list[CatalogueValue]] = {g["key"]: [] for g in raw["groups"]}
    for entry in raw["values"]:
        values_by_group[entry["group"]].append(
            CatalogueValue(
                key=entry["key"],
                group=entry["group"],
                name=entry["name"][lang].strip(),
                description=entry["description"][lang].strip(),
            )
        )
    return tuple(
        CatalogueGroup(
            key=g["key"], name=g["name"][lang].strip(), values=tuple(values_by_group[g["key"]])
        )
        for g in raw["groups"]
    )


def load_catalogue(language: str = DEFAULT_LANGUAGE) -> tuple[CatalogueGroup, ...]:
    """Return the shipped catalogue in ``language`` (unknown languages fall back to English)."""
    return _catalogue(normalise_language(language))


def find_value(key: str, language: str = DEFAULT_LANGUAGE) -> CatalogueValue | None:
    """Look up one value by its stable key, or ``None`` if the catalogue has no such value.

    ``None`` rather than an exception because keys come back from stored picks, and a value that
    was retired from the catalogue should be skipped by the caller, not crash a results page.
    """
    return _index(normalise_language(language)).get(key)


def all_keys() -> frozenset[str]:
    """Every value key in the catalogue, for validating submitted picks."""
    return frozenset(_index(DEFAULT_LANGUAGE))


# --- loading -------------------------------------------------------------------------------------


@cache
def _load_raw() -> Mapping[str, Any]:
    """Read and decode the shipped file once per process; it cannot change while we run."""
    resource = files("workshop") / "data" / "values_catalogue.json"
    return _decode(resource.read_text(encoding="utf-8"), source="values_catalogue.json")


def _decode(text: str, source: str) -> Mapping[str, Any]:
    """Decode JSON text, turning a syntax error into a message that names the file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{source} must contain a JSON object at the top level")
    return data


@cache
def _catalogue(language: str) -> tuple[CatalogueGroup, ...]:
    """Parse once per supported language; the result is immutable, so it is safe to share."""
    return parse_catalogue(_load_raw(), language)


@cache
def _index(language: str) -> Mapping[str, CatalogueValue]:
    """Key -> value for one language; private so nobody mutates the cached dict."""
    return {value.key: value for group in _catalogue(language) for value in group.values}


# --- validation ----------------------------------------------------------------------------------


def _validate(raw: Mapping[str, Any]) -> None:
    """Check structure, keys, translations and uniqueness; raise ValueError on the first problem."""
    if not isinstance(raw, Mapping):
        raise ValueError("catalogue must be a JSON object")
    if raw.get("version") != CATALOGUE_VERSION:
        raise ValueError(
            f"catalogue version {raw.get('version')!r} is not supported "
            f"(expected {CATALOGUE_VERSION})"
        )
    groups = raw.get("groups")
    values = raw.get("values")
    if not isinstance(groups, list) or not groups:
        raise ValueError("catalogue needs a non-empty 'groups' list")
    if not isinstance(values, list) or not values:
        raise ValueError("catalogue needs a non-empty 'values' list")

    group_keys: list[str] = []
    for position, group in enumerate(groups):
        where = f"groups[{position}]"
        if not isinstance(group, Mapping):
            raise ValueError(f"{where} must be an object")
        key = _check_key(group.get("key"), where)
        where = f"group {key!r}"
        if key in group_keys:
            raise ValueError(f"duplicate group key {key!r}")
        _check_translations(group.get("name"), where, "name")
        group_keys.append(key)

    value_keys: set[str] = set()
    names_seen: dict[str, dict[str, str]] = {lang: {} for lang in SUPPORTED_LANGUAGES}
    used_groups: set[str] = set()
    for position, value in enumerate(values):
        where = f"values[{position}]"
        if not isinstance(value, Mapping):
            raise ValueError(f"{where} must be an object")
        key = _check_key(value.get("key"), where)
        where = f"value {key!r}"
        if key in value_keys:
            raise ValueError(f"duplicate value key {key!r}")
        value_keys.add(key)
        group = value.get("group")
        if group not in group_keys:
            raise ValueError(f"{where} is in unknown group {group!r}")
        used_groups.add(group)
        names = _check_translations(value.get("name"), where, "name")
        descriptions = _check_translations(value.get("description"), where, "description")
        for lang in SUPPORTED_LANGUAGES:
            # Case-insensitive: "Trust" and "trust" side by side would still confuse a picker.
            folded = names[lang].casefold()
            if folded in names_seen[lang]:
                raise ValueError(
                    f"{where} has the same {lang!r} name {names[lang]!r} as "
                    f"value {names_seen[lang][folded]!r}"
                )
            names_seen[lang][folded] = key
            if len(descriptions[lang]) > MAX_DESCRIPTION_LENGTH:
                raise ValueError(
                    f"{where} has a {lang!r} description of {len(descriptions[lang])} characters "
                    f"(max {MAX_DESCRIPTION_LENGTH})"
                )

    empty = [key for key in group_keys if key not in used_groups]
    if empty:
        # An empty heading in the picker looks like a loading bug to participants.
        raise ValueError(f"group(s) without values: {', '.join(empty)}")


def _check_key(key: object, where: str) -> str:
    """Keys are stored in the database, so they must be plain, stable snake_case ASCII."""
    if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
        raise ValueError(f"{where} has invalid key {key!r} (need lowercase ASCII snake_case)")
    return key


def _check_translations(field: object, where: str, label: str) -> Mapping[str, str]:
    """Every supported language must have non-blank text; extra languages are tolerated."""
    if not isinstance(field, Mapping):
        raise ValueError(f"{where} {label} must be an object keyed by language")
    for lang in SUPPORTED_LANGUAGES:
        text = field.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where} is missing the {lang!r} translation of its {label}")
    return {lang: field[lang].strip() for lang in SUPPORTED_LANGUAGES}


# --- one workshop's catalogue --------------------------------------------------------------------


def workshop_catalogue(workshop: Any, language: str = DEFAULT_LANGUAGE) -> list[CatalogueValue]:
    """The shipped catalogue in one language, minus the values a workshop hid, plus its own
    (``workshop.catalogue_edits``: {"hidden": [keys], "added": [{key, name, ...}]})."""
    edits = workshop.catalogue_edits or {}
    hidden = set(edits.get("hidden", []))
    values = [
        value
        for group in load_catalogue(language)
        for value in group.values
        if value.key not in hidden
    ]
    for added in edits.get("added", []):
        values.append(
            CatalogueValue(
                key=added["key"],
                group=added.get("group", "own"),
                name=added["name"],
                description=added.get("description", ""),
            )
        )
    return values


def value_names(workshop: Any, language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Display names for every value key a workshop's people can pick or have picked: a value
    the workshop hid after people picked it is still named by its name, not its key."""
    shipped = {
        value.key: value.name for group in load_catalogue(language) for value in group.values
    }
    return shipped | {value.key: value.name for value in workshop_catalogue(workshop, language)}
