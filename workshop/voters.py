"""Who cast a vote, as the database may know it, and how fully anonymous votes stay unlinkable.

In named and anonymous-to-peers modes a vote row carries the participant's id.
In fully anonymous mode it carries only a *voter hash*:
``HMAC(scope key, participant id)``, where the scope key is derived from the
app's secret key and a random salt stored for one *scope* of voting (a round,
an amendment, a duel, the workshop's clause consent, its value tags, its success
measures and people's own part in it).

- While voting in a scope is open, the server can recompute a person's hash,
  so they can change their vote and see their own; nothing is written that
  says who voted (no receipt), so a commit that adds a vote holds nothing
  that names anyone. Someone with the database files alone cannot compute a
  hash either: the app's secret is not in them.
- When voting in the scope closes, its salt is deleted (SQLite overwrites the
  deleted bytes, and the write-ahead log is checkpointed and truncated), and
  from then on nobody, the server included, can link a vote to anyone.
- In the same transaction the scope's anonymous rows are written again, in a
  random order, by one transaction, with their times made one: where a row
  lies in the files (its place in a page, its ``ctid`` and ``xmin`` on
  PostgreSQL) no longer says when it was cast, which the room may have seen.

docs/privacy.md states the threat model and what is guaranteed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import random
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .database import rows_changed
from .extensions import db
from .models import (
    Amendment,
    AmendmentVote,
    Anonymity,
    Ballot,
    ClauseVote,
    DuelBallot,
    MeasureSupport,
    MyPart,
    Participant,
    PendingErasure,
    Proposal,
    SuccessMeasure,
    TagSupport,
    ValueTag,
    VoteKey,
    random_key,
)

log = logging.getLogger(__name__)

CONSENT_SCOPE = "consent"
TAGS_SCOPE = "tags"
# Support for success measures, and people's own sentence per clause ("my part").
MEASURES_SCOPE = "measures"
MY_PART_SCOPE = "my_part"
# Operation ids of fully anonymous proposals and comments (resends find only their own).
OPS_SCOPE = "ops"
# Scopes open for the whole workshop in which one person has a row per item (per clause,
# tag or measure): each row's hash is made with its item too, so that no two rows of one
# person share a value while the scope is open. A copy of the files taken meanwhile (a
# nightly backup) would otherwise group all of one person's objections, sentences and
# supports, and one that gives its writer away would give away all the others.
ITEMISED_SCOPES = frozenset({CONSENT_SCOPE, TAGS_SCOPE, MEASURES_SCOPE, MY_PART_SCOPE})


def round_scope(round_id: int) -> str:
    return f"round:{round_id}"


def amendment_scope(amendment_id: int) -> str:
    return f"amendment:{amendment_id}"


def duel_scope(duel_id: int) -> str:
    return f"duel:{duel_id}"


@dataclasses.dataclass(frozen=True)
class Voter:
    """A vote's author as a row stores it: by participant, or by voter hash (one for a new
    row; for finding one's rows across the items of an itemised scope, each item's)."""

    participant_id: int | None = None
    voter_hash: str | None = None
    item_hashes: frozenset[str] = frozenset()

    def fields(self) -> dict[str, Any]:
        """The columns to store with a new vote."""
        assert self.participant_id is not None or self.voter_hash is not None
        return {"participant_id": self.participant_id, "voter_hash": self.voter_hash}

    def matches(self, model: Any) -> Any:
        """A SQL condition selecting this voter's rows of a vote table."""
        if self.participant_id is not None:
            return model.participant_id == self.participant_id
        if self.voter_hash is None:
            return model.voter_hash.in_(sorted(self.item_hashes))
        return model.voter_hash == self.voter_hash

    def owns(self, row: Any) -> bool:
        """Whether a loaded vote row is this voter's."""
        if self.participant_id is not None:
            return bool(row.participant_id == self.participant_id)
        if self.voter_hash is None:
            return row.voter_hash in self.item_hashes
        return bool(row.voter_hash == self.voter_hash)


