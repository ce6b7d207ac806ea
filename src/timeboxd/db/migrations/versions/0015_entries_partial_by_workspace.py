"""time entries: the long and the running ones of each workspace, indexed apart

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A team's owners and admins read their members' entries by workspace. A range read finds
# the entries reaching into the range from before it (those longer than a week, and the
# running ones) through small partial indexes, as it finds one's own through
# ix_time_entries_long and uq_time_entries_running; without these, it read every entry of
# the workspace begun before the range. Both hold the start: a read sorted by it (the entry
# list) then has no reason to prefer the large (workspace, mode, start) index.


def upgrade() -> None:
    op.create_index(
        "ix_time_entries_workspace_long",
        "time_entries",
        ["workspace_id", "livemode", "start_at"],
        sqlite_where=sa.text("duration_seconds > 604800"),
        postgresql_where=sa.text("duration_seconds > 604800"),
    )
    op.create_index(
        "ix_time_entries_workspace_running",
        "time_entries",
        ["workspace_id", "livemode", "start_at"],
        sqlite_where=sa.text("end_at IS NULL"),
        postgresql_where=sa.text("end_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_time_entries_workspace_running", table_name="time_entries")
    op.drop_index("ix_time_entries_workspace_long", table_name="time_entries")
