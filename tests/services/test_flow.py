"""The workshop as one flow: each propose round asks for one clause of the mission, the vote
after it chooses among those proposals only, its winners go to that clause of the draft, the
consent round asks about the draft's clauses, and "Next" walks the agenda."""

from __future__ import annotations

import pytest

from tests.conftest import db_fingerprint, join
from workshop import queries, snapshots, tallies
from workshop.errors import InvalidState, ValidationFailed
from workshop.models import Phase, RoundKind, RoundStatus
from workshop.services import agenda, consent, editing, proposals, rounds, votes, winners
from workshop.services.agenda import RoundSettings


def add(facilitator, workshop, kind, prompt="", **settings):
    return agenda.add_round(facilitator, workshop.id, RoundSettings(kind, prompt, 0, **settings))


@pytest.fixture
def two_clauses(facilitator, workshop):
    """Purpose proposed (A, B) then Who we serve proposed (C, D, E), each followed by a vote."""
    people = [join(workshop, f"P{i}", "Frontline") for i in range(5)]
    ask_purpose = add(facilitator, workshop, RoundKind.PROPOSE, "Why?", clause="Purpose")
    vote_purpose = add(
        facilitator,
        workshop,
        RoundKind.VOTE,
        "Best purpose",
        method="dot",
        blind=False,
        clause="Purpose",
    )
    ask_serve = add(facilitator, workshop, RoundKind.PROPOSE, "Whom?", clause="Who we serve")
    vote_serve = add(
        facilitator,
        workshop,
        RoundKind.VOTE,
        "Rank",
        method="ranked",
        blind=False,
        clause="Who we serve",
    )
    rounds.start_round(facilitator, ask_purpose.id)
    a, b = (proposals.submit_proposal(people[i], workshop.id, t).id for i, t in enumerate("AB"))
    rounds.start_round(facilitator, ask_serve.id)
    c, d, e = (
        proposals.submit_proposal(people[i], workshop.id, f"{t} serve").id
        for i, t in enumerate("CDE")
    )
    return {
        "people": people,
        "rounds": (ask_purpose, vote_purpose, ask_serve, vote_serve),
        "purpose": [a, b],
        "serve": [c, d, e],
    }


def test_a_vote_round_counts_only_the_proposals_of_its_propose_round(facilitator, two_clauses):
    people, (_, vote_purpose, _, vote_serve) = two_clauses["people"], two_clauses["rounds"]
    a, b = two_clauses["purpose"]
    c, d, e = two_clauses["serve"]
    assert [p.id for p in queries.candidates(vote_purpose)] == [a, b]
    assert [p.id for p in queries.candidates(vote_serve)] == [c, d, e]

    rounds.start_round(facilitator, vote_serve.id)
    # A ballot naming a proposal of the other clause is refused and changes nothing.
    before = db_fingerprint()
    with pytest.raises(ValidationFailed) as refused:
        votes.cast_ballot(people[0], vote_serve.workshop_id, {"ranking": [a, c]})
    assert refused.value.details["reason"] == "unknown_candidate"
    assert db_fingerprint() == before
    for person, ranking in zip(people, [[d, c], [d], [c, d, e], [d, e], [e, d]], strict=True):
        votes.cast_ballot(person, vote_serve.workshop_id, {"ranking": ranking})
    results = tallies.round_results(vote_serve)
    # Instant runoff spends no count on proposals of another clause, and every ranking
    # names only this round's proposals.
    first_count = results["instant_runoff"]["rounds"][0]["counts"]
    assert set(first_count) == {str(c), str(d), str(e)}
    assert set(results["ranking"]) == {c, d, e}
    assert set(results["borda"]["scores"]) == {str(c), str(d), str(e)}
    # The snapshot tells every screen which proposals are on this ballot.
    snapshot = snapshots.build_snapshot(vote_serve.workshop_id, people[0])
    current = next(r for r in snapshot["rounds"] if r["id"] == vote_serve.id)
    assert current["proposals_from"] == two_clauses["rounds"][2].id
    assert current["clause"] == "Who we serve"


