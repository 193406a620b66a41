import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import db_fingerprint, join, make_user, make_workshop
from tests.races import Race
from workshop import guards, join_codes, queries
from workshop.errors import Forbidden, NotFound, ValidationFailed
from workshop.extensions import db
from workshop.join_codes import JOIN_CODE_ALPHABET
from workshop.models import DEFAULT_LEVELS, Phase, StaffRole, UserRole, WorkshopStaff, utcnow
from workshop.services import rounds, workshops
from workshop.services.workshops import WorkshopSettings


def test_a_new_workshop_has_a_readable_code_default_levels_and_its_values(facilitator):
    workshop = make_workshop(facilitator, values=["Care", " care ", "Integrity", ""])
    assert len(workshop.join_code) == 8
    assert set(workshop.join_code) <= set(JOIN_CODE_ALPHABET)
    assert not set("0O1I") & set(JOIN_CODE_ALPHABET)
    assert workshop.levels == DEFAULT_LEVELS
    assert [v.name for v in workshop.values] == ["Care", "Integrity"]
    assert workshop.phase == Phase.LOBBY
    assert join_codes.format_join_code("ABCDEFGH") == "ABCD-EFGH"


def test_join_codes_differ_between_workshops(facilitator):
    codes = {make_workshop(facilitator).join_code for _ in range(20)}
    assert len(codes) == 20


def test_leadership_accounts_cannot_create_workshops(ctx):
    boss = make_user("boss@example.org", role=UserRole.LEADERSHIP)
    with pytest.raises(Forbidden):
        make_workshop(boss)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "\x07\x1b\x0b"}, "title"),  # a bell, an escape, a line break: nothing
        ({"organisation": ""}, "organisation"),
        ({"levels": []}, "levels"),
        ({"dots_per_participant": 0}, "dots"),
        ({"brief_md": "x" * 20_001}, "brief_md"),
    ],
)
def test_invalid_settings_are_refused_with_the_field_named(facilitator, changes, field):
    settings = WorkshopSettings(**{"title": "T", "organisation": "O", **changes})
    before = db_fingerprint()
    with pytest.raises(ValidationFailed) as refused:
        workshops.create_workshop(facilitator, settings)
    assert refused.value.details["field"] == field
    assert db_fingerprint() == before


def test_single_line_fields_lose_their_control_characters_and_line_breaks(facilitator):
    """Pasted from a slide or a terminal: a vertical tab (PowerPoint's line break), an escape
    sequence, a bell. A title shows on one line everywhere (pages, exports, the projector)."""
    settings = WorkshopSettings(
        title="Mission\x0b2027\x07 \x1b[1mdraft\u2028",
        organisation="St\x00 Mary\x85Hospital",
        levels=["Front\x0cline", "Lead\x01s"],
    )
    workshop = workshops.create_workshop(facilitator, settings)
    assert workshop.title == "Mission 2027 [1mdraft"
    assert workshop.organisation == "St Mary Hospital"
    assert workshop.levels == ["Front line", "Leads"]


def test_editing_settings_keeps_value_ids_that_survive(facilitator, workshop):
    care_id = workshop.values[0].id
    workshops.update_workshop(
        facilitator,
        workshop.id,
        WorkshopSettings(title="New title", organisation="Harbour", values=["Trust", "Care"]),
    )
    db.session.expire_all()
    assert workshop.title == "New title"
    assert [(v.name, v.position) for v in workshop.values] == [("Trust", 0), ("Care", 1)]
    assert workshop.values[1].id == care_id


def test_phases_move_forward_and_back(facilitator, workshop):
    for phase in [Phase.PROPOSE, Phase.VOTE, Phase.PROPOSE]:
        assert rounds.set_phase(facilitator, workshop.id, phase).phase == phase


def test_unknown_phase_is_refused(facilitator, workshop):
    with pytest.raises(ValidationFailed):
        rounds.set_phase(facilitator, workshop.id, "brainstorm")


