"""Values rounds: submissions, the aggregations (checked by hand) and the small-group rule."""

import pytest

from tests.conftest import db_fingerprint, join, make_workshop
from workshop import catalogue, tallies
from workshop.errors import ValidationFailed
from workshop.models import Anonymity, Phase, RoundKind
from workshop.services import agenda, participants, rounds, values, votes
from workshop.services.agenda import RoundSettings

# Six people; picks as (value or "custom:…", organisational value or None, lived 1-5).
PEOPLE = [
    (
        "P1",
        "Frontline",
        "Care",
        [("integrity", "Integrity", 3), ("custom:Family", None, 2)],
        {"current": ["integrity"]},
    ),
    (
        "P2",
        "Frontline",
        "Care",
        [("integrity", "Integrity", 4), ("balance", None, 1)],
        {"desired": ["balance"]},
    ),
    (
        "P3",
        "Frontline",
        "IT",
        [("care", "Care", 5), ("balance", None, 2)],
        {"desired": ["balance"]},
    ),
    ("P4", "Frontline", "IT", [("integrity", "Care", 2)], {}),
    ("P5", "Frontline", "IT", [("growth", "Curiosity", 3), ("balance", None, 3)], {}),
    (
        "P6",
        "Executive",
        "Finance",
        [("integrity", "Integrity", 5), ("growth", "Curiosity", 4)],
        {"current": ["integrity", "growth"]},
    ),
]


@pytest.fixture
def values_workshop(facilitator):
    workshop = make_workshop(
        facilitator,
        values=["Care", "Integrity", "Curiosity"],
        departments=["Care", "IT", "Finance"],
    )
    round_ = agenda.add_round(facilitator, workshop.id, RoundSettings(RoundKind.VALUES, "", 600))
    rounds.start_round(facilitator, round_.id)
    return workshop, round_


def submit(workshop, name, level, department, picks, culture):
    person = participants.join_workshop(
        workshop.join_code, display_name=name, level=level, department=department
    )
    org = {v.name: str(v.id) for v in workshop.values}
    payload = {
        "picks": [
            {
                **({"custom": label[7:]} if label.startswith("custom:") else {"value": label}),
                "maps_to": org[maps_to] if maps_to else "none",
                "lived": lived,
            }
            for label, maps_to, lived in picks
        ],
        **culture,
    }
    return person, votes.cast_ballot(person, workshop.id, payload)


def test_a_values_round_puts_the_room_in_the_values_phase(facilitator, values_workshop):
    workshop, round_ = values_workshop
    assert workshop.phase == Phase.VALUES and round_.kind == RoundKind.VALUES
    assert round_.method is None  # values ballots are not votes by a method
    assert round_.blind  # nothing shows until the facilitator reveals it


def test_aggregations_match_the_hand_computed_fixture(facilitator, values_workshop):
    workshop, round_ = values_workshop
    for person in PEOPLE:
        submit(workshop, *person)
    assert tallies.round_results(round_) is None  # blind until the reveal
    votes.reveal_round(facilitator, round_.id)
    results = tallies.round_results(round_)
    org = {v.name: str(v.id) for v in workshop.values}
    assert results["ballots"] == 6
    rows = {row["value"]: (row["counts"], row["total"]) for row in results["rows"]}
    assert [row["value"] for row in results["rows"]] == [
        "Integrity",
        "Balance",
        "Growth",
        "Care",
        "Family",
    ]
    assert rows["Integrity"] == ({org["Integrity"]: 3, org["Care"]: 1}, 4)
    assert rows["Balance"] == ({"none": 3}, 3)
    assert rows["Family"] == ({"none": 1}, 1)
    assert results["not_represented"] == [
        {"key": "balance", "value": "Balance", "count": 3},
        {"key": "custom:family", "value": "Family", "count": 1},
    ]
    assert results["stated_not_lived"] == [
        {"org_value": "Care", "mean": 3.5, "count": 2},
        {"org_value": "Curiosity", "mean": 3.5, "count": 2},
        {"org_value": "Integrity", "mean": 4.0, "count": 3},
    ]
    assert results["alignment"]["workshop"] == pytest.approx(7 / 11)
    # Executive has one person: suppressed; and Frontline with it, or the total minus Frontline
    # would give the executive away. All departments are under five.
    assert results["alignment"]["by_level"] == {
        "Executive": None,
        "Frontline": None,
    }
    assert results["alignment"]["by_department"] == {"Care": None, "Finance": None, "IT": None}
    assert results["shared_across_levels"] == []  # no level is large enough to compare ...
    assert results["levels_hidden"] == 2  # ... and the screens say why
    assert results["culture"]["current"] == [
        {"key": "integrity", "value": "Integrity", "count": 2},
        {"key": "growth", "value": "Growth", "count": 1},
    ]
    assert results["culture"]["desired"] == [{"key": "balance", "value": "Balance", "count": 2}]


def test_people_change_their_values_and_only_the_latest_counts(facilitator, values_workshop):
    workshop, round_ = values_workshop
    person, _ = submit(workshop, "P1", "Frontline", "Care", [("integrity", "Integrity", 3)], {})
    org = {v.name: str(v.id) for v in workshop.values}
    votes.cast_ballot(
        person,
        workshop.id,
        {"picks": [{"value": "growth", "maps_to": org["Curiosity"], "lived": 2}]},
    )
    votes.reveal_round(facilitator, round_.id)
    assert [row["value"] for row in tallies.round_results(round_)["rows"]] == ["Growth"]