def _salt(workshop_id: int, scope: str, *, create: bool) -> bytes | None:
    salt = db.session.scalar(
        sa.select(VoteKey.salt).where(VoteKey.workshop_id == workshop_id, VoteKey.scope == scope)
    )
    if salt is None and create:
        salt = secrets.token_bytes(32)
        db.session.add(VoteKey(workshop_id=workshop_id, scope=scope, salt=salt))
        db.session.flush()
    return salt


def _key(salt: bytes) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"voter-key:" + salt, hashlib.sha256).digest()


def _hash(key: bytes, participant_id: int, item: int | None = None) -> str:
    said = str(participant_id) if item is None else f"{participant_id}:{item}"
    return hmac.new(key, said.encode(), hashlib.sha256).hexdigest()


def voter(
    participant: Participant,
    scope: str,
    anonymity: Anonymity,
    *,
    create: bool = True,
    item: int | None = None,
) -> Voter | None:
    """How a participant's vote in a scope is stored (in an itemised scope, on ``item``: the
    clause key, tag or measure id). None when the scope is fully anonymous and its key is
    gone (voting in it closed) or, with ``create=False``, not made yet."""
    if anonymity != Anonymity.FULL:
        return Voter(participant_id=participant.id)
    assert (scope in ITEMISED_SCOPES) == (item is not None), f"{scope} with item {item}"
    salt = _salt(participant.workshop_id, scope, create=create)
    if salt is None:
        return None
    return Voter(voter_hash=_hash(_key(salt), participant.id, item))


def voter_on_items(
    participant: Participant, scope: str, anonymity: Anonymity, items: Iterable[int]
) -> Voter | None:
    """A participant's rows on any of these items of an itemised scope (to show them their
    own answers). None when the scope is fully anonymous and its key is gone or not made."""
    assert scope in ITEMISED_SCOPES, scope
    if anonymity != Anonymity.FULL:
        return Voter(participant_id=participant.id)
    salt = _salt(participant.workshop_id, scope, create=False)
    if salt is None:
        return None
    key = _key(salt)
    return Voter(item_hashes=frozenset(_hash(key, participant.id, item) for item in items))


def hashes_of(
    participants: Iterable[Participant],
    workshop_id: int,
    scope: str,
    items: Iterable[int] | None = None,
) -> dict[str, int]:
    """Voter hash -> participant id in a scope (on these items of an itemised scope), for
    telling people about their own anonymous answers while the scope is open (empty once
    its key is gone)."""
    assert (scope in ITEMISED_SCOPES) == (items is not None), scope
    salt = _salt(workshop_id, scope, create=False)
    if salt is None:
        return {}
    key = _key(salt)
    every: list[int | None] = list(items) if items is not None else [None]
    return {_hash(key, p.id, item): p.id for p in participants for item in every}


def forget(workshop_id: int, scopes: Iterable[str] | None = None) -> bool:
    """Delete the keys of these scopes (all of the workshop's when None): fully anonymous
    votes in them can no longer be linked to anyone, and their rows are written again in a
    random order (``reshuffle``). Returns whether any key went; if so, run
    ``erase_deleted_keys`` once the change is committed."""
    keys = VoteKey.workshop_id == workshop_id
    if scopes is not None:
        scopes = list(scopes)
        if not scopes:
            return False
        keys = sa.and_(keys, VoteKey.scope.in_(scopes))
    for scope in db.session.scalars(sa.select(VoteKey.scope).where(keys)).all():
        reshuffle(workshop_id, scope)
    if not rows_changed(db.session.execute(sa.delete(VoteKey).where(keys))):
        return False
    _erase_from_files(VoteKey.__tablename__)
    return True


# The order rows are written in at a scope's close: the system's randomness, which nobody
# can replay.
shuffler: random.Random = random.SystemRandom()