def test_a_participant_cannot_move_the_phase(facilitator, workshop):
    participant = join(workshop)
    before = db_fingerprint()
    with pytest.raises(Forbidden):
        rounds.set_phase(participant, workshop.id, Phase.VOTE)
    assert db_fingerprint() == before


def test_a_facilitator_of_another_workshop_cannot_see_or_run_this_one(facilitator, workshop):
    other = make_user("other@example.org")
    before = db_fingerprint()
    with pytest.raises(NotFound):
        rounds.set_phase(other, workshop.id, Phase.PROPOSE)
    assert db_fingerprint() == before


def test_leadership_follows_but_cannot_moderate(facilitator, workshop):
    boss = make_user("boss@example.org", role=UserRole.LEADERSHIP)
    workshops.add_staff(facilitator, workshop.id, "BOSS@example.org", StaffRole.LEADERSHIP)
    assert guards.workshop_for_staff(boss, workshop.id, moderate=False) == workshop
    before = db_fingerprint()
    with pytest.raises(Forbidden):
        rounds.set_phase(boss, workshop.id, Phase.PROPOSE)
    assert db_fingerprint() == before


def test_leadership_accounts_cannot_become_co_facilitators(facilitator, workshop):
    make_user("boss@example.org", role=UserRole.LEADERSHIP)
    with pytest.raises(ValidationFailed):
        workshops.add_staff(facilitator, workshop.id, "boss@example.org", StaffRole.FACILITATOR)


def test_adding_staff_needs_an_existing_account(facilitator, workshop):
    with pytest.raises(NotFound):
        workshops.add_staff(facilitator, workshop.id, "nobody@example.org", "leadership")


@pytest.mark.parametrize("typed", ["abcd-efgh", " ABCD EFGH "])
def test_join_codes_are_forgiving_about_case_spaces_and_dashes(facilitator, typed):
    workshop = make_workshop(facilitator)
    workshop.join_code = "ABCDEFGH"
    db.session.commit()
    assert queries.find_open_workshop(typed).id == workshop.id


def test_closed_expired_and_unknown_codes_get_the_same_answer(facilitator):
    """A guesser cannot tell a code that once worked from one that never did."""
    closed = make_workshop(facilitator)
    rounds.set_phase(facilitator, closed.id, Phase.CLOSED)
    expired = make_workshop(facilitator)
    expired.join_code_expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    answers = []
    for code in (closed.join_code, expired.join_code, "ZZZZZZZZ"):
        with pytest.raises(NotFound) as refused:
            queries.find_open_workshop(code)
        answers.append((refused.value.code, refused.value.message, refused.value.status))
    assert answers[0] == answers[1] == answers[2]


def test_adding_the_same_person_twice_at_once_makes_one_membership(app, facilitator, workshop):
    """A facilitator double-clicks "add" for a co-facilitator: the first request is held just
    before it writes the membership, and the second comes meanwhile. The second waits for the
    first (the workshop's lock), then finds the membership and sets its role: one row, no
    error."""
    co = make_user("co@example.org")
    race = Race(app)

    def click(role: StaffRole):
        def add() -> StaffRole:
            workshops.add_staff(facilitator, workshop.id, co.email, role)
            # The role asked for, not the row's now: read after the commit, it may already
            # be the other click's (PostgreSQL showed it once).
            return role

        return add

    def hold_the_first(_mapper, _connection, _member) -> None:
        race.hold_here()

    sa.event.listen(WorkshopStaff, "before_insert", hold_the_first)
    try:
        first, second = race.run(click(StaffRole.FACILITATOR), click(StaffRole.LEADERSHIP))
    finally:
        sa.event.remove(WorkshopStaff, "before_insert", hold_the_first)
    assert (first, second) == (StaffRole.FACILITATOR, StaffRole.LEADERSHIP)
    roles = db.session.scalars(
        sa.select(WorkshopStaff.role).where(
            WorkshopStaff.workshop_id == workshop.id, WorkshopStaff.user_id == co.id
        )
    ).all()
    assert roles == [StaffRole.LEADERSHIP]  # the later click's role, in one row