@pytest.mark.parametrize(
    "payload",
    [
        {"picks": []},
        {"picks": [{"value": "integrity", "maps_to": None, "lived": 6}]},
        {"picks": [{"value": "integrity", "maps_to": None, "lived": 3}] * 2},
        {"picks": [{"value": "not-a-value", "maps_to": None, "lived": 3}]},
        {"picks": [{"value": "integrity", "custom": "Both", "maps_to": None, "lived": 3}]},
        {"picks": [{"custom": "x" * 41, "maps_to": None, "lived": 3}]},
        {"picks": [{"value": "integrity", "maps_to": "999999", "lived": 3}]},
        {
            "picks": [
                {"value": v, "maps_to": None, "lived": 3}
                for v in ("integrity", "growth", "care", "balance", "honesty", "respect")
            ]
        },
    ],
)
def test_invalid_submissions_are_refused_and_nothing_is_stored(values_workshop, payload):
    workshop, _ = values_workshop
    person = join(workshop)
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        votes.cast_ballot(person, workshop.id, payload)
    assert db_fingerprint() == before


def test_own_words_and_catalogue_edits(facilitator, values_workshop):
    workshop, round_ = values_workshop
    values.edit_catalogue(
        facilitator, workshop.id, hidden=["humour"], added=[{"name": "Neighbourliness"}]
    )
    keys = {v.key for v in catalogue.workshop_catalogue(workshop)}
    assert "humour" not in keys and "own:neighbourliness" in keys
    person = join(workshop)
    votes.cast_ballot(
        person,
        workshop.id,
        {
            "picks": [
                {"value": "own:neighbourliness", "maps_to": None, "lived": 2},
                {"custom": "  Being   home on time ", "maps_to": None, "lived": 1},
            ]
        },
    )
    with pytest.raises(ValidationFailed):
        votes.cast_ballot(
            person, workshop.id, {"picks": [{"value": "humour", "maps_to": None, "lived": 2}]}
        )
    votes.reveal_round(facilitator, round_.id)
    rows = [row["value"] for row in tallies.round_results(round_)["rows"]]
    assert sorted(rows) == ["Being home on time", "Neighbourliness"]


def test_the_dutch_catalogue_loads_for_the_workshop(values_workshop):
    workshop, _ = values_workshop
    dutch = {v.key: v.name for v in catalogue.workshop_catalogue(workshop, "nl")}
    assert dutch["craftsmanship"] == "Vakmanschap"
    assert len(dutch) >= 58


def test_fully_anonymous_values_carry_no_level_or_department(
    facilitator, facilitator_workshop_full
):
    workshop, round_ = facilitator_workshop_full
    for person in PEOPLE[:5]:
        submit(workshop, *person)
    votes.reveal_round(facilitator, round_.id)
    results = tallies.round_results(round_)
    assert results["ballots"] == 5
    assert results["alignment"]["by_level"] == {} and results["alignment"]["by_department"] == {}


@pytest.fixture
def facilitator_workshop_full(facilitator):
    workshop = make_workshop(
        facilitator,
        values=["Care", "Integrity", "Curiosity"],
        departments=["Care", "IT", "Finance"],
    )
    round_ = agenda.add_round(
        facilitator, workshop.id, RoundSettings(RoundKind.VALUES, "", 600, anonymity=Anonymity.FULL)
    )
    rounds.start_round(facilitator, round_.id)
    return workshop, round_


def test_own_words_keep_their_capitals_and_group_whatever_the_case(facilitator, values_workshop):
    workshop, round_ = values_workshop
    for name, words in [("A", "NHS Constitution"), ("B", "nhs constitution")]:
        person = participants.join_workshop(
            workshop.join_code, display_name=name, level="Frontline", department="IT"
        )
        votes.cast_ballot(
            person, workshop.id, {"picks": [{"custom": words, "maps_to": None, "lived": 2}]}
        )
    votes.reveal_round(facilitator, round_.id)
    rows = tallies.round_results(round_)["rows"]
    assert [(row["value"], row["total"]) for row in rows] == [("NHS Constitution", 2)]


def test_a_value_not_mapped_yet_is_not_counted_as_not_represented(facilitator, values_workshop):
    workshop, round_ = values_workshop
    org = {v.name: str(v.id) for v in workshop.values}
    first, second = (join(workshop, name) for name in ("Ann", "Bo"))
    votes.cast_ballot(
        first, workshop.id, {"picks": [{"value": "integrity", "maps_to": None, "lived": 3}]}
    )
    votes.cast_ballot(
        second,
        workshop.id,
        {
            "picks": [
                {"value": "integrity", "maps_to": "none", "lived": 3},
                {"value": "humour", "maps_to": next(iter(org.values())), "lived": 4},
            ]
        },
    )
    votes.reveal_round(facilitator, round_.id)
    results = tallies.round_results(round_)
    # Only Bo's explicit "none" counts as not represented; Ann's open mapping is its own column.
    assert [(i["value"], i["count"]) for i in results["not_represented"]] == [("Integrity", 1)]
    assert [c["name"] for c in results["columns"]][-2:] == [
        "Not represented here",
        "Not mapped yet",
    ]
    integrity = next(r for r in results["rows"] if r["key"] == "integrity")
    assert integrity["counts"] == {"none": 1, "unmapped": 1}
    # Alignment counts placed values only: one of Bo's two is in the organisation's values.
    assert results["alignment"]["workshop"] == 0.5
