"""A final version keeps the record it was locked with

Every export of a version carries the workshop's record (rounds and their results, proposals,
participation, the values appendix). For a final version that record was built again at each
export, so after a reopen it took in the rounds, proposals and people that came after the
lock. A final version now keeps the record as it stood at its lock, per language.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("document_versions", sa.Column("final_record", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_versions") as batch:
        batch.drop_column("final_record")
