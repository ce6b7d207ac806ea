"""One object owning the engine, and the unit of work a face is handed for one request or
command: faces never touch the engine itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from timeboxd.db.engine import (
    POOL_TIMEOUT_SECONDS,
    make_engine,
    make_probe_engine,
    make_sessionmaker,
)
from timeboxd.errors import ServiceUnavailable


class Database:
    def __init__(
        self, url: str, *, pool_timeout: float = POOL_TIMEOUT_SECONDS, pool_size: int | None = None
    ) -> None:
        self.url = url
        self.pool_timeout = pool_timeout
        self.engine = make_engine(url, pool_timeout=pool_timeout, pool_size=pool_size)
        self._probe = make_probe_engine(url)
        self._sessions = make_sessionmaker(self.engine)
        self.dialect = self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.unit(write=False) as unit:
            yield unit.session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection for reads that need no ORM session (hot list paths)."""
        with self.unit(write=False) as unit:
            yield unit.connection()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any error."""
        with self.unit(write=True) as unit:
            yield unit.session

    def unit(self, *, write: bool) -> UnitOfWork:
        """The unit of work of one request or command; its owner commits or rolls back."""
        return UnitOfWork(self, write=write)

    def upgrade(self) -> None:
        # Alembic is for the command line and tests: a server process never imports it.
        from timeboxd.db import migrate

        migrate.upgrade(self.url)

    def ping(self) -> bool:
        """Whether the database answers, on a connection of its own: a pool that every
        request and stream is using must not make the server look unreachable."""
        try:
            with self._probe.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def checkout(self) -> Connection:
        """A pooled connection, or ServiceUnavailable once the pool timeout has passed
        with every connection busy: a caller is told to retry rather than left waiting."""
        try:
            return self.engine.connect()
        except PoolTimeout:
            raise self.busy() from None

    def busy(self) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"the server is busy: no database connection was free within "
            f"{self.pool_timeout:g} s; retry shortly"
        )

    def dispose(self) -> None:
        self.engine.dispose()
        self._probe.dispose()


class UnitOfWork:
    """One request's database work, opened on first use and ended by its owner (the API's
    request dependency, a CLI command): ``commit`` on success, ``rollback`` on any error,
    ``close`` always. A write unit takes the write lock at its first statement (SQLite's
    ``BEGIN IMMEDIATE``); a read unit never commits.

    ``session`` is the ORM session services take. ``connection`` is the same transaction's
    connection, for hot reads that need no ORM: a read that asks only for it skips the
    session's bookkeeping altogether."""

    __slots__ = ("_conn", "_db", "_session", "serial", "write")

    def __init__(self, db: Database, *, write: bool) -> None:
        self._db = db
        self.write = write
        self._session: Session | None = None
        self._conn: Connection | None = None
        # Whose writes this one queues behind (an account's id), on PostgreSQL; see _begin.
        self.serial: str | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            if self._conn is not None:  # a hot read went first: share its transaction
                self._session = self._db._sessions(bind=self._conn)
            elif self.write:
                self._session = self._db._sessions()
                try:
                    conn = self._session.connection(execution_options={"timeboxd_write": True})
                except PoolTimeout:
                    raise self._db.busy() from None
                self._begin(conn)
            else:  # a read runs on a connection of its own, as a hot read does
                self._conn = self._db.checkout()
                self._session = self._db._sessions(bind=self._conn)
        return self._session

    def _begin(self, conn: Connection) -> None:
        """On PostgreSQL, a write that knows its account first waits for that account's
        other writes to end (a transaction-scoped advisory lock). Two writes of one account
        touch the same statistics rollup rows (a day, its quarter hours), and the row
        triggers of a create and of an update take them in different orders: concurrent,
        they deadlocked and one failed. SQLite runs one write at a time anyway."""
        if self.serial is not None and self._db.dialect == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": self.serial},
            )

    def connection(self) -> Connection:
        if self._session is not None or self.write:
            return self.session.connection()
        if self._conn is None:
            self._conn = self._db.checkout()
        return self._conn

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is not None:
                self.rollback()
            elif self.write:
                self.commit()
        finally:
            self.close()

    def commit(self) -> None:
        """Commit what the unit wrote; a second call has nothing left to commit (the
        session's next transaction has not begun)."""
        if self._session is not None:
            self._session.commit()
        elif self._conn is not None:
            self._conn.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        elif self._conn is not None:
            self._conn.rollback()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
