"""Is every level in the mission? Representation, pooling and agreement across levels,
against a workshop whose figures are worked out by hand below.

The room: Frontline 6, Manager 6, Director 3, Team lead 2, Specialist and Executive nobody.
Director (3) and Team lead (2) are too small to show: they are pooled as "Other levels" (5).
Proposals: Fiona (Frontline) "We care for every patient" (5 words), Max (Manager) "Managers
lead with clear purpose" (5 words), Tess (Team lead) "Teams share what works" (4 words).
The draft is Fiona's and Max's proposals: 10 words, half Frontline, half Manager.
"""

from __future__ import annotations

import pytest

from tests.conftest import in_phase, join, make_user
from workshop.errors import Forbidden, NotFound
from workshop.models import Phase, UserRole
from workshop.queries import clauses_of, latest_version
from workshop.services import consent, proposals, representation, versions, votes

ROOM = {"Frontline": 6, "Manager": 6, "Director": 3, "Team lead": 2}


@pytest.fixture
def room(facilitator, workshop):
    people = {
        level: [join(workshop, f"{level} {i}", level) for i in range(count)]
        for level, count in ROOM.items()
    }
    in_phase(facilitator, workshop, Phase.PROPOSE)
    fiona = proposals.submit_proposal(
        people["Frontline"][0], workshop.id, "We care for every patient"
    )
    max_ = proposals.submit_proposal(
        people["Manager"][0], workshop.id, "Managers lead with clear purpose"
    )
    proposals.submit_proposal(people["Team lead"][0], workshop.id, "Teams share what works")
    in_phase(facilitator, workshop, Phase.VOTE)
    for voter in (people["Frontline"][0], people["Frontline"][1], people["Manager"][0]):
        votes.set_dots(voter, fiona.id, 1)
    versions.start_draft_from_proposals(
        facilitator, workshop.id, [fiona.id, max_.id], based_on=None
    )
    return people


def by_group(rows):
    return {row["group"]: row for row in rows}


def test_each_level_joined_proposed_voted_and_owns_its_share_of_the_draft(
    facilitator, workshop, room
):
    picture = representation.representation(facilitator, workshop.id)
    levels = by_group(picture["by_level"])
    assert list(levels) == ["Frontline", "Manager", "Other levels"]
    assert levels["Frontline"] == {
        "group": "Frontline",
        "members": [],
        "joined": 6,
        "proposed": 1,
        "voted": 2,
        "draft_share": 0.5,
        "final_share": None,  # nothing is final yet
    }
    assert (levels["Manager"]["joined"], levels["Manager"]["voted"]) == (6, 1)
    assert levels["Manager"]["draft_share"] == 0.5
    other = levels["Other levels"]
    assert other["members"] == ["Director", "Team lead"]
    assert (other["joined"], other["proposed"], other["voted"], other["draft_share"]) == (
        5,
        1,
        0,
        0.0,
    )
    assert picture["missing_levels"] == ["Specialist", "Executive"]
    assert picture["flags"] == [
        "No one from Specialist has joined.",
        "No one from Executive has joined.",
        "No words from Other levels in the current draft.",
    ]


def test_a_small_level_is_never_shown_alone_nor_found_by_subtraction(facilitator, workshop, room):
    picture = representation.representation(facilitator, workshop.id)
    shown = [row["group"] for row in picture["by_level"]]
    assert "Team lead" not in shown and "Director" not in shown
    # The shown groups add up to the room, and every shown group has at least five people.
    assert sum(row["joined"] for row in picture["by_level"]) == picture["joined"] == 17
    assert min(row["joined"] for row in picture["by_level"]) >= 5


def test_a_pool_too_small_on_its_own_takes_in_the_smallest_shown_level(facilitator, workshop):
    for i in range(6):
        join(workshop, f"F{i}", "Frontline")
    for i in range(5):
        join(workshop, f"M{i}", "Manager")
    join(workshop, "Tess", "Team lead")
    join(workshop, "Tom", "Team lead")
    picture = representation.representation(facilitator, workshop.id)
    levels = by_group(picture["by_level"])
    # Team lead (2) alone would be a pool of two: Manager (5), the smallest, joins it.
    assert set(levels) == {"Frontline", "Other levels"}
    assert levels["Other levels"]["members"] == ["Manager", "Team lead"]
    assert levels["Other levels"]["joined"] == 7


def test_a_clause_one_level_accepts_and_another_rejects_is_flagged(facilitator, workshop, room):
    first = clauses_of(latest_version(workshop.id))[0]
    for person in room["Frontline"][:4]:
        consent.vote_on_clause(person, first.key, "agree")
    consent.vote_on_clause(room["Manager"][0], first.key, "object", "Too vague for us")
    consent.vote_on_clause(room["Manager"][1], first.key, "object", "Says nothing on staff")
    consent.vote_on_clause(room["Manager"][2], first.key, "live_with")
    consent.vote_on_clause(room["Team lead"][0], first.key, "agree")

    picture = representation.representation(facilitator, workshop.id)
    clause = picture["agreement"][0]
    assert clause["title"].startswith("We care for every patient")
    assert clause["consent_by_level"] == {
        "Frontline": {"answers": 4, "object": 0, "consent_share": 1.0},
        "Manager": {"answers": 3, "object": 2, "consent_share": 0.333},
        "Other levels": {"answers": 1, "object": 0, "consent_share": 1.0},
    }
    assert clause["consent_spread"] == 0.667
    assert picture["agreement"][1]["consent_by_level"] == {}  # nobody answered there
    assert picture["agreement"][1]["consent_spread"] is None
    assert representation.spread_warnings(picture) == [
        "We care for every patient: Frontline consent (100%) but Manager much less (33%)."
    ]


def test_only_the_workshops_staff_see_the_picture(facilitator, workshop, room):
    with pytest.raises(Forbidden):
        representation.representation(room["Frontline"][0], workshop.id)
    stranger = make_user("other@example.org", UserRole.LEADERSHIP)
    with pytest.raises(NotFound):
        representation.representation(stranger, workshop.id)
