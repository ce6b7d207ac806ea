"""Recount every statistics rollup from the blocks and time entries themselves.

The triggers keep the rollups right on every write; this is for when they cannot have
(rows restored or edited by hand with the triggers off, a definition changed by a
migration). It counts with the triggers' own definitions (db/rollups_sql.py), one grouped
statement per rollup. Run it in a write transaction of its own::

    with Database(url).write() as session:
        rollups_rebuild.rebuild(session.connection())
"""

from __future__ import annotations

from sqlalchemy import Connection

from timeboxd.db.rollups_sql import TABLES, recount


def rebuild(conn: Connection) -> None:
    """Empty every rollup and count every block and stopped time entry into it again, in
    the transaction ``conn`` is in: it takes effect when that commits, and not at all if it
    rolls back. Every account's statistics version goes up, so that no answer cached from
    the old rollups is served again."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        # Writes to the base tables wait for the commit: their triggers would otherwise
        # count a row into rollups the recount has not written yet, or count it twice.
        conn.exec_driver_sql("LOCK TABLE blocks, time_entries IN SHARE MODE")
    for table in TABLES:
        conn.exec_driver_sql(f"DELETE FROM {table}")
    for statement in recount(dialect):
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql("UPDATE stats_versions SET version = version + 1")
