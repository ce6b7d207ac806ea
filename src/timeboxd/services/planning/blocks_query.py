"""Listing and streaming blocks with SPEC's filters, ordering and pagination."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Integer, Select, bindparam, func, select, type_coerce
from sqlalchemy.types import NullType

from timeboxd.db.models import Block, Project
from timeboxd.db.prepared import Decoders, Prepared, decoders
from timeboxd.domain.wallclock import zone
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.blocks import BlockQuery
from timeboxd.services.catalog import tasks
from timeboxd.services.context import Principal
from timeboxd.services.database import Database
from timeboxd.services.paging import Page, PageRequest
from timeboxd.services.planning.blocks import VIEW_COLUMNS, BlockView

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


def _view_maker(raw: Decoders, tz_name: str) -> Callable[[Sequence[Any]], BlockView]:
    """Turn a row of raw driver values into a view. Per-value type adapters cost more than
    the query for a page of blocks, and a stream has millions of values."""
    tz, instant, day, hhmm = zone(tz_name), raw.instant, raw.day, raw.hhmm

    def make(r: Sequence[Any]) -> BlockView:
        start_at, end_at = instant(r[10]), instant(r[11])
        return BlockView(
            id=r[0],
            project_id=r[1],
            project_name=r[2],
            task_id=r[3],
            date=day(r[4]),
            start=hhmm(r[5]),
            end=hhmm(r[6]),
            duration_minutes=int((end_at - start_at).total_seconds()) // 60,
            topic=r[7],
            done=bool(r[8]),
            completed_at=r[9] and instant(r[9]),
            start_at=start_at.astimezone(tz),
            end_at=end_at.astimezone(tz),
            series_id=r[12],
            has_time_entry=bool(r[13]),
            archived_at=r[14] and instant(r[14]),
            deleted_at=r[15] and instant(r[15]),
            created_at=instant(r[16]),
            updated_at=instant(r[17]),
        )

    return make


def list_blocks(
    conn: Connection, principal: Principal, f: BlockFilter, paging: PageRequest
) -> Page[BlockView]:
    """A page of blocks. Callers holding an ORM session pass ``session.connection()``."""
    shape, params = _prepare(principal, f)
    _, page_stmt, count_stmt = _statements(shape)
    page_params = {**params, "limit": paging.limit + 1, "offset": paging.offset}
    rows = page_stmt.all(conn, page_params)
    has_more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    if not has_more and (rows or paging.offset == 0):
        total = paging.offset + len(rows)
    else:
        total = conn.execute(count_stmt, params).scalar() or 0
    make = _view_maker(decoders(conn), principal.timezone)
    return Page(
        items=[make(r) for r in rows],
        page=paging.page,
        per_page=paging.limit,
        total=total,
        has_more=has_more,
    )


def list_task_blocks(
    conn: Connection, principal: Principal, task_id: str, q: BlockQuery, paging: PageRequest
) -> Page[BlockView]:
    """A page of the caller's blocks of one task, filtered as the block list is; NOT_FOUND
    unless the caller sees the task. The path's task wins over a ``task_id`` parameter."""
    f = filter_of(q)  # a bad filter is refused before the task is looked up
    f.task_id = task_id
    tasks.require_visible(conn, principal, task_id)
    return list_blocks(conn, principal, f, paging)


def stream_blocks(
    db: Database, principal: Principal, f: BlockFilter, batch: int = 5000
) -> Iterator[bytes]:
    """Every matching block as NDJSON, in chunks of ``batch`` lines, holding one server-side
    cursor: memory stays flat. Each line is the object the list returns.

    Not a generator itself: a bad filter must fail here, before a response has started."""
    shape, params = _prepare(principal, f)
    return _ndjson(db, _statements(shape)[0], params, principal.timezone, batch)


STREAM_JSON = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_APPEND_NEWLINE


def _ndjson(
    db: Database, stmt: Rows, params: dict[str, Any], tz_name: str, batch: int
) -> Iterator[bytes]:
    tz, dumps = zone(tz_name), orjson.dumps
    with db.engine.connect() as conn:
        raw = decoders(conn)
        instant, day, hhmm, utc = raw.instant, raw.day, raw.hhmm, raw.utc_json
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt, params)
        for part in result.partitions():
            lines = []
            for r in part:  # the fields and order of BlockView, built inline for speed
                start_at, end_at = instant(r[10]), instant(r[11])
                line = {
                    "id": r[0],
                    "project_id": r[1],
                    "project_name": r[2],
                    "task_id": r[3],
                    "date": day(r[4]),
                    "start": hhmm(r[5]),
                    "end": hhmm(r[6]),
                    "duration_minutes": int((end_at - start_at).total_seconds()) // 60,
                    "topic": r[7],
                    "done": bool(r[8]),
                    "completed_at": r[9] and utc(r[9]),
                    "start_at": start_at.astimezone(tz),
                    "end_at": end_at.astimezone(tz),
                    "series_id": r[12],
                    "has_time_entry": bool(r[13]),
                    "archived_at": r[14] and utc(r[14]),
                    "deleted_at": r[15] and utc(r[15]),
                    "created_at": utc(r[16]),
                    "updated_at": utc(r[17]),
                }
                lines.append(dumps(line, option=STREAM_JSON))
            yield b"".join(lines)
