"""The time-entry list: filters over local days, newest first (``GET /v1/time-entries``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, false, select, union_all
from sqlalchemy.orm import Session, aliased

from timeboxd.db.tracking import TimeEntry, entry_tags
from timeboxd.domain.wallclock import to_utc_lenient
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.entries import EntryOut
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, select_page
from timeboxd.services.tracking.entries import page_views
from timeboxd.services.tracking.report_rows import overlapping, visibility


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


def list_statement(session: Session, principal: Principal, f: EntryFilter) -> Select[Any]:
    """The entries ``f`` asks for, newest first, as a union of disjoint sets that each read
    one index bounded by the range (report_rows.overlapping, split by what the caller may
    see: report_rows.visibility)."""
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise ValidationFailed("date_to must not be before date_from", field="date_to")
    cond: list[Any] = []
    if f.project_id is not None:
        cond.append(TimeEntry.project_id == f.project_id)
    if f.task_id is not None:
        cond.append(TimeEntry.task_id == f.task_id)
    if f.billable is not None:
        cond.append(TimeEntry.billable.is_(f.billable))
    if f.tag_id is not None:
        cond.append(
            TimeEntry.id.in_(select(entry_tags.c.entry_id).where(entry_tags.c.tag_id == f.tag_id))
        )
    # An entry belongs to a range when it overlaps it (a late session that crosses
    # midnight shows up on both days).
    start, end = local_range(f.date_from, f.date_to, principal.timezone)
    parts = [
        select(TimeEntry).where(visible, *cond, *part)
        for visible in visibility(session, principal, f.user_id)
        for part in overlapping(start, end)
    ]
    if not parts:  # another user's entries, asked for by someone who manages no team
        return select(TimeEntry).where(false())
    if len(parts) == 1:
        return parts[0].order_by(TimeEntry.start_at.desc(), TimeEntry.id)
    listed = aliased(TimeEntry, union_all(*parts).subquery("listed"))
    return select(listed).order_by(listed.start_at.desc(), listed.id)


def list_entries(
    session: Session, principal: Principal, now: datetime, f: EntryFilter, paging: PageRequest
) -> Page[EntryOut]:
    stmt = list_statement(session, principal, f)
    return page_views(session, select_page(session, stmt, paging), principal, now)
