"""Two people acting on the same thing at once, where the first had checked before taking
the workshop's lock and the second changed it meanwhile: the first is refused plainly (not
found, not in the draft), never a server error, and never writes on what is gone. Each race
is replayed step by step with tests/races.py: the first request is held where it takes the
lock, the second runs to its end, then the first goes on (found by an audit)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import in_phase, join
from tests.races import Race
from workshop.errors import DomainError, NotFound
from workshop.extensions import db
from workshop.models import (
    MyPart,
    Participant,
    Phase,
    ProposalStatus,
    RoundKind,
    SuccessMeasure,
    User,
)
from workshop.queries import clauses_of, latest_version
from workshop.services import agenda, editing, measures, moderation, my_part, proposals, versions
from workshop.services.agenda import RoundSettings

TEXT = "## Purpose\n\nWe care for every patient.\n\n## How we work\n\nWe listen first."
WITHOUT_PURPOSE = "## How we work\n\nWe listen first."


def hold_at(monkeypatch, module, app, name="workshop_change") -> Race:
    race = Race(app)
    monkeypatch.setattr(module, name, race.holding(getattr(module, name)))
    return race


def refused(outcome) -> bool:
    """A plain refusal: a domain error, never a server error."""
    return isinstance(outcome, DomainError)


def fran(fran_id):
    return db.session.get(User, fran_id)


def person(pid):
    return db.session.get(Participant, pid)


@pytest.fixture
def drafted(facilitator, workshop):
    editing.paste_document(facilitator, workshop.id, TEXT, based_on=None)
    key = next(c.key for c in clauses_of(latest_version(workshop.id)) if c.heading == "Purpose")
    return workshop, key


def purpose_body(workshop_id, key):
    db.session.expire_all()
    latest = latest_version(workshop_id)
    return next(c.body for c in clauses_of(latest) if c.key == key)


@pytest.fixture
def agenda3(facilitator, workshop):
    made = [
        agenda.add_round(facilitator, workshop.id, RoundSettings(RoundKind.PROPOSE, p, 300))
        for p in ("one", "two", "three")
    ]
    db.session.commit()
    return workshop, [r.id for r in made]


def test_two_removals_of_one_round_at_once(app, facilitator, agenda3, monkeypatch):
    workshop, ids = agenda3
    fid = facilitator.id
    race = hold_at(monkeypatch, agenda, app)
    first, second = race.run(
        lambda: agenda.remove_round(fran(fid), ids[1]),
        lambda: agenda.remove_round(fran(fid), ids[1]),
    )
    assert second is None, second
    assert isinstance(first, NotFound), repr(first)


def test_moving_a_round_a_colleague_removes_meanwhile(app, facilitator, agenda3, monkeypatch):
    workshop, ids = agenda3
    fid = facilitator.id
    race = hold_at(monkeypatch, agenda, app)
    moved, removed = race.run(
        lambda: agenda.move_round(fran(fid), ids[2], 0),
        lambda: agenda.remove_round(fran(fid), ids[2]),
    )
    assert removed is None, removed
    assert refused(moved), repr(moved)


def test_editing_a_round_a_colleague_removes_meanwhile(app, facilitator, agenda3, monkeypatch):
    workshop, ids = agenda3
    fid = facilitator.id
    race = hold_at(monkeypatch, agenda, app)
    edited, removed = race.run(
        lambda: agenda.change_round(fran(fid), ids[1], {"prompt": "changed"}),
        lambda: agenda.remove_round(fran(fid), ids[1]),
    )
    assert removed is None, removed
    assert refused(edited), repr(edited)


def test_a_measure_proposed_while_its_clause_is_removed(app, facilitator, drafted, monkeypatch):
    workshop, key = drafted
    amira = join(workshop, "Amira")
    fid, wid, aid = facilitator.id, workshop.id, amira.id
    db.session.commit()
    race = hold_at(monkeypatch, measures, app)
    proposed, removed = race.run(
        lambda: measures.propose_measure(person(aid), wid, key, what="Wait", target="5 days").id,
        lambda: versions.save_version(fran(fid), wid, WITHOUT_PURPOSE, based_on=1).number,
    )
    assert removed == 2, removed
    db.session.expire_all()
    assert key not in {c.key for c in clauses_of(latest_version(wid))}
    stored = db.session.scalars(sa.select(SuccessMeasure)).all()
    # Acknowledged, yet on a clause the draft no longer has: shown nowhere.
    assert refused(proposed) and stored == [], (proposed, [(m.id, m.clause_key) for m in stored])


def test_my_part_written_while_its_clause_is_removed(app, facilitator, drafted, monkeypatch):
    workshop, key = drafted
    amira = join(workshop, "Amira")
    fid, wid, aid = facilitator.id, workshop.id, amira.id
    db.session.commit()
    race = hold_at(monkeypatch, my_part, app)
    written, removed = race.run(
        lambda: my_part.write_my_part(person(aid), key, "I greet every patient by name."),
        lambda: versions.save_version(fran(fid), wid, WITHOUT_PURPOSE, based_on=1).number,
    )
    assert removed == 2, removed
    stored = db.session.scalars(sa.select(MyPart)).all()
    assert refused(written) and stored == [], (written, [(m.id, m.clause_key) for m in stored])


@pytest.fixture
def cards_and_draft(facilitator, workshop):
    in_phase(facilitator, workshop, Phase.PROPOSE)
    author = join(workshop, "Author")
    cards = [
        proposals.submit_proposal(author, workshop.id, t).id
        for t in ("We welcome everyone.", "Offensive words here.")
    ]
    editing.paste_document(facilitator, workshop.id, TEXT, based_on=None)
    key = next(c.key for c in clauses_of(latest_version(workshop.id)) if c.heading == "Purpose")
    db.session.commit()
    return workshop, key, cards


def test_filling_a_clause_with_a_card_hidden_meanwhile(
    app, facilitator, cards_and_draft, monkeypatch
):
    workshop, key, cards = cards_and_draft
    fid, wid = facilitator.id, workshop.id
    race = hold_at(monkeypatch, editing, app)
    filled, hidden = race.run(
        lambda: editing.fill_clause_from_proposals(fran(fid), wid, key, [cards[1]]).number,
        lambda: moderation.hide_proposal(fran(fid), cards[1], "abusive").status,
    )
    assert hidden == ProposalStatus.HIDDEN, hidden
    assert "Offensive" not in purpose_body(wid, key)
    assert refused(filled), filled


def test_a_draft_from_cards_one_hidden_meanwhile(app, facilitator, workshop, monkeypatch):
    in_phase(facilitator, workshop, Phase.PROPOSE)
    author = join(workshop, "Author")
    cards = [
        proposals.submit_proposal(author, workshop.id, t).id
        for t in ("We welcome everyone.", "Offensive words here.")
    ]
    fid, wid = facilitator.id, workshop.id
    db.session.commit()
    race = hold_at(monkeypatch, versions, app)
    drafted_, hidden = race.run(
        lambda: versions.start_draft_from_proposals(fran(fid), wid, cards, based_on=None).number,
        lambda: moderation.hide_proposal(fran(fid), cards[1], "abusive").status,
    )
    assert hidden == ProposalStatus.HIDDEN, hidden
    db.session.expire_all()
    latest = latest_version(wid)
    assert latest is None or "Offensive" not in latest.body_md, latest.body_md
    assert refused(drafted_), drafted_
