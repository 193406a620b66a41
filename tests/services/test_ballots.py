import pytest
import sqlalchemy as sa

from tests.conftest import db_fingerprint, in_phase, join, make_workshop
from workshop import audiences, queries, snapshots, tallies
from workshop.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.extensions import db
from workshop.models import Anonymity, AuditAction, Ballot, Phase, RoundKind, VoteKey
from workshop.services import agenda, audit, moderation, proposals, rounds, votes
from workshop.services.agenda import RoundSettings

LEVELS = ["Frontline", "Specialist", "Team lead", "Manager", "Director", "Executive"]


@pytest.fixture
def cards(facilitator, workshop):
    """Three proposals, waiting for a vote."""
    in_phase(facilitator, workshop, Phase.PROPOSE)
    author = join(workshop, "Author")
    made = [proposals.submit_proposal(author, workshop.id, text) for text in ("A", "B", "C")]
    return [p.id for p in made]


def vote_round(facilitator, workshop, method, **settings):
    round_ = agenda.add_round(
        facilitator,
        workshop.id,
        RoundSettings(RoundKind.VOTE, "Vote", 300, method=method, **settings),
    )
    return rounds.start_round(facilitator, round_.id)


def test_dot_votes_are_blind_until_the_reveal(facilitator, workshop, cards):
    round_ = vote_round(facilitator, workshop, "dot")
    amira, joost = join(workshop, "Amira"), join(workshop, "Joost")
    votes.set_dots(amira, cards[0], 2)
    votes.set_dots(joost, cards[1], 1)
    assert tallies.round_results(round_) is None
    snapshot = snapshots.build_snapshot(workshop.id, facilitator)
    assert snapshot["vote"] == {"round_id": round_.id, "voters": 2, "results": None}
    votes.reveal_round(facilitator, round_.id)
    results = tallies.round_results(round_)
    assert results["winner"] == cards[0]
    assert results["items"][0] == {"proposal_id": cards[0], "dots": 2, "voters": 1}


def test_people_change_their_vote_and_only_the_current_one_counts(facilitator, workshop, cards):
    round_ = vote_round(facilitator, workshop, "approval", blind=False)
    amira = join(workshop)
    votes.cast_ballot(amira, workshop.id, {"approved": [cards[0], cards[1]]})
    votes.cast_ballot(amira, workshop.id, {"approved": [cards[2]]})
    results = tallies.round_results(round_)
    assert results["ballots"] == 1 and results["winner"] == cards[2]
    assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == 1


def test_scores_ranked_ballots_and_consent_are_counted(facilitator, workshop, cards):
    people = [join(workshop, f"P{i}") for i in range(5)]
    score = vote_round(facilitator, workshop, "score", blind=False)
    for person, (a, b) in zip(people, [(5, 1), (4, 2), (0, 5), (5, 0), (3, 3)], strict=True):
        votes.cast_ballot(person, workshop.id, {"scores": {str(cards[0]): a, str(cards[1]): b}})
    assert tallies.round_results(score)["winner"] == cards[0]

    ranked = vote_round(facilitator, workshop, "ranked", blind=False)
    orders = [[0, 1, 2], [0, 1, 2], [1, 2, 0], [1, 2, 0], [2, 1, 0]]
    for person, order in zip(people, orders, strict=True):
        votes.cast_ballot(person, workshop.id, {"ranking": [cards[i] for i in order]})
    results = tallies.round_results(ranked)
    assert results["schulze"]["winner"] == cards[1]
    assert len(results["instant_runoff"]["rounds"]) >= 1
    assert set(results["borda"]["scores"]) == {str(c) for c in cards}

    consent = vote_round(facilitator, workshop, "consent", blind=False)
    votes.cast_ballot(people[0], workshop.id, {"consent": {str(cards[0]): {"choice": "agree"}}})
    votes.cast_ballot(
        people[1],
        workshop.id,
        {"consent": {str(cards[0]): {"choice": "object", "reason": "Leaves out colleagues"}}},
    )
    item = tallies.round_results(consent)["items"][0]
    assert item["consented"] is False and item["objections"] == ["Leaves out colleagues"]