def _erase_from_files(table_name: str) -> None:
    """Note that a table's old bytes must leave the files once this change is committed: in
    the session (``erase_deleted_keys`` runs after the commit) and in the database, in the
    same transaction, so that a crash before the vacuum leaves the note for the next start
    (``erase_pending``)."""
    tables: set[str] = db.session.info.setdefault("workshop.erase_from_files", set())
    if table_name not in tables:
        tables.add(table_name)
        db.session.add(PendingErasure(table_name=table_name))


def _vote_rows(workshop_id: int, scope: str) -> tuple[Any, Any] | None:
    """The vote table of a scope and the condition selecting its rows in it (None for the
    scope of operation ids, which keeps no rows of its own)."""
    kind, _, number = scope.partition(":")
    if kind == "round":
        return Ballot, Ballot.round_id == int(number)
    if kind == "amendment":
        return AmendmentVote, AmendmentVote.amendment_id == int(number)
    if kind == "duel":
        return DuelBallot, DuelBallot.duel_id == int(number)
    if scope == CONSENT_SCOPE:
        return ClauseVote, ClauseVote.workshop_id == workshop_id
    if scope == MY_PART_SCOPE:
        return MyPart, MyPart.workshop_id == workshop_id
    if scope == MEASURES_SCOPE:
        measures = sa.select(SuccessMeasure.id).where(SuccessMeasure.workshop_id == workshop_id)
        return MeasureSupport, MeasureSupport.measure_id.in_(measures)
    if scope == TAGS_SCOPE:
        on_proposals = sa.select(ValueTag.id).join(Proposal, ValueTag.proposal_id == Proposal.id)
        on_amendments = sa.select(ValueTag.id).join(
            Amendment, ValueTag.amendment_id == Amendment.id
        )
        return TagSupport, sa.or_(
            TagSupport.tag_id.in_(on_proposals.where(Proposal.workshop_id == workshop_id)),
            TagSupport.tag_id.in_(on_amendments.where(Amendment.workshop_id == workshop_id)),
        )
    return None


def reshuffle(workshop_id: int, scope: str) -> None:
    """Write a closing scope's fully anonymous rows again, in this transaction, in a random
    order: delete them and insert them back one by one, shuffled, with any time they carry
    made one (the latest) and a random voter hash each (the salt is gone, so the hash needs
    to find nobody again, and a shared one would group a person's rows). A database lays rows
    and index entries out in the order they are
    written, so from now on where a vote lies (its place in a page of SQLite's file; its
    ``ctid``, and the transaction that wrote it, on PostgreSQL) says nothing of when it was
    cast. What each row says, and so every count, stays exactly as it was."""
    found = _vote_rows(workshop_id, scope)
    if found is None:
        return
    model, where = found
    table = model.__table__
    anonymous = sa.and_(where, table.c.voter_hash.is_not(None))
    db.session.flush()
    rows = [dict(row._mapping) for row in db.session.execute(sa.select(table).where(anonymous))]
    if not rows:
        return
    shuffler.shuffle(rows)
    for column in table.columns:
        times = [row[column.name] for row in rows if isinstance(row[column.name], dt.datetime)]
        for row in rows:  # when each was written would tell the order again
            if times:
                row[column.name] = max(times)
    for row in rows:
        # A hash the salt can no longer make still ties one person's rows together (all the
        # objections of one, all the sentences of another): each row gets a random one.
        row["voter_hash"] = secrets.token_hex(32)
        # And a new key: an earlier copy of the files would match each row by it, carrying
        # whatever that copy told (which rows shared a hash, the order they came in) over
        # to the answers as they closed.
        row["id"] = random_key()
    db.session.execute(sa.delete(table).where(anonymous))
    for row in rows:  # one statement each: they are written in the shuffled order
        db.session.execute(sa.insert(table).values(**row))
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, model):
            db.session.expire(instance)
    _erase_from_files(table.name)


def erase_deleted_keys() -> None:
    """After ``forget`` deleted keys and rewrote rows, and the change is committed: the old
    bytes leave the files now (``erase_pending``). Runs once per change, however many scopes
    it closed."""
    if db.session.info.pop("workshop.erase_from_files", None):
        erase_pending()


