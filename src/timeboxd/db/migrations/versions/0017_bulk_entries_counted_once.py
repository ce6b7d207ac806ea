"""bulk inserts of time entries indexed and counted once (SQLite), counted without JIT
(PostgreSQL)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from timeboxd.db import rollups_sql, search_index

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# bulk_inserts holds a row while a transaction indexes and counts the time entries it
# inserts itself (db/rollups_bulk.py); the entries' two insert triggers on SQLite stand
# aside then. What they index and count is unchanged, so nothing is recounted or
# reindexed. PostgreSQL gets the table (the models are the same on both) and keeps its
# statement triggers, whose functions now run without JIT compilation (see
# rollups_sql.PG_STATEMENT_SETTINGS): the statements are unchanged.

# The triggers 0012 installed on SQLite (db/rollups_sql.py and db/search_index.py as they
# were), which the downgrade puts back.
SQLITE_0012_ROLLUP_ENTRIES_AI = (
    "CREATE TRIGGER stats_rollup_entries_ai AFTER INSERT ON time_entries BEGIN INSERT "
    "INTO stats_slots (user_id, livemode, slot, tracked_seconds, block_seconds) SELECT "
    "x.user_id, x.livemode, (x.s / 900 + n), CASE WHEN x.is_block = 0 THEN MIN(x.e, "
    "((x.s / 900 + n) + 1) * 900) - MAX(x.s, (x.s / 900 + n) * 900) ELSE 0 END, CASE "
    "WHEN x.is_block = 1 THEN MIN(x.e, ((x.s / 900 + n) + 1) * 900) - MAX(x.s, (x.s / "
    "900 + n) * 900) ELSE 0 END FROM (SELECT w.user_id AS user_id, w.livemode AS "
    "livemode, COALESCE(w.project_id, '') AS pkey, CAST(strftime('%s', w.start_at) AS "
    "INTEGER) AS s, CAST(strftime('%s', w.end_at) AS INTEGER) AS e, 0 AS is_block FROM "
    "(SELECT new.user_id AS user_id, new.livemode AS livemode, new.project_id AS "
    "project_id, new.start_at AS start_at, new.end_at AS end_at) AS w WHERE w.end_at IS "
    "NOT NULL) AS x JOIN stats_numbers ON n < (x.e + 899) / 900 - x.s / 900 WHERE true "
    "ON CONFLICT (user_id, livemode, slot) DO UPDATE SET tracked_seconds = "
    "stats_slots.tracked_seconds + excluded.tracked_seconds, block_seconds = "
    "stats_slots.block_seconds + excluded.block_seconds; INSERT INTO stats_slot_projects "
    "(user_id, livemode, slot, project_key, tracked_seconds, block_seconds) SELECT "
    "x.user_id, x.livemode, (x.s / 900 + n), x.pkey, CASE WHEN x.is_block = 0 THEN "
    "MIN(x.e, ((x.s / 900 + n) + 1) * 900) - MAX(x.s, (x.s / 900 + n) * 900) ELSE 0 END, "
    "CASE WHEN x.is_block = 1 THEN MIN(x.e, ((x.s / 900 + n) + 1) * 900) - MAX(x.s, (x.s "
    "/ 900 + n) * 900) ELSE 0 END FROM (SELECT w.user_id AS user_id, w.livemode AS "
    "livemode, COALESCE(w.project_id, '') AS pkey, CAST(strftime('%s', w.start_at) AS "
    "INTEGER) AS s, CAST(strftime('%s', w.end_at) AS INTEGER) AS e, 0 AS is_block FROM "
    "(SELECT new.user_id AS user_id, new.livemode AS livemode, new.project_id AS "
    "project_id, new.start_at AS start_at, new.end_at AS end_at) AS w WHERE w.end_at IS "
    "NOT NULL) AS x JOIN stats_numbers ON n < (x.e + 899) / 900 - x.s / 900 WHERE true "
    "ON CONFLICT (user_id, livemode, slot, project_key) DO UPDATE SET tracked_seconds = "
    "stats_slot_projects.tracked_seconds + excluded.tracked_seconds, block_seconds = "
    "stats_slot_projects.block_seconds + excluded.block_seconds; INSERT INTO "
    "stats_day_projects (user_id, livemode, day, project_key, tracked_seconds, "
    "block_seconds) SELECT x.user_id, x.livemode, (x.s / 86400 + n), x.pkey, CASE WHEN "
    "x.is_block = 0 THEN MIN(x.e, ((x.s / 86400 + n) + 1) * 86400) - MAX(x.s, (x.s / "
    "86400 + n) * 86400) ELSE 0 END, CASE WHEN x.is_block = 1 THEN MIN(x.e, ((x.s / "
    "86400 + n) + 1) * 86400) - MAX(x.s, (x.s / 86400 + n) * 86400) ELSE 0 END FROM "
    "(SELECT w.user_id AS user_id, w.livemode AS livemode, COALESCE(w.project_id, '') AS "
    "pkey, CAST(strftime('%s', w.start_at) AS INTEGER) AS s, CAST(strftime('%s', "
    "w.end_at) AS INTEGER) AS e, 0 AS is_block FROM (SELECT new.user_id AS user_id, "
    "new.livemode AS livemode, new.project_id AS project_id, new.start_at AS start_at, "
    "new.end_at AS end_at) AS w WHERE w.end_at IS NOT NULL) AS x JOIN stats_numbers ON n "
    "< (x.e + 86399) / 86400 - x.s / 86400 WHERE true ON CONFLICT (user_id, livemode, "
    "day, project_key) DO UPDATE SET tracked_seconds = "
    "stats_day_projects.tracked_seconds + excluded.tracked_seconds, block_seconds = "
    "stats_day_projects.block_seconds + excluded.block_seconds; INSERT INTO stats_slots "
    "(user_id, livemode, slot, focus_count, focus_seconds, entry_longest, block_longest) "
    "SELECT x.user_id, x.livemode, x.s / 900, 1, x.e - x.s, CASE WHEN x.is_block = 0 "
    "THEN x.e - x.s ELSE 0 END, CASE WHEN x.is_block = 1 THEN x.e - x.s ELSE 0 END FROM "
    "(SELECT w.user_id AS user_id, w.livemode AS livemode, COALESCE(w.project_id, '') AS "
    "pkey, CAST(strftime('%s', w.start_at) AS INTEGER) AS s, CAST(strftime('%s', "
    "w.end_at) AS INTEGER) AS e, 0 AS is_block FROM (SELECT new.user_id AS user_id, "
    "new.livemode AS livemode, new.project_id AS project_id, new.start_at AS start_at, "
    "new.end_at AS end_at) AS w WHERE w.end_at IS NOT NULL) AS x WHERE x.e - x.s >= 1500 "
    "ON CONFLICT (user_id, livemode, slot) DO UPDATE SET focus_count = "
    "stats_slots.focus_count + excluded.focus_count, focus_seconds = "
    "stats_slots.focus_seconds + excluded.focus_seconds, entry_longest = "
    "MAX(stats_slots.entry_longest, excluded.entry_longest), block_longest = "
    "MAX(stats_slots.block_longest, excluded.block_longest); END"
)
SQLITE_0012_SEARCH_ENTRIES_AI = (
    "CREATE TRIGGER search_time_entries_ai AFTER INSERT ON time_entries BEGIN INSERT "
    "INTO search_rows(ref_id) VALUES (new.id); INSERT INTO search_fts(rowid, body, "
    "scope, kind, ref_id) VALUES ((SELECT id FROM search_rows WHERE ref_id = new.id), "
    "new.description, 'e' || hex(new.user_id) || CASE WHEN new.livemode THEN 'm1' ELSE "
    "'m0' END || ' ' || 'f' || hex(new.workspace_id) || CASE WHEN new.livemode THEN 'm1' "
    "ELSE 'm0' END, 'entry', new.id); END"
)
TRIGGERS = ("stats_rollup_entries_ai", "search_time_entries_ai")
PG_FUNCTIONS = ("timeboxd_stats_blocks_inserted()", "timeboxd_stats_entries_inserted()")


def _current(name: str) -> str:
    (statement,) = (
        s
        for s in [*rollups_sql.create("sqlite"), *search_index.sqlite_create()]
        if s.startswith(f"CREATE TRIGGER {name} ")
    )
    return statement


def upgrade() -> None:
    op.create_table(
        "bulk_inserts",
        sa.Column("name", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_bulk_inserts"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for function in PG_FUNCTIONS:
            op.execute(f"ALTER FUNCTION {function} {rollups_sql.PG_STATEMENT_SETTINGS}")
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
        op.execute(_current(name))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function in PG_FUNCTIONS:
            op.execute(f"ALTER FUNCTION {function} RESET jit")
    else:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute(SQLITE_0012_ROLLUP_ENTRIES_AI)
        op.execute(SQLITE_0012_SEARCH_ENTRIES_AI)
    op.drop_table("bulk_inserts")
