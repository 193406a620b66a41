"""Reading the workshop's state: the lookups every operation, page and snapshot shares.

Nothing here writes, checks who is asking or decides what anyone may see (that is
:mod:`guards`, :mod:`permissions` and :mod:`audiences`); these functions only find
things, so that the services above them need not import each other to read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from . import clauses, clock
from .alignment import Submission, submissions
from .catalogue import value_names
from .coverage import widely_shared as shared_among
from .errors import InvalidState, NotFound
from .extensions import db
from .join_codes import JOIN_CODE_LENGTH, normalise_join_code
from .locales import current_language
from .models import (
    BALLOT_KINDS,
    Amendment,
    AmendmentVote,
    Audience,
    AuditAction,
    AuditEntry,
    Ballot,
    ClauseVote,
    Comment,
    Connection,
    DocumentVersion,
    Duel,
    DuelBallot,
    MeasureSupport,
    MyPart,
    Participant,
    Phase,
    Proposal,
    ProposalCredit,
    ProposalStatus,
    Round,
    RoundKind,
    RoundStatus,
    SuccessMeasure,
    User,
    ValueTag,
    Workshop,
    WorkshopStaff,
    utcnow,
)
from .privacy import effective_anonymity, results_visible, shows_authors
from .vocabulary import vocabulary_results
from .voters import (
    CONSENT_SCOPE,
    Voter,
    amendment_scope,
    duel_scope,
    round_scope,
    voter,
    voter_on_items,
)

# ---- workshops and people ------------------------------------------------------------


def get_workshop(workshop_id: int) -> Workshop:
    """The workshop, or NotFound."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound(_("This workshop does not exist."))
    return workshop


def list_workshops_for(actor: User) -> list[Workshop]:
    """Workshops the account has a role in, newest first."""
    return list(
        db.session.scalars(
            sa.select(Workshop)
            .join(WorkshopStaff)
            .where(WorkshopStaff.user_id == actor.id)
            .order_by(Workshop.created_at.desc())
        )
    )


def staff_names(workshop_id: int) -> list[str]:
    """The display names of a workshop's staff, in one statement."""
    return list(
        db.session.scalars(
            sa.select(User.display_name)
            .join(WorkshopStaff, WorkshopStaff.user_id == User.id)
            .where(WorkshopStaff.workshop_id == workshop_id)
        )
    )


def next_revision_of(workshop_id: int, number: int) -> Workshop | None:
    """The workshop started as the next revision of this one's final version ``number``,
    if there is one (the audit entry of its start names it)."""
    started = db.session.execute(
        sa.select(AuditEntry.subject_id, AuditEntry.params)
        .where(
            AuditEntry.workshop_id == workshop_id,
            AuditEntry.action == AuditAction.WORKSHOP_NEXT_REVISION,
            AuditEntry.subject_id.is_not(None),
        )
        .order_by(AuditEntry.id.desc())
    )
    for subject_id, params in started:
        if params.get("number") == number:
            return db.session.get(Workshop, subject_id)
    return None


def find_open_workshop(raw_code: str) -> Workshop:
    """The workshop a join code opens. Unknown, expired and closed codes get the same answer,
    so that guessing cannot tell a code that once worked from one that never did."""
    code = normalise_join_code(raw_code)
    if len(code) != JOIN_CODE_LENGTH:
        raise NotFound(_("That join code is not right: it has 8 letters and digits."))
    workshop = db.session.scalar(sa.select(Workshop).where(Workshop.join_code == code))
    expires = workshop.join_code_expires_at if workshop is not None else None
    if (
        workshop is None
        or workshop.phase == Phase.CLOSED
        or (expires is not None and expires <= utcnow())
    ):
        raise NotFound(_("No open workshop has that join code. Check it with your facilitator."))
    return workshop


