"""Whom the mission speaks to, people's own part, how we will know, feedback after the
workshop and the next revision: each promise tried the way a hurried facilitator, a curious
participant or a stranger with a link would."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from tests.conftest import db_fingerprint, join, make_user
from tests.races import Race
from workshop import events, queries
from workshop.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from workshop.extensions import db
from workshop.models import (
    Anonymity,
    Feedback,
    MeasureStatus,
    MeasureSupport,
    MyPart,
    Participant,
    Phase,
    RoundKind,
    StaffRole,
    User,
    UserRole,
    VoteKey,
    Workshop,
)
from workshop.queries import clauses_of, get_workshop, latest_version
from workshop.services import (
    editing,
    feedback,
    final,
    measures,
    my_part,
    rounds,
    stakeholders,
    workshops,
)
from workshop.services.agenda import RoundSettings, add_round

TEXT = "## Purpose\n\nWe care for every patient.\n\n## How we work\n\nWe listen first."


@pytest.fixture
def drafted(facilitator, workshop):
    editing.paste_document(facilitator, workshop.id, TEXT, based_on=None)
    return [c.key for c in clauses_of(latest_version(workshop.id))]


def lock(facilitator, workshop):
    final.set_quorum(facilitator, workshop.id, 0)
    return final.lock_version(facilitator, workshop.id, latest_version(workshop.id).number)


def test_a_mission_that_says_nothing_to_colleagues_is_flagged(facilitator, workshop, drafted):
    purpose, how = drafted
    assert stakeholders.balance(workshop.id)["warnings"] == []  # nothing tagged: no verdict
    stakeholders.set_stakeholders(facilitator, workshop.id, purpose, ["clients", "community"])
    picture = stakeholders.balance(workshop.id)
    assert picture["warnings"] == ["No clause speaks to colleagues."]
    assert {g["group"]: g["clauses"] for g in picture["groups"]}["clients"] == 1
    stakeholders.set_stakeholders(facilitator, workshop.id, how, ["colleagues"])
    assert stakeholders.balance(workshop.id)["warnings"] == []
    assert stakeholders.reader_view(workshop.id, latest_version(workshop.id), "colleagues") == {how}
    # Saying again replaces, it does not add.
    stakeholders.set_stakeholders(facilitator, workshop.id, purpose, ["clients"])
    assert stakeholders.tags_of(workshop.id)[purpose] == {"clients"}


def test_stakeholder_tags_refuse_strangers_unknown_groups_and_a_final_mission(
    facilitator, workshop, drafted
):
    boss = make_user("boss@example.org", UserRole.LEADERSHIP)
    workshops.add_staff(facilitator, workshop.id, boss.email, StaffRole.LEADERSHIP)
    before = db_fingerprint()
    with pytest.raises(Forbidden):
        stakeholders.set_stakeholders(boss, workshop.id, drafted[0], ["clients"])
    with pytest.raises(ValidationFailed):
        stakeholders.set_stakeholders(facilitator, workshop.id, drafted[0], ["shareholders!"])
    with pytest.raises(ValidationFailed):
        stakeholders.set_stakeholders(facilitator, workshop.id, 999, ["clients"])
    lock(facilitator, workshop)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        stakeholders.set_stakeholders(facilitator, workshop.id, drafted[0], ["clients"])
    assert refused.value.code == "document_locked"
    assert db_fingerprint() == before


def test_my_part_is_one_sentence_per_clause_and_coverage_pools_small_departments(facilitator):
    workshop = workshops.create_workshop(
        facilitator,
        workshops.WorkshopSettings(
            title="T", organisation="O", values=["Care"], departments=["IT", "Finance", "Care"]
        ),
    )
    editing.paste_document(facilitator, workshop.id, TEXT, based_on=None)
    purpose = clauses_of(latest_version(workshop.id))[0].key
    it = [join(workshop, f"IT {i}", department="IT") for i in range(5)]
    finance = [join(workshop, f"Fin {i}", department="Finance") for i in range(2)]
    care = [join(workshop, f"Care {i}", department="Care") for i in range(4)]
    my_part.write_my_part(it[0], purpose, "  I keep the systems   running. ")
    my_part.write_my_part(it[0], purpose, "I keep the systems running for the wards.")
    my_part.write_my_part(finance[0], purpose, "I make sure the money reaches care.")
    assert my_part.my_parts(it[0]) == {purpose: "I keep the systems running for the wards."}
    with pytest.raises(ValidationFailed):
        my_part.write_my_part(care[0], purpose, "x" * 301)
    with pytest.raises(Forbidden):
        my_part.write_my_part(facilitator, purpose, "Staff follow the room")
    picture = my_part.coverage(facilitator, workshop.id)
    rows = {row["group"]: row for row in picture["by_department"]}
    # Finance (2) and Care (4) are pooled: 6 people, one of whom wrote.
    assert set(rows) == {"IT", "Other departments"}
    assert (rows["IT"]["people"], rows["IT"]["wrote"]) == (5, 1)
    assert (rows["Other departments"]["people"], rows["Other departments"]["wrote"]) == (6, 1)
    assert sorted(picture["sentences"][purpose]) == [
        "I keep the systems running for the wards.",
        "I make sure the money reaches care.",
    ]
    my_part.write_my_part(it[0], purpose, "")  # an empty sentence takes it back
    assert my_part.my_parts(it[0]) == {}


def test_measures_are_proposed_supported_agreed_and_missing_ones_flagged(
    facilitator, workshop, drafted
):
    purpose, how = drafted
    amira, joost = join(workshop, "Amira"), join(workshop, "Joost")
    waits = measures.propose_measure(
        amira,
        workshop.id,
        purpose,
        what="Average wait for a first visit",
        baseline="12 days",
        target="5 days",
        owner_team="Planning",
        review_on=dt.date(2027, 6, 1),
    )
    assert measures.support_measure(joost, waits.id) == 2  # the proposer supports it too
    assert measures.support_measure(joost, waits.id) == 2  # one vote each
    with pytest.raises(ValidationFailed):
        measures.propose_measure(amira, workshop.id, purpose, what="", target="5")
    with pytest.raises(NotFound):  # another workshop's leadership: nothing here to see
        measures.decide_measure(make_user("x@example.org", UserRole.LEADERSHIP), waits.id, True)
    with pytest.raises(Forbidden):  # a participant does not decide
        measures.decide_measure(amira, waits.id, True)
    assert measures.missing_measures(workshop.id) == [
        "Purpose has no agreed success measure yet.",
        "How we work has no agreed success measure yet.",
    ]
    measures.decide_measure(facilitator, waits.id, agreed=True)
    with pytest.raises(InvalidState):
        measures.support_measure(amira, waits.id, support=False)  # decided: votes are closed
    rows = measures.measures_by_clause(workshop.id)
    assert rows[0]["measures"][0] | {"id": 0} == {
        "id": 0,
        "what": "Average wait for a first visit",
        "baseline": "12 days",
        "target": "5 days",
        "owner_team": "Planning",
        "review_on": "2027-06-01",
        "status": "agreed",
        "support": 2,
    }
    assert measures.missing_measures(workshop.id) == [
        "How we work has no agreed success measure yet."
    ]


@pytest.fixture
def fully_anonymous(facilitator, workshop, drafted):
    """The drafted workshop, fully anonymous, with Amira and Joost."""
    workshop.anonymity = Anonymity.FULL
    db.session.commit()
    return join(workshop, "Amira"), join(workshop, "Joost")


def test_fully_anonymous_measures_keep_no_proposer_and_supports_only_a_voter_hash(
    facilitator, workshop, drafted, fully_anonymous
):
    purpose, _how = drafted
    amira, joost = fully_anonymous
    waits = measures.propose_measure(amira, workshop.id, purpose, what="Wait", target="5 days")
    assert waits.proposed_by_id is None
    assert measures.supported_by(amira) == {waits.id}  # proposing is supporting, still
    assert measures.supported_by(joost) == set()
    assert measures.support_measure(joost, waits.id) == 2
    assert measures.support_measure(joost, waits.id) == 2  # one vote each, by the hash
    assert measures.supported_by(joost) == {waits.id}
    supports = db.session.scalars(sa.select(MeasureSupport)).all()
    assert len(supports) == 2
    assert all(s.participant_id is None and s.voter_hash for s in supports)
    assert measures.support_measure(joost, waits.id, support=False) == 1  # taken back
    assert measures.supported_by(joost) == set()
    assert queries.has_contributions(workshop.id)  # its anonymity may no longer change


def test_once_a_fully_anonymous_workshop_closes_nobody_can_tell_whose_support_it_is(
    facilitator, workshop, drafted, fully_anonymous
):
    purpose, _how = drafted
    amira, joost = fully_anonymous
    waits = measures.propose_measure(amira, workshop.id, purpose, what="Wait", target="5 days")
    assert db.session.scalar(sa.select(VoteKey).where(VoteKey.scope == "measures"))
    rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)
    assert db.session.scalar(sa.select(VoteKey).where(VoteKey.scope == "measures")) is None
    assert measures.supported_by(amira) == set()
    before = db_fingerprint()
    for person in (amira, joost):  # a new key would let Amira support twice
        with pytest.raises(InvalidState) as refused:
            measures.support_measure(person, waits.id)
        assert refused.value.code == "phase_closed"
    assert db_fingerprint() == before
    assert measures.measures_by_clause(workshop.id)[0]["measures"][0]["support"] == 1


def test_named_measures_keep_their_proposer_and_supporters(facilitator, workshop, drafted):
    purpose, _how = drafted
    amira = join(workshop, "Amira")
    waits = measures.propose_measure(amira, workshop.id, purpose, what="Wait", target="5 days")
    assert waits.proposed_by_id == amira.id
    assert db.session.scalar(sa.select(MeasureSupport.participant_id)) == amira.id
    rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)  # named: nothing to forget
    assert measures.supported_by(amira) == {waits.id}


def test_a_fully_anonymous_part_is_its_writers_to_change_and_names_nobody(
    facilitator, workshop, drafted, fully_anonymous
):
    purpose, how = drafted
    amira, joost = fully_anonymous
    my_part.write_my_part(amira, purpose, "I answer the phone.")
    my_part.write_my_part(amira, purpose, "I answer the phone kindly.")  # changed, not added
    my_part.write_my_part(joost, purpose, "I fix the beds.")
    assert my_part.my_parts(amira) == {purpose: "I answer the phone kindly."}
    assert my_part.my_parts(joost) == {purpose: "I fix the beds."}
    parts = db.session.scalars(sa.select(MyPart)).all()
    assert len(parts) == 2 and all(p.participant_id is None and p.voter_hash for p in parts)
    picture = my_part.coverage(facilitator, workshop.id)
    assert picture["anonymous"] and picture["by_department"] == []  # nothing says who wrote
    assert picture["sentences"][purpose] == ["I answer the phone kindly.", "I fix the beds."]
    assert queries.has_contributions(workshop.id)
    my_part.write_my_part(joost, purpose, "")  # taken back
    assert my_part.my_parts(joost) == {}
    rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)
    assert my_part.my_parts(amira) == {}  # the key is gone: nobody can tell whose it is
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:  # a new key would give her a second part
        my_part.write_my_part(amira, purpose, "Another")
    assert refused.value.code == "phase_closed"
    assert db_fingerprint() == before
    assert my_part.coverage(facilitator, workshop.id)["written"] == 1


def test_feedback_is_anonymous_per_clause_and_only_through_an_open_link(
    facilitator, workshop, drafted
):
    with pytest.raises(InvalidState):
        feedback.open_link(facilitator, workshop.id)  # not final yet
    lock(facilitator, workshop)
    key = feedback.open_link(facilitator, workshop.id)
    purpose, how = drafted
    feedback.give_feedback(key, {purpose: ("lands", ""), how: ("does_not", "Not on nights")})
    feedback.give_feedback(key, {purpose: ("partly", "Which patients?"), how: ("", "")})
    with pytest.raises(ValidationFailed):
        feedback.give_feedback(key, {purpose: ("", ""), how: ("", "")})
    with pytest.raises(ValidationFailed):
        feedback.give_feedback(key, {purpose: ("hate it", "")})
    summary = feedback.summary(facilitator, workshop.id)
    by_title = {c["title"]: c for c in summary["clauses"]}
    assert by_title["Purpose"]["counts"] == {"lands": 1, "partly": 1, "does_not": 0}
    assert by_title["How we work"]["comments"] == ["Not on nights"]
    # Nothing in a stored answer points to a person or a moment finer than the day.
    columns = set(sa.inspect(Feedback).columns.keys())
    assert columns == {
        "id",
        "workshop_id",
        "version_number",
        "clause_key",
        "answer",
        "comment",
        "received_on",
    }
    new_key = feedback.open_link(facilitator, workshop.id)  # a new link ends the old one
    with pytest.raises(NotFound):
        feedback.give_feedback(key, {purpose: ("lands", "")})
    feedback.close_link(facilitator, workshop.id)
    with pytest.raises(NotFound):
        feedback.workshop_for_link(new_key)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 3


def test_the_next_revision_starts_from_the_final_mission_with_the_same_staff(
    facilitator, workshop, drafted
):
    boss = make_user("boss@example.org", UserRole.LEADERSHIP)
    workshops.add_staff(facilitator, workshop.id, boss.email, StaffRole.LEADERSHIP)
    with pytest.raises(InvalidState):
        final.start_next_revision(facilitator, workshop.id)
    lock(facilitator, workshop)
    new = final.start_next_revision(facilitator, workshop.id)
    assert new.id != workshop.id and new.title == "Rewriting our mission: next revision"
    draft = latest_version(new.id)
    assert [c.heading for c in clauses_of(draft)] == ["Purpose", "How we work"]
    assert set(draft.word_credits) == {"original"}  # the old mission, not the facilitator's
    assert {(m.user_id, str(m.role)) for m in new.staff} == {
        (facilitator.id, "facilitator"),
        (boss.id, "leadership"),
    }
    assert latest_version(workshop.id).final_at is not None  # the old one stays final
    with pytest.raises(Forbidden):
        final.start_next_revision(boss, workshop.id)


def test_a_second_click_opens_the_next_revision_already_started(facilitator, workshop, drafted):
    lock(facilitator, workshop)
    first = final.start_next_revision(facilitator, workshop.id)
    before = db_fingerprint()
    again = final.start_next_revision(facilitator, workshop.id)
    assert again.id == first.id
    assert db_fingerprint() == before  # no second workshop, draft or audit entry
    assert queries.next_revision_of(workshop.id, latest_version(workshop.id).number).id == first.id


def test_a_next_revision_that_fails_half_way_leaves_nothing_behind(
    facilitator, workshop, drafted, monkeypatch
):
    """The way a crashed server would: the new workshop is made, then writing its first
    version fails. Nothing of it may stay (a workshop without its draft, which a second
    click would then pass over), and a later attempt starts it whole."""
    lock(facilitator, workshop)
    before = db_fingerprint()

    def crash(*args, **kwargs):
        raise RuntimeError("the server stopped here")

    with monkeypatch.context() as patched:
        patched.setattr(events, "document_saved", crash)
        with pytest.raises(RuntimeError):
            final.start_next_revision(facilitator, workshop.id)
    assert db_fingerprint() == before
    new = final.start_next_revision(facilitator, workshop.id)
    assert [c.heading for c in clauses_of(latest_version(new.id))] == ["Purpose", "How we work"]


def test_two_facilitators_starting_the_next_revision_at_once_get_one(
    app, facilitator, workshop, drafted
):
    lock(facilitator, workshop)
    workshop_id, email = workshop.id, facilitator.email
    cora_email = make_user("cora@example.org").email
    workshops.add_staff(facilitator, workshop_id, cora_email, StaffRole.FACILITATOR)
    start = threading.Barrier(2)
    started: list[int] = []

    def click(who: str) -> None:
        with app.app_context():
            actor = db.session.scalar(sa.select(User).where(User.email == who))
            start.wait()
            started.append(final.start_next_revision(actor, workshop_id).id)

    threads = [threading.Thread(target=click, args=(who,)) for who in (email, cora_email)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(started) == 2 and started[0] == started[1]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Workshop)) == 2


def test_a_measures_round_puts_the_room_in_the_draft_to_say_how_we_will_know(
    facilitator, workshop, drafted
):
    added = add_round(
        facilitator,
        workshop.id,
        RoundSettings(RoundKind.MEASURES, "How will we know we live it?", 10 * 60),
    )
    rounds.start_round(facilitator, added.id)
    assert get_workshop(workshop.id).phase == Phase.DRAFT
    amira = join(workshop, "Amira")
    measure = measures.propose_measure(
        amira, workshop.id, drafted[0], what="Patients who feel known", target="80%"
    )
    assert measures.measures_by_clause(workshop.id)[0]["measures"][0]["id"] == measure.id


def test_a_support_sent_while_the_measure_is_dropped_is_refused(
    app, facilitator, workshop, monkeypatch
):
    """The measure was read before the workshop's lock: a support that came while it was
    being dropped was written after the drop and acknowledged (found by an audit)."""
    editing.paste_document(facilitator, workshop.id, "## Purpose\n\nWe care.", based_on=None)
    key = clauses_of(latest_version(workshop.id))[0].key
    amira, joost = join(workshop, "Amira"), join(workshop, "Joost")
    measure = measures.propose_measure(amira, workshop.id, key, what="Wait", target="5 days")
    joost_id, fran_id, measure_id = joost.id, facilitator.id, measure.id
    db.session.commit()
    race = Race(app)
    monkeypatch.setattr(measures, "taking_part", race.holding(measures.taking_part))
    supported, decided = race.run(
        lambda: measures.support_measure(db.session.get(Participant, joost_id), measure_id),
        lambda: measures.decide_measure(db.session.get(User, fran_id), measure_id, False).status,
    )
    assert decided == MeasureStatus.DROPPED, decided
    assert isinstance(supported, InvalidState) and supported.code == "decided", supported