def test_a_vote_round_can_name_its_source_or_take_every_proposal(
    facilitator, workshop, two_clauses
):
    ask_purpose, _, ask_serve, _ = two_clauses["rounds"]
    named = add(
        facilitator, workshop, RoundKind.VOTE, method="approval", source_round_id=ask_purpose.id
    )
    every = add(facilitator, workshop, RoundKind.VOTE, method="dot", all_proposals=True)
    assert [p.id for p in queries.candidates(named)] == two_clauses["purpose"]
    assert len(queries.candidates(every)) == 5
    refine = add(facilitator, workshop, RoundKind.REFINE)
    for wrong in (refine.id, 10_000):
        with pytest.raises(ValidationFailed) as refused:
            add(facilitator, workshop, RoundKind.VOTE, method="dot", source_round_id=wrong)
        assert refused.value.details["field"] == "source_round_id"
    # Once voting began the ballot's proposals cannot change.
    rounds.start_round(facilitator, named.id)
    with pytest.raises(InvalidState):
        agenda.change_round(facilitator, named.id, {"source_round_id": ask_serve.id})


@pytest.mark.parametrize(
    ("method", "ballots", "expected_order"),
    [
        ("dot", [{"dots": {"E": 1}}, {"dots": {"C": 1, "E": 1}}, {"dots": {"D": 3}}], "DEC"),
        ("approval", [{"approved": ["D", "C"]}, {"approved": ["C"]}, {"approved": ["E"]}], "CDE"),
        (
            "score",
            [{"scores": {"C": 1, "D": 4, "E": 3}}, {"scores": {"C": 2, "D": 5, "E": 4}}],
            "DEC",
        ),
        (
            "ranked",
            [{"ranking": ["E", "D", "C"]}, {"ranking": ["E", "C"]}, {"ranking": ["D"]}],
            "EDC",
        ),
        (
            "consent",
            [
                {"consent": {"C": {"choice": "object", "reason": "No"}, "D": {"choice": "agree"}}},
                {"consent": {"D": {"choice": "live_with"}, "E": {"choice": "agree"}}},
                {"consent": {"E": {"choice": "agree"}}},
            ],
            "EDC",
        ),
    ],
)
def test_the_winning_proposals_are_ranked_by_each_methods_results(
    facilitator, workshop, two_clauses, method, ballots, expected_order
):
    ids = dict(zip("CDE", two_clauses["serve"], strict=True))

    def named(value):
        if isinstance(value, dict):
            return {str(ids.get(k, k)) if k in ids else k: named(v) for k, v in value.items()}
        if isinstance(value, list):
            return [ids.get(v, v) for v in value]
        return value

    round_ = add(
        facilitator,
        workshop,
        RoundKind.VOTE,
        method=method,
        dots_budget=3,
        source_round_id=two_clauses["rounds"][2].id,
    )
    rounds.start_round(facilitator, round_.id)
    for person, ballot in zip(two_clauses["people"], ballots, strict=False):
        votes.cast_ballot(person, workshop.id, named(ballot))
    votes.reveal_round(facilitator, round_.id)
    order = [p.id for p, _place in winners.ranked_candidates(round_)]
    assert order == [ids[letter] for letter in expected_order]
    (entry,) = [
        e for e in winners.results_by_round(facilitator, workshop.id) if e["round"] is round_
    ]
    assert [place for _p, place in entry["proposals"]][0] == 1


