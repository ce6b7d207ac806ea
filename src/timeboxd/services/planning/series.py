"""Block series: a recurrence rule expanded into blocks that carry ``series_id``.

Changes and deletions apply to "this and following" occurrences: every block of the
series on or after a date. Past blocks are history and stay as they are.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from timeboxd.db.models import Block, Series
from timeboxd.domain.ids import new_id
from timeboxd.domain.recurrence import InvalidRule, expand, normalize
from timeboxd.domain.wallclock import local_today
from timeboxd.errors import NotFound, ValidationFailed
from timeboxd.schemas.blocks import BlockChanges, BlockFields, BlockOut, BlockUpdate, BulkDeleted
from timeboxd.schemas.common import UNSET
from timeboxd.schemas.series import SeriesChanges, SeriesCreate, SeriesOut
from timeboxd.services.accounts.access import require_project, require_task
from timeboxd.services.context import Principal
from timeboxd.services.outbox import Change
from timeboxd.services.paging import PageRequest
from timeboxd.services.planning import blocks_bulk
from timeboxd.services.planning.blocks import announce
from timeboxd.services.planning.blocks_query import BlockFilter, list_blocks


def _view(series: Series, blocks: list[BlockOut]) -> SeriesOut:
    return SeriesOut(
        id=series.id,
        rrule=series.rrule,
        date=series.first_date,
        start=series.start.strftime("%H:%M"),
        end=series.end.strftime("%H:%M"),
        topic=series.topic,
        project_id=series.project_id,
        subject_id=series.project_id,
        task_id=series.task_id,
        ended_at=series.ended_at,
        created_at=series.created_at,
        updated_at=series.updated_at,
        blocks=blocks,
    )


def create_series(
    session: Session, principal: Principal, now: datetime, body: SeriesCreate
) -> SeriesOut:
    try:
        dates = expand(body.rrule, body.date, body.start)
        normalized = normalize(body.rrule)
    except InvalidRule as exc:
        raise ValidationFailed(str(exc), field="rrule") from None
    series = Series(
        id=new_id("ser"),
        user_id=principal.user_id,
        livemode=principal.livemode,
        rrule=normalized,
        first_date=body.date,
        start=body.start,
        end=body.end,
        topic=body.topic,
        project_id=body.project_id,
        task_id=body.task_id,
        created_at=now,
        updated_at=now,
    )
    session.add(series)
    session.flush()
    template = BlockFields.of(body)
    items = [
        BlockFields(
            day,
            template.start,
            template.end,
            template.topic,
            template.project_id,
            template.task_id,
            template.done,
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
    view = _view(series, created)
    announce(session, principal, now, [Change("series.created", series.id, view)])
    return view


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


def _blocks(session: Session, principal: Principal, series_id: str) -> list[BlockOut]:
    page = list_blocks(
        session.connection(), principal, BlockFilter(series_id=series_id), PageRequest(1, 1000)
    )
    return page.items


def get_series(session: Session, principal: Principal, series_id: str) -> SeriesOut:
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
    session: Session, principal: Principal, series: Series, changes: SeriesChanges
) -> tuple[time, time]:
    """The template's start and end once ``changes`` apply, checked; and its references."""
    if changes.start is None:
        raise ValidationFailed("start cannot be null", field="start")
    if changes.end is None:
        raise ValidationFailed("end cannot be null", field="end")
    start = series.start if changes.start is UNSET else changes.start
    end = series.end if changes.end is UNSET else changes.end
    if end <= start:
        raise ValidationFailed("end must be after start", field="end")
    project_id = series.project_id if changes.project_id is UNSET else changes.project_id
    if changes.project_id is not UNSET and changes.project_id:
        require_project(session, principal, project_id)
    if changes.task_id is not UNSET and changes.task_id:
        require_task(session, principal, changes.task_id, project_id)
    return start, end


def update_series(
    session: Session,
    principal: Principal,
    now: datetime,
    series_id: str,
    changes: SeriesChanges,
    since: date | None,
) -> SeriesOut:
    """Apply ``changes`` to this and the following occurrences (from ``since``; all if None)."""
    series = _load(session, principal, series_id)
    start, end = _check_template(session, principal, series, changes)
    since = since or series.first_date
    ids = _following(session, principal, series.id, since, keep_done=False)
    if ids:
        each = BlockChanges(
            start=changes.start,
            end=changes.end,
            topic=changes.topic,
            project_id=changes.project_id,
            task_id=changes.task_id,
        )
        blocks_bulk.bulk_update(session, principal, now, [BlockUpdate(i, each) for i in ids])
    if since <= series.first_date:
        # The template follows when the change starts at the first occurrence.
        series.start, series.end = start, end
        if changes.project_id is not UNSET:
            series.project_id = changes.project_id
        if changes.task_id is not UNSET:
            series.task_id = changes.task_id
        if changes.topic is not UNSET:
            series.topic = changes.topic or ""
        _touch(series, now)
    session.flush()
    view = _view(series, _blocks(session, principal, series.id))
    announce(session, principal, now, [Change("series.updated", series.id, view)])
    return view


def _touch(series: Series, now: datetime) -> None:
    series.updated_at = now
    # A write always gives a new version, even when no value changed: flagged, the row is
    # always UPDATEd, and the ORM raises its version.
    flag_modified(series, "updated_at")


def delete_series(
    session: Session, principal: Principal, now: datetime, series_id: str, since: date | None
) -> BulkDeleted:
    """Trash the occurrences from ``since`` (default: today); done blocks stay as history."""
    series = _load(session, principal, series_id)
    since = since or local_today(now, principal.timezone)
    ids = _following(session, principal, series.id, since, keep_done=True)
    if ids:
        blocks_bulk.bulk_delete(session, principal, now, ids)
    if series.ended_at is None:
        series.ended_at = now
        _touch(series, now)
    session.flush()
    # The series stays readable (ended); its occurrences from ``since`` are in the trash.
    ended = Change.deleted("series.deleted", series.id, since=since, blocks=ids)
    announce(session, principal, now, [ended])
    return BulkDeleted(ids)
