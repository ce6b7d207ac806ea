"""Listing and streaming blocks with SPEC's filters, ordering and pagination."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.types import NullType

from timeboxd.db.models import Block, Project
from timeboxd.db.prepared import Decoders, Prepared, decoders
from timeboxd.domain.wallclock import zone
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.blocks import BlockOut, BlockQuery
from timeboxd.services.catalog import tasks
from timeboxd.services.context import Principal
from timeboxd.services.database import Database
from timeboxd.services.paging import Page, PageRequest, page_of
from timeboxd.services.planning.blocks import VIEW_COLUMNS

ORDERABLE = {
    "date": Block.date,
    "start": Block.start,
    "end": Block.end,
    "topic": Block.topic,
    "created_at": Block.created_at,
    "updated_at": Block.updated_at,
    "completed_at": Block.completed_at,
}


@dataclass(slots=True)
class BlockFilter:
    date: dt.date | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    project_id: str | None = None
    task_id: str | None = None
    series_id: str | None = None
    done: bool | None = None
    archived: bool = False
    deleted: bool = False
    order_by: list[str] = field(default_factory=lambda: ["date", "start"])


def parse_order_by(raw: str | None) -> list[str]:
    if not raw:
        return ["date", "start"]
    terms = [t.strip() for t in raw.split(",") if t.strip()]
    for term in terms:
        if term.lstrip("-") not in ORDERABLE:
            allowed = ", ".join(ORDERABLE)
            raise ValidationFailed(
                f"cannot order by {term!r}; use {allowed} (prefix - for descending)",
                field="order_by",
            )
    return terms or ["date", "start"]


def filter_of(q: BlockQuery) -> BlockFilter:
    """The filter the block list's (or stream's) query parameters ask for."""
    return BlockFilter(
        date=q.date,
        date_from=q.date_from,
        date_to=q.date_to,
        project_id=q.project_id,
        task_id=q.task_id,
        series_id=q.series_id,
        done=q.done,
        archived=q.archived,
        deleted=q.deleted,
        order_by=parse_order_by(q.order_by),
    )


def _check(f: BlockFilter) -> None:
    if f.date is not None and (f.date_from is not None or f.date_to is not None):
        raise ValidationFailed("use either date or date_from/date_to", field="date")
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise ValidationFailed("date_to must not be before date_from", field="date_to")


# The filters a statement compares with a parameter, by BlockFilter attribute.
_PARAM_FILTERS = {
    "date": lambda p: Block.date == p,
    "date_from": lambda p: Block.date >= p,
    "date_to": lambda p: Block.date <= p,
    "project_id": lambda p: Block.project_id == p,
    "task_id": lambda p: Block.task_id == p,
    "series_id": lambda p: Block.series_id == p,
}


Rows = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a statement's SQL depends on; the values go in as parameters."""

    params: tuple[str, ...]
    done: bool | None
    archived: bool
    deleted: bool
    order_by: tuple[str, ...]


def _where(shape: _Shape) -> list[Any]:
    cond: list[Any] = [
        Block.user_id == bindparam("user_id"),
        Block.livemode == bindparam("livemode"),
    ]
    cond += [_PARAM_FILTERS[name](bindparam(name)) for name in shape.params]
    if shape.done is not None:
        cond.append(Block.done.is_(shape.done))
    cond.append(Block.archived_at.is_not(None) if shape.archived else Block.archived_at.is_(None))
    cond.append(Block.deleted_at.is_not(None) if shape.deleted else Block.deleted_at.is_(None))
    return cond


@functools.lru_cache(maxsize=512)
def _statements(shape: _Shape) -> tuple[Rows, Prepared, Select[int]]:
    """The rows (raw driver values, see ``_view_maker``), a page of them, and the count.
    Built once per shape: constructing a statement costs more than running a short one."""
    order: list[Any] = []
    for term in shape.order_by:
        col = ORDERABLE[term.lstrip("-")]
        order.append(col.desc() if term.startswith("-") else col.asc())
    order.append(Block.id.asc())
    rows = (
        select(*(type_coerce(col, NullType()).label(col.key) for col in VIEW_COLUMNS))
        .outerjoin(Project, Project.id == Block.project_id)
        .where(*_where(shape))
        .order_by(*order)
    )
    page = rows.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    count = select(func.count()).select_from(Block).where(*_where(shape))
    return rows, Prepared(page), count


