"""Listing and streaming blocks with SPEC's filters, ordering and pagination."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, Project
from timeboxd.errors import ValidationFailed
from timeboxd.services.blocks import VIEW_COLUMNS, BlockView, view_from_row
from timeboxd.services.context import Principal
from timeboxd.services.database import Database
from timeboxd.services.paging import Page, PageRequest

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


def _where(principal: Principal, f: BlockFilter) -> list[Any]:
    if f.date is not None and (f.date_from is not None or f.date_to is not None):
        raise ValidationFailed("use either date or date_from/date_to", field="date")
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise ValidationFailed("date_to must not be before date_from", field="date_to")
    cond: list[Any] = [Block.user_id == principal.user_id, Block.livemode == principal.livemode]
    if f.date is not None:
        cond.append(Block.date == f.date)
    if f.date_from is not None:
        cond.append(Block.date >= f.date_from)
    if f.date_to is not None:
        cond.append(Block.date <= f.date_to)
    if f.project_id is not None:
        cond.append(Block.project_id == f.project_id)
    if f.task_id is not None:
        cond.append(Block.task_id == f.task_id)
    if f.series_id is not None:
        cond.append(Block.series_id == f.series_id)
    if f.done is not None:
        cond.append(Block.done.is_(f.done))
    cond.append(Block.archived_at.is_not(None) if f.archived else Block.archived_at.is_(None))
    cond.append(Block.deleted_at.is_not(None) if f.deleted else Block.deleted_at.is_(None))
    return cond


def _select(principal: Principal, f: BlockFilter) -> Select[*tuple[Any, ...]]:
    order: list[Any] = []
    for term in f.order_by:
        col = ORDERABLE[term.lstrip("-")]
        order.append(col.desc() if term.startswith("-") else col.asc())
    order.append(Block.id.asc())
    return (
        select(*VIEW_COLUMNS)
        .outerjoin(Project, Project.id == Block.project_id)
        .where(*_where(principal, f))
        .order_by(*order)
    )


def list_blocks(
    session: Session, principal: Principal, f: BlockFilter, paging: PageRequest
) -> Page[BlockView]:
    stmt = _select(principal, f).offset(paging.offset).limit(paging.limit + 1)
    rows = session.execute(stmt).all()
    has_more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    if not has_more and (rows or paging.offset == 0):
        total = paging.offset + len(rows)
    else:
        total = (
            session.scalar(select(func.count()).select_from(Block).where(*_where(principal, f)))
            or 0
        )
    tz = principal.timezone
    return Page(
        items=[view_from_row(r, tz) for r in rows],
        page=paging.page,
        per_page=paging.limit,
        total=total,
        has_more=has_more,
    )


def stream_blocks(
    db: Database, principal: Principal, f: BlockFilter, batch: int = 2000
) -> Iterator[list[BlockView]]:
    """Every matching block, in batches, holding one server-side cursor: memory stays flat.

    Not a generator itself: a bad filter must fail here, before a response has started."""
    return _batches(db, _select(principal, f), principal.timezone, batch)


def _batches(
    db: Database, stmt: Select[*tuple[Any, ...]], tz: str, batch: int
) -> Iterator[list[BlockView]]:
    with db.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        for part in result.partitions():
            yield [view_from_row(r, tz) for r in part]
