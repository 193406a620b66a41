"""Is every level in the mission? Representation, pooling and agreement across levels,
against a workshop whose figures are worked out by hand below.

The room: Frontline 6, Manager 6, Director 3, Team lead 2, Specialist and Executive nobody.
Director (3) and Team lead (2) are too small to show: they are pooled as "Other levels" (5).
Proposals: Fiona (Frontline) "We care for every patient" (5 words), Max (Manager) "Managers
lead with clear purpose" (5 words), Tess (Team lead) "Teams share what works" (4 words).
The draft is Fiona's and Max's proposals: 10 words, half Frontline, half Manager.

A second room (``departments_room``) adds departments: everyone is Frontline; Care 6,
Operations 5, IT 3, HR 2 and Finance nobody, of the five departments the workshop lists.
IT (3) and HR (2) are pooled as "Other departments" (5). Carla (Care) proposes "We care for
every patient" (5 words), Ivo (IT) "Systems that serve people" (4 words); Operations and HR
propose nothing. Two of Care, one of Operations and one of HR vote. The draft is both
proposals: 9 words, 5/9 = 0.556 Care, 4/9 = 0.444 Other departments, none Operations.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from tests.conftest import in_phase, join, make_user, make_workshop
from workshop import exports
from workshop.errors import Forbidden, NotFound
from workshop.extensions import db
from workshop.models import Phase, Round, RoundKind, UserRole
from workshop.queries import clauses_of, latest_version
from workshop.services import (
    agenda,
    consent,
    editing,
    final,
    moderation,
    proposals,
    representation,
    rounds,
    versions,
    votes,
)
from workshop.tallies import round_results

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


DEPARTMENTS = {"Care": 6, "Operations": 5, "IT": 3, "HR": 2}


@pytest.fixture
def departments_room(facilitator):
    """The second room of the module's docstring: (workshop, people by department)."""
    workshop = make_workshop(facilitator, departments=["Care", "Operations", "IT", "HR", "Finance"])
    people = {
        department: [
            join(workshop, f"{department} {i}", "Frontline", department) for i in range(count)
        ]
        for department, count in DEPARTMENTS.items()
    }
    in_phase(facilitator, workshop, Phase.PROPOSE)
    carla = proposals.submit_proposal(people["Care"][0], workshop.id, "We care for every patient")
    ivo = proposals.submit_proposal(people["IT"][0], workshop.id, "Systems that serve people")
    in_phase(facilitator, workshop, Phase.VOTE)
    for voter in (people["Care"][0], people["Care"][1], people["Operations"][0], people["HR"][0]):
        votes.set_dots(voter, carla.id, 1)
    versions.start_draft_from_proposals(facilitator, workshop.id, [carla.id, ivo.id], based_on=None)
    return workshop, people


def test_each_department_joined_proposed_voted_and_owns_its_share_of_the_words(
    facilitator, departments_room
):
    workshop, _people = departments_room
    picture = representation.representation(facilitator, workshop.id)
    departments = by_group(picture["by_department"])
    assert list(departments) == ["Care", "Operations", "Other departments"]
    assert departments["Care"] == {
        "group": "Care",
        "members": [],
        "joined": 6,
        "proposed": 1,
        "voted": 2,
        "draft_share": 0.556,
        "final_share": None,
    }
    assert departments["Operations"] == {
        "group": "Operations",
        "members": [],
        "joined": 5,
        "proposed": 0,
        "voted": 1,
        "draft_share": 0.0,
        "final_share": None,
    }
    assert departments["Other departments"] == {
        "group": "Other departments",
        "members": ["HR", "IT"],
        "joined": 5,
        "proposed": 1,
        "voted": 1,
        "draft_share": 0.444,
        "final_share": None,
    }
    assert picture["missing_departments"] == ["Finance"]

    final.set_quorum(facilitator, workshop.id, 0)
    final.lock_version(facilitator, workshop.id, 1)
    locked = by_group(representation.representation(facilitator, workshop.id)["by_department"])
    assert {group: row["final_share"] for group, row in locked.items()} == {
        "Care": 0.556,
        "Operations": 0.0,
        "Other departments": 0.444,
    }


