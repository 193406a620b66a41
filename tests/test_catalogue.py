"""The shipped values catalogue: size, translations, uniqueness, lookups and validation.

These tests read the real file, so a translator's slip (a missing Dutch name, a description that
will not fit on a card, two values both called "Eerlijkheid") fails CI instead of a live workshop.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from workshop import catalogue
from workshop.catalogue import (
    MAX_DESCRIPTION_LENGTH,
    SUPPORTED_LANGUAGES,
    CatalogueGroup,
    CatalogueValue,
    all_keys,
    find_value,
    load_catalogue,
    normalise_language,
    parse_catalogue,
)

REQUIRED_KEYS = [
    "integrity",
    "honesty",
    "respect",
    "trust",
    "responsibility",
    "courage",
    "humility",
    "growth",
    "learning",
    "curiosity",
    "creativity",
    "innovation",
    "craftsmanship",
    "quality",
    "excellence",
    "achievement",
    "ambition",
    "recognition",
    "collaboration",
    "teamwork",
    "belonging",
    "friendship",
    "loyalty",
    "compassion",
    "care",
    "kindness",
    "service",
    "contribution",
    "purpose",
    "meaning",
    "impact",
    "sustainability",
    "fairness",
    "justice",
    "equality",
    "inclusion",
    "diversity",
    "openness",
    "transparency",
    "autonomy",
    "freedom",
    "independence",
    "flexibility",
    "balance",
    "wellbeing",
    "health",
    "security",
    "stability",
    "safety",
    "fun",
    "humour",
    "joy",
    "simplicity",
    "efficiency",
    "reliability",
    "commitment",
    "patience",
    "gratitude",
    "wisdom",
    "leadership",
]


def _values(language: str) -> list[CatalogueValue]:
    return [value for group in load_catalogue(language) for value in group.values]


def _raw() -> dict[str, Any]:
    """A private deep copy of the shipped file, safe to break in a test."""
    return copy.deepcopy(dict(catalogue._load_raw()))


# --- the shipped catalogue -----------------------------------------------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_loads_in_each_language(language: str) -> None:
    groups = load_catalogue(language)
    assert 6 <= len(groups) <= 8
    assert all(isinstance(group, CatalogueGroup) and group.values for group in groups)
    values = _values(language)
    assert 58 <= len(values) <= 64
    assert all(value.group == group.key for group in groups for value in group.values)


def test_groups_and_values_keep_file_order() -> None:
    raw = catalogue._load_raw()
    assert [g.key for g in load_catalogue()] == [g["key"] for g in raw["groups"]]
    in_file = [v["key"] for v in raw["values"]]
    # Within each group, values appear in the order the file lists them.
    for group in load_catalogue():
        keys = [v.key for v in group.values]
        assert keys == sorted(keys, key=in_file.index)


def test_required_values_are_present() -> None:
    assert set(REQUIRED_KEYS) <= all_keys()


def test_keys_are_unique_snake_case_and_the_same_in_both_languages() -> None:
    keys = [value.key for value in _values("en")]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", key) for key in keys)
    assert [value.key for value in _values("nl")] == keys
    assert all_keys() == frozenset(keys)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_value_has_text_and_a_short_description(language: str) -> None:
    for value in _values(language):
        assert value.name.strip() == value.name != ""
        assert value.description.strip() == value.description != ""
        assert len(value.description) <= MAX_DESCRIPTION_LENGTH == 120, value.key
        assert value.description.endswith("."), value.key


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_names_are_unique_per_language(language: str) -> None:
    names = [value.name.casefold() for value in _values(language)]
    assert len(names) == len(set(names))
    group_names = [group.name.casefold() for group in load_catalogue(language)]
    assert len(group_names) == len(set(group_names))


def test_dutch_is_actually_translated() -> None:
    english = {value.key: value for value in _values("en")}
    dutch = {value.key: value for value in _values("nl")}
    differing_names = [key for key in english if english[key].name != dutch[key].name]
    assert len(differing_names) >= 40
    # Loanwords such as "Respect" may match; whole sentences never should.
    assert all(english[key].description != dutch[key].description for key in english)
    assert all(
        en.name != nl.name
        for en, nl in zip(load_catalogue("en"), load_catalogue("nl"), strict=True)
    )


@pytest.mark.parametrize(
    ("key", "english", "dutch"),
    [
        ("craftsmanship", "Craftsmanship", "Vakmanschap"),
        ("integrity", "Integrity", "Integriteit"),
        ("autonomy", "Autonomy", "Autonomie"),
        ("recognition", "Recognition", "Erkenning"),
        ("balance", "Balance", "Balans"),
        ("fairness", "Fairness", "Eerlijkheid"),
        ("service", "Service", "Dienstbaarheid"),
        ("growth", "Growth", "Groei"),
        ("trust", "Trust", "Vertrouwen"),
        ("courage", "Courage", "Moed"),
        ("curiosity", "Curiosity", "Nieuwsgierigheid"),
        ("sustainability", "Sustainability", "Duurzaamheid"),
    ],
)
def test_spot_check_translations(key: str, english: str, dutch: str) -> None:
    en = find_value(key, "en")
    nl = find_value(key, "nl")
    assert en is not None and nl is not None
    assert (en.name, nl.name) == (english, dutch)
    assert en.group == nl.group


# --- language handling and lookups ---------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "", "xx-YY", "english"])
def test_unknown_language_falls_back_to_english(language: str) -> None:
    assert load_catalogue(language) == load_catalogue("en")
    assert find_value("integrity", language) == find_value("integrity", "en")


@pytest.mark.parametrize("language", ["nl", "NL", "nl-BE", "nl_NL", " nl "])
def test_locale_spellings_of_dutch_are_dutch(language: str) -> None:
    assert normalise_language(language) == "nl"
    assert load_catalogue(language) == load_catalogue("nl")


def test_default_language_is_english() -> None:
    assert load_catalogue() == load_catalogue("en")
    assert find_value("craftsmanship") == find_value("craftsmanship", "en")


def test_find_value() -> None:
    value = find_value("craftsmanship", "nl")
    assert value is not None
    assert (value.key, value.group, value.name) == (
        "craftsmanship",
        "achievement_and_excellence",
        "Vakmanschap",
    )
    assert value in next(g for g in load_catalogue("nl") if g.key == value.group).values
    assert find_value("no_such_value") is None
    assert find_value("Craftsmanship") is None  # keys are exact, not names


def test_results_are_immutable_and_shared() -> None:
    groups = load_catalogue("en")
    assert load_catalogue("en") is groups
    with pytest.raises(AttributeError):
        groups[0].values[0].name = "Changed"


def test_file_is_found_as_package_data() -> None:
    """The JSON must sit inside the package, or an installed wheel has no catalogue."""
    package_dir = Path(catalogue.__file__).parent
    assert (package_dir / "data" / "values_catalogue.json").is_file()


# --- validation of malformed catalogues ----------------------------------------------------------


def _parse_file(path: Path, language: str = "en") -> tuple[CatalogueGroup, ...]:
    """Read a catalogue from disk the way the app does, but from a test-controlled file."""
    return parse_catalogue(catalogue._decode(path.read_text(encoding="utf-8"), path.name), language)


def test_valid_copy_round_trips_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(_raw(), ensure_ascii=False), encoding="utf-8")
    assert _parse_file(path, "nl") == load_catalogue("nl")


def _break_missing_dutch_name(raw: dict[str, Any]) -> None:
    del raw["values"][3]["name"]["nl"]


def _break_blank_english_description(raw: dict[str, Any]) -> None:
    raw["values"][0]["description"]["en"] = "   "


def _break_duplicate_value_key(raw: dict[str, Any]) -> None:
    raw["values"][1]["key"] = raw["values"][0]["key"]


def _break_duplicate_group_key(raw: dict[str, Any]) -> None:
    raw["groups"][1]["key"] = raw["groups"][0]["key"]


def _break_unknown_group(raw: dict[str, Any]) -> None:
    raw["values"][5]["group"] = "astrology"


def _break_duplicate_dutch_name(raw: dict[str, Any]) -> None:
    raw["values"][1]["name"]["nl"] = raw["values"][0]["name"]["nl"].upper()


def _break_long_description(raw: dict[str, Any]) -> None:
    raw["values"][2]["description"]["nl"] = "x" * (MAX_DESCRIPTION_LENGTH + 1)


def _break_bad_key(raw: dict[str, Any]) -> None:
    raw["values"][0]["key"] = "Integrity Value"


def _break_missing_group_translation(raw: dict[str, Any]) -> None:
    raw["groups"][0]["name"] = {"en": "Character"}


def _break_empty_group(raw: dict[str, Any]) -> None:
    raw["groups"].append({"key": "empty", "name": {"en": "Empty", "nl": "Leeg"}})


def _break_version(raw: dict[str, Any]) -> None:
    raw["version"] = 2


def _break_no_values(raw: dict[str, Any]) -> None:
    raw["values"] = []


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_break_missing_dutch_name, r"missing the 'nl' translation of its name"),
        (_break_blank_english_description, r"missing the 'en' translation of its description"),
        (_break_duplicate_value_key, r"duplicate value key"),
        (_break_duplicate_group_key, r"duplicate group key"),
        (_break_unknown_group, r"unknown group 'astrology'"),
        (_break_duplicate_dutch_name, r"same 'nl' name"),
        (_break_long_description, r"max 120"),
        (_break_bad_key, r"invalid key"),
        (_break_missing_group_translation, r"group 'character' is missing the 'nl' translation"),
        (_break_empty_group, r"without values: empty"),
        (_break_version, r"version 2 is not supported"),
        (_break_no_values, r"non-empty 'values'"),
    ],
)
def test_malformed_catalogue_is_rejected(tmp_path: Path, breakage: Any, message: str) -> None:
    raw = _raw()
    breakage(raw)
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    # English is asked for, but a Dutch gap must still fail: the whole file is validated.
    with pytest.raises(ValueError, match=message):
        _parse_file(path, "en")


def test_invalid_json_is_a_value_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"version": 1, "groups": [', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json is not valid JSON"):
        _parse_file(path)


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON object"):
        _parse_file(path)


def test_loading_does_not_mutate_the_cached_raw_data() -> None:
    before = _raw()
    load_catalogue("nl")
    parse_catalogue(catalogue._load_raw(), "en")
    assert dict(catalogue._load_raw()) == before
