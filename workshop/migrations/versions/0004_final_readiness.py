"""A final version keeps the consent it was locked on

The record of a final version (its exports, the sign-off pack) showed the consent counted
from the answers of now: answers given after a reopen, and people who joined after the lock,
changed what the final version said it was agreed with. Locking now stores the counts as they
were (counts only, no names); versions locked before keep being counted live.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("document_versions", sa.Column("final_readiness", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_versions") as batch:
        batch.drop_column("final_readiness")
