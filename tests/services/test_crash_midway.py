"""Staff actions that once committed in two steps: a crash (here, a commit that fails, as a
kill -9 at that moment would leave it) or a refusal part-way must leave the workshop fully
as it was before or fully as asked, never half of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.conftest import db_fingerprint, join, make_user
from workshop import queries
from workshop.errors import DomainError
from workshop.extensions import db
from workshop.models import RoundKind, StaffRole, User, Workshop
from workshop.services import agenda, proposals, rounds, votes, winners, workshops
from workshop.services.agenda import RoundSettings


class ProcessDied(Exception):
    """What the server's last moment looks like to the code that was running."""


@contextmanager
def dying_at_commit(number: int) -> Iterator[None]:
    """The ``number``-th commit from here fails, and nothing after it runs."""
    commits = 0

    def count(_session: object) -> None:
        nonlocal commits
        commits += 1
        if commits == number:
            raise ProcessDied

    sa.event.listen(db.session, "before_commit", count)
    try:
        yield
    except ProcessDied:
        db.session.rollback()
    finally:
        sa.event.remove(db.session, "before_commit", count)


def _revealed_vote_without_a_draft(facilitator: User, workshop: Workshop, words: str) -> int:
    people = [join(workshop, f"P{i}", "Frontline") for i in range(2)]
    ask = agenda.add_round(
        facilitator, workshop.id, RoundSettings(kind=RoundKind.PROPOSE, clause="Purpose")
    )
    vote = agenda.add_round(
        facilitator,
        workshop.id,
        RoundSettings(kind=RoundKind.VOTE, method="dot", blind=False, clause="Purpose"),
    )
    rounds.start_round(facilitator, ask.id)
    winner = proposals.submit_proposal(people[0], workshop.id, words)
    rounds.start_round(facilitator, vote.id)
    votes.cast_ballot(people[1], workshop.id, {"dots": {str(winner.id): 1}})
    assert queries.latest_version(workshop.id) is None
    return vote.id


@pytest.mark.parametrize("dies_at", [1, 2])
def test_placing_the_first_winner_is_whole_or_not_at_all_whatever_commit_fails(
    facilitator: User, workshop: Workshop, dies_at: int
) -> None:
    vote_id = _revealed_vote_without_a_draft(facilitator, workshop, "We care for every patient.")
    before = db_fingerprint()
    with dying_at_commit(dies_at):
        winners.place_winners(facilitator, vote_id)
    latest = queries.latest_version(workshop.id)
    if latest is None:
        assert db_fingerprint() == before
    else:  # the winner is in the draft, not a template version holding nobody's words
        assert "We care for every patient." in latest.body_md, latest.note


def test_a_refused_first_winner_leaves_no_draft_behind(
    facilitator: User, workshop: Workshop
) -> None:
    # A heading inside the winning card would start a clause of its own: refused.
    vote_id = _revealed_vote_without_a_draft(facilitator, workshop, "Care first\n\n## Our own")
    before = db_fingerprint()
    with pytest.raises(DomainError):
        winners.place_winners(facilitator, vote_id)
    assert queries.latest_version(workshop.id) is None
    assert db_fingerprint() == before


def test_placing_the_first_winner_still_starts_the_draft_from_the_template(
    facilitator: User, workshop: Workshop
) -> None:
    vote_id = _revealed_vote_without_a_draft(facilitator, workshop, "We care for every patient.")
    placed = winners.place_winners(facilitator, vote_id)
    first = queries.version_numbered(workshop.id, 1)
    assert first is not None and first.note == "Started from the template"
    assert placed.number == 2
    purpose = next(c for c in queries.clauses_of(placed) if c.heading == "Purpose")
    assert purpose.body == "We care for every patient."
    assert [p.body_md for p in placed.source_proposals] == ["We care for every patient."]


@pytest.mark.parametrize("dies_at", [1, 2])
def test_handing_the_lead_over_is_whole_or_not_at_all_whatever_commit_fails(
    facilitator: User, workshop: Workshop, dies_at: int
) -> None:
    colleague = make_user("colleague@example.org")
    with dying_at_commit(dies_at):
        workshops.hand_over(facilitator, workshop.id, colleague.email)
    db.session.refresh(workshop)
    roles = {m.user_id: m.role for m in workshop.staff}
    before = colleague.id not in roles and workshop.lead_user_id == facilitator.id
    after = (
        roles.get(colleague.id) == StaffRole.FACILITATOR and workshop.lead_user_id == colleague.id
    )
    assert before or after, f"half done: staff {roles}, lead {workshop.lead_user_id}"
