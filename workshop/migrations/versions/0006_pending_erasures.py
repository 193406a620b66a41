"""Tables still to vacuum after fully anonymous votes were unlinked

Closing a fully anonymous round deletes its voters' keys and writes its rows again in a random
order, then vacuums the tables once the change is committed, so the old bytes leave the files.
A crash between the commit and the vacuum left them there, and nothing did it later. The
tables to vacuum are now written down in the same transaction, and crossed off once vacuumed;
a server that starts vacuums what is still written down.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_erasures")),
    )


def downgrade() -> None:
    op.drop_table("pending_erasures")
