"""indexes for reports: the rare entries longer than a week

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-25 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports find the entries that began before their first day and reach into it by
    # looking back a week; the few longer ones (a timer left running) are read here.
    op.create_index(
        "ix_time_entries_long",
        "time_entries",
        ["user_id", "livemode", "start_at"],
        sqlite_where=sa.text("duration_seconds > 604800"),
        postgresql_where=sa.text("duration_seconds > 604800"),
    )


def downgrade() -> None:
    op.drop_index("ix_time_entries_long", table_name="time_entries")
