import pytest

from tests.conftest import db_fingerprint, in_phase, join, make_user, make_workshop
from workshop import queries, tallies
from workshop.audiences import proposal_payload
from workshop.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.extensions import db
from workshop.models import Anonymity, Phase, ProposalStatus, RoundKind
from workshop.services import agenda, moderation, proposals, rounds, votes
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
    assert proposal.round_id == queries.current_round(proposing.id).id
    html = proposal_payload(proposal, staff=False)["body_html"]
    assert "<em>care</em>" in html
    assert "<script" not in html


def test_wording_pasted_from_powerpoint_keeps_its_line_breaks_and_loses_its_controls(proposing):
    """PowerPoint and Word copy a line break inside a paragraph as a vertical tab: stored as
    it came, it showed as two words run together and could not go into a Word file."""
    amira = join(proposing)
    pasted = "We help\x0bevery patient\x0cfeel known\u2028and heard.\x01\x1b\tTogether."
    proposal = proposals.submit_proposal(amira, proposing.id, pasted)
    assert proposal.body_md == "We help\nevery patient\nfeel known\nand heard.\tTogether."
    html = proposal_payload(proposal, staff=False)["body_html"]
    assert "We help\nevery patient" in html and "\x0b" not in html


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (MAX_PROPOSAL_LENGTH + 1)])
def test_empty_or_oversized_proposals_are_refused(proposing, body):
    amira = join(proposing)
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        proposals.submit_proposal(amira, proposing.id, body)
    assert db_fingerprint() == before


def test_proposals_are_refused_outside_a_propose_round(facilitator, workshop):
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
    with pytest.raises(NotFound):  # another workshop is not there for them
        proposals.submit_proposal(outsider, proposing.id, "Sneaky")
    assert db_fingerprint() == before


def test_a_resent_command_is_applied_once(proposing):
    amira = join(proposing)
    first = proposals.submit_proposal(amira, proposing.id, "We serve", op_id="op-1")
    again = proposals.submit_proposal(amira, proposing.id, "We serve", op_id="op-1")
    assert again.id == first.id
    assert len(queries.list_proposals(proposing.id, include_hidden=True)) == 1


def test_premoderated_proposals_wait_for_approval(facilitator, workshop):
    round_ = agenda.add_round(
        facilitator,
        workshop.id,
        agenda.RoundSettings(RoundKind.PROPOSE, "Who do we serve?", 300, premoderation=True),
    )
    rounds.start_round(facilitator, round_.id)
    amira = join(workshop)
    proposal = proposals.submit_proposal(amira, workshop.id, "We serve everyone")
    assert proposal.status == ProposalStatus.PENDING
    assert queries.list_proposals(workshop.id, include_hidden=False) == []
    moderation.approve_proposal(facilitator, proposal.id)
    assert [p.id for p in queries.list_proposals(workshop.id, include_hidden=False)] == [
        proposal.id
    ]


def test_hiding_takes_a_proposal_off_and_returns_its_dots(facilitator, proposing):
    amira = join(proposing)
    proposal = proposals.submit_proposal(amira, proposing.id, "We serve")
    other = proposals.submit_proposal(amira, proposing.id, "We care")
    in_phase(facilitator, proposing, Phase.VOTE)
    votes.set_dots(amira, proposal.id, 3)
    moderation.hide_proposal(facilitator, proposal.id, "duplicate")
    assert proposal.hidden_reason == "duplicate"
    assert [p.id for p in queries.list_proposals(proposing.id, include_hidden=False)] == [other.id]
    # the three dots are free again: all of them can go on the other card
    assert votes.set_dots(amira, other.id, 3)["ballot"] == {"dots": {str(other.id): 3}}
    moderation.restore_proposal(facilitator, proposal.id)
    assert proposal.status == ProposalStatus.VISIBLE


def test_merging_carries_votes_and_credits_both_authors(facilitator, proposing):
    amira, joost = join(proposing, "Amira"), join(proposing, "Joost", "Team lead")
    keep = proposals.submit_proposal(amira, proposing.id, "We serve patients")
    dup = proposals.submit_proposal(joost, proposing.id, "We serve our patients")
    in_phase(facilitator, proposing, Phase.VOTE)
    votes.set_dots(amira, keep.id, 1)
    votes.set_dots(amira, dup.id, 2)
    votes.set_dots(joost, dup.id, 3)
    merged = moderation.merge_proposals(facilitator, keep.id, dup.id)
    assert dup.status == ProposalStatus.MERGED and dup.merged_into_id == keep.id
    assert {c.participant.display_name for c in merged.credits} == {"Amira", "Joost"}
    round_ = queries.current_round(proposing.id)
    round_.blind = False
    results = tallies.round_results(round_)
    assert results["items"] == [{"proposal_id": keep.id, "dots": 6, "voters": 2}]