def test_the_winner_goes_to_its_clause_of_the_draft(facilitator, workshop, two_clauses):
    _, vote_purpose, _, vote_serve = two_clauses["rounds"]
    people = two_clauses["people"]
    a, b = two_clauses["purpose"]
    rounds.start_round(facilitator, vote_purpose.id)
    with pytest.raises(InvalidState):
        winners.place_winners(facilitator, vote_purpose.id)  # nobody voted yet
    votes.cast_ballot(people[0], workshop.id, {"dots": {str(b): 2}})
    votes.cast_ballot(people[1], workshop.id, {"dots": {str(a): 1}})
    # No draft yet: it starts from the template, and B goes under "Purpose".
    version = winners.place_winners(facilitator, vote_purpose.id)
    by_heading = {c.heading: c.body for c in queries.clauses_of(version)}
    assert by_heading["Purpose"] == "B"
    assert by_heading["Who we serve"] == ""
    assert [p.id for p in version.source_proposals] == [b]
    # Pressed again (a second facilitator, a stale tab): the words go in once.
    with pytest.raises(InvalidState) as again:
        winners.place_winners(facilitator, vote_purpose.id)
    assert again.value.code == "unchanged"
    assert queries.latest_version(workshop.id).number == version.number
    # A round about a clause the draft does not have says so.
    rounds.start_round(facilitator, vote_serve.id)
    votes.cast_ballot(people[2], workshop.id, {"ranking": two_clauses["serve"][:1]})
    agenda.change_round(facilitator, vote_serve.id, {"clause": "Our promise"})
    with pytest.raises(ValidationFailed) as refused:
        winners.place_winners(facilitator, vote_serve.id)
    assert "Our promise" in refused.value.message


def test_a_blind_rounds_winners_wait_for_the_reveal(facilitator, workshop, two_clauses):
    _, vote_purpose, _, _ = two_clauses["rounds"]
    agenda.change_round(facilitator, vote_purpose.id, {"blind": True})
    rounds.start_round(facilitator, vote_purpose.id)
    votes.cast_ballot(
        two_clauses["people"][0], workshop.id, {"dots": {str(two_clauses["purpose"][0]): 1}}
    )
    with pytest.raises(InvalidState):
        winners.place_winners(facilitator, vote_purpose.id)
    (entry,) = [
        e for e in winners.results_by_round(facilitator, workshop.id) if e["round"] is vote_purpose
    ]
    assert not entry["results_shown"] and all(place is None for _p, place in entry["proposals"])


def test_the_consent_round_asks_about_the_drafts_clauses_not_proposals(
    facilitator, workshop, two_clauses
):
    people = two_clauses["people"]
    version = editing.paste_document(
        facilitator,
        workshop.id,
        "## Purpose\n\nWe care.\n\n## Who we serve\n\nEveryone.",
        based_on=None,
    )
    purpose = queries.clauses_of(version)[0].key
    round_ = add(facilitator, workshop, RoundKind.CONSENT, "Can you live with each clause?")
    assert round_.method is None and not round_.takes_ballots
    rounds.start_round(facilitator, round_.id)
    assert queries.get_workshop(workshop.id).phase == Phase.DRAFT  # the draft is on screen
    with pytest.raises(InvalidState) as refused:
        votes.cast_ballot(
            people[0],
            workshop.id,
            {"consent": {str(two_clauses["purpose"][0]): {"choice": "agree"}}},
        )
    assert refused.value.code == "voting_closed"
    consent.vote_on_clause(people[0], purpose, "object", "Too vague")
    snapshot = snapshots.build_snapshot(workshop.id, facilitator)
    assert snapshot["wording"]["consent"][str(purpose)]["objections"] == ["Too vague"]


def test_next_walks_the_agenda_and_says_when_it_is_done(facilitator, workshop):
    first = add(facilitator, workshop, RoundKind.PROPOSE, "One")
    second = add(facilitator, workshop, RoundKind.VOTE, "Two", method="dot")
    third = add(facilitator, workshop, RoundKind.REFINE, "Three")
    assert rounds.start_next_round(facilitator, workshop.id).id == first.id
    assert rounds.start_next_round(facilitator, workshop.id).id == second.id
    assert queries.get_workshop(workshop.id).phase == Phase.VOTE
    assert first.status == RoundStatus.ENDED
    # Going back to an earlier round, "Next" continues after it with the first not yet run.
    rounds.start_round(facilitator, first.id)
    assert rounds.start_next_round(facilitator, workshop.id).id == third.id
    with pytest.raises(InvalidState) as done:
        rounds.start_next_round(facilitator, workshop.id)
    assert done.value.code == "agenda_done"
