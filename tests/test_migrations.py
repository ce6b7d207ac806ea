"""Every migration runs up and down on both databases, from an empty one to one head and
back to nothing; and the models describe the schema the migrations build."""

from __future__ import annotations

import warnings
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from timeboxd.db import crm, events, migrate, rollups, tracking
from timeboxd.db.engine import make_engine
from timeboxd.db.models import Base


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_up_down_and_up_again(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    first = tables(empty_url)
    assert {"blocks", "time_entries", "stats_block_days", "stats_versions"} <= first
    migrate.downgrade(empty_url, "base")
    assert tables(empty_url) == set()
    migrate.upgrade(empty_url)
    assert tables(empty_url) == first
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert heads == ["0021"]  # one head: the branches meet


# -- the models and the migrated schema agree -----------------------------------------------

# What alembic's autogenerate compare finds between ``Base.metadata`` and a freshly migrated
# database, as (operation, table / index / constraint / "table.column"). Each entry says
# why it is there. ``test_models_match_the_migrated_schema`` fails on anything not listed
# and on a listed difference that is no longer found, so the lists stay exact.

# By design: structures the migrations keep for the database alone, with raw SQL and
# triggers, which no model can or should declare.
BY_DESIGN: dict[str, set[tuple[str, str]]] = {
    "sqlite": {
        # Full-text search (0005): the FTS5 virtual table, the shadow tables SQLite keeps
        # for it, and the map from its integer rowids to our string ids.
        ("remove_table", "search_fts"),
        ("remove_table", "search_fts_config"),
        ("remove_table", "search_fts_content"),
        ("remove_table", "search_fts_data"),
        ("remove_table", "search_fts_docsize"),
        ("remove_table", "search_fts_idx"),
        ("remove_table", "search_rows"),
        # 0..2**17-1, for the statistics triggers, which cannot use a recursive CTE (0006).
        ("remove_table", "stats_numbers"),
        # SQLite cannot add a foreign key without rebuilding ``blocks``, which would drop
        # its triggers; 0004 adds this one only where it can be added in place.
        ("add_fk", "fk_blocks_series_id_series"),
    },
    "postgresql": {
        # Full-text search (0005): expression GIN indexes that the search queries repeat,
        # and the created_at indexes it reads the newest rows from; PostgreSQL only.
        ("remove_index", "ix_blocks_search"),
        ("remove_index", "ix_time_entries_search"),
        ("remove_index", "ix_projects_search"),
        ("remove_index", "ix_tasks_search"),
        ("remove_index", "ix_clients_search"),
        ("remove_index", "ix_blocks_owner_created"),
        ("remove_index", "ix_time_entries_owner_created"),
        # The dispatcher's order over every account's events (0018); on SQLite the
        # primary key is that order.
        ("remove_index", "ix_events_order"),
    },
}

# SQLite cannot reflect expression indexes, so this one is left out of the compare there
# (alembic and SQLAlchemy each warn that they skip it); the test checks it exists instead.
SQLITE_UNREFLECTED_INDEX = "uq_tags_workspace_lower_name"


def _difference_keys(diff: Any) -> list[tuple[str, str]]:
    """One entry of ``compare_metadata`` as (operation, what it is about)."""
    if isinstance(diff, list):  # the changes of one column, one tuple each
        return [(op, f"{table}.{column}") for op, _schema, table, column, *_ in diff]
    op, subject = diff[0], diff[1]
    if op in ("add_column", "remove_column"):
        return [(op, f"{diff[2]}.{diff[3].name}")]
    name = getattr(subject, "name", None)
    return [(op, str(name) if name is not None else repr(diff[1:]))]


def schema_differences(url: str) -> set[tuple[str, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            unreflected = f".*expression-based index '?{SQLITE_UNREFLECTED_INDEX}"
            warnings.filterwarnings("ignore", message=unreflected)
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            found = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    return {key for diff in found for key in _difference_keys(diff)}


def test_models_match_the_migrated_schema(backend: str, empty_url: str) -> None:
    assert {
        rollups.StatsSlot.__tablename__,
        tracking.TimeEntry.__tablename__,
        events.Event.__tablename__,
        crm.Deal.__tablename__,
    } <= set(Base.metadata.tables)  # every model module is imported, so every table is compared
    migrate.upgrade(empty_url)
    found = schema_differences(empty_url)
    expected = BY_DESIGN[backend]
    assert sorted(found - expected) == [], "models and migrations disagree"
    assert sorted(expected - found) == [], "no longer different: delete these lines"
    if backend == "sqlite":
        engine = make_engine(empty_url)
        try:
            with engine.connect() as conn:
                query = text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :n")
                assert conn.execute(query, {"n": SQLITE_UNREFLECTED_INDEX}).scalar() == 1
        finally:
            engine.dispose()
