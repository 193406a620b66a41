"""A ballot remembers the operations that last changed it

`vote.set` and `ballot.cast` are absolute and sent again after a reconnect when their
acknowledgement was lost. A resend from one tab, after the person had changed the vote from
another, undid that later change. Each ballot now keeps the keys of its last operations (as
sent on a named ballot, hashed with the voter hash on a fully anonymous one), and an operation
already applied changes nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ballots", sa.Column("op_keys", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ballots") as batch:
        batch.drop_column("op_keys")