def _prepare(principal: Principal, f: BlockFilter) -> tuple[_Shape, dict[str, Any]]:
    _check(f)
    values = {name: getattr(f, name) for name in _PARAM_FILTERS if getattr(f, name) is not None}
    shape = _Shape(tuple(values), f.done, f.archived, f.deleted, tuple(f.order_by))
    return shape, {"user_id": principal.user_id, "livemode": principal.livemode, **values}


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each of VIEW_COLUMNS sits in a raw row, by the column's name. Built once from
    the selected columns (a name missing on either side fails at import), so the decoders
    read rows by name at the cost of an index."""

    id: int
    project_id: int
    project_name: int
    task_id: int
    date: int
    start: int
    end: int
    topic: int
    done: int
    completed_at: int
    start_at: int
    end_at: int
    series_id: int
    has_time_entry: int
    archived_at: int
    deleted_at: int
    created_at: int
    updated_at: int
    version: int


_AT = _Columns(**{name: i for i, name in enumerate(select(*VIEW_COLUMNS).selected_columns.keys())})


def _view_maker(raw: Decoders, tz_name: str) -> Callable[[Sequence[Any]], BlockOut]:
    """Turn a row of raw driver values into a block. Per-value type adapters cost more
    than the query for a page of blocks, and a stream has millions of values."""
    tz, instant, day, hhmm, at = zone(tz_name), raw.instant, raw.day, raw.hhmm, _AT

    def make(r: Sequence[Any]) -> BlockOut:
        start_at, end_at = instant(r[at.start_at]), instant(r[at.end_at])
        return BlockOut(
            id=r[at.id],
            project_id=r[at.project_id],
            project_name=r[at.project_name],
            subject_id=r[at.project_id],
            subject_name=r[at.project_name],
            task_id=r[at.task_id],
            date=day(r[at.date]),
            start=hhmm(r[at.start]),
            end=hhmm(r[at.end]),
            duration_minutes=int((end_at - start_at).total_seconds()) // 60,
            topic=r[at.topic],
            done=bool(r[at.done]),
            completed_at=r[at.completed_at] and instant(r[at.completed_at]),
            start_at=start_at.astimezone(tz),
            end_at=end_at.astimezone(tz),
            series_id=r[at.series_id],
            has_time_entry=bool(r[at.has_time_entry]),
            archived_at=r[at.archived_at] and instant(r[at.archived_at]),
            deleted_at=r[at.deleted_at] and instant(r[at.deleted_at]),
            created_at=instant(r[at.created_at]),
            updated_at=instant(r[at.updated_at]),
        )

    return make


def _json_maker(
    raw: Decoders, tz_name: str, utc: Callable[[Any], Any] | None = None
) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """Turn a row of raw driver values into the block as the envelope writes it: the
    fields and order of BlockOut, each value one the encoder writes as it writes
    BlockOut's (``_view_maker``), with no datetime made for the instants only written.
    ``utc`` writes the UTC timestamps (the stream's encoder takes them as text)."""
    tz, instant, hhmm, at = zone(tz_name), raw.instant, raw.hhmm, _AT
    day, utc = raw.day_json, utc or raw.utc_out

    def make(r: Sequence[Any]) -> dict[str, Any]:
        start_at, end_at = instant(r[at.start_at]), instant(r[at.end_at])
        return {
            "id": r[at.id],
            "project_id": r[at.project_id],
            "project_name": r[at.project_name],
            "subject_id": r[at.project_id],
            "subject_name": r[at.project_name],
            "task_id": r[at.task_id],
            "date": day(r[at.date]),
            "start": hhmm(r[at.start]),
            "end": hhmm(r[at.end]),
            "duration_minutes": int((end_at - start_at).total_seconds()) // 60,
            "topic": r[at.topic],
            "done": bool(r[at.done]),
            "completed_at": r[at.completed_at] and utc(r[at.completed_at]),
            "start_at": start_at.astimezone(tz),
            "end_at": end_at.astimezone(tz),
            "series_id": r[at.series_id],
            "has_time_entry": bool(r[at.has_time_entry]),
            "archived_at": r[at.archived_at] and utc(r[at.archived_at]),
            "deleted_at": r[at.deleted_at] and utc(r[at.deleted_at]),
            "created_at": utc(r[at.created_at]),
            "updated_at": utc(r[at.updated_at]),
        }

    return make


def _page_rows(
    conn: Connection, principal: Principal, f: BlockFilter, paging: PageRequest
) -> Page[tuple[Any, ...]]:
    shape, params = _prepare(principal, f)
    _, page_stmt, count_stmt = _statements(shape)
    page_params = {**params, "limit": paging.limit + 1, "offset": paging.offset}
    rows = page_stmt.all(conn, page_params)

    def count() -> int:
        return conn.execute(count_stmt, params).scalar() or 0

    return page_of(rows, paging, count)


def list_blocks(
    conn: Connection, principal: Principal, f: BlockFilter, paging: PageRequest
) -> Page[BlockOut]:
    """A page of blocks. Callers holding an ORM session pass ``session.connection()``."""
    rows = _page_rows(conn, principal, f, paging)
    return rows.map(_view_maker(decoders(conn), principal.timezone))


def list_blocks_json(
    conn: Connection, principal: Principal, f: BlockFilter, paging: PageRequest
) -> Page[dict[str, Any]]:
    """``list_blocks`` for the envelope alone: each block as the JSON object it writes."""
    rows = _page_rows(conn, principal, f, paging)
    return rows.map(_json_maker(decoders(conn), principal.timezone))


def list_task_blocks(
    conn: Connection, principal: Principal, task_id: str, q: BlockQuery, paging: PageRequest
) -> Page[BlockOut]:
    """A page of the caller's blocks of one task, filtered as the block list is; NOT_FOUND
    unless the caller sees the task. The path's task wins over a ``task_id`` parameter."""
    f = filter_of(q)  # a bad filter is refused before the task is looked up
    f.task_id = task_id
    tasks.require_visible(conn, principal, task_id)
    return list_blocks(conn, principal, f, paging)


def stream_blocks(
    db: Database, principal: Principal, f: BlockFilter, batch: int = 5000
) -> Iterator[bytes]:
    """Every matching block as NDJSON, in pages of ``batch`` lines: memory stays flat.
    Each line is the object the list returns.

    Each page is read by keyset (after the last row sent, in the stream's order, which
    ends with the id) on a connection checked out for that page alone and returned
    before the page is sent: a client that reads slowly holds no connection and no open
    transaction. A block written while the stream runs shows in it if its place in the
    order is still ahead; no block is sent twice unless a change moved it further on.

    Not a generator itself: a bad filter must fail here, before a response has started."""
    shape, params = _prepare(principal, f)
    keyset = _Keyset(shape.order_by, db.dialect == "postgresql")
    return _ndjson(db, _statements(shape)[0], keyset, params, principal.timezone, batch)


STREAM_JSON = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_APPEND_NEWLINE
# The only orderable column that may be NULL; the others need no NULL cases.
_NULLABLE = frozenset({"completed_at"})


@dataclass(frozen=True, slots=True)
class _Keyset:
    """Where the next page starts, in the order the statement sorts by: ``order_by``'s
    terms, then the id (unique, ascending). ``nulls_last``: the database sorts NULL after
    every value in ascending order (PostgreSQL) rather than before (SQLite)."""

    order_by: tuple[str, ...]
    nulls_last: bool

    def after(self, last: Sequence[Any]) -> Any:
        """The condition for rows after ``last`` (a raw row of the statement)."""
        terms = [(t.lstrip("-"), t.startswith("-")) for t in self.order_by]
        # Raw values bound back as they came (NullType): the driver gives each column
        # the representation it was read in, on either database.
        values = [last[getattr(_AT, name)] for name, _ in terms]
        last_id = _raw(last[_AT.id])
        if all(not desc and name not in _NULLABLE for name, desc in terms):
            # One row-value comparison, which both databases run as an index range.
            cols = [ORDERABLE[name] for name, _ in terms]
            return tuple_(*cols, Block.id) > tuple_(*map(_raw, values), last_id)
        ors: list[Any] = []
        equal: list[Any] = []
        for (name, desc), value in zip(terms, values, strict=True):
            col = ORDERABLE[name]
            nulls_after = self.nulls_last != desc
            if value is None:
                if not nulls_after:
                    ors.append(and_(*equal, col.is_not(None)))
                equal.append(col.is_(None))
                continue
            bound = _raw(value)
            beyond = col < bound if desc else col > bound
            if name in _NULLABLE and nulls_after:
                beyond = or_(beyond, col.is_(None))
            ors.append(and_(*equal, beyond))
            equal.append(col == bound)
        ors.append(and_(*equal, Block.id > last_id))
        return or_(*ors)


def _raw(value: Any) -> Any:
    # type_coerce keeps the comparison from giving the value the column's type (whose
    # bind processing expects a Python value, not the driver's).
    return type_coerce(literal(value, NullType()), NullType())


def _ndjson(
    db: Database,
    stmt: Rows,
    keyset: _Keyset,
    params: dict[str, Any],
    tz_name: str,
    batch: int,
) -> Iterator[bytes]:
    dumps = orjson.dumps
    page_stmt: Rows = stmt.limit(batch)
    while True:
        with db.connect() as conn:  # for this page only; see stream_blocks
            raw = decoders(conn)
            rows = conn.execute(page_stmt, params).all()
        if not rows:
            return
        make = _json_maker(raw, tz_name, raw.utc_json)
        yield b"".join(dumps(make(r), option=STREAM_JSON) for r in rows)
        if len(rows) < batch:
            return
        page_stmt = stmt.where(keyset.after(rows[-1])).limit(batch)
