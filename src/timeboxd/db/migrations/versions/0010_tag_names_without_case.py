"""tag names unique without regard to case, in the database too

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The service refuses "exam" next to "Exam" (services/tags.py); two requests at the same
# moment could both pass that check, and the older unique constraint compares names as
# written. This index compares them lower-cased. SQLite's lower() folds ASCII letters only:
# the service check, which folds every letter, still covers the rest.


def upgrade() -> None:
    op.create_index(
        "uq_tags_workspace_lower_name",
        "tags",
        ["workspace_id", "livemode", sa.text("lower(name)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_tags_workspace_lower_name", table_name="tags")
