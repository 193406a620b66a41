"""Voting methods against worked examples with published outcomes, plus properties.

Every number asserted here either comes from a published example (source named in a comment)
or is small enough to check by hand; the hand computation is written next to it.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.voting import (
    MAX_REASON_LENGTH,
    BallotError,
    ConsentChoice,
    Method,
    RunoffRound,
    borda,
    instant_runoff,
    schulze,
    tally_approval,
    tally_consent,
    tally_dots,
    tally_ranked,
    tally_score,
    validate_approval,
    validate_consent,
    validate_dot,
    validate_ranking,
    validate_score,
)

AGREE, LIVE_WITH, OBJECT = ConsentChoice.AGREE, ConsentChoice.LIVE_WITH, ConsentChoice.OBJECT


def expand(profile: list[tuple[int, tuple[int, ...]]]) -> list[tuple[int, ...]]:
    """[(5, (1, 2)), ...] -> five copies of (1, 2), ...: how published examples are written."""
    return [ranking for count, ranking in profile for _ in range(count)]


# --------------------------------------------------------------------------------------------
# 1. Tennessee capital. Source: Wikipedia, "Instant-runoff voting", "Borda count", "Condorcet
# method" and "Schulze method" articles (the same 100-voter electorate in each). Published
# outcomes: plurality Memphis, instant runoff Knoxville, Borda Nashville, Condorcet Nashville.

MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = 1, 2, 3, 4
TENNESSEE_CANDIDATES = [MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE]
TENNESSEE = expand(
    [
        (42, (MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE)),
        (26, (NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS)),
        (15, (CHATTANOOGA, KNOXVILLE, NASHVILLE, MEMPHIS)),
        (17, (KNOXVILLE, CHATTANOOGA, NASHVILLE, MEMPHIS)),
    ]
)


def test_tennessee_instant_runoff_elects_knoxville_round_by_round():
    result = instant_runoff(TENNESSEE, TENNESSEE_CANDIDATES)
    assert result.winner == KNOXVILLE
    assert result.ballots == 100
    assert result.rounds == (
        # Round 1: first preferences; Chattanooga (15) has fewest.
        RunoffRound(
            {MEMPHIS: 42, NASHVILLE: 26, CHATTANOOGA: 15, KNOXVILLE: 17}, 0, (CHATTANOOGA,)
        ),
        # Round 2: Chattanooga's 15 go to Knoxville (17 + 15 = 32); Nashville (26) has fewest.
        RunoffRound({MEMPHIS: 42, NASHVILLE: 26, KNOXVILLE: 32}, 0, (NASHVILLE,)),
        # Round 3: Nashville's 26 skip Chattanooga and go to Knoxville (32 + 26 = 58 > 50).
        RunoffRound({MEMPHIS: 42, KNOXVILLE: 58}, 0, ()),
    )
    assert result.ranking == (KNOXVILLE, MEMPHIS, NASHVILLE, CHATTANOOGA)


def test_tennessee_borda_elects_nashville_with_published_scores():
    result = borda(TENNESSEE, TENNESSEE_CANDIDATES)
    # 3/2/1/0 points. Memphis 42*3 = 126; Nashville 42*2 + 26*3 + 15 + 17 = 194;
    # Chattanooga 42 + 26*2 + 15*3 + 17*2 = 173; Knoxville 26 + 15*2 + 17*3 = 107.
    assert result.scores == {MEMPHIS: 126, NASHVILLE: 194, CHATTANOOGA: 173, KNOXVILLE: 107}
    assert result.first_preferences == {MEMPHIS: 42, NASHVILLE: 26, CHATTANOOGA: 15, KNOXVILLE: 17}
    assert result.winner == NASHVILLE
    assert result.ranking == (NASHVILLE, CHATTANOOGA, MEMPHIS, KNOXVILLE)


def test_tennessee_schulze_elects_the_condorcet_winner_nashville():
    result = schulze(TENNESSEE, TENNESSEE_CANDIDATES)
    assert result.winner == NASHVILLE
    assert result.condorcet_winner == NASHVILLE
    # Nashville beats Memphis 58-42, Chattanooga 68-32 and Knoxville 68-32 (Wikipedia table).
    assert result.pairwise[NASHVILLE] == {MEMPHIS: 58, CHATTANOOGA: 68, KNOXVILLE: 68}
    # Published Condorcet order: Nashville > Chattanooga > Knoxville > Memphis.
    assert result.ranking == (NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS)


def test_tennessee_plurality_would_be_memphis():
    # Plurality = first-round counts of instant runoff; published plurality winner Memphis.
    counts = instant_runoff(TENNESSEE, TENNESSEE_CANDIDATES).rounds[0].counts
    assert max(counts, key=counts.__getitem__) == MEMPHIS


def test_tally_ranked_bundles_all_three_and_headlines_schulze():
    result = tally_ranked(TENNESSEE, TENNESSEE_CANDIDATES)
    assert result.instant_runoff.winner == KNOXVILLE
    assert result.borda.winner == NASHVILLE
    assert result.schulze.winner == NASHVILLE
    assert (result.winner, result.ranking) == (NASHVILLE, result.schulze.ranking)
    assert result.ballots == 100
    assert not result.methods_agree


def test_tally_ranked_accepts_a_one_shot_iterator():
    result = tally_ranked(iter(TENNESSEE), TENNESSEE_CANDIDATES)
    assert result.instant_runoff.ballots == result.borda.ballots == result.schulze.ballots == 100


# --------------------------------------------------------------------------------------------
# 2. Borda fails the majority criterion. Source: the standard illustration (Wikipedia,
# "Majority criterion", Borda count example): 3 A>B>C, 2 B>C>A. A is first on 3 of 5 ballots
# (a majority) yet Borda elects B.

A, B, C, D, E = 1, 2, 3, 4, 5
MAJORITY_FAILURE = expand([(3, (A, B, C)), (2, (B, C, A))])


def test_borda_differs_from_schulze_and_instant_runoff():
    bc = borda(MAJORITY_FAILURE, [A, B, C])
    # A = 3*2 = 6, B = 3*1 + 2*2 = 7, C = 2*1 = 2.
    assert bc.scores == {A: 6, B: 7, C: 2}
    assert bc.winner == B
    assert schulze(MAJORITY_FAILURE, [A, B, C]).winner == A  # A beats B 3-2 and C 3-2
    irv = instant_runoff(MAJORITY_FAILURE, [A, B, C])
    assert irv.winner == A
    assert irv.rounds == (RunoffRound({A: 3, B: 2, C: 0}, 0, ()),)  # majority in round 1
    assert tally_ranked(MAJORITY_FAILURE, [A, B, C]).winner == A


# --------------------------------------------------------------------------------------------
# 3. Source: Wikipedia, "Schulze method", section "Example" (45 voters, 5 candidates); the
# same tables appear in M. Schulze, "A new monotonic, clone-independent, reversal symmetric,
# and Condorcet-consistent single-winner election method", Social Choice and Welfare (2011).

SCHULZE_EXAMPLE = expand(
    [
        (5, (A, C, B, E, D)),
        (5, (A, D, E, C, B)),
        (8, (B, E, D, A, C)),
        (3, (C, A, B, E, D)),
        (7, (C, A, E, B, D)),
        (2, (C, B, A, D, E)),
        (7, (D, C, E, B, A)),
        (8, (E, B, A, D, C)),
    ]
)


def test_schulze_wikipedia_example():
    result = schulze(SCHULZE_EXAMPLE, [A, B, C, D, E])
    assert result.ranking == (E, A, C, B, D)
    assert result.winner == E
    assert result.condorcet_winner is None  # "no undisputed winner" from d alone
    # Published matrix of pairwise preferences d[X][Y].
    assert result.pairwise == {
        A: {B: 20, C: 26, D: 30, E: 22},
        B: {A: 25, C: 16, D: 33, E: 18},
        C: {A: 19, B: 29, D: 17, E: 24},
        D: {A: 15, B: 12, C: 28, E: 14},
        E: {A: 23, B: 27, C: 21, D: 31},
    }
    # Published strengths of the strongest paths p[X][Y].
    assert result.strongest_paths == {
        A: {B: 28, C: 28, D: 30, E: 24},
        B: {A: 25, C: 28, D: 33, E: 24},
        C: {A: 25, B: 29, D: 29, E: 24},
        D: {A: 25, B: 28, C: 28, E: 24},
        E: {A: 25, B: 28, C: 28, D: 31},
    }
    assert result.pairwise[A][B] == 20 and result.pairwise[B][A] == 25
    assert result.strongest_paths[A][B] == 28


# --------------------------------------------------------------------------------------------
# Ranked methods: tie-breaks, partial ballots, withdrawn proposals, empty input.


def test_irv_elimination_tie_uses_the_previous_round_before_the_id():
    # Hand-built. Round 1: 1:6, 2:3, 3:4, 4:1 -> 4 out (no tie); its ballot moves to 2.
    # Round 2: 1:6, 2:4, 3:4 -> 2 and 3 tie for fewest; in round 1 proposal 2 had 3 < 4, so 2
    # goes even though it is the earlier submission. Round 3: 2's four ballots are exhausted;
    # 1 has 6 of 10 live ballots, a majority.
    ballots = expand([(6, (1,)), (4, (3,)), (3, (2,)), (1, (4, 2))])
    result = instant_runoff(ballots, [1, 2, 3, 4])
    assert result.rounds == (
        RunoffRound({1: 6, 2: 3, 3: 4, 4: 1}, 0, (4,)),
        RunoffRound({1: 6, 2: 4, 3: 4}, 0, (2,), tie_break=True),
        RunoffRound({1: 6, 3: 4}, 4, ()),
    )
    assert result.winner == 1
    assert result.ranking == (1, 3, 2, 4)


def test_irv_backwards_tie_break_looks_further_back_when_the_previous_round_tied_too():
    # Hand-built. Round 1: 1:7, 2:3, 3:4, 4:2, 5:1 -> 5 out; its ballot goes to 2.
    # Round 2: 1:7, 2:4, 3:4, 4:2 -> 4 out; its two ballots go to 2 and 3.
    # Round 3: 1:7, 2:5, 3:5: tie; round 2 tied too (4, 4); round 1: 2 had 3 < 4 -> 2 out.
    ballots = expand([(7, (1,)), (3, (2,)), (4, (3,)), (1, (4, 2)), (1, (4, 3)), (1, (5, 2))])
    result = instant_runoff(ballots, [1, 2, 3, 4, 5])
    assert [r.eliminated for r in result.rounds] == [(5,), (4,), (2,), ()]
    assert result.rounds[2] == RunoffRound({1: 7, 2: 5, 3: 5}, 0, (2,), tie_break=True)
    # Round 4: 2's ballots exhaust (five: 3 bare + 1 from 4 + 1 from 5); 1 has 7 of 12 live.
    assert result.rounds[3] == RunoffRound({1: 7, 3: 5}, 5, ())
    assert result.winner == 1


def test_irv_complete_tie_eliminates_the_later_submission():
    # 2 ballots each for 10 and 20: no majority (2 of 4); tied in every round, so 20 (the later
    # submission) goes; then 10 has 2 of 2 live ballots.
    result = instant_runoff([(10,), (10,), (20,), (20,)], [10, 20])
    assert result.rounds == (
        RunoffRound({10: 2, 20: 2}, 0, (20,), tie_break=True),
        RunoffRound({10: 2}, 2, ()),
    )
    assert result.winner == 10
    assert result.ranking == (10, 20)


def test_irv_partial_rankings_exhaust_and_do_not_count_toward_the_majority():
    # 3 ballots (1), 2 ballots (2, 3), 2 ballots (3,): round 1 1:3 2:2 3:2 of 7, no majority;
    # 2 and 3 tie with no earlier round -> 3 (later) goes; its bare ballots exhaust.
    # Round 2: 1:3, 2:2, exhausted 2 -> 3 of 5 live is a majority.
    ballots = expand([(3, (1,)), (2, (2, 3)), (2, (3,))])
    result = instant_runoff(ballots, [1, 2, 3])
    assert result.rounds[-1] == RunoffRound({1: 3, 2: 2}, 2, ())
    assert result.winner == 1


def test_borda_tie_goes_to_more_first_preferences_then_the_earlier_submission():
    # Two ballots 2>1>3 and 3>1>2 give every proposal 2 points (1: 1+1, 2: 2+0, 3: 0+2).
    # First preferences: 2 and 3 one each, 1 none -> 1 is last despite the lowest id;
    # 2 and 3 tie again -> 2 (earlier) first.
    result = borda([(2, 1, 3), (3, 1, 2)], [1, 2, 3])
    assert result.scores == {1: 2, 2: 2, 3: 2}
    assert result.ranking == (2, 3, 1)
    assert result.winner == 2


def test_borda_partial_ranking_unranked_get_nothing_and_first_is_always_n_minus_1():
    # 4 proposals, so 1st = 3 points and 2nd = 2 points even on a short ballot.
    result = borda([(7,), (8, 5)], [5, 6, 7, 8])
    assert result.scores == {5: 2, 6: 0, 7: 3, 8: 3}
    # 7 and 8 tie on 3 points and 1 first preference each -> earlier submission (7) first.
    assert result.ranking == (7, 8, 5, 6)


def test_schulze_ties_go_to_the_earlier_submission():
    # A perfect cycle: every strongest path has strength 2 both ways, nothing is decided.
    cycle = [(5, 3, 9), (3, 9, 5), (9, 5, 3)]
    result = schulze(cycle, [9, 5, 3])
    assert result.condorcet_winner is None
    assert result.ranking == (3, 5, 9)
    assert result.winner == 3
    # A pair split evenly: the earlier submission is ranked first.
    assert schulze([(2, 1), (1, 2)], [1, 2]).ranking == (1, 2)


def test_schulze_partial_rankings_prefer_ranked_over_unranked():
    # Ballot (2,) says 2 > 1 and 2 > 3 and nothing about 1 versus 3.
    result = schulze([(2,)], [1, 2, 3])
    assert result.pairwise == {1: {2: 0, 3: 0}, 2: {1: 1, 3: 1}, 3: {1: 0, 2: 0}}
    assert result.ranking == (2, 1, 3)


def test_ranked_tallies_skip_withdrawn_proposals():
    # Proposal 9 was withdrawn after voting: ballots fall through to their next choice.
    ballots = [(9, 1, 2), (9, 2), (2, 1)]
    assert instant_runoff(ballots, [1, 2]).rounds[0].counts == {1: 1, 2: 2}
    assert borda(ballots, [1, 2]).scores == {1: 1, 2: 2}
    assert schulze(ballots, [1, 2]).pairwise == {1: {2: 1}, 2: {1: 2}}


def test_ranked_tallies_reject_malformed_stored_ballots():
    for tally in (instant_runoff, borda, schulze, tally_ranked):
        with pytest.raises(BallotError) as error:
            tally([(1, 2, 1)], [1, 2])
        assert error.value.code == "duplicate_rank"


@pytest.mark.parametrize("candidates", [[], [1, 2, 3]])
def test_ranked_methods_without_ballots_have_no_winner(candidates):
    irv = instant_runoff([], candidates)
    assert (irv.winner, irv.ranking, irv.rounds, irv.ballots) == (None, (), (), 0)
    bc = borda([], candidates)
    assert (bc.winner, bc.ranking) == (None, ())
    assert bc.scores == dict.fromkeys(candidates, 0)
    sch = schulze([], candidates)
    assert (sch.winner, sch.ranking, sch.condorcet_winner) == (None, (), None)
    ranked = tally_ranked([], candidates)
    assert (ranked.winner, ranked.ranking, ranked.ballots) == (None, (), 0)


def test_ranked_ballots_only_for_withdrawn_proposals_count_as_no_support():
    assert instant_runoff([(9,)], [1, 2]).winner is None
    assert borda([(9,)], [1, 2]).ballots == 1
    assert borda([(9,)], [1, 2]).winner is None


def test_a_single_candidate_wins_ranked_votes_even_with_zero_borda_points():
    assert borda([(4,)], [4]).scores == {4: 0}
    assert borda([(4,)], [4]).winner == 4
    assert schulze([(4,)], [4]).winner == 4
    assert instant_runoff([(4,)], [4]).winner == 4


# --------------------------------------------------------------------------------------------
# 4. Dots, approval, score, consent: small hand-computed examples.


def test_dots_totals_and_voters():
    # Hand count: 1 gets 2+1 = 3 from 2 people, 2 gets 3 from 1 person, 3 gets 1.
    result = tally_dots([{1: 2, 3: 1}, {2: 3}, {1: 1}], [1, 2, 3])
    assert result.totals == {1: 3, 2: 3, 3: 1}
    assert result.voters == {1: 2, 2: 1, 3: 1}
    # 1 and 2 tie on 3 dots; 1 has more voters.
    assert result.ranking == (1, 2, 3)
    assert result.winner == 1
    assert result.ballots == 3


def test_dots_tie_goes_to_more_voters_even_against_an_earlier_submission():
    result = tally_dots([{1: 3}, {2: 1}, {2: 1}, {2: 1}], [1, 2])
    assert result.totals == {1: 3, 2: 3}
    assert result.winner == 2  # 3 people beat 1 enthusiast


def test_dots_full_tie_goes_to_the_earlier_submission():
    result = tally_dots([{7: 2}, {4: 2}], [7, 4])
    assert result.ranking == (4, 7)


def test_dots_without_any_dots_has_no_winner():
    assert tally_dots([{}, {1: 0}], [1, 2]).winner is None
    empty = tally_dots([], [])
    assert (empty.winner, empty.ranking, empty.totals, empty.ballots) == (None, (), {}, 0)


def test_dots_for_a_withdrawn_proposal_are_ignored():
    assert tally_dots([{1: 1, 9: 3}], [1]).totals == {1: 1}


def test_validate_dot_accepts_and_drops_zeros():
    assert validate_dot({2: 1, 1: 2, 3: 0}, [1, 2, 3], budget=3, cap=2) == {1: 2, 2: 1}
    assert validate_dot({}, [1], budget=3, cap=None) == {}
    assert validate_dot({1: 3}, [1], budget=3, cap=None) == {1: 3}


@pytest.mark.parametrize(
    ("allocation", "code", "message"),
    [
        ({1: 2, 2: 2}, "over_budget", "You have 3 dots but placed 4."),
        ({1: 3}, "over_cap", "At most 2 dots per proposal; proposal 1 has 3."),
        ({1: -1}, "negative", "Dots cannot be negative (proposal 1 has -1)."),
        ({9: 1}, "unknown_candidate", "Proposal 9 is not part of this vote."),
        ({1: 1.5}, "not_a_number", "Dots must be a whole number, not 1.5."),
        ({1: True}, "not_a_number", "Dots must be a whole number, not True."),
        ({"1": 1}, "not_a_proposal", "'1' is not a proposal number."),
    ],
)
def test_validate_dot_errors(allocation, code, message):
    with pytest.raises(BallotError) as error:
        validate_dot(allocation, [1, 2], budget=3, cap=2)
    assert error.value.code == code
    assert str(error.value) == message


def test_validate_dot_singular_wording_and_configuration_errors():
    with pytest.raises(BallotError, match=r"^You have 1 dot but placed 2\.$"):
        validate_dot({1: 1, 2: 1}, [1, 2], budget=1, cap=None)
    with pytest.raises(ValueError, match="budget"):
        validate_dot({}, [1], budget=-1, cap=None)


def test_approval_counts_and_shares():
    # 4 voters (one approves nothing): 1 approved by 3, 2 by 2, 3 by none.
    result = tally_approval([{1, 2}, {1}, [1, 2], set()], [1, 2, 3])
    assert result.approvals == {1: 3, 2: 2, 3: 0}
    assert result.share == {1: 0.75, 2: 0.5, 3: 0.0}
    assert result.ranking == (1, 2, 3)
    assert result.winner == 1
    assert result.ballots == 4


def test_approval_tie_goes_to_the_earlier_submission():
    assert tally_approval([{8}, {3}], [8, 3]).ranking == (3, 8)


def test_approval_without_approvals_has_no_winner():
    result = tally_approval([set()], [1])
    assert (result.winner, result.ranking, result.share) == (None, (), {1: 0.0})
    assert tally_approval([], [1]).share == {1: 0.0}


def test_validate_approval():
    assert validate_approval([2, 1], [1, 2, 3]) == frozenset({1, 2})
    assert validate_approval([], [1]) == frozenset()
    with pytest.raises(BallotError, match="Proposal 4 is not part of this vote") as error:
        validate_approval([1, 4], [1, 2])
    assert error.value.code == "unknown_candidate"
    with pytest.raises(BallotError, match="approved more than once"):
        validate_approval([1, 1], [1])


def test_score_mean_over_the_people_who_scored():
    # 1: 4, 5, 3 -> sum 12, count 3, mean 4. 2: 5 from one person (unscored by two others)
    # -> mean 5. 3: 0 and 0 -> mean 0 (zero is a score). 4: never scored -> None, last.
    ballots = [{1: 4, 2: 5, 3: 0}, {1: 5, 3: 0}, {1: 3}]
    result = tally_score(ballots, [1, 2, 3, 4])
    assert result.sum == {1: 12, 2: 5, 3: 0, 4: 0}
    assert result.count == {1: 3, 2: 1, 3: 2, 4: 0}
    assert result.mean == {1: 4.0, 2: 5.0, 3: 0.0, 4: None}
    assert result.ranking == (2, 1, 3, 4)
    assert result.winner == 2


def test_score_tie_goes_to_more_scorers_then_the_earlier_submission():
    # 1: mean 4 from 1 person; 2: mean 4 from 2 people; 3: mean 4 from 2 people.
    result = tally_score([{1: 4, 2: 3, 3: 4}, {2: 5, 3: 4}], [1, 2, 3])
    assert result.mean == {1: 4.0, 2: 4.0, 3: 4.0}
    assert result.ranking == (2, 3, 1)


def test_score_means_that_are_equal_as_fractions_tie_exactly():
    # 1/3 versus 2/6 (floats of equal fractions): a true tie, decided by count (6 > 3).
    result = tally_score([{1: 1}, {1: 0}, {1: 0}] + [{2: 1}] * 2 + [{2: 0}] * 4, [1, 2])
    assert result.ranking == (2, 1)


def test_score_without_scores_has_no_winner():
    result = tally_score([{}], [1, 2])
    assert (result.winner, result.ranking, result.mean) == (None, (), {1: None, 2: None})


@pytest.mark.parametrize(
    ("scores", "code", "message"),
    [
        ({1: 6}, "out_of_range", "Scores go from 0 to 5; proposal 1 has 6."),
        ({1: -1}, "out_of_range", "Scores go from 0 to 5; proposal 1 has -1."),
        ({5: 3}, "unknown_candidate", "Proposal 5 is not part of this vote."),
        ({1: 2.5}, "not_a_number", "A score must be a whole number, not 2.5."),
    ],
)
def test_validate_score_errors(scores, code, message):
    with pytest.raises(BallotError) as error:
        validate_score(scores, [1, 2])
    assert (error.value.code, str(error.value)) == (code, message)


def test_validate_score_keeps_zeros_and_custom_range():
    assert validate_score({2: 0, 1: 5}, [1, 2]) == {1: 5, 2: 0}
    assert validate_score({1: -2}, [1], low=-2, high=2) == {1: -2}


def test_validate_ranking():
    assert validate_ranking([3, 1], [1, 2, 3]) == (3, 1)
    assert validate_ranking((2,), [1, 2]) == (2,)


@pytest.mark.parametrize(
    ("ranking", "code", "message"),
    [
        ([1, 2, 1], "duplicate_rank", "Proposal 1 is ranked more than once."),
        ([1, 7], "unknown_candidate", "Proposal 7 is not part of this vote."),
        ([], "empty", "Rank at least one proposal."),
        ("12", "not_a_ranking", "A ranking must be a list of proposals, best first."),
        ({1, 2}, "not_a_ranking", "A ranking must be a list of proposals, best first."),
    ],
)
def test_validate_ranking_errors(ranking, code, message):
    with pytest.raises(BallotError) as error:
        validate_ranking(ranking, [1, 2])
    assert (error.value.code, str(error.value)) == (code, message)


def test_validate_consent():
    assert validate_consent("agree", "") == (AGREE, "")
    assert validate_consent(LIVE_WITH, "  budget is tight ") == (LIVE_WITH, "budget is tight")
    assert validate_consent("object", "No owner named") == (OBJECT, "No owner named")
    assert validate_consent("object", "x" * MAX_REASON_LENGTH)[1] == "x" * 500


@pytest.mark.parametrize(
    ("choice", "reason", "code"),
    [
        ("object", "", "reason_required"),
        ("object", "   ", "reason_required"),
        ("object", "x" * 501, "reason_too_long"),
        ("agree", "x" * 501, "reason_too_long"),
        ("block", "why", "unknown_choice"),
    ],
)
def test_validate_consent_errors(choice, reason, code):
    with pytest.raises(BallotError) as error:
        validate_consent(choice, reason)
    assert error.value.code == code


def test_objection_without_reason_has_a_readable_message():
    with pytest.raises(BallotError, match=r"^An objection needs a reason, so the group"):
        validate_consent("object", "")


def test_consent_passes_with_agree_and_live_with():
    result = tally_consent([(AGREE, ""), (LIVE_WITH, "Tight deadline"), (AGREE, "Great")], [12])
    assert result.consented
    assert result.counts == {AGREE: 2, LIVE_WITH: 1, OBJECT: 0}
    assert result.objections == ()
    assert result.comments == ("Great", "Tight deadline")
    assert (result.winner, result.ranking, result.ballots) == (12, (12,), 3)


def test_consent_one_objection_blocks_and_reasons_are_listed_sorted():
    ballots = [(AGREE, ""), (OBJECT, "Unsafe for night shift"), (OBJECT, "Costs unclear")]
    result = tally_consent(ballots, [12])
    assert not result.consented
    assert result.objections == ("Costs unclear", "Unsafe for night shift")
    assert (result.winner, result.ranking) == (None, ())


def test_consent_needs_at_least_one_ballot_and_works_without_candidates():
    empty = tally_consent([])
    assert not empty.consented
    assert empty.counts == {AGREE: 0, LIVE_WITH: 0, OBJECT: 0}
    assert (empty.winner, empty.ranking) == (None, ())
    anonymous = tally_consent([("agree", "")])
    assert anonymous.consented and anonymous.winner is None


def test_consent_rejects_bad_stored_ballots_and_several_proposals():
    with pytest.raises(BallotError):
        tally_consent([(OBJECT, "")])
    with pytest.raises(ValueError, match="one proposal at a time"):
        tally_consent([], [1, 2])


def test_method_and_choice_values_are_stable_strings():
    assert [m.value for m in Method] == ["dot", "approval", "score", "ranked", "consent"]
    assert [c.value for c in ConsentChoice] == ["agree", "live_with", "object"]


def test_results_are_frozen():
    result = tally_dots([], [1])
    with pytest.raises(AttributeError):
        result.winner = 1


def test_non_integer_candidate_ids_are_a_programming_error():
    with pytest.raises(TypeError):
        tally_dots([], ["1"])


# --------------------------------------------------------------------------------------------
# 5. Properties.

CANDIDATE_POOL = [1, 2, 3, 4, 5]
rankings = st.permutations(CANDIDATE_POOL).flatmap(
    lambda order: st.integers(0, len(order)).map(lambda n: tuple(order[:n]))
)
ranked_profiles = st.lists(rankings, max_size=25)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)


@PROPERTY_SETTINGS
@given(ranked_profiles)
def test_irv_winner_has_a_majority_of_live_ballots_in_the_final_round(ballots):
    result = instant_runoff(ballots, CANDIDATE_POOL)
    for round_ in result.rounds:
        assert sum(round_.counts.values()) + round_.exhausted == len(ballots)
    if result.winner is None:
        assert not any(ballots)
        return
    final = result.rounds[-1]
    assert final.eliminated == ()
    assert 2 * final.counts[result.winner] > sum(final.counts.values())
    assert all(r.eliminated for r in result.rounds[:-1])


def one_at_a_time_runoff(ballots, candidates):
    """Instant runoff by the book, one elimination per count (the tie-break of
    voting.instant_runoff), for comparison: (winner, ranking)."""
    rankings = [[c for c in ballot if c in candidates] for ballot in ballots]
    if not any(rankings):
        return None, ()
    continuing, history, out = set(candidates), [], []
    while True:
        counts = dict.fromkeys(continuing, 0)
        for ranking in rankings:
            top = next((c for c in ranking if c in continuing), None)
            if top is not None:
                counts[top] += 1
        history.append(counts)

        def strength(c, counts=counts):
            return (*(h[c] for h in reversed(history)), -c)

        leader = max(continuing, key=strength)
        if 2 * counts[leader] > sum(counts.values()):
            order = (*sorted(continuing, key=strength, reverse=True), *reversed(out))
            return order[0], order
        loser = min((c for c in continuing if counts[c] == min(counts.values())), key=strength)
        continuing.remove(loser)
        out.append(loser)


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.permutations(list(range(1, 11))).flatmap(
            lambda order: st.integers(0, 4).map(lambda n: tuple(order[:n]))
        ),
        max_size=12,
    )
)
def test_irv_taking_out_proposals_without_votes_together_changes_no_winner_and_no_order(ballots):
    candidates = list(range(1, 11))
    result = instant_runoff(ballots, candidates)
    assert (result.winner, result.ranking) == one_at_a_time_runoff(ballots, candidates)


def test_irv_proposals_nobody_put_first_go_together_in_one_count():
    # Twelve proposals, two people, three ranked each: one count takes out the ten with no
    # votes (instead of ten counts), then the tie between 1 and 2 is broken by the id.
    ballots = [(1, 5, 6), (2, 7, 8)]
    result = instant_runoff(ballots, list(range(1, 13)))
    first = dict.fromkeys(range(1, 13), 0) | {1: 1, 2: 1}
    assert result.rounds == (
        RunoffRound(first, 0, (12, 11, 10, 9, 8, 7, 6, 5, 4, 3)),
        RunoffRound({1: 1, 2: 1}, 0, (2,), tie_break=True),
        RunoffRound({1: 1}, 1, ()),  # the second ballot's other choices went in count 1
    )
    assert result.ranking == (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)


@PROPERTY_SETTINGS
@given(ranked_profiles)
def test_schulze_elects_the_condorcet_winner_whenever_there_is_one(ballots):
    result = schulze(ballots, CANDIDATE_POOL)
    d = result.pairwise
    for a in CANDIDATE_POOL:
        if any(ballots) and all(d[a][b] > d[b][a] for b in d[a]):
            assert result.condorcet_winner == a
            assert result.winner == a
            assert tally_ranked(ballots, CANDIDATE_POOL).winner == a


@PROPERTY_SETTINGS
@given(ranked_profiles)
def test_schulze_ranking_respects_strongest_paths(ballots):
    result = schulze(ballots, CANDIDATE_POOL)
    p = result.strongest_paths
    for i, higher in enumerate(result.ranking):
        for lower in result.ranking[i + 1 :]:
            # Never above someone who beats it; undecided pairs follow the earlier submission.
            assert p[higher][lower] >= p[lower][higher]
    if result.winner is not None:
        assert sorted(result.ranking) == CANDIDATE_POOL


@PROPERTY_SETTINGS
@given(ranked_profiles, st.randoms(use_true_random=False))
def test_ranked_results_do_not_depend_on_ballot_order(ballots, rng: random.Random):
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    assert instant_runoff(shuffled, CANDIDATE_POOL) == instant_runoff(ballots, CANDIDATE_POOL)
    assert borda(shuffled, CANDIDATE_POOL) == borda(ballots, CANDIDATE_POOL)
    assert schulze(shuffled, CANDIDATE_POOL) == schulze(ballots, CANDIDATE_POOL)


@PROPERTY_SETTINGS
@given(
    st.lists(st.dictionaries(st.sampled_from(CANDIDATE_POOL), st.integers(0, 5)), max_size=20),
    st.randoms(use_true_random=False),
)
def test_dot_approval_and_score_results_do_not_depend_on_ballot_order(ballots, rng):
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    assert tally_dots(shuffled, CANDIDATE_POOL) == tally_dots(ballots, CANDIDATE_POOL)
    assert tally_score(shuffled, CANDIDATE_POOL) == tally_score(ballots, CANDIDATE_POOL)
    approvals = [set(b) for b in ballots]
    assert tally_approval([set(b) for b in shuffled], CANDIDATE_POOL) == tally_approval(
        approvals, CANDIDATE_POOL
    )


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(list(ConsentChoice)), st.sampled_from(["a", "b", "c"])),
        max_size=10,
    ),
    st.randoms(use_true_random=False),
)
def test_consent_does_not_depend_on_ballot_order_and_blocks_on_any_objection(ballots, rng):
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    result = tally_consent(ballots, [1])
    assert tally_consent(shuffled, [1]) == result
    assert result.consented == (bool(ballots) and all(c is not OBJECT for c, _ in ballots))


@PROPERTY_SETTINGS
@given(ranked_profiles)
def test_every_result_keeps_winner_and_ranking_consistent(ballots):
    dots = [dict.fromkeys(b, 1) for b in ballots]
    for result in (
        instant_runoff(ballots, CANDIDATE_POOL),
        borda(ballots, CANDIDATE_POOL),
        schulze(ballots, CANDIDATE_POOL),
        tally_ranked(ballots, CANDIDATE_POOL),
        tally_dots(dots, CANDIDATE_POOL),
        tally_approval([set(b) for b in ballots], CANDIDATE_POOL),
        tally_score(dots, CANDIDATE_POOL),
    ):
        assert result.winner == (result.ranking[0] if result.ranking else None)
        assert result.ranking == () or sorted(result.ranking) == CANDIDATE_POOL
