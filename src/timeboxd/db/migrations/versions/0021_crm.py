"""leads, deals and the release check

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(target: str, ondelete: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("workspace_id", sa.String(32), _fk("workspaces.id", "CASCADE"), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("client_id", sa.String(32), _fk("clients.id", "CASCADE"), nullable=False),
        sa.Column("owner_id", sa.String(32), _fk("users.id", "SET NULL"), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("project_id", sa.String(32), _fk("projects.id", "SET NULL"), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_deals_client_id", "deals", ["client_id"])
    op.create_index(
        "ix_deals_workspace_mode_stage",
        "deals",
        [
            *("workspace_id", "livemode", "stage", "currency"),
            *("value_cents", "probability", "expected_close_date"),
        ],
    )
    op.create_index(
        "ix_deals_workspace_mode_created", "deals", ["workspace_id", "livemode", "created_at", "id"]
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("workspace_id", sa.String(32), _fk("workspaces.id", "CASCADE"), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("owner_id", sa.String(32), _fk("users.id", "SET NULL"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("client_id", sa.String(32), _fk("clients.id", "SET NULL"), nullable=True),
        sa.Column("contact_id", sa.String(32), _fk("contacts.id", "SET NULL"), nullable=True),
        sa.Column("deal_id", sa.String(32), _fk("deals.id", "SET NULL"), nullable=True),
        sa.Column("converted_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_leads_workspace_mode_created", "leads", ["workspace_id", "livemode", "created_at", "id"]
    )
    op.create_table(
        "release_checks",
        sa.Column("feed_url", sa.String(2000), primary_key=True),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("latest_version", sa.String(64), nullable=True),
        sa.Column("release_notes_url", sa.String(2000), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
    )
    op.create_table(
        "version_dismissals",
        sa.Column("user_id", sa.String(32), _fk("users.id", "CASCADE"), primary_key=True),
        sa.Column("livemode", sa.Boolean(), primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("version_dismissals")
    op.drop_table("release_checks")
    op.drop_index("ix_leads_workspace_mode_created", "leads")
    op.drop_table("leads")
    op.drop_index("ix_deals_workspace_mode_created", "deals")
    op.drop_index("ix_deals_workspace_mode_stage", "deals")
    op.drop_index("ix_deals_client_id", "deals")
    op.drop_table("deals")
