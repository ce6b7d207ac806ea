"""stats versions: a per-account counter every write to blocks or time entries raises

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("blocks", "time_entries")


def upgrade() -> None:
    # Statistics are cached per account (user and mode) under this version: any insert,
    # update or delete of the account's blocks or entries, by any path (API, import, bulk
    # SQL), raises it in the same transaction, so a cached answer is never stale.
    op.create_table(
        "stats_versions",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "livemode", name="pk_stats_versions"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION timeboxd_bump_stats() RETURNS trigger AS $$
            DECLARE r record;
            BEGIN
              IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
              INSERT INTO stats_versions(user_id, livemode, version)
                VALUES (r.user_id, r.livemode, 1)
                ON CONFLICT (user_id, livemode)
                DO UPDATE SET version = stats_versions.version + 1;
              IF TG_OP = 'UPDATE' AND (OLD.user_id, OLD.livemode) IS DISTINCT FROM
                 (NEW.user_id, NEW.livemode) THEN
                INSERT INTO stats_versions(user_id, livemode, version)
                  VALUES (OLD.user_id, OLD.livemode, 1)
                  ON CONFLICT (user_id, livemode)
                  DO UPDATE SET version = stats_versions.version + 1;
              END IF;
              RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER stats_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION timeboxd_bump_stats()"
            )
        return
    bump = (
        "INSERT INTO stats_versions(user_id, livemode, version) VALUES ({r}.user_id,"
        " {r}.livemode, 1) ON CONFLICT(user_id, livemode) DO UPDATE SET version = version + 1;"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER stats_{table}_ai AFTER INSERT ON {table} BEGIN"
            f" {bump.format(r='new')} END"
        )
        op.execute(
            f"CREATE TRIGGER stats_{table}_au AFTER UPDATE ON {table} BEGIN"
            f" {bump.format(r='new')} {bump.format(r='old')} END"
        )
        op.execute(
            f"CREATE TRIGGER stats_{table}_ad AFTER DELETE ON {table} BEGIN"
            f" {bump.format(r='old')} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER stats_{table} ON {table}")
        op.execute("DROP FUNCTION timeboxd_bump_stats()")
    else:
        for table in TABLES:
            for suffix in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER stats_{table}_{suffix}")
    op.drop_table("stats_versions")