def erase_pending() -> None:
    """Vacuum every table still noted as holding old bytes, where a deleted salt could still
    link votes and an old layout could still tell their order, and cross each off only once
    its old bytes are surely gone. Run after each close, and when a server starts (a crash may
    have come between a close's commit and its vacuum). Never raises: a busy database puts the
    clean-up off (the notes stay, for the next close or start), it does not stop a server.

    SQLite zeroes deleted cells (``secure_delete``, set on every connection), but a page
    rebuilt when its rows were spread over two may keep old cells' bytes in its unused
    space: ``VACUUM`` builds the file afresh (rows in key order, nothing else), and the
    write-ahead log is checkpointed and truncated, which a reader still open on older pages
    holds up (then the notes stay). PostgreSQL keeps deleted rows, with the transaction that
    wrote each, until they are vacuumed, and a plain ``VACUUM`` leaves their bytes in the
    pages' free space: ``VACUUM FULL`` writes the tables it names afresh, keeping any row a
    transaction begun before the deletion may still read (then that note stays). See
    docs/privacy.md."""
    try:
        notes = db.session.execute(
            sa.select(PendingErasure.id, PendingErasure.table_name, PendingErasure.created_at)
        ).all()
        db.session.commit()  # no transaction of ours left open for the vacuum to wait on
        if not notes:
            return
        if db.engine.dialect.name == "sqlite":
            done = _vacuum_sqlite(notes)
        elif db.engine.dialect.name == "postgresql":
            done = _vacuum_postgresql(notes)
        else:
            done = []
        if done:
            db.session.execute(sa.delete(PendingErasure).where(PendingErasure.id.in_(done)))
            db.session.commit()
    except sa.exc.DBAPIError as error:
        db.session.rollback()
        log.warning("Erasing unlinked votes' old bytes put off: %s", error)


def _vacuum_sqlite(notes: Sequence[Any]) -> list[int]:
    """VACUUM, then checkpoint and truncate the log; the notes done, if both went through."""
    with db.engine.connect() as connection:
        try:
            connection.exec_driver_sql("VACUUM")
        except sa.exc.OperationalError as error:  # busy: the next close tries again
            log.warning("VACUUM after closing anonymous votes failed: %s", error)
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return []
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    if busy is not None and busy[0]:  # a reader kept the log's old frames: not yet
        return []
    return [note_id for note_id, _table, _at in notes]


def _vacuum_postgresql(notes: Sequence[Any]) -> list[int]:
    """VACUUM FULL each noted table; a note is done when its table was rewritten and no
    transaction begun before its rows were deleted was still running (it could still read
    them, so the rewrite kept them)."""
    # A connection of its own: VACUUM cannot run in a transaction, and a pooled one may
    # already be in one (pg8000 opens one for the pool's ping). A bounded wait for the
    # table's lock, so a long transaction elsewhere cannot stall every voter behind it.
    vacuum = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    done: list[int] = []
    try:
        with vacuum.connect() as connection:
            connection.exec_driver_sql("SET lock_timeout = '3s'")
            oldest = connection.exec_driver_sql(
                "SELECT min(xact_start) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalar()
            for table in sorted({table for _id, table, _at in notes}):
                try:
                    connection.exec_driver_sql(f'VACUUM FULL "{table}"')
                except sa.exc.DBAPIError as error:
                    # Busy: a plain VACUUM at least takes the rows out of every query; the
                    # note stays for a VACUUM FULL later.
                    log.warning("VACUUM FULL %s put off: %s", table, error)
                    try:
                        connection.exec_driver_sql(f'VACUUM "{table}"')
                    except sa.exc.DBAPIError as busy:
                        log.warning("VACUUM %s put off too: %s", table, busy)
                    continue
                done += [
                    note_id
                    for note_id, name, deleted_at in notes
                    if name == table and (oldest is None or oldest > deleted_at)
                ]
    finally:
        vacuum.dispose()
    return done
