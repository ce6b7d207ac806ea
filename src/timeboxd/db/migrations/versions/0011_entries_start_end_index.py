"""time entries indexed by owner, start and end

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 05:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The end instant joins the (user, mode, start) index: a day or week report asks, day by
# day, for the entries begun that day that end after it, and the entry list asks for
# entries overlapping a range. With the end in the index both databases test it there and
# read only the matching rows, instead of every entry of the range. The index replaces the
# old one: its leading columns serve every query that one served.


def upgrade() -> None:
    op.create_index(
        "ix_time_entries_owner_start_end",
        "time_entries",
        ["user_id", "livemode", "start_at", "end_at"],
    )
    op.drop_index("ix_time_entries_owner_start", table_name="time_entries")


def downgrade() -> None:
    op.create_index(
        "ix_time_entries_owner_start", "time_entries", ["user_id", "livemode", "start_at"]
    )
    op.drop_index("ix_time_entries_owner_start_end", table_name="time_entries")
