"""Fully anonymous answers on clauses, tags and measures: one voter hash per item

Clause consent, "my part", tag supports and measure supports stay open for the whole
workshop, and a person's hash in them was HMAC(scope key, participant id): the same on every
clause, tag and measure, so a copy of the files taken while the workshop was open grouped all
of one person's answers. Each row's hash is now made with its item as well
(HMAC(scope key, "participant id:item")). This rewrites the hashes of workshops still open,
whose keys still exist (a closed scope's rows already carry random hashes and no key), so
people keep finding, and changing, the answers they gave before the upgrade. It needs the
app's secret key, as the server does: ``workshop db upgrade`` runs it inside the app.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import hashlib
import hmac
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# scope -> (table, its item column, the SQL selecting one workshop's rows of it)
_ROWS_OF_A_WORKSHOP = "workshop_id = :workshop_id"
_TAGS_OF_A_WORKSHOP = (
    "tag_id IN (SELECT t.id FROM value_tags t"
    " LEFT JOIN proposals p ON t.proposal_id = p.id"
    " LEFT JOIN amendments a ON t.amendment_id = a.id"
    " WHERE p.workshop_id = :workshop_id OR a.workshop_id = :workshop_id)"
)
_MEASURES_OF_A_WORKSHOP = (
    "measure_id IN (SELECT id FROM success_measures WHERE workshop_id = :workshop_id)"
)
SCOPES = {
    "consent": ("clause_votes", "clause_key", _ROWS_OF_A_WORKSHOP),
    "my_part": ("my_parts", "clause_key", _ROWS_OF_A_WORKSHOP),
    "tags": ("tag_supports", "tag_id", _TAGS_OF_A_WORKSHOP),
    "measures": ("measure_supports", "measure_id", _MEASURES_OF_A_WORKSHOP),
}


def _hash(key: bytes, said: str) -> str:
    return hmac.new(key, said.encode(), hashlib.sha256).hexdigest()


Hasher = Callable[[bytes, int, int], str]  # (scope key, participant id, item) -> hash


def _rehash(old: Hasher, new: Hasher) -> None:
    """Every open itemised scope's rows: the hash ``old`` made for (person, item) becomes
    the one ``new`` makes."""
    bind = op.get_bind()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    for scope, (table, item, rows_of_workshop) in SCOPES.items():
        keys = bind.execute(
            sa.text("SELECT workshop_id, salt FROM vote_keys WHERE scope = :scope"),
            {"scope": scope},
        ).all()
        for workshop_id, salt in keys:
            key = hmac.new(secret, b"voter-key:" + bytes(salt), hashlib.sha256).digest()
            people = bind.scalars(
                sa.text("SELECT id FROM participants WHERE workshop_id = :workshop_id"),
                {"workshop_id": workshop_id},
            ).all()
            rows = bind.execute(
                sa.text(
                    f"SELECT id, voter_hash, {item} FROM {table}"
                    f" WHERE voter_hash IS NOT NULL AND {rows_of_workshop}"
                ),
                {"workshop_id": workshop_id},
            ).all()
            whose: dict[int, dict[str, int]] = {}  # item -> old hash -> person
            for row_id, voter_hash, item_id in rows:
                if item_id not in whose:
                    whose[item_id] = {old(key, person, item_id): person for person in people}
                person = whose[item_id].get(voter_hash)
                if person is None:
                    continue  # made with another secret key: nobody could find it anyway
                bind.execute(
                    sa.text(f"UPDATE {table} SET voter_hash = :voter_hash WHERE id = :id"),
                    {"voter_hash": new(key, person, item_id), "id": row_id},
                )


def _per_person(key: bytes, person: int, _item: int) -> str:
    return _hash(key, str(person))


def _per_item(key: bytes, person: int, item: int) -> str:
    return _hash(key, f"{person}:{item}")


def upgrade() -> None:
    _rehash(old=_per_person, new=_per_item)


def downgrade() -> None:
    _rehash(old=_per_item, new=_per_person)
