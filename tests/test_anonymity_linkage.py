"""The linkage attacks on fully anonymous votes, for every kind of vote, against the files.

An attacker holds copies of the database files (for SQLite the file and its write-ahead log,
read byte by byte; for PostgreSQL what a dump or the table's pages show: rows in ``ctid``
order, each with the transaction that wrote it) and knows who took part. Two attacks:

- **Commit diffing**: whatever a vote's commit writes (the frames it adds to the log) must
  name nobody, for every kind of vote: round ballots, answers on amendments, consent per
  clause, duel ballots, tag supports, measure supports and "my part" sentences.
- **Row order**: once a scope has closed, the order in which its rows lie (cell offsets in
  SQLite's pages and the log's frames; ``ctid`` and ``xmin`` on PostgreSQL) must say nothing
  about the order people voted in, which the room saw (who got up first, who voted last).

And when a scope closes (a round ends, an amendment or a duel is decided, the workshop
closes) its key goes, from the database and from its files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import join, make_workshop, on_postgresql, sqlite_only
from tests.test_anonymity_files import (
    added_rows,
    names_a_person,
    states_after_each_commit,
    tables_now,
    tables_of,
)
from workshop import voters
from workshop.extensions import db
from workshop.models import (
    AmendmentVote,
    Anonymity,
    Ballot,
    ClauseVote,
    Connection,
    DuelBallot,
    MeasureSupport,
    MyPart,
    Participant,
    Phase,
    RoundKind,
    TagSupport,
    User,
    ValueTag,
    VoteKey,
    Workshop,
)
from workshop.queries import clauses_of, latest_version, participant_clause_votes
from workshop.services import (
    amendments,
    consent,
    duels,
    editing,
    measures,
    my_part,
    participants,
    proposals,
    rounds,
    tags,
    votes,
)
from workshop.services.agenda import RoundSettings, add_round

postgresql_only = pytest.mark.skipif(not on_postgresql, reason="about PostgreSQL's tables")

# Enough voters for the order to be telling, few enough that each table's rows (and each of
# its indexes' entries) fit in one page of the file, where the attack is at its strongest.
VOTERS = 24
# The attacker's best rank correlation between where rows lie and when they were cast must
# stay below this. By chance alone (a random order of 24) Spearman's |rho| reaches 0.8 a few
# times in a million (every page of a closed scope shows the same shuffle, so a test draws
# about once); the order as cast gives 1.
CHANCE_BOUND = 0.8
CLAUSE = "We care."


@dataclasses.dataclass
class Scope:
    """One scope of fully anonymous voting, opened, with what it takes to vote and close."""

    name: str  # its key's scope (voters.py)
    model: Any  # the vote table
    where: Any  # this scope's rows in it
    cast: Callable[[Participant, int], Any]  # person, their place in the queue
    close: Callable[[], Any]


def _document(facilitator: User, workshop: Workshop) -> int:
    """A one-clause draft, in a refine round; returns the clause's key."""
    editing.paste_document(facilitator, workshop.id, f"## Purpose\n\n{CLAUSE}", based_on=None)
    refine = add_round(facilitator, workshop.id, RoundSettings(RoundKind.REFINE))
    rounds.start_round(facilitator, refine.id)
    return clauses_of(latest_version(workshop.id))[0].key


def _close_workshop(facilitator: User, workshop: Workshop) -> Callable[[], Any]:
    return lambda: rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)


def open_ballots(facilitator: User, workshop: Workshop, people: list[Participant]) -> Scope:
    rounds.set_phase(facilitator, workshop.id, Phase.PROPOSE)
    cards = [
        proposals.submit_proposal(people[i], workshop.id, text).id
        for i, text in enumerate(["We care", "We listen", "We learn"])
    ]
    vote = add_round(facilitator, workshop.id, RoundSettings(RoundKind.VOTE, method="dot"))
    rounds.start_round(facilitator, vote.id)
    return Scope(
        voters.round_scope(vote.id),
        Ballot,
        Ballot.round_id == vote.id,
        lambda person, i: votes.set_dots(person, cards[i % 3], 1),
        lambda: rounds.end_round(facilitator, vote.id),
    )