def test_splitting_makes_two_cards_credited_to_the_author(facilitator, proposing):
    amira = join(proposing)
    original = proposals.submit_proposal(amira, proposing.id, "We serve and we listen")
    parts = moderation.split_proposal(facilitator, original.id, ["We serve", "We listen"])
    assert [p.body_md for p in parts] == ["We serve", "We listen"]
    assert all(p.credits[0].participant_id == amira.id for p in parts)
    assert original.status == ProposalStatus.HIDDEN
    with pytest.raises(ValidationFailed):
        moderation.split_proposal(facilitator, parts[0].id, ["Only one"])


def test_comments_follow_the_rounds_moderation(facilitator, proposing):
    amira, joost = join(proposing, "Amira"), join(proposing, "Joost")
    proposal = proposals.submit_proposal(amira, proposing.id, "We serve")
    comment = proposals.add_comment(joost, proposal.id, "Serve whom?")
    assert comment.status == ProposalStatus.VISIBLE
    hidden = moderation.moderate_comment(facilitator, comment.id, visible=False, reason="rude")
    assert hidden.status == ProposalStatus.HIDDEN
    payload = proposal_payload(proposal, staff=False, comments=[hidden])
    assert payload["comments"] == []
    with pytest.raises(ValidationFailed):
        proposals.add_comment(joost, proposal.id, "")


def test_anonymous_to_peers_hides_authors_from_participants_only(facilitator, workshop):
    workshop.anonymity = Anonymity.PEERS
    in_phase(facilitator, workshop, Phase.PROPOSE)
    amira = join(workshop)
    proposal = proposals.submit_proposal(amira, workshop.id, "We serve")
    assert proposal_payload(proposal, staff=False)["authors"] == []
    assert proposal_payload(proposal, staff=True)["authors"][0]["name"] == "Amira"


def test_fully_anonymous_proposals_store_no_author_at_all(facilitator, workshop):
    workshop.anonymity = Anonymity.FULL
    in_phase(facilitator, workshop, Phase.PROPOSE)
    amira = join(workshop)
    proposal = proposals.submit_proposal(amira, workshop.id, "We serve", op_id="x1")
    assert proposal.author_id is None and proposal.credits == []
    assert proposal_payload(proposal, staff=True)["authors"] == []
    assert proposals.submit_proposal(amira, workshop.id, "We serve", op_id="x1").id == proposal.id


def test_readout_mode_hides_authors_from_participants(facilitator, proposing):
    amira = join(proposing)
    proposal = proposals.submit_proposal(amira, proposing.id, "We serve")
    moderation.set_readout(facilitator, proposing.id, True)
    assert proposal_payload(proposal, staff=False, readout=True)["authors"] == []


def test_participants_and_strangers_cannot_moderate(facilitator, proposing):
    amira = join(proposing)
    proposal = proposals.submit_proposal(amira, proposing.id, "We serve")
    other = proposals.submit_proposal(amira, proposing.id, "We care")
    stranger = make_user("stranger@example.org")
    before = db_fingerprint()
    for call in [
        lambda who: moderation.hide_proposal(who, proposal.id),
        lambda who: moderation.pin_proposal(who, proposal.id, True),
        lambda who: moderation.merge_proposals(who, proposal.id, other.id),
        lambda who: moderation.split_proposal(who, proposal.id, ["a", "b"]),
        lambda who: moderation.set_readout(who, proposing.id, True),
    ]:
        with pytest.raises(Forbidden):
            call(amira)
        with pytest.raises(NotFound):
            call(stranger)
    assert db_fingerprint() == before


def test_an_operation_id_is_its_senders_own_even_fully_anonymous(facilitator, workshop):
    """Two people whose clients happen to send the same operation id each get their own
    proposal (and comment), and a resend still finds its own."""
    workshop.anonymity = Anonymity.FULL
    db.session.commit()
    in_phase(facilitator, workshop, Phase.PROPOSE)
    amira, joost = join(workshop, "Amira"), join(workshop, "Joost")
    first = proposals.submit_proposal(amira, workshop.id, "We care", op_id="op-1")
    second = proposals.submit_proposal(joost, workshop.id, "We listen", op_id="op-1")
    assert first.id != second.id and second.body_md == "We listen"
    assert proposals.submit_proposal(joost, workshop.id, "We listen", op_id="op-1").id == second.id
    mine = proposals.add_comment(amira, first.id, "Yes", op_id="c-1")
    theirs = proposals.add_comment(joost, first.id, "No", op_id="c-1")
    assert mine.id != theirs.id and theirs.body_md == "No"
    assert first.client_op_id != "op-1"  # stored keyed to its sender, naming nobody
