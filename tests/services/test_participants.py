import datetime as dt

import pytest

from tests.conftest import db_fingerprint, join, make_workshop
from workshop import queries
from workshop.errors import NotFound, ValidationFailed, WorkshopFull
from workshop.extensions import db
from workshop.models import Phase, Workshop, utcnow
from workshop.services import participants, rounds, workshops


def test_joining_needs_only_a_name_and_a_level(workshop):
    person = join(workshop, "  Amira   B ", "Frontline")
    assert person.display_name == "Amira B"
    assert person.workshop_id == workshop.id
    assert queries.presence_counts(workshop.id)["joined"] == 1


@pytest.mark.parametrize(
    ("code", "error"),
    [("WRONGCOD", NotFound), ("ABC", NotFound), ("", NotFound)],
)
def test_a_wrong_join_code_is_refused_and_nothing_is_stored(workshop, code, error):
    before = db_fingerprint()
    with pytest.raises(error):
        participants.join_workshop(code, display_name="Amira", level="Frontline")
    assert db_fingerprint() == before


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Am\u202eira", "Amira"),  # a right-to-left override
        ("Am\x00i\x1bra\x7f", "Amira"),
        ("  Amira \u200b van\tDijk ", "Amira van Dijk"),
    ],
)
def test_names_are_shown_without_hidden_characters(workshop, typed, shown):
    assert join(workshop, typed).display_name == shown


def test_a_closed_workshop_takes_nobody_new(facilitator, workshop):
    rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)
    before = db_fingerprint()
    with pytest.raises(NotFound):
        join(workshop)
    assert db_fingerprint() == before


@pytest.mark.parametrize(
    ("name", "level", "field"),
    [
        ("", "Frontline", "display_name"),
        ("x" * 61, "Frontline", "display_name"),
        ("Amira", "Janitor-in-chief", "level"),
        ("\u200b\u200c\u2060", "Frontline", "display_name"),  # zero-width only
        ("\x00\x1b\x7f", "Frontline", "display_name"),  # control characters only
        ("Fran Facilitator", "Frontline", "display_name"),  # a staff member's name
        ("FRAN  facilitator", "Frontline", "display_name"),  # the same, to the eye
        ("Ｆｒａｎ Facilitator", "Frontline", "display_name"),  # full-width letters
    ],
)
def test_bad_details_are_refused(workshop, name, level, field):
    before = db_fingerprint()
    with pytest.raises(ValidationFailed) as refused:
        participants.join_workshop(workshop.join_code, display_name=name, level=level)
    assert refused.value.details["field"] == field
    assert db_fingerprint() == before


def test_departments_must_come_from_the_list_when_there_is_one(facilitator):
    workshop = make_workshop(facilitator, departments=["IT", "Finance"])
    with pytest.raises(ValidationFailed):
        participants.join_workshop(
            workshop.join_code, display_name="A", level="Manager", department="Marketing"
        )
    person = participants.join_workshop(
        workshop.join_code, display_name="A", level="Manager", department="IT"
    )
    assert person.department == "IT"


def test_presence_counts_people_online_by_level_not_sockets(facilitator, workshop):
    amira, joost = join(workshop, "Amira", "Frontline"), join(workshop, "Joost", "Team lead")
    participants.connect("sid-1", workshop, amira, server_id="one-process")
    participants.connect("sid-2", workshop, amira, server_id="one-process")  # a second tab
    participants.connect("sid-3", workshop, joost, server_id="one-process")
    participants.connect("sid-4", workshop, facilitator, server_id="one-process")
    assert queries.presence_counts(workshop.id) == {
        "online": 2,
        "joined": 2,
        "by_level": {"Frontline": 1, "Team lead": 1},
        "by_department": {},
    }
    participants.disconnect("sid-3")
    assert queries.presence_counts(workshop.id)["by_level"] == {"Frontline": 1}


