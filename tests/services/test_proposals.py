import pytest

from tests.conftest import db_fingerprint, in_phase, join, make_user, make_workshop
from workshop.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.models import Phase
from workshop.services import proposals, votes
from workshop.services.proposals import MAX_PROPOSAL_LENGTH


@pytest.fixture
def proposing(facilitator, workshop):
    return in_phase(facilitator, workshop, Phase.PROPOSE)


def test_a_participant_proposes_wording_rendered_safely(proposing):
    amira = join(proposing)
    proposal = proposals.submit_proposal(
        amira, proposing.id, "We *care*<script>alert(1)</script>\r\n"
    )
    assert proposal.body_md == "We *care*<script>alert(1)</script>"
    from workshop.payloads import Tally, proposal_payload

    html = proposal_payload(proposal, Tally(), staff=False)["body_html"]
    assert "<em>care</em>" in html
    assert "<script" not in html


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (MAX_PROPOSAL_LENGTH + 1)])
def test_empty_or_oversized_proposals_are_refused(proposing, body):
    amira = join(proposing)
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        proposals.submit_proposal(amira, proposing.id, body)
    assert db_fingerprint() == before


def test_proposals_are_refused_outside_the_propose_phase(facilitator, workshop):
    amira = join(workshop)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        proposals.submit_proposal(amira, workshop.id, "We serve")
    assert refused.value.code == "phase_closed"
    assert db_fingerprint() == before


def test_a_participant_of_workshop_a_cannot_propose_in_workshop_b(facilitator, proposing):
    other = in_phase(facilitator, make_workshop(facilitator), Phase.PROPOSE)
    outsider = join(other)
    before = db_fingerprint()
    with pytest.raises(Forbidden):
        proposals.submit_proposal(outsider, proposing.id, "Sneaky")
    assert db_fingerprint() == before


def test_a_resent_command_is_applied_once(proposing):
    amira = join(proposing)
    first = proposals.submit_proposal(amira, proposing.id, "We serve", op_id="op-1")
    again = proposals.submit_proposal(amira, proposing.id, "We serve", op_id="op-1")
    assert again.id == first.id
    assert len(proposals.list_proposals(proposing.id, include_hidden=True)) == 1


def test_hiding_takes_a_proposal_off_and_returns_its_dots(facilitator, proposing):
    amira = join(proposing)
    proposal = proposals.submit_proposal(amira, proposing.id, "We serve")
    in_phase(facilitator, proposing, Phase.VOTE)
    votes.set_dots(amira, proposal.id, 2)
    proposals.hide_proposal(facilitator, proposal.id, "duplicate")
    assert proposals.list_proposals(proposing.id, include_hidden=False) == []
    assert votes.my_votes_payload(amira.id)["dots_left"] == 3
    proposals.restore_proposal(facilitator, proposal.id)
    assert [p.id for p in proposals.list_proposals(proposing.id, include_hidden=False)] == [
        proposal.id
    ]


def test_participants_and_strangers_cannot_hide(facilitator, proposing):
    amira = join(proposing)
    proposal = proposals.submit_proposal(amira, proposing.id, "We serve")
    stranger = make_user("stranger@example.org")
    before = db_fingerprint()
    with pytest.raises(Forbidden):
        proposals.hide_proposal(amira, proposal.id)
    with pytest.raises(NotFound):
        proposals.hide_proposal(stranger, proposal.id)
    assert db_fingerprint() == before
