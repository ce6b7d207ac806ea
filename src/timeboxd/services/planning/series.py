"""Block series: a recurrence rule expanded into blocks that carry ``series_id``.

Changes and deletions apply to "this and following" occurrences: every block of the
series on or after a date. Past blocks are history and stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, Series
from timeboxd.domain.ids import new_id
from timeboxd.domain.recurrence import InvalidRule, expand, normalize
from timeboxd.domain.wallclock import local_today
from timeboxd.errors import NotFound, ValidationFailed
from timeboxd.services.accounts.access import require_project, require_task
from timeboxd.services.context import Principal
from timeboxd.services.paging import PageRequest
from timeboxd.services.planning import blocks_bulk
from timeboxd.services.planning.blocks import BlockFields, BlockView
from timeboxd.services.planning.blocks_query import BlockFilter, list_blocks


@dataclass(slots=True)
class SeriesView:
    id: str
    rrule: str
    date: date
    start: str
    end: str
    topic: str
    project_id: str | None
    task_id: str | None
    ended_at: datetime | None
    created_at: datetime
    updated_at: datetime
    blocks: list[BlockView]


def _view(series: Series, blocks: list[BlockView]) -> SeriesView:
    return SeriesView(
        id=series.id,
        rrule=series.rrule,
        date=series.first_date,
        start=series.start.strftime("%H:%M"),
        end=series.end.strftime("%H:%M"),
        topic=series.topic,
        project_id=series.project_id,
        task_id=series.task_id,
        ended_at=series.ended_at,
        created_at=series.created_at,
        updated_at=series.updated_at,
        blocks=blocks,
    )


def create_series(
    session: Session, principal: Principal, now: datetime, fields: BlockFields, rule: str
) -> SeriesView:
    try:
        dates = expand(rule, fields.date, fields.start)
        normalized = normalize(rule)
    except InvalidRule as exc:
        raise ValidationFailed(str(exc), field="rrule") from None
    series = Series(
        id=new_id("ser"),
        user_id=principal.user_id,
        livemode=principal.livemode,
        rrule=normalized,
        first_date=fields.date,
        start=fields.start,
        end=fields.end,
        topic=fields.topic,
        project_id=fields.project_id,
        task_id=fields.task_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(series)
    session.flush()
    items = [
        BlockFields(
            day,
            fields.start,
            fields.end,
            fields.topic,
            fields.project_id,
            fields.task_id,
            fields.done,
        )
        for day in dates
    ]
    try:
        created = blocks_bulk.bulk_create(session, principal, now, items, series_id=series.id)
    except ValidationFailed as exc:
        # Name the occurrence's date, not its index: that is what a person can act on.
        for detail in exc.details:
            day = str(dates[detail.index])
            if not detail.message.startswith(day):
                detail.message = f"{day}: {detail.message}"
        raise
    return _view(series, created)


def _load(session: Session, principal: Principal, series_id: str) -> Series:
    series = session.scalar(
        select(Series).where(
            Series.id == series_id,
            Series.user_id == principal.user_id,
            Series.livemode == principal.livemode,
        )
    )
    if series is None:
        raise NotFound(f"no series {series_id}")
    return series


def _blocks(session: Session, principal: Principal, series_id: str) -> list[BlockView]:
    page = list_blocks(
        session.connection(), principal, BlockFilter(series_id=series_id), PageRequest(1, 1000)
    )
    return page.items


def get_series(session: Session, principal: Principal, series_id: str) -> SeriesView:
    series = _load(session, principal, series_id)
    return _view(series, _blocks(session, principal, series.id))


def _following(
    session: Session, principal: Principal, series_id: str, since: date, *, keep_done: bool
) -> list[str]:
    cond = [
        Block.series_id == series_id,
        Block.user_id == principal.user_id,
        Block.livemode == principal.livemode,
        Block.date >= since,
        Block.deleted_at.is_(None),
    ]
    if keep_done:
        cond.append(Block.done.is_(False))
    return list(session.scalars(select(Block.id).where(*cond).order_by(Block.date)))


def _check_template(
    session: Session, principal: Principal, series: Series, changes: dict[str, Any]
) -> None:
    for name in ("start", "end"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)
    if changes.get("end", series.end) <= changes.get("start", series.start):
        raise ValidationFailed("end must be after start", field="end")
    project_id = changes.get("project_id", series.project_id)
    if changes.get("project_id"):
        require_project(session, principal, project_id)
    if changes.get("task_id"):
        require_task(session, principal, changes["task_id"], project_id)


def update_series(
    session: Session,
    principal: Principal,
    now: datetime,
    series_id: str,
    changes: dict[str, Any],
    since: date | None,
) -> SeriesView:
    """Apply ``changes`` to this and the following occurrences (from ``since``; all if None)."""
    series = _load(session, principal, series_id)
    _check_template(session, principal, series, changes)
    since = since or series.first_date
    ids = _following(session, principal, series.id, since, keep_done=False)
    if ids:
        blocks_bulk.bulk_update(session, principal, now, [(i, dict(changes)) for i in ids])
    if since <= series.first_date:
        # The template follows when the change starts at the first occurrence.
        for name in ("start", "end", "project_id", "task_id"):
            if name in changes:
                setattr(series, name, changes[name])
        if "topic" in changes:
            series.topic = changes["topic"] or ""
        series.updated_at = now
        series.version += 1
    session.flush()
    return _view(series, _blocks(session, principal, series.id))


def delete_series(
    session: Session, principal: Principal, now: datetime, series_id: str, since: date | None
) -> list[str]:
    """Trash the occurrences from ``since`` (default: today); done blocks stay as history."""
    series = _load(session, principal, series_id)
    since = since or local_today(now, principal.timezone)
    ids = _following(session, principal, series.id, since, keep_done=True)
    if ids:
        blocks_bulk.bulk_delete(session, principal, now, ids)
    if series.ended_at is None:
        series.ended_at = now
        series.updated_at = now
        series.version += 1
    session.flush()
    return ids
