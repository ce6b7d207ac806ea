"""full-text search: SQLite FTS5 kept by triggers, PostgreSQL tsvector GIN indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 01:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kind: (table, searchable text, scope tokens, columns whose change re-indexes the row).
# A scope token says who may find the row: a kind letter, the hex of the owner's id (the
# user for blocks and entries, the workspace otherwise), and the mode. Entries also carry
# their workspace's token, for the workspace's owner and admins.
SQLITE_SOURCES = {
    "block": (
        "blocks",
        "new.topic",
        "CASE WHEN new.deleted_at IS NULL"
        " THEN 'b' || hex(new.user_id) || 'm' || new.livemode ELSE 'gone' END",
        ("topic", "deleted_at"),
    ),
    "entry": (
        "time_entries",
        "new.description",
        "'e' || hex(new.user_id) || 'm' || new.livemode"
        " || ' f' || hex(new.workspace_id) || 'm' || new.livemode",
        ("description", "workspace_id"),
    ),
    "project": (
        "projects",
        "new.name",
        "'p' || hex(new.workspace_id) || 'm' || new.livemode",
        ("name",),
    ),
    "task": (
        "tasks",
        "new.name || ' ' || new.notes",
        "'t' || hex((SELECT workspace_id FROM projects WHERE id = new.project_id))"
        " || 'm' || new.livemode",
        ("name", "notes", "project_id"),
    ),
    "client": (
        "clients",
        "new.name || ' ' || new.notes",
        "'c' || hex(new.workspace_id) || 'm' || new.livemode",
        ("name", "notes"),
    ),
}
# PostgreSQL: an expression GIN index per table; queries use the same expressions
# (services/search_postgresql.py). Blocks and entries, the large tables, also index who
# may find each row (owner, workspace, mode, not deleted) as one extra lexeme, so the index
# returns only the caller's rows; a created_at index lets search read the newest rows first.
PG_MODE = "CASE WHEN livemode THEN 'l' ELSE 't' END"
PG_INDEXES = {
    "ix_blocks_search": (
        "blocks",
        "gin",
        "(to_tsvector('simple', topic) || array_to_tsvector(ARRAY['b' || user_id || "
        f"{PG_MODE} || CASE WHEN deleted_at IS NULL THEN '' ELSE 'x' END]))",
    ),
    "ix_time_entries_search": (
        "time_entries",
        "gin",
        "(to_tsvector('simple', description) || array_to_tsvector(ARRAY["
        f"'e' || user_id || {PG_MODE}, 'f' || workspace_id || {PG_MODE}]))",
    ),
    "ix_projects_search": ("projects", "gin", "to_tsvector('simple', name)"),
    "ix_tasks_search": ("tasks", "gin", "to_tsvector('simple', name || ' ' || notes)"),
    "ix_clients_search": ("clients", "gin", "to_tsvector('simple', name || ' ' || notes)"),
    "ix_blocks_owner_created": ("blocks", "btree", "user_id, livemode, created_at"),
    "ix_time_entries_owner_created": ("time_entries", "btree", "user_id, livemode, created_at"),
}


def _sqlite_triggers(kind: str) -> list[str]:
    table, text, scope, watched = SQLITE_SOURCES[kind]
    row = "(SELECT id FROM search_rows WHERE ref_id = new.id)"
    insert = (
        f"INSERT INTO search_fts(rowid, body, scope, kind, ref_id)"
        f" VALUES ({row}, {text}, {scope}, '{kind}', new.id);"
    )
    drop = (
        "DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_rows WHERE ref_id = old.id);"
    )
    changed = " OR ".join(f'old."{c}" IS NOT new."{c}"' for c in watched)
    return [
        f"CREATE TRIGGER search_{table}_ai AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO search_rows(ref_id) VALUES (new.id); {insert} END",
        f"CREATE TRIGGER search_{table}_au AFTER UPDATE ON {table} WHEN {changed} BEGIN"
        f" {drop} {insert} END",
        f"CREATE TRIGGER search_{table}_ad AFTER DELETE ON {table} BEGIN"
        f" {drop} DELETE FROM search_rows WHERE ref_id = old.id; END",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, method, expression) in PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING {method} ({expression})")
        return
    op.execute(
        "CREATE TABLE search_rows (id INTEGER PRIMARY KEY, ref_id VARCHAR(32) NOT NULL UNIQUE)"
    )
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "body, scope, kind UNINDEXED, ref_id UNINDEXED,"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    for kind, (table, text, scope, _) in SQLITE_SOURCES.items():
        for statement in _sqlite_triggers(kind):
            op.execute(statement)
        # Index what is already there, as the insert trigger would have.
        op.execute(f"INSERT INTO search_rows(ref_id) SELECT id FROM {table}")
        old_text, old_scope = text.replace("new.", "src."), scope.replace("new.", "src.")
        op.execute(
            f"INSERT INTO search_fts(rowid, body, scope, kind, ref_id)"
            f" SELECT r.id, {old_text}, {old_scope}, '{kind}', src.id"
            f" FROM {table} AS src JOIN search_rows AS r ON r.ref_id = src.id"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX {name}")
        return
    for table, *_ in SQLITE_SOURCES.values():
        for suffix in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER search_{table}_{suffix}")
    op.execute("DROP TABLE search_fts")
    op.execute("DROP TABLE search_rows")
