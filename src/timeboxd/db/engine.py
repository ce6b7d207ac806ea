"""Engines for SQLite (WAL, foreign keys, busy timeout) and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed
# out; one in use more recently than that is not (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 10.0


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Statement journals (every trigger with several statements, every upsert) and sorts
    # in memory, not in temporary files: a bulk insert of 10,000 blocks, whose search and
    # statistics triggers run for each row, spent 0.49 s in SQLite with files, 0.31 s here.
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on
    # busy_timeout instead of failing with "database is locked" mid-transaction.
    write = conn.get_execution_options().get("timeboxd_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


POOL_TIMEOUT_SECONDS = 5.0
# Connections a pool keeps, and the most it opens. Kept as many as a worker serves at once
# under load (wrk's 32 connections over 2 workers: 16 each, every one holding a connection
# while it waits for its thread): a connection opened beyond those kept is closed when it
# is returned, and opened again by the next request (a SQLite connection and its pragmas,
# a PostgreSQL backend), which was a tenth of the list's work in the pool threads.
SQLITE_POOL = (16, 16)
POSTGRES_POOL = (16, 20)


def make_engine(
    url: str, *, pool_timeout: float = POOL_TIMEOUT_SECONDS, pool_size: int | None = None
) -> Engine:
    """``pool_timeout``: how long a checkout waits for a free connection before it fails
    (the API answers 503), rather than hanging while every connection is busy.
    ``pool_size``: connections kept, and as many again opened under load."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=pool_size or SQLITE_POOL[0],
            max_overflow=pool_size or SQLITE_POOL[1] - SQLITE_POOL[0],
            pool_timeout=pool_timeout,
            connect_args={"check_same_thread": False, "isolation_level": None},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        url,
        pool_size=pool_size or POSTGRES_POOL[0],
        max_overflow=pool_size or POSTGRES_POOL[1] - POSTGRES_POOL[0],
        pool_timeout=pool_timeout,
    )
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", _ping_when_idle(engine))
    return engine


def make_probe_engine(url: str, *, connect_timeout: int = 5) -> Engine:
    """An engine that opens a fresh connection for each use and keeps none: ``/ready``
    asks whether the database answers, whatever the request pool is busy with."""
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": connect_timeout})
    return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": connect_timeout})


def _note_idle_since(_dbapi_conn: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_when_idle(engine: Engine) -> Any:
    """SQLAlchemy's ``pool_pre_ping``, for connections that sat idle in the pool: a ping on
    every checkout was the largest cost of a short read (a request checks out twice, and
    each ping is a round trip made on the event loop: a fifth of a worker's time on the
    projects list). A dead idle connection (dropped by the server or a firewall) is
    replaced before use, as with the pre-ping; one that dies while in use (the server
    restarts) fails its statement, and SQLAlchemy then renews the whole pool."""

    def checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the connection did not answer a ping")

    return checkout


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
