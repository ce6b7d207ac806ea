"""Indexing and counting a bulk insert of time entries once, over the rows it wrote,
instead of entry by entry (SQLite).

SQLite has only row triggers. For 10,000 entries, the insert triggers of the statistics
rollups (five upserts a row) and of the search index (two inserts a row) were most of a
bulk create. Within ``counted_once`` both stand aside — a row in ``bulk_inserts``, which
their WHEN condition reads, written and removed inside the caller's transaction, so that
no other writer ever sees it (SQLite runs one write transaction at a time) and a rollback
takes it away — and the entries the block inserted, the rowids above the largest before it
(SQLite numbers a new row after the largest), are then indexed and counted with grouped
statements: the search index's (db/search_index.py) and the rebuild's (db/rollups_sql.py).

On PostgreSQL nothing is needed: its rollups' insert trigger runs once per statement, over
the transition table, and its search index is an expression index.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from timeboxd.db.rollups_sql import SQLITE, Rows
from timeboxd.db.search_index import BULK_INSERTS, sqlite_inserted


def statements(after_rowid: int) -> list[str]:
    """What the insert triggers would have done for the entries above ``after_rowid``."""
    # NOT INDEXED: read by rowid; SQLite would otherwise scan a whole covering index.
    inserted = f"(SELECT * FROM time_entries NOT INDEXED WHERE rowid > {int(after_rowid)})"
    return [*sqlite_inserted("entry", inserted), *Rows(SQLITE, entries=inserted).productive()]


@contextmanager
def counted_once(conn: Connection) -> Iterator[None]:
    """Time entries inserted inside the block are indexed and counted when it ends, in a
    few grouped statements. Only inserts: updates and deletes go through their triggers."""
    if conn.dialect.name != "sqlite":
        yield
        return
    last = conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM time_entries").scalar()
    conn.exec_driver_sql(f"INSERT INTO {BULK_INSERTS} (name) VALUES ('time_entries')")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"DELETE FROM {BULK_INSERTS}")
    for statement in statements(int(last or 0)):
        conn.exec_driver_sql(statement)