def participant_count(workshop_id: int) -> int:
    """How many people have joined (for dashboards)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Participant.id)).where(Participant.workshop_id == workshop_id)
        )
        or 0
    )


def open_workshops(workshop_ids: list[int]) -> list[Workshop]:
    """Of these workshops, the ones still running (for "continue where you were")."""
    if not workshop_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Workshop)
            .where(Workshop.id.in_(workshop_ids), Workshop.phase != Phase.CLOSED)
            .order_by(Workshop.created_at.desc())
        )
    )


def has_contributions(workshop_id: int) -> bool:
    """Whether anyone has written or voted anything yet (the promise of anonymity under which
    they did so may not change afterwards)."""
    written = [
        sa.select(Proposal.id).where(Proposal.workshop_id == workshop_id),
        sa.select(Comment.id).where(Comment.workshop_id == workshop_id),
        sa.select(Amendment.id).where(Amendment.workshop_id == workshop_id),
        sa.select(ClauseVote.id).where(ClauseVote.workshop_id == workshop_id),
        sa.select(Ballot.id).join(Round).where(Round.workshop_id == workshop_id),
        sa.select(DuelBallot.id).join(Duel).where(Duel.workshop_id == workshop_id),
        sa.select(MeasureSupport.id)
        .join(SuccessMeasure)
        .where(SuccessMeasure.workshop_id == workshop_id),
        sa.select(MyPart.id).where(MyPart.workshop_id == workshop_id),
    ]
    return any(db.session.scalar(query.limit(1)) is not None for query in written)


def get_participant(participant_id: int, workshop_id: int) -> Participant:
    """A participant of this workshop; refuses ids from any other workshop."""
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.workshop_id != workshop_id:
        raise NotFound(_("You have not joined this workshop."))
    return participant


def list_participants(workshop_id: int) -> list[Participant]:
    """Everyone who joined, in the order they came."""
    return list(
        db.session.scalars(
            sa.select(Participant)
            .where(Participant.workshop_id == workshop_id)
            .order_by(Participant.joined_at, Participant.id)
        )
    )


def presence_counts(workshop_id: int) -> dict[str, Any]:
    """How many people joined and how many are online, by level and department."""
    joined = (
        db.session.scalar(
            sa.select(sa.func.count(Participant.id)).where(Participant.workshop_id == workshop_id)
        )
        or 0
    )
    online = (
        sa.select(Participant.id, Participant.level, Participant.department)
        .join(Connection, Connection.participant_id == Participant.id)
        .where(Participant.workshop_id == workshop_id)
        .distinct()
        .subquery()
    )
    rows = db.session.execute(
        sa.select(online.c.level, online.c.department, sa.func.count()).group_by(
            online.c.level, online.c.department
        )
    ).all()
    by_level: dict[str, int] = {}
    by_department: dict[str, int] = {}
    for level, department, count in rows:
        by_level[level] = by_level.get(level, 0) + count
        if department:
            by_department[department] = by_department.get(department, 0) + count
    return {
        "online": sum(by_level.values()),
        "joined": joined,
        "by_level": by_level,
        "by_department": by_department,
    }


# One statement: a socket's screen, its workshop and its participant (if any) together; built
# once, since it runs before every command.
_CONNECTION_SCREEN = (
    sa.select(Connection.audience, Workshop, Participant)
    .join(Workshop, Workshop.id == Connection.workshop_id)
    .outerjoin(Participant, Participant.id == Connection.participant_id)
    .where(Connection.sid == sa.bindparam("sid"))
)


def connection_screen(sid: str) -> tuple[Audience, Workshop, Participant | None] | None:
    """Which screen an open socket is, its workshop and its participant (None for staff
    screens), or None if it is not registered."""
    row = db.session.execute(_CONNECTION_SCREEN, {"sid": sid}).first()
    return None if row is None else (row[0], row[1], row[2])


def editing_rows(workshop_id: int) -> list[Any]:
    """Who has which clause open: (clause key, participant's name, staff name), oldest first."""
    return list(
        db.session.execute(
            sa.select(Connection.editing_clause_key, Participant.display_name, User.display_name)
            .outerjoin(Participant, Participant.id == Connection.participant_id)
            .outerjoin(User, User.id == Connection.user_id)
            .where(
                Connection.workshop_id == workshop_id, Connection.editing_clause_key.is_not(None)
            )
            .order_by(Connection.editing_since, Connection.sid)
        ).all()
    )


# ---- rounds --------------------------------------------------------------------------


def list_rounds(workshop_id: int) -> list[Round]:
    """The agenda in order."""
    return list(
        db.session.scalars(
            sa.select(Round).where(Round.workshop_id == workshop_id).order_by(Round.position)
        )
    )


def get_round(round_id: int, workshop_id: int) -> Round:
    """A round of this workshop; one of another workshop does not exist here."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.workshop_id != workshop_id:
        raise NotFound(_("This round does not exist."))
    return round_


def current_round(workshop_id: int) -> Round | None:
    """The running or paused round, which every screen follows."""
    return db.session.scalar(
        sa.select(Round).where(
            Round.workshop_id == workshop_id,
            Round.status.in_([RoundStatus.RUNNING, RoundStatus.PAUSED]),
        )
    )


def task_round(workshop_id: int) -> Round | None:
    """The round the participants' task belongs to: the current round, else the one started
    last (it has ended, and screens still show it, closed); None before any round ran. The
    server's side of the live client's ``taskRound``."""
    return current_round(workshop_id) or db.session.scalar(
        sa.select(Round)
        .where(Round.workshop_id == workshop_id, Round.started_at.is_not(None))
        .order_by(Round.started_at.desc(), Round.id.desc())
        .limit(1)
    )


def latest_vote_round(workshop_id: int) -> Round | None:
    """The round with ballots most recently started (its results stay on screen after it
    ends)."""
    return db.session.scalar(
        sa.select(Round)
        .where(
            Round.workshop_id == workshop_id,
            Round.kind.in_(BALLOT_KINDS),
            Round.started_at.is_not(None),
        )
        .order_by(Round.started_at.desc(), Round.id.desc())
        .limit(1)
    )


def is_open_for_input(round_: Round | None, now: dt.datetime | None = None) -> bool:
    """Running, and its time (if it has a timer) not yet up."""
    if round_ is None or round_.status != RoundStatus.RUNNING:
        return False
    return round_.ends_at is None or (now or clock.now()) < round_.ends_at


def closed_for_input(round_: Round | None, *, code: str) -> InvalidState:
    """The refusal that says why input is closed right now."""
    if round_ is not None and round_.status == RoundStatus.PAUSED:
        return InvalidState(_("The facilitator paused this round."), code=code)
    if round_ is not None and round_.status == RoundStatus.RUNNING:
        return InvalidState(_("Time is up for this round."), code=code)
    if round_ is not None and round_.status == RoundStatus.ENDED:
        return InvalidState(_("This round has ended."), code=code)
    return InvalidState(_("This round is not open right now."), code=code)


# ---- proposals and comments ----------------------------------------------------------


def get_proposal(proposal_id: int, workshop_id: int) -> Proposal:
    """A proposal of this workshop; one of another workshop does not exist here."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.workshop_id != workshop_id:
        raise NotFound(_("This proposal does not exist."))
    return proposal


def list_proposals(workshop_id: int, *, include_hidden: bool) -> list[Proposal]:
    """Proposals in the order they came in; with ``include_hidden``, also pending, hidden
    and merged ones."""
    query = sa.select(Proposal).where(Proposal.workshop_id == workshop_id)
    if not include_hidden:
        query = query.where(Proposal.status == ProposalStatus.VISIBLE)
    return list(db.session.scalars(query.order_by(Proposal.created_at, Proposal.id)))


def proposal_source(round_: Round) -> Round | None:
    """The propose round whose proposals a vote round chooses among: the one it names, else
    the propose round before it in the agenda; None means every visible proposal."""
    if round_.kind != RoundKind.VOTE or round_.all_proposals:
        return None
    if round_.source_round_id is not None:
        return db.session.get(Round, round_.source_round_id)
    if round_.started_at is not None:
        return None  # resolved when it started: there was no propose round before it
    earlier = [
        r
        for r in list_rounds(round_.workshop_id)
        if r.position < round_.position and r.kind == RoundKind.PROPOSE
    ]
    return earlier[-1] if earlier else None


def candidates(round_: Round) -> list[Proposal]:
    """What a vote round votes on: the visible proposals of its propose round (or every
    visible proposal when it has none, or is set to), pinned first."""
    query = sa.select(Proposal).where(
        Proposal.workshop_id == round_.workshop_id, Proposal.status == ProposalStatus.VISIBLE
    )
    source_id = round_.source_round_id if round_.started_at is not None else None
    if source_id is None and (source := proposal_source(round_)) is not None:
        source_id = source.id
    if source_id is not None and not round_.all_proposals:
        query = query.where(Proposal.round_id == source_id)
    return list(db.session.scalars(query.order_by(Proposal.pinned.desc(), Proposal.id)))


# The current round of a workshop and the ids of the proposals on its ballot, as one row (built
# once: it is the hot path of every vote). One row, not one per proposal: every row would carry
# the whole round again, its timestamps parsed each time, so a vote's cost grew with the ballot.
_CURRENT_BALLOT_ROUND = (
    sa.select(Round, sa.func.aggregate_strings(sa.cast(Proposal.id, sa.String), ","))
    .outerjoin(
        Proposal,
        sa.and_(
            Proposal.workshop_id == Round.workshop_id,
            Proposal.status == ProposalStatus.VISIBLE,
            Round.kind == RoundKind.VOTE,
            sa.or_(
                Round.all_proposals,
                Round.source_round_id.is_(None),
                Proposal.round_id == Round.source_round_id,
            ),
        ),
    )
    .where(
        Round.workshop_id == sa.bindparam("workshop_id"),
        Round.status.in_([RoundStatus.RUNNING, RoundStatus.PAUSED]),
    )
    .group_by(Round.id)
)


def current_ballot_round(workshop_id: int) -> tuple[Round | None, list[int]]:
    """The current round and the ids of the proposals on its ballot, in one statement: the
    hot path of every vote. (Its proposals were fixed when it started; see rounds.py.)"""
    row = db.session.execute(_CURRENT_BALLOT_ROUND, {"workshop_id": workshop_id}).first()
    if row is None:
        return None, []
    round_, ids = row
    return round_, [int(pid) for pid in ids.split(",")] if ids else []


def comments_of(proposal_ids: list[int]) -> dict[int, list[Comment]]:
    """Comments per proposal, oldest first."""
    grouped: dict[int, list[Comment]] = {pid: [] for pid in proposal_ids}
    if proposal_ids:
        for comment in db.session.scalars(
            sa.select(Comment).where(Comment.proposal_id.in_(proposal_ids)).order_by(Comment.id)
        ):
            grouped[comment.proposal_id].append(comment)
    return grouped


def get_comment(comment_id: int, workshop_id: int) -> Comment:
    """A comment of this workshop; one of another workshop does not exist here."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.workshop_id != workshop_id:
        raise NotFound(_("This comment does not exist."))
    return comment


def get_tag(tag_id: int, workshop_id: int) -> ValueTag:
    """A value tag on a proposal or amendment of this workshop."""
    tag = db.session.get(ValueTag, tag_id)
    if tag is None or tagged_item(tag).workshop_id != workshop_id:
        raise NotFound(_("This tag does not exist."))
    return tag


def tagged_item(tag: ValueTag) -> Proposal | Amendment:
    """The proposal or amendment a tag belongs to."""
    item = (
        db.session.get(Proposal, tag.proposal_id)
        if tag.proposal_id is not None
        else db.session.get(Amendment, tag.amendment_id)
    )
    assert item is not None, "a tag belongs to exactly one item (a CHECK constraint)"
    return item


# ---- ballots -------------------------------------------------------------------------


def round_ballots(round_id: int) -> Sequence[sa.Row[tuple[dict, str | None, str | None]]]:
    """What every current ballot of a round holds: its ``data`` and the ``level`` and
    ``department`` it counts under. Rows, not objects: counting reads nothing else, and a
    tally is rebuilt several times a second while a room of a thousand votes."""
    return db.session.execute(
        sa.select(Ballot.data, Ballot.level, Ballot.department).where(Ballot.round_id == round_id)
    ).all()


def ballot_voter(round_: Round, participant: Participant, *, create: bool = False) -> Voter | None:
    """How a participant's ballot in a round is stored (None: fully anonymous and closed)."""
    workshop = get_workshop(round_.workshop_id)
    anonymity = effective_anonymity(workshop, round_)
    return voter(participant, round_scope(round_.id), anonymity, create=create)


def find_ballot(round_: Round, participant: Participant) -> Ballot | None:
    """A person's current ballot in a round, while the server can still find it."""
    found = ballot_voter(round_, participant)
    if found is None:
        return None
    return db.session.scalar(
        sa.select(Ballot).where(Ballot.round_id == round_.id, found.matches(Ballot))
    )


def voter_count(round_id: int) -> int:
    """How many people voted: shown live, never what they voted."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Ballot).where(Ballot.round_id == round_id)
        )
        or 0
    )


def known_proposers(workshop_id: int, until: dt.datetime | None = None) -> set[int]:
    """Who proposed something, where staff may know it (never in fully anonymous mode): every
    card they wrote or share the credit of after a merge, hidden ones too (they proposed; a
    card hidden after the draft took its words is theirs as well). One definition for the
    "who took part" page, the sign-off pack and the record."""
    query = (
        sa.select(ProposalCredit.participant_id, Proposal.anonymity)
        .join(Proposal, Proposal.id == ProposalCredit.proposal_id)
        .where(Proposal.workshop_id == workshop_id)
    )
    if until is not None:  # as it stood then (``until``: a moment, such as a lock)
        query = query.where(Proposal.created_at <= until)
    rows = db.session.execute(query).all()
    return {pid for pid, anonymity in rows if shows_authors(anonymity, staff=True, readout=False)}


def known_voters(workshop_id: int, until: dt.datetime | None = None) -> set[int]:
    """Who cast a ballot in any round, where it is known (fully anonymous ballots are
    nobody's); with ``until``, in the rounds started by then (a ballot keeps no time)."""
    query = (
        sa.select(Ballot.participant_id)
        .join(Round, Round.id == Ballot.round_id)
        .where(Round.workshop_id == workshop_id, Ballot.participant_id.is_not(None))
        .distinct()
    )
    if until is not None:
        query = query.where(Round.started_at <= until)
    return set(db.session.scalars(query))


def ballot_count_by_round(workshop_id: int) -> dict[str, int]:
    """How many people voted in each round that took ballots, by round id."""
    rows = db.session.execute(
        sa.select(Ballot.round_id, sa.func.count())
        .join(Round, Round.id == Ballot.round_id)
        .where(Round.workshop_id == workshop_id)
        .group_by(Ballot.round_id)
    ).all()
    return {str(round_id): count for round_id, count in rows}


def values_submissions(round_: Round) -> list[Submission]:
    """A values round's submissions, with the groups they may be counted in."""
    return submissions(round_ballots(round_.id))


def widely_shared(workshop: Workshop) -> list[dict[str, Any]]:
    """The values picked by a quarter of the people in the latest values round, once its
    results may be seen."""
    for round_ in reversed(list_rounds(workshop.id)):
        if round_.kind != RoundKind.VALUES or round_.started_at is None:
            continue
        if not results_visible(round_):
            return []
        return shared_among(values_submissions(round_), value_names(workshop, current_language()))
    return []


def approved_and_vetoed(workshop_id: int) -> dict[str, list[str]]:
    """The words the room approved and vetoed in its vocabulary rounds (latest result wins)."""
    status: dict[str, str] = {}
    for round_ in list_rounds(workshop_id):
        if round_.kind != RoundKind.VOCABULARY or not results_visible(round_):
            continue
        stored = [ballot.data for ballot in round_ballots(round_.id)]
        for item in vocabulary_results(round_.words, stored)["items"]:
            status[item["word"]] = item["status"]
    return {
        "approved": sorted(w for w, s in status.items() if s == "approved"),
        "vetoed": sorted(w for w, s in status.items() if s == "vetoed"),
    }


# ---- the document --------------------------------------------------------------------


def latest_version(workshop_id: int) -> DocumentVersion | None:
    """The current version of the document, if a draft has been started."""
    return db.session.scalar(
        sa.select(DocumentVersion)
        .where(DocumentVersion.workshop_id == workshop_id)
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    )


def final_version(workshop_id: int) -> DocumentVersion | None:
    """The latest version locked as final (it stays final after a reopen), if any."""
    return db.session.scalar(
        sa.select(DocumentVersion)
        .where(DocumentVersion.workshop_id == workshop_id, DocumentVersion.final_at.is_not(None))
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    )


def version_numbered(workshop_id: int, number: int) -> DocumentVersion | None:
    """Version ``number`` of a workshop's document, if there is one."""
    return db.session.scalar(
        sa.select(DocumentVersion).where(
            DocumentVersion.workshop_id == workshop_id, DocumentVersion.number == number
        )
    )


def history(workshop_id: int, up_to: int | None = None) -> list[DocumentVersion]:
    """Versions 1..up_to (all of them by default), oldest first."""
    query = sa.select(DocumentVersion).where(DocumentVersion.workshop_id == workshop_id)
    if up_to is not None:
        query = query.where(DocumentVersion.number <= up_to)
    return list(db.session.scalars(query.order_by(DocumentVersion.number)))


def clauses_of(version: DocumentVersion) -> list[clauses.Clause]:
    """A version's clauses, with their keys."""
    return clauses.with_keys(version.body_md, version.clause_keys)


def clause_in(version: DocumentVersion, clause_key: int) -> clauses.Clause | None:
    """One clause of a version, if the version has it."""
    return next((c for c in clauses_of(version) if c.key == clause_key), None)


def clause_of_draft(workshop_id: int, clause_key: int) -> tuple[DocumentVersion, clauses.Clause]:
    """The latest version and one of its clauses, or NotFound when the clause is gone."""
    latest = latest_version(workshop_id)
    clause = clause_in(latest, clause_key) if latest else None
    if latest is None or clause is None:
        raise NotFound(_("This clause is no longer in the draft."), field="clause")
    return latest, clause


def clause_votes(workshop_id: int, clause_key: int | None = None) -> list[ClauseVote]:
    """People's consent answers on the clauses of a workshop (or of one clause)."""
    query = sa.select(ClauseVote).where(ClauseVote.workshop_id == workshop_id)
    if clause_key is not None:
        query = query.where(ClauseVote.clause_key == clause_key)
    return list(db.session.scalars(query))


def participant_clause_votes(participant: Participant) -> list[ClauseVote]:
    """One person's consent answers, on every clause (while the server can still tell)."""
    workshop = get_workshop(participant.workshop_id)
    answered = (
        sa.select(ClauseVote.clause_key)
        .where(ClauseVote.workshop_id == participant.workshop_id)
        .distinct()
    )
    mine = voter_on_items(
        participant, CONSENT_SCOPE, workshop.anonymity, db.session.scalars(answered)
    )
    if mine is None:
        return []
    return list(
        db.session.scalars(
            sa.select(ClauseVote).where(
                ClauseVote.workshop_id == participant.workshop_id, mine.matches(ClauseVote)
            )
        )
    )


def open_clause_objections(workshop_id: int) -> int:
    """Objections to clauses still in the draft. A stale objection stays open until its
    author answers again on the new words: changing a clause does not silence anyone."""
    latest = latest_version(workshop_id)
    if latest is None:
        return 0
    keys = {c.key for c in clauses_of(latest)}
    return sum(
        1 for v in clause_votes(workshop_id) if v.clause_key in keys and v.choice == "object"
    )


# ---- amendments and duels ------------------------------------------------------------


def list_amendments(workshop_id: int) -> list[Amendment]:
    """Every amendment of a workshop, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Amendment).where(Amendment.workshop_id == workshop_id).order_by(Amendment.id)
        )
    )


def get_amendment(amendment_id: int, workshop_id: int) -> Amendment:
    """An amendment of this workshop; one of another workshop does not exist here."""
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None or amendment.workshop_id != workshop_id:
        raise NotFound(_("This amendment does not exist."))
    return amendment


def my_amendment_votes(participant: Participant) -> dict[str, str]:
    """A participant's own answers on amendments, for their screen."""
    mine = []
    for amendment in list_amendments(participant.workshop_id):
        found = voter(participant, amendment_scope(amendment.id), amendment.anonymity, create=False)
        if found is not None:
            mine.append(
                sa.and_(AmendmentVote.amendment_id == amendment.id, found.matches(AmendmentVote))
            )
    if not mine:
        return {}
    rows = db.session.execute(
        sa.select(AmendmentVote.amendment_id, AmendmentVote.choice).where(sa.or_(*mine))
    ).all()
    return {str(amendment_id): str(choice) for amendment_id, choice in rows}


def list_duels(workshop_id: int) -> list[Duel]:
    """Every duel of a workshop, oldest first (decided and cancelled ones stay on record)."""
    return list(
        db.session.scalars(sa.select(Duel).where(Duel.workshop_id == workshop_id).order_by(Duel.id))
    )


def get_duel(duel_id: int, workshop_id: int) -> Duel:
    """A duel of this workshop; one of another workshop does not exist here."""
    duel = db.session.get(Duel, duel_id)
    if duel is None or duel.workshop_id != workshop_id:
        raise NotFound(_("This duel does not exist."))
    return duel


def moderated_proposals_of(participant: Participant) -> list[Proposal]:
    """A participant's own proposals (credited to them) that were hidden or merged."""
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .join(ProposalCredit, ProposalCredit.proposal_id == Proposal.id)
            .where(
                ProposalCredit.participant_id == participant.id,
                Proposal.status.in_([ProposalStatus.HIDDEN, ProposalStatus.MERGED]),
            )
            .order_by(Proposal.id)
        )
    )


def my_duel_votes(participant: Participant) -> dict[str, list[int]]:
    """A participant's own answers in duels, for their screen."""
    workshop = get_workshop(participant.workshop_id)
    mine = []
    for duel in list_duels(participant.workshop_id):
        found = voter(participant, duel_scope(duel.id), workshop.anonymity, create=False)
        if found is not None:
            mine.append(sa.and_(DuelBallot.duel_id == duel.id, found.matches(DuelBallot)))
    if not mine:
        return {}
    rows = db.session.scalars(sa.select(DuelBallot).where(sa.or_(*mine)))
    return {str(b.duel_id): list(b.ranking) for b in rows}
