"""users can be deactivated by an administrator

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# NULL: active (every existing user). A deactivated user's API keys, web sessions and
# calendar feed stop working at once; reactivating gives the keys and feed back.


def upgrade() -> None:
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Never a batch copy of ``users`` on SQLite: dropping the old table with foreign keys
    # on would cascade to every row that points at a user. SQLite (3.35+) drops a column
    # in place.
    op.execute("ALTER TABLE users DROP COLUMN deactivated_at")
