"""A participant remembers the key of the join form it came from

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("participants", sa.Column("join_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_participants_workshop_id_join_key",
        "participants",
        ["workshop_id", "join_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_participants_workshop_id_join_key", table_name="participants")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("join_key")
