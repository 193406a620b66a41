import pytest

from tests.conftest import db_fingerprint, in_phase, join, make_workshop
from workshop.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.models import Phase
from workshop.services import proposals, votes, workshops


@pytest.fixture
def voting(facilitator, workshop):
    """A workshop in the vote phase with two proposals and two participants."""
    in_phase(facilitator, workshop, Phase.PROPOSE)
    amira, joost = join(workshop, "Amira"), join(workshop, "Joost", "Team lead")
    first = proposals.submit_proposal(amira, workshop.id, "We serve patients")
    second = proposals.submit_proposal(joost, workshop.id, "We serve colleagues")
    in_phase(facilitator, workshop, Phase.VOTE)
    return workshop, amira, joost, first, second


def test_dots_are_spread_changed_and_taken_back(voting):
    workshop, amira, joost, first, second = voting
    assert votes.set_dots(amira, first.id, 2)["dots_left"] == 1
    assert votes.set_dots(amira, second.id, 1)["dots_left"] == 0
    votes.set_dots(joost, first.id, 3)
    assert votes.tallies(workshop.id)[first.id].dots == 5
    assert votes.tallies(workshop.id)[first.id].voters == 2
    mine = votes.set_dots(amira, first.id, 0)
    assert mine == {"votes": {str(second.id): 1}, "budget": 3, "dots_left": 2}


def test_nobody_can_exceed_their_budget(voting):
    workshop, amira, _, first, second = voting
    votes.set_dots(amira, first.id, 2)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        votes.set_dots(amira, second.id, 2)
    assert refused.value.code == "over_budget"
    assert refused.value.details["dots_left"] == 1
    assert db_fingerprint() == before


def test_no_vote_after_voting_closed(facilitator, voting):
    workshop, amira, _, first, _ = voting
    in_phase(facilitator, workshop, Phase.DRAFT)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        votes.set_dots(amira, first.id, 1)
    assert refused.value.code == "voting_closed"
    assert db_fingerprint() == before


def test_no_vote_on_a_hidden_proposal(facilitator, voting):
    workshop, amira, _, first, _ = voting
    proposals.hide_proposal(facilitator, first.id)
    before = db_fingerprint()
    with pytest.raises(InvalidState):
        votes.set_dots(amira, first.id, 1)
    assert db_fingerprint() == before


def test_a_participant_of_workshop_a_cannot_vote_in_workshop_b(facilitator, voting):
    _, _, _, first, _ = voting
    other = in_phase(facilitator, make_workshop(facilitator), Phase.VOTE)
    outsider = join(other)
    before = db_fingerprint()
    with pytest.raises(NotFound):
        votes.set_dots(outsider, first.id, 1)
    assert db_fingerprint() == before


def test_staff_and_nonsense_cannot_vote(facilitator, voting):
    _, amira, _, first, _ = voting
    before = db_fingerprint()
    with pytest.raises(Forbidden):
        votes.set_dots(facilitator, first.id, 1)
    with pytest.raises(ValidationFailed):
        votes.set_dots(amira, first.id, -1)
    with pytest.raises(NotFound):
        votes.set_dots(amira, 999_999, 1)
    assert db_fingerprint() == before


def test_the_budget_cannot_drop_below_dots_already_placed(facilitator, voting):
    workshop, amira, _, first, _ = voting
    votes.set_dots(amira, first.id, 3)
    settings = workshops.WorkshopSettings(
        title=workshop.title, organisation=workshop.organisation, dots_per_participant=2
    )
    before = db_fingerprint()
    with pytest.raises(InvalidState, match="already placed 3 dots"):
        workshops.update_workshop(facilitator, workshop.id, settings)
    assert db_fingerprint() == before
    settings.dots_per_participant = 5
    workshops.update_workshop(facilitator, workshop.id, settings)
    assert votes.my_votes_payload(amira.id)["dots_left"] == 2