@pytest.mark.parametrize(
    ("method", "ballot"),
    [
        ("dot", {"dots": {"1": 4}}),
        ("approval", {"approved": [999]}),
        ("score", {"scores": {"1": 6}}),
        ("ranked", {"ranking": [1, 1]}),
        ("consent", {"consent": {"1": {"choice": "object", "reason": ""}}}),
        ("ranked", {"ranking": "1,2"}),
    ],
)
def test_invalid_ballots_are_refused_and_nothing_is_stored(
    facilitator, workshop, cards, method, ballot
):
    vote_round(facilitator, workshop, method)
    amira = join(workshop)
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        votes.cast_ballot(amira, workshop.id, ballot)
    assert db_fingerprint() == before


def test_no_vote_after_the_round_ends_or_its_time_is_up(facilitator, workshop, cards, clock):
    round_ = vote_round(facilitator, workshop, "dot")
    amira = join(workshop)
    clock.advance(301)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        votes.set_dots(amira, cards[0], 1)
    assert refused.value.code == "voting_closed"
    assert db_fingerprint() == before
    rounds.end_round(facilitator, round_.id)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        votes.set_dots(amira, cards[0], 1)
    assert refused.value.code == "voting_closed"
    assert db_fingerprint() == before
    assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == 0


def test_no_vote_beyond_the_budget_on_a_hidden_card_or_in_another_workshop(
    facilitator, workshop, cards
):
    vote_round(facilitator, workshop, "dot", dots_budget=3, dots_cap=2)
    amira = join(workshop)
    outsider = join(make_workshop(facilitator))
    votes.set_dots(amira, cards[0], 2)
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        votes.set_dots(amira, cards[1], 2)  # 4 > 3
    with pytest.raises(ValidationFailed):
        votes.set_dots(amira, cards[0], 3)  # over the cap of 2 per card
    moderation.hide_proposal(facilitator, cards[2])
    hidden_before = db_fingerprint()
    with pytest.raises(InvalidState):
        votes.set_dots(amira, cards[2], 1)
    with pytest.raises(NotFound):
        votes.set_dots(outsider, cards[0], 1)
    with pytest.raises(NotFound):  # another workshop's is not there for them
        votes.cast_ballot(outsider, workshop.id, {"dots": {}})
    with pytest.raises(Forbidden):
        votes.set_dots(facilitator, cards[0], 1)
    assert db_fingerprint() == hidden_before
    assert before != hidden_before  # only the hiding changed something


def test_breakdown_by_level_is_suppressed_for_groups_under_five(facilitator, workshop, cards):
    round_ = vote_round(facilitator, workshop, "dot", blind=False, breakdown_by_level=True)
    for i in range(5):
        votes.set_dots(join(workshop, f"F{i}", "Frontline"), cards[0], 1)
    for i in range(6):
        votes.set_dots(join(workshop, f"M{i}", "Manager"), cards[2], 1)
    for i in range(2):
        votes.set_dots(join(workshop, f"E{i}", "Executive"), cards[1], 3)
    by_level = tallies.round_results(round_)["by_level"]
    assert by_level["Manager"]["items"][0] == {"proposal_id": cards[2], "dots": 6, "voters": 6}
    assert by_level["Executive"] is None
    # Frontline is big enough, but showing it would let total minus Manager minus Frontline
    # give the two executives away: the smallest shown group is hidden with them.
    assert by_level["Frontline"] is None


def test_a_single_small_group_never_stands_alone():
    from workshop.privacy import suppress_small_groups

    assert suppress_small_groups({"A": 9, "B": 2}) == {"A": False, "B": False}
    assert suppress_small_groups({"A": 9, "B": 7, "C": 1}) == {"A": True, "B": False, "C": False}
    assert suppress_small_groups({"A": 9, "B": 2, "C": 1}) == {"A": True, "B": False, "C": False}
    assert suppress_small_groups({"A": 5, "B": 6}) == {"A": True, "B": True}


