"""A new workshop's default levels are words in its language: a workshop run in Dutch lists
"Werkvloer", not "Frontline"; a list the facilitator wrote stays theirs, and workshops that
exist keep what they have."""

from __future__ import annotations

from flask_babel import force_locale

from tests.conftest import join, make_workshop
from workshop.levels import default_levels
from workshop.models import DEFAULT_LEVELS
from workshop.services import workshops
from workshop.services.workshops import WorkshopSettings

DUTCH_LEVELS = ["Werkvloer", "Specialist", "Teamleider", "Manager", "Directeur", "Bestuur"]


def settings(**changes) -> WorkshopSettings:
    return WorkshopSettings(title="Onze missie", organisation="Zorggroep Haven", **changes)


def test_the_default_levels_are_the_english_words_in_english(ctx):
    assert default_levels("en") == DEFAULT_LEVELS
    assert default_levels() == DEFAULT_LEVELS  # outside a request: English
    assert default_levels("nl") == DUTCH_LEVELS


def test_a_workshop_set_to_dutch_starts_with_dutch_levels(facilitator):
    workshop = workshops.create_workshop(facilitator, settings(language="nl"))
    assert workshop.levels == DUTCH_LEVELS


def test_a_facilitator_working_in_dutch_creates_a_workshop_with_dutch_levels(facilitator):
    # The workshop follows each browser: its levels are in its creator's language.
    with force_locale("nl"):
        workshop = workshops.create_workshop(facilitator, settings())
        assert workshop.levels == DUTCH_LEVELS
        prefilled = workshops.create_workshop(facilitator, settings(levels=default_levels()))
        assert prefilled.levels == DUTCH_LEVELS


def test_an_english_workshop_keeps_english_levels_even_from_a_dutch_form(facilitator):
    assert make_workshop(facilitator).levels == DEFAULT_LEVELS
    # A Dutch facilitator sets the workshop to English: the prefilled Dutch list follows it.
    with force_locale("nl"):
        workshop = workshops.create_workshop(
            facilitator, settings(levels=default_levels(), language="en")
        )
    assert workshop.levels == DEFAULT_LEVELS


def test_levels_the_facilitator_wrote_are_kept_as_written(facilitator):
    own = ["Frontline", "Nurses", "Board"]
    workshop = workshops.create_workshop(facilitator, settings(levels=own, language="nl"))
    assert workshop.levels == own
    # The defaults with one level left out are the facilitator's list too.
    fewer = DEFAULT_LEVELS[:-1]
    workshop = workshops.create_workshop(facilitator, settings(levels=fewer, language="nl"))
    assert workshop.levels == fewer


def test_set_to_dutch_before_anybody_joined_the_default_levels_follow(facilitator):
    workshop = make_workshop(facilitator)
    workshops.update_workshop(
        facilitator, workshop.id, settings(levels=list(workshop.levels), language="nl")
    )
    assert workshop.levels == DUTCH_LEVELS


def test_once_people_picked_a_level_the_levels_stay_as_they_are(facilitator):
    workshop = make_workshop(facilitator)
    join(workshop, "Amira", "Frontline")
    workshops.update_workshop(
        facilitator, workshop.id, settings(levels=list(workshop.levels), language="nl")
    )
    assert workshop.levels == DEFAULT_LEVELS
