"""statistics triggers and SQLite's search triggers installed from their definitions

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 06:00:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

from timeboxd.db import rollups_sql, search_index

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Until now each definition lived in the migration that installed it, written out by hand
# per dialect: the statistics triggers in 0006 (and 0009, statement triggers on
# PostgreSQL), the search triggers in 0005. They now live in db/rollups_sql.py and
# db/search_index.py; this installs them from there. They count and tokenize exactly as
# before, so nothing is recounted or reindexed, and PostgreSQL's search indexes, whose
# expressions are unchanged, stay. The downgrade installs the earlier triggers again from
# the migrations that made them.

# What 0006 and 0009 left on PostgreSQL.
POSTGRESQL_0009 = (
    "DROP TRIGGER stats_rollup_blocks ON blocks",
    "DROP TRIGGER stats_rollup_blocks_inserted ON blocks",
    "DROP TRIGGER stats_rollup_entries ON time_entries",
    "DROP TRIGGER stats_rollup_entries_inserted ON time_entries",
    "DROP FUNCTION timeboxd_stats_blocks_inserted()",
    "DROP FUNCTION timeboxd_stats_entries_inserted()",
    "DROP FUNCTION timeboxd_stats_blocks()",
    "DROP FUNCTION timeboxd_stats_block_row(blocks, int)",
    "DROP FUNCTION timeboxd_stats_entries()",
    "DROP FUNCTION timeboxd_stats_spread(text, boolean, text, bigint, bigint, boolean, int)",
    "DROP FUNCTION timeboxd_stats_focus(text, boolean, bigint, bigint, boolean, int)",
    "DROP FUNCTION timeboxd_epoch(timestamp)",
)
# What 0005 and 0006 left on SQLite.
SQLITE_0006 = tuple(
    f"DROP TRIGGER stats_rollup_{name}_{event}"
    for name in ("blocks", "entries")
    for event in ("ai", "au", "ad")
)
SQLITE_0005 = tuple(
    f"DROP TRIGGER search_{table}_{event}"
    for table in ("blocks", "time_entries", "projects", "tasks", "clients")
    for event in ("ai", "au", "ad")
)


def _migration(filename: str) -> ModuleType:
    """An earlier migration, loaded for the functions that rendered its SQL."""
    path = Path(__file__).with_name(filename)
    spec = importlib.util.spec_from_file_location(f"timeboxd_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _run([*POSTGRESQL_0009, *rollups_sql.create(dialect)])
        return
    _run([*SQLITE_0006, *rollups_sql.create(dialect)])
    _run([*SQLITE_0005, *search_index.sqlite_create()])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    stats = _migration("0006_stats_rollups.py")
    _run(rollups_sql.drop(dialect))
    if dialect == "postgresql":
        _run(stats.postgresql())
        _migration("0009_statement_triggers.py")._pg_rollups_upgrade()
        return
    _run(stats.sqlite_triggers())
    search = _migration("0005_search.py")
    _run(search_index.sqlite_drop())
    for kind in search.SQLITE_SOURCES:
        _run(search._sqlite_triggers(kind))