def open_amendment(facilitator: User, workshop: Workshop, people: list[Participant]) -> Scope:
    _document(facilitator, workshop)
    latest = latest_version(workshop.id)
    start = latest.body_md.index(CLAUSE)
    amendment = amendments.propose_amendment(
        people[0],
        workshop.id,
        version_number=latest.number,
        start=start,
        end=start + len("We care"),
        replacement="We look after",
    )
    return Scope(
        voters.amendment_scope(amendment.id),
        AmendmentVote,
        AmendmentVote.amendment_id == amendment.id,
        lambda person, i: amendments.vote_on_amendment(
            person, amendment.id, "object" if i % 4 == 3 else "agree", "Too soft" * (i % 4 == 3)
        ),
        lambda: amendments.reject_amendment(facilitator, amendment.id),
    )


def open_consent(facilitator: User, workshop: Workshop, people: list[Participant]) -> Scope:
    key = _document(facilitator, workshop)
    return Scope(
        voters.CONSENT_SCOPE,
        ClauseVote,
        ClauseVote.workshop_id == workshop.id,
        lambda person, i: consent.vote_on_clause(
            person, key, "object" if i % 4 == 3 else "agree", "Vague" * (i % 4 == 3)
        ),
        _close_workshop(facilitator, workshop),
    )


def open_duel(facilitator: User, workshop: Workshop, people: list[Participant]) -> Scope:
    key = _document(facilitator, workshop)
    duel = duels.start_duel(
        facilitator, workshop.id, clause_key=key, options=[CLAUSE, "We look after."], seconds=600
    )
    options = [option.id for option in duel.options]
    return Scope(
        voters.duel_scope(duel.id),
        DuelBallot,
        DuelBallot.duel_id == duel.id,
        lambda person, i: duels.vote_in_duel(person, duel.id, [options[i % 2]]),
        lambda: duels.close_duel(facilitator, duel.id),
    )


def open_tags(facilitator: User, workshop: Workshop, people: list[Participant]) -> Scope:
    rounds.set_phase(facilitator, workshop.id, Phase.PROPOSE)
    card = proposals.submit_proposal(people[0], workshop.id, "We care for every patient").id
    tagged = sa.select(ValueTag.id).where(ValueTag.proposal_id == card)
    return Scope(
        voters.TAGS_SCOPE,
        TagSupport,
        TagSupport.tag_id.in_(tagged),
        lambda person, _i: tags.tag_proposal(person, card, "care"),
        _close_workshop(facilitator, workshop),
    )


def open_measure(facilitator: User, workshop: Workshop, people: list[Participant]) -> Scope:
    key = _document(facilitator, workshop)
    measure = measures.propose_measure(
        facilitator, workshop.id, key, what="Patients who feel heard", target="9 in 10"
    )
    return Scope(
        voters.MEASURES_SCOPE,
        MeasureSupport,
        MeasureSupport.measure_id == measure.id,
        lambda person, _i: measures.support_measure(person, measure.id),
        _close_workshop(facilitator, workshop),
    )


def open_my_part(facilitator: User, workshop: Workshop, people: list[Participant]) -> Scope:
    key = _document(facilitator, workshop)
    return Scope(
        voters.MY_PART_SCOPE,
        MyPart,
        MyPart.workshop_id == workshop.id,
        lambda person, i: my_part.write_my_part(person, key, f"I listen, {'every day' * (i % 2)}"),
        _close_workshop(facilitator, workshop),
    )


KINDS = {
    "ballot": open_ballots,
    "amendment answer": open_amendment,
    "clause consent": open_consent,
    "duel ballot": open_duel,
    "tag support": open_tags,
    "measure support": open_measure,
    "my part": open_my_part,
}


@pytest.fixture(params=list(KINDS))
def kind(request) -> str:
    return request.param