def test_a_participant_id_from_another_workshop_is_not_found(facilitator, workshop):
    elsewhere = join(make_workshop(facilitator))
    with pytest.raises(NotFound):
        queries.get_participant(elsewhere.id, workshop.id)


def test_nobody_new_joins_once_the_workshop_has_as_many_as_it_takes(facilitator, workshop):
    workshop.max_participants = 2
    db.session.commit()
    join(workshop, "Amira"), join(workshop, "Joost")
    before = db_fingerprint()
    with pytest.raises(WorkshopFull) as refused:
        join(workshop, "Sanne")
    assert refused.value.code == "workshop_full" and refused.value.status == 409
    assert "full" in refused.value.message and "2" in refused.value.message
    assert db_fingerprint() == before
    assert queries.presence_counts(workshop.id)["joined"] == 2


def test_raising_the_cap_lets_people_in_again(facilitator, workshop):
    workshop.max_participants = 1
    db.session.commit()
    join(workshop, "Amira")
    with pytest.raises(WorkshopFull):
        join(workshop, "Joost")
    settings = workshops.WorkshopSettings(
        title=workshop.title, organisation=workshop.organisation, max_participants=3
    )
    workshops.update_workshop(facilitator, workshop.id, settings)
    assert join(workshop, "Joost").display_name == "Joost"


@pytest.mark.parametrize("cap", [0, -1, 10_001])
def test_the_cap_stays_in_range(facilitator, workshop, cap):
    settings = workshops.WorkshopSettings(
        title=workshop.title, organisation=workshop.organisation, max_participants=cap
    )
    before = db_fingerprint()
    with pytest.raises(ValidationFailed) as refused:
        workshops.update_workshop(facilitator, workshop.id, settings)
    assert refused.value.details["field"] == "max_participants"
    assert db_fingerprint() == before


def test_a_save_without_a_cap_keeps_the_workshops(facilitator, workshop):
    assert workshop.max_participants == 500  # the column's default, for a new workshop
    workshop.max_participants = 40
    db.session.commit()
    settings = workshops.WorkshopSettings(title="Another title", organisation="Harbour Health")
    assert workshops.update_workshop(facilitator, workshop.id, settings).max_participants == 40


def _join_with(workshop: Workshop, name: str, key: str):
    department = workshop.departments[0] if workshop.departments else ""
    return participants.join_workshop(
        workshop.join_code,
        display_name=name,
        level="Frontline",
        department=department,
        join_key=key,
    )


def test_a_join_form_sent_twice_makes_one_person(workshop):
    """A double tap on "Join" sends the form twice before the first answer comes (so with no
    participant cookie either time): the same form, the same person, counted once."""
    key = participants.new_join_key()
    first = _join_with(workshop, "Amira", key)
    again = _join_with(workshop, "Amira", key)
    assert again.id == first.id
    assert queries.presence_counts(workshop.id)["joined"] == 1
    another_form = _join_with(workshop, "Amira", participants.new_join_key())
    assert another_form.id != first.id  # two people may share a name
    assert queries.presence_counts(workshop.id)["joined"] == 2


def test_an_old_join_form_or_other_answers_make_a_new_person(workshop):
    """The key stands for one form for a short while only: other answers under it (a key
    someone else got hold of) or the form sent again long after make a new person, who does
    not take the key over."""
    key = participants.new_join_key()
    first = _join_with(workshop, "Amira", key)
    other = _join_with(workshop, "Bram", key)
    assert other.id != first.id and other.join_key is None
    first.joined_at = utcnow() - participants.JOIN_KEY_LIFETIME - dt.timedelta(seconds=1)
    db.session.commit()
    later = _join_with(workshop, "Amira", key)
    assert later.id not in (first.id, other.id) and later.join_key is None
    assert queries.presence_counts(workshop.id)["joined"] == 3


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "spaces are not in a key!"])
def test_a_join_key_that_no_form_makes_is_ignored(workshop, key):
    person = _join_with(workshop, "Amira", key)
    assert person.join_key is None
    assert _join_with(workshop, "Amira", key).id != person.id
