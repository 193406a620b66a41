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

docs/privacy.md states the threat model and what is guaranteed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import Anonymity, Participant, VoteKey

CONSENT_SCOPE = "consent"
TAGS_SCOPE = "tags"
# Support for success measures, and people's own sentence per clause ("my part").
MEASURES_SCOPE = "measures"
MY_PART_SCOPE = "my_part"
# Operation ids of fully anonymous proposals and comments (resends find only their own).
OPS_SCOPE = "ops"


def round_scope(round_id: int) -> str:
    return f"round:{round_id}"


def amendment_scope(amendment_id: int) -> str:
    return f"amendment:{amendment_id}"


def duel_scope(duel_id: int) -> str:
    return f"duel:{duel_id}"


@dataclasses.dataclass(frozen=True)
class Voter:
    """A vote's author as a row stores it: exactly one of the two is set."""

    participant_id: int | None = None
    voter_hash: str | None = None

    def fields(self) -> dict[str, Any]:
        """The columns to store with a new vote."""
        return {"participant_id": self.participant_id, "voter_hash": self.voter_hash}

    def matches(self, model: Any) -> Any:
        """A SQL condition selecting this voter's rows of a vote table."""
        if self.participant_id is not None:
            return model.participant_id == self.participant_id
        return model.voter_hash == self.voter_hash

    def owns(self, row: Any) -> bool:
        """Whether a loaded vote row is this voter's."""
        if self.participant_id is not None:
            return bool(row.participant_id == self.participant_id)
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


def _hash(key: bytes, participant_id: int) -> str:
    return hmac.new(key, str(participant_id).encode(), hashlib.sha256).hexdigest()


def voter(
    participant: Participant, scope: str, anonymity: Anonymity, *, create: bool = True
) -> Voter | None:
    """How a participant's vote in a scope is stored. None when the scope is fully anonymous
    and its key is gone (voting in it closed) or, with ``create=False``, not made yet."""
    if anonymity != Anonymity.FULL:
        return Voter(participant_id=participant.id)
    salt = _salt(participant.workshop_id, scope, create=create)
    if salt is None:
        return None
    return Voter(voter_hash=_hash(_key(salt), participant.id))


def hashes_of(participants: Iterable[Participant], workshop_id: int, scope: str) -> dict[str, int]:
    """Voter hash -> participant id, for telling people about their own anonymous votes
    while the scope is open (empty once its key is gone)."""
    salt = _salt(workshop_id, scope, create=False)
    if salt is None:
        return {}
    key = _key(salt)
    return {_hash(key, p.id): p.id for p in participants}


def forget(workshop_id: int, scopes: Iterable[str] | None = None) -> bool:
    """Delete the keys of these scopes (all of the workshop's when None): fully anonymous
    votes in them can no longer be linked to anyone. Returns whether any key went."""
    query = sa.delete(VoteKey).where(VoteKey.workshop_id == workshop_id)
    if scopes is not None:
        scopes = list(scopes)
        if not scopes:
            return False
        query = query.where(VoteKey.scope.in_(scopes))
    return bool(db.session.execute(query).rowcount)


def erase_deleted_keys() -> None:
    """After a key was deleted and committed: make sure its bytes leave the files. SQLite
    zeroes deleted content (``secure_delete``, set on every connection); this moves the
    write-ahead log into the database and truncates it, so older pages go too. Busy readers
    may postpone it to a later checkpoint; PostgreSQL keeps dead rows until VACUUM."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif engine.dialect.name == "postgresql":
        # A connection of its own: VACUUM cannot run in a transaction, and a pooled one may
        # already be in one (pg8000 opens one for the pool's ping).
        vacuum = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        try:
            with vacuum.connect() as connection:
                connection.exec_driver_sql("VACUUM vote_keys")
        finally:
            vacuum.dispose()
