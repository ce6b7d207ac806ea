"""Progress statistics (SPEC §3 "Statistics"): ``/v1/stats``; the reads both endpoints share.

Definitions (docs/api.md "Statistics"):

- Every day is a local day of the account's zone *now*: blocks by their wall-clock date,
  time entries by the local days their instants fall on (split at local midnight).
- Blocks that are archived or deleted do not count. Statistics are personal: one's own
  blocks and entries, in the key's mode.
- A running timer counts up to now.

The figures come from rollups that triggers keep: block counts per date and project,
productive seconds per UTC quarter hour and project. Only the running entry, which no
rollup holds, is read from time entries. Where each definition lives:

- db/rollups_sql.py: what the rollups count, once for SQLite and PostgreSQL: a counted
  block, a completed one (the heatmap, completion rate and streaks), a block's minutes,
  productive time, a focus session; the triggers and the recount are rendered from it.
- domain/stats.py: the units (a quarter hour ``SLOT``, a UTC day ``DAY``,
  ``FOCUS_SECONDS``), the cutting of spans into quarter hours and of quarter hours into
  local days and hours, and streaks; this module and productivity.py use them in Python.
- db/rollups.py: the rollup tables; db/rollups_rebuild.py: their recount from the blocks
  and time entries, should they ever disagree.
- tests/test_stats_oracle.py: the same figures counted independently, minute by minute
  over the raw rows, which every answer must equal.

Migrations 0006 and 0009 hold the triggers as first written; nothing reads them now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timeboxd.db import rollups_rebuild
from timeboxd.db.rollups import StatsBlockDay, StatsDayProject, StatsSlot
from timeboxd.db.tracking import TimeEntry
from timeboxd.domain.days import local_midnight, week_of
from timeboxd.domain.stats import SLOT, current_streak, epoch, slot_of, spread, whole_days
from timeboxd.domain.wallclock import local_today, zone
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.stats import StatsOut
from timeboxd.services.context import Principal

MAX_DAYS = 10 * 366


# -- shared reads --------------------------------------------------------------------------


def _days_of(principal: Principal) -> list[Any]:
    return [
        StatsBlockDay.user_id == principal.user_id,
        StatsBlockDay.livemode == principal.livemode,
    ]


def slots_of(principal: Principal, first: int, last: int) -> list[Any]:
    return [
        StatsSlot.user_id == principal.user_id,
        StatsSlot.livemode == principal.livemode,
        StatsSlot.slot >= first,
        StatsSlot.slot < last,
    ]


@dataclass(slots=True)
class BlockDay:
    total: int = 0
    completed: int = 0
    completed_minutes: int = 0
    scheduled_minutes: int = 0


def block_days(
    session: Session, principal: Principal, first: date, last: date
) -> dict[date, BlockDay]:
    d = StatsBlockDay
    rows = session.execute(
        select(d.date, d.total, d.completed, d.completed_minutes, d.scheduled_minutes).where(
            *_days_of(principal), d.date >= first, d.date <= last
        )
    )
    return {r[0]: BlockDay(r[1], r[2], r[3], r[4]) for r in rows if r[1] > 0}


def completed_days(session: Session, principal: Principal, today: date) -> set[date]:
    """Every local day up to today with a completed block."""
    d = StatsBlockDay
    return set(
        session.scalars(
            select(d.date).where(*_days_of(principal), d.date <= today, d.completed > 0)
        )
    )


@dataclass(frozen=True, slots=True)
class Running:
    """The running entry, as epoch seconds up to now, which no rollup holds."""

    start: int
    end: int
    project_id: str | None

    def slots(self, first: int, last: int) -> list[tuple[int, int]]:
        lo, hi = max(self.start, first * SLOT), min(self.end, last * SLOT)
        return list(spread(lo, hi)) if lo < hi else []


def running(session: Session, principal: Principal, now: datetime) -> Running | None:
    row = session.execute(
        select(TimeEntry.start_at, TimeEntry.project_id).where(
            TimeEntry.user_id == principal.user_id,
            TimeEntry.livemode == principal.livemode,
            TimeEntry.end_at.is_(None),
        )
    ).first()
    if row is None:
        return None
    start = epoch(row[0])
    return Running(start, max(start, epoch(now)), row[1])


def tracked_seconds(session: Session, principal: Principal, first: int, last: int) -> int:
    """Seconds of stopped entries within slots [first, last): the whole UTC days from the
    day rollup, the edges from the quarter hours."""
    edges, (lo, hi) = whole_days(first, last)
    total = 0
    for a, b in edges:
        if a < b:
            found = session.scalar(
                select(func.sum(StatsSlot.tracked_seconds)).where(*slots_of(principal, a, b))
            )
            total += int(found or 0)
    if lo < hi:
        d = StatsDayProject
        found = session.scalar(
            select(func.sum(d.tracked_seconds)).where(
                d.user_id == principal.user_id,
                d.livemode == principal.livemode,
                d.day >= lo,
                d.day < hi,
            )
        )
        total += int(found or 0)
    return total


# -- /v1/stats -----------------------------------------------------------------------------


def period_days(
    session: Session,
    principal: Principal,
    today: date,
    period: str | None,
    date_from: date | None,
    date_to: date | None,
) -> tuple[str, date, date]:
    if date_from is not None or date_to is not None:
        if period is not None:
            raise ValidationFailed("use either period or date_from/date_to", field="period")
        if date_from is None or date_to is None:
            missing = "date_from" if date_from is None else "date_to"
            raise ValidationFailed("give both date_from and date_to", field=missing)
        if date_to < date_from:
            raise ValidationFailed("date_to must not be before date_from", field="date_to")
        if (date_to - date_from).days >= MAX_DAYS:
            raise ValidationFailed(f"at most {MAX_DAYS} days", field="date_to")
        return "custom", date_from, date_to
    period = period or "week"
    if period == "today":
        return period, today, today
    if period == "week":
        first = week_of(today, principal.week_start)
        return period, first, first + timedelta(days=6)
    if period == "month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return period, first, following - timedelta(days=1)
    first, last = _all_days(session, principal, today)
    return "all", first, last


def _all_days(session: Session, principal: Principal, today: date) -> tuple[date, date]:
    """From the first day with a block or an entry to today, or the last planned day."""
    d = StatsBlockDay
    counted = [*_days_of(principal), d.total > 0]
    low = session.scalar(select(d.date).where(*counted).order_by(d.date).limit(1))
    high = session.scalar(select(d.date).where(*counted).order_by(d.date.desc()).limit(1))
    first_entry = session.scalar(
        select(func.min(TimeEntry.start_at)).where(
            TimeEntry.user_id == principal.user_id, TimeEntry.livemode == principal.livemode
        )
    )
    starts = [today] + ([low] if low is not None else [])
    if first_entry is not None:
        starts.append(first_entry.astimezone(zone(principal.timezone)).date())
    return min(starts), max(today, high or today)


def heatmap_days(first: date, last: date, today: date) -> tuple[date, date]:
    """The heatmap's days: the period's, or for a period longer than ``MAX_DAYS`` (only
    ``all`` can be: one block dated in 1900 would make it a 400,000-day map) the
    ``MAX_DAYS`` days ending today, which ``all`` always holds."""
    if (last - first).days < MAX_DAYS:
        return first, last
    return today - timedelta(days=MAX_DAYS - 1), today


def stats(
    session: Session,
    principal: Principal,
    now: datetime,
    period: str | None,
    date_from: date | None,
    date_to: date | None,
) -> StatsOut:
    tz = principal.timezone
    today = local_today(now, tz)
    name, first, last = period_days(session, principal, today, period, date_from, date_to)
    days = block_days(session, principal, first, last)
    total = sum(d.total for d in days.values())
    completed = sum(d.completed for d in days.values())
    lo = slot_of(local_midnight(first, tz))
    hi = slot_of(local_midnight(last + timedelta(days=1), tz))
    tracked = tracked_seconds(session, principal, lo, hi)
    timer = running(session, principal, now)
    if timer is not None:
        tracked += sum(seconds for _, seconds in timer.slots(lo, hi))
    heatmap = {}
    day, until = heatmap_days(first, last, today)
    while day <= until:
        heatmap[day.isoformat()] = days[day].completed if day in days else 0
        day += timedelta(days=1)
    return StatsOut(
        period=name,
        date_from=first,
        date_to=last,
        total_blocks=total,
        completed_blocks=completed,
        completion_rate=round(completed / total, 4) if total else 0.0,
        streak_days=current_streak(completed_days(session, principal, today), today),
        total_minutes=sum(d.completed_minutes for d in days.values()),
        scheduled_minutes=sum(d.scheduled_minutes for d in days.values()),
        tracked_minutes=tracked // 60,
        heatmap=heatmap,
    )


def rebuild_rollups(session: Session) -> None:
    """Count every block and stopped entry into the rollups again, in the caller's unit of
    work (``timeboxd db rebuild-rollups``): for a database whose rollups are in doubt."""
    rollups_rebuild.rebuild(session.connection())