def test_a_department_nobody_came_from_or_that_proposed_nothing_is_flagged(
    facilitator, departments_room
):
    workshop, _people = departments_room
    flags = representation.representation(facilitator, workshop.id)["flags"]
    # Everyone is Frontline: every other level is missing, then the departments' flags.
    assert flags == [
        "No one from Specialist has joined.",
        "No one from Team lead has joined.",
        "No one from Manager has joined.",
        "No one from Director has joined.",
        "No one from Executive has joined.",
        "No one from Finance has joined.",
        "Operations has not proposed anything yet.",
        "No words from Operations in the current draft.",
    ]
    assert "No one from Finance has joined." in representation.notices(facilitator, workshop.id)


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
    for person in room["Frontline"] + room["Director"] + room["Team lead"]:
        consent.vote_on_clause(person, first.key, "agree")
    for person in room["Manager"][:4]:
        consent.vote_on_clause(person, first.key, "object", "Too vague for us")
    for person in room["Manager"][4:]:
        consent.vote_on_clause(person, first.key, "live_with")

    picture = representation.representation(facilitator, workshop.id)
    clause = picture["agreement"][0]
    assert clause["title"].startswith("We care for every patient")
    # Directors (3) and team leads (2) answered: five answers, shown only together.
    assert clause["consent_by_level"] == {
        "Frontline": {"answers": 6, "object": 0, "consent_share": 1.0},
        "Manager": {"answers": 6, "object": 4, "consent_share": 0.333},
        "Other levels": {"answers": 5, "object": 0, "consent_share": 1.0},
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


def test_a_level_is_grouped_by_who_answered_never_by_who_joined(facilitator, workshop, room):
    """Six managers joined but one answered: that answer is never shown as "Manager"."""
    first = clauses_of(latest_version(workshop.id))[0]
    for person in room["Frontline"]:
        consent.vote_on_clause(person, first.key, "agree")
    consent.vote_on_clause(room["Manager"][0], first.key, "object", "Too vague for us")

    clause = representation.representation(facilitator, workshop.id)["agreement"][0]
    assert clause["consent_by_level"] == {
        "Other levels": {"answers": 7, "object": 1, "consent_share": 0.857}
    }
    assert clause["consent_spread"] is None


def purpose_vote(facilitator, workshop, carer, keeper, *, breakdown_by_level=False):
    """A propose round on the Purpose with two wordings ("We care for every patient" by
    ``carer``, "We keep our books healthy" by ``keeper``), then an approval vote on them, open
    and not blind: (the vote round, the care proposal, the books proposal)."""
    propose = agenda.add_round(
        facilitator,
        workshop.id,
        agenda.RoundSettings(RoundKind.PROPOSE, "Purpose?", clause="Purpose"),
    )
    rounds.start_round(facilitator, propose.id)
    care = proposals.submit_proposal(carer, workshop.id, "We care for every patient")
    money = proposals.submit_proposal(keeper, workshop.id, "We keep our books healthy")
    rounds.end_round(facilitator, propose.id)
    vote = agenda.add_round(
        facilitator,
        workshop.id,
        agenda.RoundSettings(
            RoundKind.VOTE,
            "Which says it best?",
            method="approval",
            clause="Purpose",
            source_round_id=propose.id,
            blind=False,
            breakdown_by_level=breakdown_by_level,
        ),
    )
    rounds.start_round(facilitator, vote.id)
    return vote, care, money


def test_a_votes_support_by_level_tells_nothing_its_results_hide(facilitator, workshop):
    """The results of a vote broken down by level show Frontline (6 ballots) and hide the
    managers (5) with the team leads (2); the support by level must not pool the team leads
    with a level the results show, or subtracting one page from the other gives them away."""
    frontline = [join(workshop, f"Frontline {i}", "Frontline") for i in range(6)]
    managers = [join(workshop, f"Manager {i}", "Manager") for i in range(8)]
    leads = [join(workshop, f"Team lead {i}", "Team lead") for i in range(2)]
    vote, care, money = purpose_vote(
        facilitator, workshop, frontline[0], managers[0], breakdown_by_level=True
    )
    for person in frontline + managers[:2]:
        votes.cast_ballot(person, workshop.id, {"approved": [care.id]})
    for person in managers[2:5] + leads:
        votes.cast_ballot(person, workshop.id, {"approved": [money.id]})
    rounds.end_round(facilitator, vote.id)
    versions.save_version(
        facilitator, workshop.id, "## Purpose\n\nWe care for every patient", based_on=None
    )

    results = round_results(db.session.get(Round, vote.id))
    assert results is not None and results["winner"] == care.id
    shown_on_results = {level for level, tally in results["by_level"].items() if tally}
    assert shown_on_results == {"Frontline"}
    picture = representation.representation(facilitator, workshop.id)
    (support,) = picture["agreement"][0]["votes"]
    assert support["support_by_level"] == {
        "Frontline": {"ballots": 6, "support_share": 1.0},
        "Other levels": {"ballots": 7, "support_share": 0.286},  # managers and team leads
    }


def test_a_vote_whose_winner_one_level_backs_and_another_does_not_is_flagged(facilitator, workshop):
    """Six frontline people and six managers vote on the Purpose: all the frontline and one
    manager approve "We care for every patient" (7, the winner), five managers approve "We
    keep our books healthy" (5). Support for the winner: Frontline 6/6 = 100%, Manager
    1/6 = 17%, a spread of 0.833; nobody answered on the clause, so no consent spread."""
    frontline = [join(workshop, f"Frontline {i}", "Frontline") for i in range(6)]
    managers = [join(workshop, f"Manager {i}", "Manager") for i in range(6)]
    vote, care, money = purpose_vote(facilitator, workshop, frontline[0], managers[0])
    for person in frontline + managers[:1]:
        votes.cast_ballot(person, workshop.id, {"approved": [care.id]})
    for person in managers[1:]:
        votes.cast_ballot(person, workshop.id, {"approved": [money.id]})
    rounds.end_round(facilitator, vote.id)
    versions.save_version(
        facilitator, workshop.id, "## Purpose\n\nWe care for every patient", based_on=None
    )

    picture = representation.representation(facilitator, workshop.id)
    clause = picture["agreement"][0]
    assert clause["consent_spread"] is None
    (support,) = clause["votes"]
    assert support["support_by_level"] == {
        "Frontline": {"ballots": 6, "support_share": 1.0},
        "Manager": {"ballots": 6, "support_share": 0.167},
    }
    assert support["support_spread"] == 0.833
    warning = (
        "Purpose: Frontline back the winner of “Which says it best?” (100%) "
        "but Manager much less (17%)."
    )
    assert representation.spread_warnings(picture) == [warning]
    assert warning in representation.notices(facilitator, workshop.id)
    # Worth a look before the lock: the readiness list names it (it does not stop the lock).
    assert warning in final.readiness(workshop)["warnings"]


def test_a_clause_that_divides_the_levels_is_in_the_lock_readiness_list(
    facilitator, workshop, room
):
    first = clauses_of(latest_version(workshop.id))[0]
    for person in room["Frontline"]:
        consent.vote_on_clause(person, first.key, "agree")
    for person in room["Manager"]:
        consent.vote_on_clause(person, first.key, "object", "Too vague for us")
    warning = "We care for every patient: Frontline consent (100%) but Manager much less (0%)."
    assert representation.spread_warnings(
        representation.representation(facilitator, workshop.id)
    ) == [warning]
    ready = final.readiness(workshop)
    assert warning in ready["warnings"]
    # A version's readiness reads that version's answers: the first words had none.
    editing.save_clause(facilitator, workshop.id, first.key, "We care for all.", based_on=1)
    assert warning not in final.readiness(workshop)["warnings"]
    assert (
        warning
        in final.readiness(workshop, versions.get_version(facilitator, workshop.id, 1))["warnings"]
    )


def test_the_documents_headings_are_nobodys_words(facilitator, workshop):
    """Started from the template, the draft's headings ("## Purpose", credited to the
    facilitator who started it) counted as a quarter of the words: the room's share looked
    smaller than it was. Only the clauses' words count."""
    front = [join(workshop, f"F{i}", "Frontline") for i in range(5)]
    editing.start_from_template(facilitator, workshop.id, ["Purpose", "How we work"])
    in_phase(facilitator, workshop, Phase.PROPOSE)
    card = proposals.submit_proposal(front[0], workshop.id, "We care for every patient")
    purpose = clauses_of(latest_version(workshop.id))[0].key
    editing.fill_clause_from_proposals(facilitator, workshop.id, purpose, [card.id])
    picture = representation.representation(facilitator, workshop.id)
    assert by_group(picture["by_level"])["Frontline"]["draft_share"] == 1.0
    assert picture["other_words"]["staff"]["draft_share"] == 0.0


def test_the_page_and_every_export_agree_on_who_proposed_and_voted(facilitator):
    """One person's only card was hidden as off topic, another's after the draft took its
    words: the "who took part" page counted neither as having proposed (and flagged a level
    whose words are the whole draft), while the JSON and CSV record counted both. They
    proposed; every place now says so, and says who voted as well."""
    workshop = make_workshop(facilitator)
    rounds.set_phase(facilitator, workshop.id, "propose")
    people = [join(workshop, f"Front {i}", "Frontline") for i in range(6)]
    cards = [
        proposals.submit_proposal(p, workshop.id, f"We care, idea {i}.")
        for i, p in enumerate(people[:3])
    ]
    moderation.hide_proposal(facilitator, cards[0].id, "Off topic")
    vote = agenda.add_round(facilitator, workshop.id, agenda.RoundSettings(RoundKind.VOTE))
    rounds.start_round(facilitator, vote.id)
    for person in people[3:5]:
        votes.set_dots(person, cards[1].id, 1)
    rounds.set_phase(facilitator, workshop.id, "draft")
    versions.start_draft_from_proposals(facilitator, workshop.id, [cards[2].id], based_on=None)
    moderation.hide_proposal(facilitator, cards[2].id, "In the draft already")

    page = by_group(representation.representation(facilitator, workshop.id)["by_level"])
    record = json.loads(exports.export_version(facilitator, workshop.id, 1, "json").content)
    in_json = by_group(record["participation"]["by_level"])
    with zipfile.ZipFile(
        io.BytesIO(exports.export_version(facilitator, workshop.id, 1, "csv").content)
    ) as tables:
        text = tables.read("participation.csv").decode("utf-8-sig")
    in_csv = {
        row["group"]: row for row in csv.DictReader(io.StringIO(text)) if row["by"] == "level"
    }
    counts = {"joined": 6, "proposed": 3, "voted": 2}
    assert {k: page["Frontline"][k] for k in counts} == counts
    assert {k: in_json["Frontline"][k] for k in counts} == counts
    assert {k: int(in_csv["Frontline"][k]) for k in counts} == counts


def _locked_room_with_small_levels(facilitator):
    """Six at the front line, five managers, three directors and two team leads; both team
    leads and a manager vote; version 1 is locked. Then three more directors join."""
    workshop = make_workshop(facilitator)
    room = {"Frontline": 6, "Manager": 5, "Director": 3, "Team lead": 2}
    people = {lvl: [join(workshop, f"{lvl} {i}", lvl) for i in range(n)] for lvl, n in room.items()}
    rounds.set_phase(facilitator, workshop.id, "propose")
    card = proposals.submit_proposal(people["Frontline"][0], workshop.id, "We care for all")
    rounds.set_phase(facilitator, workshop.id, "vote")
    for voter in (*people["Team lead"], people["Manager"][0]):
        votes.set_dots(voter, card.id, 1)
    v1 = versions.start_draft_from_proposals(facilitator, workshop.id, [card.id], based_on=None)
    final.set_quorum(facilitator, workshop.id, 0)
    final.lock_version(facilitator, workshop.id, v1.number)
    for i in range(3, 6):
        join(workshop, f"Director {i}", "Director")
    return workshop, v1


def test_a_small_level_cannot_be_worked_out_by_comparing_a_locked_picture_with_now(facilitator):
    """Pools drawn afresh after three directors joined put the two team leads with the
    managers, whom the locked version's pack showed alone: subtracting the manager row kept
    at the lock from "Other levels" now told that both team leads had voted (found by a
    review). A group pooled in a kept picture stays pooled in every later one."""
    workshop, v1 = _locked_room_with_small_levels(facilitator)
    then = by_group(representation.representation(facilitator, workshop.id, version=v1)["by_level"])
    now = by_group(representation.representation(facilitator, workshop.id)["by_level"])
    assert then["Other levels"]["members"] == ["Director", "Team lead"]
    assert now["Other levels"]["members"] == ["Director", "Team lead"]  # still together
    assert set(now) == {"Frontline", "Manager", "Other levels"}
    final.reopen(facilitator, workshop.id, "More voices")
    later = json.loads(exports.export_version(facilitator, workshop.id, 2, "json").content)
    pools = [r for r in later["participation"]["by_level"] if r["members"]]
    assert [r["members"] for r in pools] == [["Director", "Team lead"]]


def test_people_without_a_department_are_a_group_not_the_difference(facilitator):
    """Someone who joined before departments were set had none: every department total left
    them out while every level total counted them, so the difference told what one person
    did. They are a group of their own ("No department"), pooled like any other."""
    workshop = make_workshop(facilitator)
    solo = join(workshop, "Solo", "Frontline")  # joined before departments were set
    workshop.departments = ["Care"]
    db.session.commit()
    others = [join(workshop, f"Care {i}", "Frontline", "Care") for i in range(5)]
    rounds.set_phase(facilitator, workshop.id, "propose")
    card = proposals.submit_proposal(others[0], workshop.id, "We care for all")
    rounds.set_phase(facilitator, workshop.id, "vote")
    votes.set_dots(solo, card.id, 1)
    versions.start_draft_from_proposals(facilitator, workshop.id, [card.id], based_on=None)
    record = json.loads(exports.export_version(facilitator, workshop.id, 1, "json").content)
    page = representation.representation(facilitator, workshop.id)
    for rows in (record["participation"], page):
        for kind in ("joined", "proposed", "voted"):
            assert sum(r[kind] for r in rows["by_level"]) == sum(
                r[kind] for r in rows["by_department"]
            ), kind
        (pool,) = [r for r in rows["by_department"] if r["members"]]
        assert set(pool["members"]) == {"Care", "No department"}


def test_consent_by_level_pooled_at_a_lock_stays_pooled_on_the_page(facilitator):
    """The pack keeps each clause's consent by level from the lock; the page pooled the
    answers afresh, so once more managers answered, the page's pool held the two directors
    alone beside the managers, and the page minus the pack told that both directors objected
    (found by a review). Levels pooled in a kept picture stay pooled, clause by clause."""
    workshop = make_workshop(facilitator)
    room = {"Frontline": 5, "Manager": 3, "Director": 2}
    people = {lvl: [join(workshop, f"{lvl} {i}", lvl) for i in range(n)] for lvl, n in room.items()}
    rounds.set_phase(facilitator, workshop.id, "propose")
    card = proposals.submit_proposal(people["Frontline"][0], workshop.id, "We care for all")
    rounds.set_phase(facilitator, workshop.id, "draft")
    v1 = versions.start_draft_from_proposals(facilitator, workshop.id, [card.id], based_on=None)
    key = clauses_of(v1)[0].key
    for group in people.values():
        for person in group:
            consent.vote_on_clause(person, key, "agree")
    final.set_quorum(facilitator, workshop.id, 0)
    final.lock_version(facilitator, workshop.id, v1.number)
    (then,) = representation.representation(facilitator, workshop.id, version=v1)["agreement"]
    assert set(then["consent_by_level"]) == {"Frontline", "Other levels"}
    final.reopen(facilitator, workshop.id, "More voices")
    for i in range(3, 5):
        consent.vote_on_clause(join(workshop, f"Manager {i}", "Manager"), key, "agree")
    for director in people["Director"]:
        consent.vote_on_clause(director, key, "object", "Not for us")
    (now,) = representation.representation(facilitator, workshop.id)["agreement"]
    assert "Manager" not in now["consent_by_level"]  # still pooled with the directors
    assert set(now["pooled_levels"]) >= {"Director", "Manager"}
