"""Core statements compiled once per dialect and run on the driver's cursor.

For the few reads every request makes (the API key lookup, a page of blocks), SQLAlchemy's
per-execution work — the transaction it begins and rolls back, result metadata, type
processing — costs as much as the query itself. A ``Prepared`` statement keeps SQLAlchemy's
compiler and bind processors (so parameters are converted exactly as everywhere else) and
skips the rest. Rows come back as the driver's tuples: raw values, decoded by the caller.
Use it only for single-statement reads.

``insert_many`` is the write-side counterpart for large multi-row inserts on SQLite: the
values are encoded here, as SQLAlchemy's bind processors store them, and handed to the
driver's ``executemany`` (a property test holds the two encodings equal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Date, Table, Time, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from timeboxd.db.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # parameter order for positional paramstyles
    processors: Mapping[str, Callable[[Any], Any]]


class Prepared:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, conn: Connection) -> _Compiled:
        name = conn.dialect.name
        compiled = self._compiled.get(name)
        if compiled is None:
            c = self.statement.compile(dialect=conn.dialect)
            assert isinstance(c, SQLCompiler)
            processors = {
                key: proc
                for key, bind in c.binds.items()
                if (proc := bind.type._cached_bind_processor(conn.dialect)) is not None
            }
            positions = tuple(c.positiontup) if c.positional and c.positiontup else None
            compiled = _Compiled(c.string, positions, processors)
            self._compiled[name] = compiled
        return compiled

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        c = self._compile(conn)
        values = {
            k: (c.processors[k](v) if k in c.processors and v is not None else v)
            for k, v in params.items()
        }
        args: Any = tuple(values[k] for k in c.positions) if c.positions else values
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(c.sql, args)
            rows = list(cursor.fetchall())
        finally:
            cursor.close()
        return rows


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Decoders:
    """Raw driver values to Python: SQLite hands back ISO text for dates, times and the
    naive UTC instants ``UTCDateTime`` stores; PostgreSQL's driver hands back objects."""

    instant: Callable[[Any], datetime]  # an aware UTC datetime
    day: Callable[[Any], date]
    hhmm: Callable[[Any], str]  # a time of day as "HH:MM"
    # A UTC instant for the JSON encoder, written as an aware UTC datetime would be (with
    # OPT_NAIVE_UTC | OPT_UTC_Z): SQLite's text rewritten, the driver's naive datetime as is.
    utc_json: Callable[[Any], Any]
    # A date for the JSON encoder: SQLite's text is already what orjson writes for it.
    day_json: Callable[[Any], Any] = _same
    # A UTC instant the envelope's encoder writes as it writes the aware UTC datetime, with
    # no option for naive ones: SQLite's text rewritten, the driver's datetime made aware.
    utc_out: Callable[[Any], Any] = _same


def _sqlite_instant(value: Any) -> datetime:
    return datetime.fromisoformat(value + "+00:00")  # ~10x cheaper than .replace(tzinfo=)


def _sqlite_hhmm(value: Any) -> str:
    return str(value[:5])


def _sqlite_utc_json(value: Any) -> str:
    """``2030-01-01 05:00:00.000000`` → ``2030-01-01T05:00:00Z`` (microseconds kept when
    there are any, as orjson writes them)."""
    frac = value[19:]
    if not frac or frac == ".000000":
        return f"{value[:10]}T{value[11:19]}Z"
    return f"{value[:10]}T{value[11:19]}{frac}Z"


def _pg_instant(value: Any) -> datetime:
    return datetime.combine(value.date(), value.time(), UTC)


def _pg_hhmm(value: Any) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


SQLITE = Decoders(
    _sqlite_instant, date.fromisoformat, _sqlite_hhmm, _sqlite_utc_json, _same, _sqlite_utc_json
)
OBJECTS = Decoders(_pg_instant, _same, _pg_hhmm, _same, _same, _pg_instant)


def decoders(conn: Connection) -> Decoders:
    return SQLITE if conn.dialect.name == "sqlite" else OBJECTS


# -- many rows in --------------------------------------------------------------------------


def _text_instant(value: datetime | None) -> str | None:
    """An aware datetime as the naive UTC text SQLAlchemy's SQLite DATETIME stores."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # the usual case: the text less its "+00:00", no new datetime
        return value.isoformat(" ", "microseconds")[:-6]
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _text_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _text_time(value: Any) -> str | None:
    return None if value is None else value.isoformat("microseconds")


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def sqlite_encoder(column_type: Any) -> Callable[[Any], Any]:
    """The SQLite text (or integer) a column of this type stores for a Python value."""
    if isinstance(column_type, UTCDateTime):
        return _text_instant
    if isinstance(column_type, Boolean):
        return _flag
    if isinstance(column_type, Date):
        return _text_day
    if isinstance(column_type, Time):
        return _text_time
    return _same


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``INSERT`` every row (all with the same keys). On SQLite the values are encoded here
    and given to ``executemany`` (for 10,000 blocks, half the Python cost of SQLAlchemy's
    per-value processing); on PostgreSQL one ``COPY``; elsewhere
    ``conn.execute(insert(table), rows)``."""
    if not rows:
        return
    # Python-side column defaults are SQLAlchemy's to fill: the fast paths need every value.
    defaulted = [c.key for c in table.columns if c.default is not None and c.key not in rows[0]]
    if defaulted:
        raise ValueError(f"insert_many into {table.name} needs values for {defaulted}")
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    keys = list(rows[0])
    names = ", ".join(f'"{k}"' for k in keys)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(keys))})'
    columns = [_encoded(rows, k, sqlite_encoder(table.c[k].type)) for k in keys]
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _encoded(rows: list[dict[str, Any]], key: str, encode: Callable[[Any], Any]) -> list[Any]:
    """Every row's value of one column, encoded. Column by column, not row by row: a
    column holding one value in every row (the owner, the time of the write, a default)
    is encoded once, the others with one ``map``."""
    values = [row[key] for row in rows]
    if encode is _same:
        return values
    first = values[0]
    if values.count(first) == len(values):  # equal values encode equally
        return [encode(first)] * len(values)
    return list(map(encode, values))


def _is_instant(table: Table, key: str) -> bool:
    return isinstance(table.c[key].type, UTCDateTime)


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None)


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: one ``COPY`` for every row. One statement, so the statement triggers
    (migration 0009) run once; psycopg's executemany sends one INSERT a row, each firing
    them again (10,000 blocks: 1.2 s against 0.4 s)."""
    keys = list(rows[0])
    columns = [_encoded(rows, k, _naive_utc if _is_instant(table, k) else _same) for k in keys]
    names = ", ".join(f'"{k}"' for k in keys)
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as out,
        ):
            for row in zip(*columns, strict=True):
                out.write_row(row)
    except raw.Error as exc:  # as SQLAlchemy would raise it: IntegrityError and so on
        raise DBAPIError.instance(f"COPY {table.name}", None, exc, raw.Error) from exc
