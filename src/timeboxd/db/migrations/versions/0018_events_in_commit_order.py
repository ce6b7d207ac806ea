"""the events in commit order, for the webhook dispatcher (PostgreSQL)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The dispatcher reads every account's next events in (txid, seq) order
# (services/events/dispatch.py). On PostgreSQL, without this index, each poll sorted every
# event after its cursor. SQLite needs none: there txid is always 0, and the primary key
# (seq) is the order.


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_events_order", "events", ["txid", "seq"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_events_order", table_name="events")