def test_fully_anonymous_ballots_cannot_be_linked_to_anyone(facilitator, workshop, cards):
    round_ = vote_round(
        facilitator, workshop, "dot", anonymity=Anonymity.FULL, blind=False, breakdown_by_level=True
    )
    amira = join(workshop)
    votes.set_dots(amira, cards[0], 1)
    stored = db.session.scalars(sa.select(Ballot)).one()
    assert stored.participant_id is None and stored.level is None and stored.department is None
    assert len(stored.voter_hash) == 64  # a keyed hash, not the person
    # One person, one ballot, changed from any of their browsers while the round is open.
    votes.set_dots(amira, cards[1], 2)
    assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == 1
    assert audiences.my_ballot(amira, round_)["ballot"] == {
        "dots": {str(cards[0]): 1, str(cards[1]): 2}
    }
    results = tallies.round_results(round_)
    assert "by_level" not in results
    assert results["items"][0] == {"proposal_id": cards[1], "dots": 2, "voters": 1}
    snapshot = snapshots.build_snapshot(workshop.id, facilitator)
    assert "Amira" not in str(snapshot["vote"])
    # When the round ends, the key that could tell whose ballot it is goes: nobody can now.
    rounds.end_round(facilitator, round_.id)
    assert db.session.scalar(sa.select(sa.func.count(VoteKey.id))) == 0
    assert audiences.my_ballot(amira, round_) == {
        "round_id": round_.id,
        "voted": False,
        "ballot": None,
    }
    assert tallies.round_results(round_)["items"][0]["dots"] == 2  # the ballot still counts


def test_a_fully_anonymous_round_that_ended_cannot_reopen(facilitator, workshop, cards):
    round_ = vote_round(facilitator, workshop, "dot", anonymity=Anonymity.FULL)
    votes.set_dots(join(workshop), cards[0], 1)
    rounds.end_round(facilitator, round_.id)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        rounds.start_round(facilitator, round_.id)
    assert refused.value.code == "anonymous_round_ended"
    assert db_fingerprint() == before


def test_dots_are_refused_in_rounds_with_another_method(facilitator, workshop, cards):
    vote_round(facilitator, workshop, "approval")
    amira = join(workshop)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        votes.set_dots(amira, cards[0], 1)
    assert refused.value.code == "wrong_method"
    assert db_fingerprint() == before


@pytest.mark.parametrize(
    "ballot", [{"ranking": ["abc"]}, {"ranking": {"a": 1}}, {"dots": ["x"]}, {"dots": {"x": 1}}]
)
def test_malformed_ballots_get_a_plain_message(facilitator, workshop, cards, ballot):
    vote_round(facilitator, workshop, "ranked" if "ranking" in ballot else "dot")
    with pytest.raises(ValidationFailed) as refused:
        votes.cast_ballot(join(workshop), workshop.id, ballot)
    assert "literal" not in refused.value.message and "object" not in refused.value.message


def test_a_paused_round_says_it_is_paused(facilitator, workshop, cards):
    round_ = vote_round(facilitator, workshop, "dot")
    rounds.pause_round(facilitator, round_.id)
    with pytest.raises(InvalidState, match="paused"):
        votes.set_dots(join(workshop), cards[0], 1)


def test_a_round_that_never_ran_cannot_be_revealed(facilitator, workshop, cards):
    round_ = agenda.add_round(facilitator, workshop.id, RoundSettings(RoundKind.VOTE, method="dot"))
    with pytest.raises(InvalidState):
        votes.reveal_round(facilitator, round_.id)


def test_closing_then_asking_for_a_quick_round_adds_nothing(facilitator, workshop):
    rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)
    before = db_fingerprint()
    with pytest.raises(InvalidState):
        rounds.set_phase(facilitator, workshop.id, Phase.VOTE)
    assert db_fingerprint() == before


def test_turning_blind_off_before_the_reveal_is_the_reveal(facilitator, workshop, cards):
    """The trick that let a facilitator read a blind tally alone: blind off, look, blind on."""
    round_ = vote_round(facilitator, workshop, "dot")
    votes.set_dots(join(workshop), cards[0], 2)
    assert tallies.round_results(round_) is None
    agenda.change_round(facilitator, round_.id, {"blind": False})
    assert round_.revealed_at is not None  # everyone sees them now, not just the facilitator
    agenda.change_round(facilitator, round_.id, {"blind": True})
    assert tallies.round_results(round_)["items"][0]["dots"] == 2  # revealed stays revealed
    actions = [e.action for e in audit.list_entries(facilitator, workshop.id)]
    assert actions.count(AuditAction.ROUND_REVEAL) == 1
    assert snapshots.build_snapshot(workshop.id, join(workshop, "Joost"))["vote"]["results"]


