"""The time-entry list: filters over local days, newest first (``GET /v1/time-entries``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timeboxd.db.tracking import TimeEntry, entry_tags
from timeboxd.domain.wallclock import to_utc_lenient
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.entries import EntryOut
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, select_page
from timeboxd.services.tracking.entries import page_views, visible_entry


@dataclass(slots=True)
class EntryFilter:
    date_from: date | None = None
    date_to: date | None = None
    project_id: str | None = None
    task_id: str | None = None
    tag_id: str | None = None
    billable: bool | None = None
    user_id: str | None = None


def local_range(
    day_from: date | None, day_to: date | None, tz_name: str
) -> tuple[datetime | None, datetime | None]:
    """Local calendar days [from, to] as UTC instants [start, end)."""
    start = to_utc_lenient(day_from, time(0), tz_name) if day_from else None
    end = to_utc_lenient(day_to + timedelta(days=1), time(0), tz_name) if day_to else None
    return start, end


def filter_conditions(principal: Principal, f: EntryFilter) -> list[Any]:
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise ValidationFailed("date_to must not be before date_from", field="date_to")
    cond: list[Any] = [visible_entry(principal)]
    start, end = local_range(f.date_from, f.date_to, principal.timezone)
    # An entry belongs to a range when it overlaps it (a late session that crosses
    # midnight shows up on both days).
    if start is not None:
        cond.append(or_(TimeEntry.end_at.is_(None), TimeEntry.end_at > start))
    if end is not None:
        cond.append(TimeEntry.start_at < end)
    if f.project_id is not None:
        cond.append(TimeEntry.project_id == f.project_id)
    if f.task_id is not None:
        cond.append(TimeEntry.task_id == f.task_id)
    if f.billable is not None:
        cond.append(TimeEntry.billable.is_(f.billable))
    if f.user_id is not None:
        cond.append(TimeEntry.user_id == f.user_id)
    if f.tag_id is not None:
        cond.append(
            TimeEntry.id.in_(select(entry_tags.c.entry_id).where(entry_tags.c.tag_id == f.tag_id))
        )
    return cond


def list_entries(
    session: Session, principal: Principal, now: datetime, f: EntryFilter, paging: PageRequest
) -> Page[EntryOut]:
    stmt = (
        select(TimeEntry)
        .where(*filter_conditions(principal, f))
        .order_by(TimeEntry.start_at.desc(), TimeEntry.id)
    )
    return page_views(session, select_page(session, stmt, paging), principal, now)
