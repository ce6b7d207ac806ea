"""workspaces say whether their owners and admins approve their own time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Off by default: in a team with a second owner or admin, someone else reviews one's time.
# Existing workspaces take the default; a workspace with a single owner or admin is not
# affected by it (that person still reviews their own time).


def upgrade() -> None:
    op.add_column(
        "workspaces",
        sa.Column("allow_self_approval", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("allow_self_approval")