@pytest.mark.parametrize("mode", [Anonymity.NAMED, Anonymity.FULL], ids=str)
def test_a_vote_whose_answer_was_lost_is_told_as_counted_after_the_round_ended(
    facilitator, workshop, cards, mode
):
    """A phone placed a dot, lost the answer with its connection, and the round ended before
    it came back: the resend was refused ("Voting is not open right now") although the dot
    had counted. An operation applied before is answered as applied; anything new is still
    refused, and a fully anonymous round that closed can no longer tell whose it was."""
    round_ = vote_round(facilitator, workshop, "dot", anonymity=mode)
    amira = join(workshop, "Amira")
    placed = votes.set_dots(amira, cards[0], 1, round_id=round_.id, op_id="tap-1")
    rounds.end_round(facilitator, round_.id)

    def resend(op_id: str) -> dict:
        return votes.set_dots(amira, cards[0], 1, round_id=round_.id, op_id=op_id)

    if mode == Anonymity.NAMED:
        assert resend("tap-1") == placed
    else:  # its key went with the round: nobody can say whose ballot it was
        with pytest.raises(InvalidState):
            resend("tap-1")
    with pytest.raises(InvalidState) as refused:
        resend("tap-2")  # a new tap after the end
    assert refused.value.code == "voting_closed"


def test_a_ranked_vote_over_more_proposals_than_anyone_can_order_is_refused_at_its_start(
    facilitator, workshop
):
    """A room of 60 writing five each gave a ranked vote over 300 proposals: nobody orders
    300 on a phone, and each ballot's count took 14 seconds, the whole server waiting. The
    start says why and what to do instead; a dot vote over them all runs."""
    from workshop.voting import MAX_RANKED_PROPOSALS

    in_phase(facilitator, workshop, Phase.PROPOSE)
    author = join(workshop, "Author")
    for n in range(MAX_RANKED_PROPOSALS + 1):
        proposals.submit_proposal(author, workshop.id, f"Wording number {n}")
    ranked = agenda.add_round(
        facilitator, workshop.id, RoundSettings(RoundKind.VOTE, "Rank them", 300, method="ranked")
    )
    before = db_fingerprint()
    with pytest.raises(InvalidState, match="Shortlist them with a dot vote") as refused:
        rounds.start_round(facilitator, ranked.id)
    assert refused.value.code == "too_many_to_rank"
    assert db_fingerprint() == before
    dots = vote_round(facilitator, workshop, "dot")
    assert dots.status == "running"
    moderation.hide_proposal(
        facilitator, queries.list_proposals(workshop.id, include_hidden=False)[0].id, ""
    )
    assert rounds.start_round(facilitator, ranked.id).status == "running"  # 50 now


def _ranked_vote_at_the_cap(facilitator, workshop, hidden: int):
    """A ranked vote running on 50 proposals, ``hidden`` more hidden before it started."""
    from workshop.voting import MAX_RANKED_PROPOSALS

    in_phase(facilitator, workshop, Phase.PROPOSE)
    author = join(workshop, "Author")
    made = [
        proposals.submit_proposal(author, workshop.id, f"Wording number {n}")
        for n in range(MAX_RANKED_PROPOSALS + hidden)
    ]
    for card in made[:hidden]:
        moderation.hide_proposal(facilitator, card.id, "")
    ranked = vote_round(facilitator, workshop, "ranked")
    assert len(queries.candidates(ranked)) == MAX_RANKED_PROPOSALS
    return made


def test_cards_shown_again_or_split_cannot_take_a_running_ranked_vote_past_its_cap(
    facilitator, workshop
):
    """The cap was asked only at the start: showing the hidden cards again (or splitting one)
    put them all on the running ballot, and every count was slow again (found by a review)."""
    made = _ranked_vote_at_the_cap(facilitator, workshop, hidden=3)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        moderation.restore_proposal(facilitator, made[0].id)
    assert refused.value.code == "too_many_to_rank"
    with pytest.raises(InvalidState, match="Shortlist them"):
        moderation.split_proposal(facilitator, made[5].id, ["First half", "Second half"])
    assert db_fingerprint() == before
    moderation.hide_proposal(facilitator, made[5].id, "")
    assert moderation.restore_proposal(facilitator, made[0].id).status == "visible"  # 50 again
