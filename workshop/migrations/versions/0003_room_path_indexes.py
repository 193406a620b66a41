"""Indexes for what every screen reads when it connects

Who is online is counted by joining a workshop's participants to their connections (for every
presence event and every snapshot built), a participant's screen lists the proposals they are
credited for, and every snapshot lists the workshop's values. Without an index on
connections.participant_id the count read every connection once per participant (a room of
2,000: a quarter of a second a count; 18 % of the server's time while 2,000 people joined); the
other two read the whole table, every workshop's rows, each time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_connections_participant_id", "connections", "participant_id"),
    ("ix_proposal_credits_participant_id", "proposal_credits", "participant_id"),
    ("ix_org_values_workshop_id", "org_values", "workshop_id"),
    ("ix_comments_workshop_id", "comments", "workshop_id"),
]


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
