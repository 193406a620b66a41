"""Values into wording: tags, coverage of shared values, and the vocabulary ballot."""

import pytest

from tests.conftest import db_fingerprint, in_phase, join, make_workshop
from tests.services.test_values import PEOPLE, submit
from workshop import audiences, queries, tallies, vocabulary
from workshop.errors import InvalidState, NotFound, ValidationFailed
from workshop.models import Phase, RoundKind
from workshop.services import agenda, moderation, proposals, rounds, tags, versions, votes
from workshop.services.agenda import RoundSettings


@pytest.fixture
def room(facilitator):
    workshop = make_workshop(
        facilitator,
        values=["Care", "Integrity", "Curiosity"],
        departments=["Care", "IT", "Finance"],
    )
    values_round = agenda.add_round(facilitator, workshop.id, RoundSettings(RoundKind.VALUES))
    rounds.start_round(facilitator, values_round.id)
    for person in PEOPLE:
        submit(workshop, *person)
    votes.reveal_round(facilitator, values_round.id)
    in_phase(facilitator, workshop, Phase.PROPOSE)
    return workshop


def test_the_authors_tag_counts_and_others_need_two_supporters(facilitator, room):
    author, one, two = join(room, "Author"), join(room, "One"), join(room, "Two")
    proposal = proposals.submit_proposal(author, room.id, "We act with integrity")
    assert tags.tag_proposal(author, proposal.id, "integrity").confirmed
    suggested = tags.tag_proposal(one, proposal.id, "growth")
    assert not suggested.confirmed
    assert tags.tag_proposal(two, proposal.id, "growth").confirmed
    assert tags.tag_proposal(facilitator, proposal.id, "care").confirmed
    with pytest.raises(ValidationFailed):
        tags.tag_proposal(one, proposal.id, "not-a-value")


def test_outsiders_cannot_tag(facilitator, room):
    proposal = proposals.submit_proposal(join(room), room.id, "We care")
    outsider = join(make_workshop(facilitator))
    before = db_fingerprint()
    with pytest.raises(NotFound):
        tags.tag_proposal(outsider, proposal.id, "care")
    assert db_fingerprint() == before


def test_coverage_shows_shared_values_expressed_and_missing(facilitator, room):
    # Widely shared (picked by at least a quarter of the 6 people, and by 2 or more):
    # Integrity (4 people), Balance (3), Growth (2).
    assert [v["name"] for v in queries.widely_shared(room)] == ["Integrity", "Balance", "Growth"]
    author = join(room)
    proposal = proposals.submit_proposal(author, room.id, "We serve patients")
    tags.tag_proposal(author, proposal.id, "growth")
    rounds.set_phase(facilitator, room.id, Phase.DRAFT)
    version = versions.start_draft_from_proposals(
        facilitator, room.id, [proposal.id], based_on=None
    )
    covered = audiences.value_coverage(room, "We serve patients with Integrity.", [proposal])
    names = {kind: [v["name"] for v in covered[kind]] for kind in ("expressed", "missing")}
    assert names == {"expressed": ["Integrity", "Growth"], "missing": ["Balance"]}  # words, tag
    assert [v["key"] for v in covered["expressed"]] == ["integrity", "growth"]
    assert version.number == 1
    dutch = audiences.value_coverage(room, "Wij werken met integriteit en balans.", [])
    assert [v["name"] for v in dutch["expressed"]] == ["Integrity", "Balance"]


def test_a_vocabulary_round_approves_and_vetoes_words(facilitator, room):
    words = [
        {"word": "care", "category": "how"},
        {"word": "customers", "category": "whom"},
        {"word": "synergy", "category": "what"},
    ]
    round_ = agenda.add_round(
        facilitator,
        room.id,
        RoundSettings(
            RoundKind.VOCABULARY,
            "Which words belong in our mission?",
            300,
            words=words,
            blind=False,
        ),
    )
    rounds.start_round(facilitator, round_.id)
    people = [join(room, f"V{i}") for i in range(3)]
    for person, choices in zip(
        people,
        [
            {"care": "include", "customers": "include", "synergy": "exclude"},
            {"care": "include", "customers": "exclude", "synergy": "exclude"},
            {"care": "include", "customers": "exclude"},
        ],
        strict=True,
    ):
        votes.cast_ballot(person, room.id, {"votes": choices})
    results = tallies.round_results(round_)
    assert [(i["word"], i["include"], i["exclude"], i["status"]) for i in results["items"]] == [
        ("synergy", 0, 2, "vetoed"),
        ("customers", 1, 2, "vetoed"),
        ("care", 3, 0, "approved"),
    ]
    marked = vocabulary.marked_words(
        "We treat customers with care and synergy.", queries.approved_and_vetoed(room.id)
    )
    assert marked == {
        "approved_used": ["care"],
        "approved_missing": [],
        "vetoed_used": ["customers", "synergy"],
    }


@pytest.mark.parametrize(
    ("words", "ballot"),
    [
        ([], None),
        ([{"word": "care", "category": "when"}], None),
        ([{"word": "care", "category": "how"}], {"votes": {"care": "maybe"}}),
        ([{"word": "care", "category": "how"}], {"votes": {"other": "include"}}),
        ([{"word": "care", "category": "how"}], {"votes": {}}),
    ],
)
def test_bad_vocabulary_rounds_and_ballots_are_refused(facilitator, room, words, ballot):
    if ballot is None:
        with pytest.raises(ValidationFailed):
            agenda.add_round(facilitator, room.id, RoundSettings(RoundKind.VOCABULARY, words=words))
        return
    round_ = agenda.add_round(
        facilitator, room.id, RoundSettings(RoundKind.VOCABULARY, words=words)
    )
    rounds.start_round(facilitator, round_.id)
    person = join(room)
    before = db_fingerprint()
    with pytest.raises(ValidationFailed):
        votes.cast_ballot(person, room.id, ballot)
    assert db_fingerprint() == before


def test_parse_words_reads_the_consoles_textarea():
    assert vocabulary.parse_words("care: how\n\ncolleagues : whom\nfair") == [
        {"word": "care", "category": "how"},
        {"word": "colleagues", "category": "whom"},
        {"word": "fair", "category": "what"},
    ]


def test_hidden_proposals_cannot_be_tagged(facilitator, room):
    proposal = proposals.submit_proposal(join(room), room.id, "We care")
    moderation.hide_proposal(facilitator, proposal.id)
    with pytest.raises(InvalidState):
        tags.tag_proposal(facilitator, proposal.id, "care")


def test_the_editor_preview_marks_approved_and_vetoed_words():
    pieces = vocabulary.highlight(
        "We Care for customers, with care.", {"approved": ["care"], "vetoed": ["customers"]}
    )
    assert pieces == [
        ("plain", "We "),
        ("approved", "Care"),
        ("plain", " for "),
        ("vetoed", "customers"),
        ("plain", ", with "),
        ("approved", "care"),
        ("plain", "."),
    ]
    assert vocabulary.highlight("No marks", {"approved": [], "vetoed": []}) == [
        ("plain", "No marks")
    ]