@pytest.fixture
def room_of(facilitator):
    """A fully anonymous workshop with ``n`` people and one scope of the given kind open."""

    def make(kind: str, n: int = VOTERS) -> tuple[Workshop, list[Participant], Scope]:
        workshop = make_workshop(facilitator)
        workshop.anonymity = Anonymity.FULL
        db.session.commit()
        levels = ["Frontline", "Team lead", "Manager", "Director"]
        people = [join(workshop, f"Person {i:02}", levels[i % 4]) for i in range(n)]
        scope = KINDS[kind](facilitator, workshop, people)
        db.session.commit()
        return workshop, people, scope

    return make


def scope_ids(scope: Scope) -> set[str]:
    db.session.commit()
    return set(db.session.scalars(sa.select(scope.model.id).where(scope.where)))


@pytest.fixture
def follow_rows(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """A row's key before the close -> its key after. The close gives every row a new key
    (an earlier copy of the files would match rows by it); the test, unlike an attacker,
    follows each row to its new key to ask whether where it lies betrays when it was cast."""
    followed: dict[str, dict[str, Any]] = {}
    real_shuffle = voters.shuffler.shuffle

    def shuffle(rows: list[dict[str, Any]]) -> None:
        real_shuffle(rows)
        followed.update((row["id"], row) for row in rows)  # these rows get their new keys

    monkeypatch.setattr(voters.shuffler, "shuffle", shuffle)
    return lambda old: followed[old]["id"]


def vote_in_turn(scope: Scope, people: list[Participant]) -> list[str]:
    """Everyone votes once, one after the other; the ids of their rows in voting order (what
    the attacker tries to recover: the room saw who voted when)."""
    order: list[str] = []
    for index, person in enumerate(people):
        before = scope_ids(scope)
        scope.cast(person, index)
        new = scope_ids(scope) - before
        assert len(new) == 1, new
        order.append(new.pop())
    return order


# The attacks on SQLite's files.


def pages_of(database: Path) -> tuple[list[bytes], list[bytes]]:
    """The files as an attacker reads them: the pages of the database file, and the page of
    each frame of its write-ahead log, oldest first."""
    raw = database.read_bytes()
    page_size = struct.unpack(">H", raw[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages = [raw[at : at + page_size] for at in range(0, len(raw), page_size)]
    wal = Path(f"{database}-wal")
    log = wal.read_bytes() if wal.exists() else b""
    frames, at = [], 32
    while at + 24 + page_size <= len(log):
        frames.append(log[at + 24 : at + 24 + page_size])
        at += 24 + page_size
    return pages, frames


def _places(page: bytes, ids: list[str], *, last: bool) -> dict[str, int]:
    """Where each of these rows lies in a page: the offset of its first or its last copy
    (a page may still hold a moved cell's old bytes)."""
    found = {}
    for key in ids:
        at = page.rfind(key.encode()) if last else page.find(key.encode())
        if at != -1:
            found[key] = at
    return found


def orders_in_files(database: Path, ids: list[str]) -> list[list[str]]:
    """Every order of the rows the files betray (those holding at least half of them): in
    each page of the file and of each frame of the log, the rows found there by their ids,
    from the end of the page to its start (SQLite fills a page from its end), by their
    first and by their last copies; and the order in which the rows first appear in the
    log, frame after frame."""
    pages, frames = pages_of(database)
    orders = []
    first_seen: dict[str, tuple[int, int]] = {}
    for number, page in enumerate(pages + frames):
        for last in (False, True):
            found = _places(page, ids, last=last)
            orders.append(sorted(found, key=lambda key, found=found: -found[key]))
        if number >= len(pages):
            for key, at in found.items():
                first_seen.setdefault(key, (number, -at))
    orders.append(sorted(first_seen, key=lambda key: first_seen[key]))
    return [order for order in orders if len(order) >= len(ids) // 2]


def rank_correlation(order: list[str], truth: list[str]) -> float:
    """Spearman's rho between an order of some rows and the order they were cast in."""
    cast = [key for key in truth if key in order]
    n = len(cast)
    where = {key: i for i, key in enumerate(order)}
    squares = sum((where[key] - i) ** 2 for i, key in enumerate(cast))
    return 1 - 6 * squares / (n * (n * n - 1))


def copy_files(tmp_path: Path) -> Path:
    """The attacker's copy of the database file and its log, as they stand now."""
    db.session.commit()
    database = Path(db.engine.url.database or "")
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(database, copy)
    wal = Path(f"{database}-wal")
    if wal.exists():
        shutil.copyfile(wal, tmp_path / "copy.sqlite3-wal")
    return copy


def assert_no_better_than_chance(orders: list[list[str]], truth: list[str]) -> None:
    assert orders, "the rows are in the files"
    for order in orders:
        cast = [key for key in truth if key in order]
        assert order != cast, "the rows lie in the order they were cast"
        rho = rank_correlation(order, truth)
        assert abs(rho) < CHANCE_BOUND, (rho, len(order))


ITEMS = {
    voters.CONSENT_SCOPE: ClauseVote.clause_key,
    voters.TAGS_SCOPE: TagSupport.tag_id,
    voters.MEASURES_SCOPE: MeasureSupport.measure_id,
    voters.MY_PART_SCOPE: MyPart.clause_key,
}


def findable(scope: Scope, workshop: Workshop, people: list[Participant]) -> int:
    """How many of the scope's rows the server can still tell the author of."""
    rows = db.session.execute(sa.select(scope.model).where(scope.where)).scalars().all()
    if scope.name in ITEMS:
        items = set(db.session.scalars(sa.select(ITEMS[scope.name]).where(scope.where)))
        hashes = voters.hashes_of(people, workshop.id, scope.name, items)
    else:
        found = (voters.voter(p, scope.name, Anonymity.FULL, create=False) for p in people)
        hashes = {v.voter_hash: 0 for v in found if v is not None and v.voter_hash}
    return sum(row.voter_hash in hashes for row in rows)


def assert_times_tell_nothing(scope: Scope, truth: list[str]) -> None:
    """No time a row carries (when a sentence was written, say) orders the scope's rows."""
    db.session.expire_all()
    rows = db.session.scalars(sa.select(scope.model).where(scope.model.id.in_(truth))).all()
    assert len(rows) == len(truth)
    for column in scope.model.__table__.columns:
        values = [getattr(row, column.key) for row in rows]
        if any(isinstance(value, dt.datetime) for value in values):
            assert len(set(values)) == 1, column.name


def what_they_say(scope: Scope) -> list[tuple]:
    """The scope's rows as counted: every value but the times they carry, the voter hash and
    the row's key (the close gives each row a random one of each), in order of what they say."""
    db.session.expire_all()
    columns = [
        c
        for c in scope.model.__table__.columns
        if not c.name.endswith("_at") and c.name not in ("voter_hash", "id")
    ]
    query = sa.select(*columns).where(scope.where)
    return sorted((tuple(row) for row in db.session.execute(query)), key=repr)


@sqlite_only
def test_row_order_in_the_files_says_nothing_once_the_scope_closes(
    room_of, kind, tmp_path, follow_rows
):
    """The raw-bytes attack: each row found in the pages of the file (and the log's frames)
    by its id, rows ordered by where they lie; after the close no such order is the order
    the votes were cast in, or close to it."""
    _workshop, people, scope = room_of(kind)
    cast = vote_in_turn(scope, people)
    before = what_they_say(scope)
    scope.close()
    assert db.session.scalar(sa.select(VoteKey).where(VoteKey.scope == scope.name)) is None
    assert what_they_say(scope) == before, "every vote stays as it was, and counts"
    truth = [follow_rows(key) for key in cast]
    assert not set(cast) & scope_ids(scope), "no row keeps its key through the close"
    copy = copy_files(tmp_path)
    assert_no_better_than_chance(orders_in_files(copy, truth), truth)
    assert_times_tell_nothing(scope, truth)


@sqlite_only
def test_the_shuffle_alone_hides_the_order_when_the_file_cannot_be_rebuilt(
    room_of, kind, tmp_path, follow_rows
):
    """VACUUM may find the database busy and give up: the rows were already written again
    in a random order when the scope closed, so the order still says nothing."""
    failed = []

    def busy(_conn, _cursor, statement, *_args):
        if statement.strip().upper() == "VACUUM":
            failed.append(statement)
            raise sa.exc.OperationalError(statement, (), Exception("database is locked"))

    _workshop, people, scope = room_of(kind)
    cast = vote_in_turn(scope, people)
    sa.event.listen(db.engine, "before_cursor_execute", busy)
    try:
        scope.close()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", busy)
    assert failed, "the close tried to rebuild the file"
    truth = [follow_rows(key) for key in cast]
    copy = copy_files(tmp_path)
    assert_no_better_than_chance(orders_in_files(copy, truth), truth)


@postgresql_only
def test_row_order_in_the_table_says_nothing_once_the_scope_closes(room_of, kind, follow_rows):
    """What PostgreSQL shows of where rows lie: each row's ``ctid`` (its place in the table's
    pages, the order a dump or a sequential scan reads them in) and ``xmin`` (the transaction
    that wrote it)."""
    _workshop, people, scope = room_of(kind)
    cast = vote_in_turn(scope, people)
    before = what_they_say(scope)
    scope.close()
    db.session.commit()
    truth = [follow_rows(key) for key in cast]
    table = scope.model.__tablename__
    rows = db.session.execute(
        sa.text(f"SELECT id, xmin::text AS xmin FROM {table} ORDER BY ctid")
    ).all()
    in_table = [row.id for row in rows if row.id in truth]
    assert sorted(in_table) == sorted(truth)
    assert what_they_say(scope) == before, "every vote stays as it was, and counts"
    assert_no_better_than_chance([in_table], truth)
    writers = {row.xmin for row in rows if row.id in truth}
    assert len(writers) == 1, "one transaction wrote them all again"
    assert_times_tell_nothing(scope, truth)


@sqlite_only
def test_diffing_log_commits_links_no_vote_to_anyone(room_of, kind, tmp_path):
    """Each vote's commit, read from the real write-ahead log frame by frame, names nobody."""
    _workshop, people, scope = room_of(kind, 6)
    db.session.commit()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database = Path(db.engine.url.database or "")
    base = tmp_path / "base.sqlite3"
    shutil.copyfile(database, base)
    vote_in_turn(scope, people)
    wal = Path(f"{database}-wal").read_bytes()
    states = [tables_of(base), *states_after_each_commit(base, wal, tmp_path)]
    table = scope.model.__tablename__
    by_id = {p.id: p.display_name for p in people}
    new_votes = linked = 0
    for before, after in zip(states, states[1:], strict=False):
        added = added_rows(before, after)
        if table not in added:
            continue
        new_votes += len(added[table])
        if any(names_a_person(name, row, by_id) for name, rows in added.items() for row in rows):
            linked += 1
    assert new_votes == len(people)
    assert linked == 0


def test_each_vote_commits_nothing_that_names_its_voter(room_of, kind):
    """The same attack read through the database, on SQLite and PostgreSQL alike: every table
    before and after each vote's commit (what a write-ahead log holds is these rows)."""
    _workshop, people, scope = room_of(kind, 6)
    table = scope.model.__tablename__
    by_id = {p.id: p.display_name for p in people}
    before = tables_now()
    for index, person in enumerate(people):
        scope.cast(person, index)
        after = tables_now()
        added = added_rows(before, after)
        assert len(added.get(table, [])) == 1, added
        assert not [
            (name, row)
            for name, rows in added.items()
            for row in rows
            if names_a_person(name, row, by_id)
        ]
        before = after


def test_the_key_goes_when_the_scope_closes(room_of, kind, tmp_path):
    """Deciding an amendment or a duel, ending a round or closing the workshop deletes the
    scope's key; on SQLite its bytes leave the file and the log too."""
    workshop, people, scope = room_of(kind, 4)
    vote_in_turn(scope, people)
    keys = sa.select(VoteKey.salt).where(VoteKey.workshop_id == workshop.id)
    salt = db.session.scalar(keys.where(VoteKey.scope == scope.name))
    assert salt is not None
    assert findable(scope, workshop, people) == len(people)
    scope.close()
    db.session.commit()
    assert findable(scope, workshop, people) == 0
    assert len(scope_ids(scope)) == len(people), "the votes stay, counted"
    remaining = db.session.scalars(
        sa.select(VoteKey.scope).where(VoteKey.workshop_id == workshop.id)
    ).all()
    assert scope.name not in remaining
    if not on_postgresql:
        copy = copy_files(tmp_path)
        pages, frames = pages_of(copy)
        content = b"".join(pages + frames)
        assert salt not in content


def test_closing_the_workshop_deletes_every_key_left(facilitator, room_of):
    """Whatever is still open when the workshop closes (a duel, an amendment, a round) loses
    its key with the workshop's own scopes."""
    workshop, people, scope = room_of("duel ballot", 3)
    vote_in_turn(scope, people)
    for person in people:
        consent.vote_on_clause(person, clauses_of(latest_version(workshop.id))[0].key, "agree")
    assert {voters.CONSENT_SCOPE, scope.name} <= set(
        db.session.scalars(sa.select(VoteKey.scope).where(VoteKey.workshop_id == workshop.id))
    )
    rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)
    db.session.commit()
    assert not db.session.scalars(
        sa.select(VoteKey.scope).where(VoteKey.workshop_id == workshop.id)
    ).all()


def test_after_the_close_no_hash_ties_one_persons_rows_together(facilitator):
    """The salt was gone, but every row kept its voter hash, so one person's rows in a scope
    still shared one value: an answer that gives its writer away gave away all of theirs
    (found by an audit). The close now gives each row a random hash."""
    workshop = make_workshop(facilitator)
    workshop.anonymity = Anonymity.FULL
    db.session.commit()
    editing.paste_document(
        facilitator, workshop.id, "## Purpose\n\nWe care.\n\n## Whom\n\nPatients.", based_on=None
    )
    first, second = (c.key for c in clauses_of(latest_version(workshop.id)))
    people = [join(workshop, f"P{i}") for i in range(6)]
    consent.vote_on_clause(people[0], first, "object", "As the only night-shift pharmacist, no")
    consent.vote_on_clause(people[0], second, "object", "Too vague")
    my_part.write_my_part(people[0], first, "I check every night prescription alone")
    my_part.write_my_part(people[0], second, "I would rather not say")
    for person in people[1:]:
        for key in (first, second):
            consent.vote_on_clause(person, key, "agree")
            my_part.write_my_part(person, key, "I care")
    rounds.set_phase(facilitator, workshop.id, Phase.CLOSED)
    db.session.commit()
    for model in (ClauseVote, MyPart):
        hashes = db.session.scalars(sa.select(model.voter_hash)).all()
        assert len(hashes) == 12 and len(set(hashes)) == 12, model  # no two rows share one


def test_a_fully_anonymous_editor_leaves_no_mark_of_the_clause_they_have_open(facilitator):
    """The "is editing" mark lies on the screen's connection, which names its participant: a
    copy of the file taken while they edited paired it with the clause's next version (which
    names nobody; found by an audit). A fully anonymous editor's mark is not kept; staff's
    and named participants' still are."""
    workshop = make_workshop(facilitator)
    workshop.anonymity = Anonymity.FULL
    db.session.commit()
    editing.paste_document(facilitator, workshop.id, "## Purpose\n\nWe care.", based_on=None)
    key = clauses_of(latest_version(workshop.id))[0].key
    amira, joost = join(workshop, "Amira"), join(workshop, "Joost")
    refine = add_round(facilitator, workshop.id, RoundSettings(RoundKind.REFINE))
    rounds.start_round(facilitator, refine.id)
    for sid, person in (("amira-tab", amira), ("joost-tab", joost)):
        participants.connect(sid, workshop, person, server_id="")
    participants.connect("fran-tab", workshop, facilitator, server_id="")
    editing.set_editing("amira-tab", amira, key)
    editing.set_editing("fran-tab", facilitator, key)
    editing.save_clause(amira, workshop.id, key, "We care for all.", based_on=1)
    db.session.commit()
    marks = db.session.execute(
        sa.select(Connection.sid, Connection.editing_clause_key).where(
            Connection.editing_clause_key.is_not(None)
        )
    ).all()
    assert marks == [("fran-tab", key)]


def raw_rows(model: Any) -> list[dict[str, Any]]:
    """What a copy of the database file holds of a table (no secret key, no salt)."""
    db.session.commit()
    return [dict(row._mapping) for row in db.session.execute(sa.select(model.__table__))]


def test_while_the_workshop_is_open_no_two_answers_of_one_person_share_a_hash(facilitator):
    """A nightly backup between two workshop days, while consent, "my part", tag and measure
    supports are open: every answer of one person carried the same voter hash on every
    clause, tag and measure, so the objection that gave its writer away ("the only
    night-shift pharmacist") gave away all of theirs (found by an audit). Each row's hash
    is made with its item now; the person still finds and changes their own."""
    workshop = make_workshop(facilitator)
    workshop.anonymity = Anonymity.FULL
    db.session.commit()
    editing.paste_document(
        facilitator, workshop.id, "## Purpose\n\nWe care.\n\n## Whom\n\nPatients.", based_on=None
    )
    first, second = (c.key for c in clauses_of(latest_version(workshop.id)))
    people = [join(workshop, f"P{i}") for i in range(4)]
    pharmacist = people[0]
    rounds.set_phase(facilitator, workshop.id, Phase.PROPOSE)
    cards = [
        proposals.submit_proposal(people[3], workshop.id, text).id
        for text in ("We care for patients", "We keep costs down")
    ]
    for card in cards:
        tags.tag_proposal(pharmacist, card, "care")
    rounds.start_round(
        facilitator, add_round(facilitator, workshop.id, RoundSettings(RoundKind.REFINE)).id
    )
    both = [
        measures.propose_measure(pharmacist, workshop.id, first, what="Heard", target="9 in 10"),
        measures.propose_measure(people[1], workshop.id, second, what="Costs", target="-5%"),
    ]
    measures.support_measure(pharmacist, both[1].id)
    consent.vote_on_clause(pharmacist, first, "object", "As the only night-shift pharmacist, no")
    consent.vote_on_clause(pharmacist, second, "object", "Leadership never listens to us")
    my_part.write_my_part(pharmacist, first, "I check every night prescription alone")
    my_part.write_my_part(pharmacist, second, "I would rather not say")
    for person in people[1:3]:
        for key in (first, second):
            consent.vote_on_clause(person, key, "agree")
            my_part.write_my_part(person, key, "I care")

    for model in (ClauseVote, MyPart, TagSupport, MeasureSupport):
        hashes = [row["voter_hash"] for row in raw_rows(model)]
        assert len(hashes) == len(set(hashes)), model.__tablename__

    # The server still tells each person their own, and a second answer changes the first.
    assert {v.clause_key: v.choice for v in participant_clause_votes(pharmacist)} == {
        first: "object",
        second: "object",
    }
    consent.vote_on_clause(pharmacist, second, "agree")
    assert len(raw_rows(ClauseVote)) == 6
    assert my_part.my_parts(pharmacist) == {
        first: "I check every night prescription alone",
        second: "I would rather not say",
    }
    assert measures.supported_by(pharmacist) == {both[0].id, both[1].id}
    assert measures.support_measure(pharmacist, both[1].id, support=False) == 1
    tags.tag_proposal(pharmacist, cards[0], "care")  # supporting again adds nothing
    assert len(raw_rows(TagSupport)) == 2


def test_no_row_keeps_its_key_through_the_close(room_of, kind):
    """A copy taken before the close matched the closed file row for row by its key, so
    whatever it told (which rows shared a hash, the order they came in) carried over to the
    answers as they closed, changes made after the copy included (found by an audit)."""
    _workshop, people, scope = room_of(kind, 4)
    vote_in_turn(scope, people)
    backup = {row["id"] for row in raw_rows(scope.model)}
    scope.close()
    after = {row["id"] for row in raw_rows(scope.model)}
    assert len(after) == len(backup)
    assert not backup & after
