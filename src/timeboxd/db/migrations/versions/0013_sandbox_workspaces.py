"""workspaces carry the mode of the key that made them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A team workspace made with a test key is a sandbox workspace: test keys see and manage
# only those (and the personal workspace), live keys never see them. Every workspace made
# so far is live: existing rows take the default.


def upgrade() -> None:
    op.add_column(
        "workspaces",
        sa.Column("livemode", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("livemode")
