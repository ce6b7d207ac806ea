"""What the data says: statistics and productivity (read from the rollups the database
keeps), their cache, and full-text search (SQLite FTS5 or PostgreSQL's text search).

May import: ``accounts``, ``tracking.entries`` (who sees an entry), the shared modules of
``services``, ``db`` and ``domain``. Nothing imports ``insights`` but the faces."""
