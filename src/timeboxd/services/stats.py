"""Progress statistics (SPEC §3 "Statistics"): ``/v1/stats`` and ``/v1/productivity``.

Definitions (docs/api.md "Statistics"):

- Every day is a local day of the account's zone *now*: blocks by their wall-clock date,
  time entries by the local days their instants fall on (split at local midnight).
- Blocks that are archived or deleted do not count. Statistics are personal: one's own
  blocks and entries, in the key's mode.
- A running timer counts up to now.
- Productive time (productivity) is tracked time plus completed blocks that have no time
  entry (a block tracked with the timer is counted once, as its entries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, Project
from timeboxd.db.tracking import TimeEntry
from timeboxd.domain.days import local_midnight, week_of
from timeboxd.domain.wallclock import local_today, zone
from timeboxd.errors import ValidationFailed
from timeboxd.services.context import Principal

PERIODS = ("today", "week", "month", "all")
FOCUS_SECONDS = 25 * 60
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_DAYS = 10 * 366


# -- blocks --------------------------------------------------------------------------------


def _block_minutes(dialect: str) -> Any:
    """A block's length in whole minutes, from its UTC instants, in SQL."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", Block.end_at - Block.start_at), Integer) // 60
    seconds = (func.julianday(Block.end_at) - func.julianday(Block.start_at)) * 86400
    return cast(func.round(seconds), Integer) // 60


def _counted(principal: Principal) -> list[Any]:
    return [
        Block.user_id == principal.user_id,
        Block.livemode == principal.livemode,
        Block.archived_at.is_(None),
        Block.deleted_at.is_(None),
    ]


@dataclass(slots=True)
class BlockDay:
    total: int = 0
    completed: int = 0
    completed_minutes: int = 0
    scheduled_minutes: int = 0


def block_days(
    session: Session, principal: Principal, first: date | None, last: date | None
) -> dict[date, BlockDay]:
    minutes = _block_minutes(session.get_bind().dialect.name)
    done = Block.done.is_(True)
    cond = _counted(principal)
    if first is not None:
        cond.append(Block.date >= first)
    if last is not None:
        cond.append(Block.date <= last)
    rows = session.execute(
        select(
            Block.date,
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((done, minutes), else_=0)),
            func.sum(minutes),
        )
        .where(*cond)
        .group_by(Block.date)
    )
    return {r[0]: BlockDay(r[1], int(r[2] or 0), int(r[3] or 0), int(r[4] or 0)) for r in rows}


def completed_days(session: Session, principal: Principal, today: date) -> list[date]:
    """Every local day up to today with a completed block, newest first."""
    return list(
        session.scalars(
            select(Block.date)
            .where(*_counted(principal), Block.done.is_(True), Block.date <= today)
            .group_by(Block.date)
            .order_by(Block.date.desc())
        )
    )


def current_streak(days: list[date], today: date) -> int:
    """Consecutive days ending today with a completed block; today, not over yet, does not
    break it: with none today, the count ends yesterday."""
    have = set(days)
    day = today if today in have else today - timedelta(days=1)
    count = 0
    while day in have:
        count += 1
        day -= timedelta(days=1)
    return count


def longest_streak(days: list[date]) -> int:
    best = run = 0
    previous: date | None = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return best


# -- tracked time --------------------------------------------------------------------------


@dataclass(slots=True)
class Span:
    start: datetime
    end: datetime
    project_id: str | None
    block: bool  # a completed block without entries, rather than tracked time


def entry_spans(
    session: Session, principal: Principal, start: datetime | None, end: datetime, now: datetime
) -> list[Span]:
    cond = [
        TimeEntry.user_id == principal.user_id,
        TimeEntry.livemode == principal.livemode,
        TimeEntry.start_at < end,
    ]
    if start is not None:
        cond.append(or_(TimeEntry.end_at.is_(None), TimeEntry.end_at > start))
    rows = session.execute(
        select(TimeEntry.start_at, TimeEntry.end_at, TimeEntry.project_id).where(*cond)
    )
    # A running entry counts up to now.
    return [Span(r[0], r[1] or max(now, r[0]), r[2], False) for r in rows]


def block_spans(session: Session, principal: Principal, first: date, last: date) -> list[Span]:
    """Completed blocks of the days with no time entry, as spans of their instants."""
    rows = session.execute(
        select(Block.start_at, Block.end_at, Block.project_id).where(
            *_counted(principal),
            Block.done.is_(True),
            Block.has_time_entry.is_(False),
            and_(Block.date >= first, Block.date <= last),
        )
    )
    return [Span(r[0], r[1], r[2], True) for r in rows]


def hour_pieces(start: datetime, end: datetime, tz_name: str) -> Iterator[tuple[date, int, int]]:
    """(local date, local hour, seconds) of [start, end), cut at every local hour."""
    tz = zone(tz_name)
    cursor = start
    while cursor < end:
        local = cursor.astimezone(tz)
        into = local.minute * 60 + local.second + local.microsecond / 1_000_000
        boundary = cursor + timedelta(seconds=3600 - into)
        piece_end = min(end, boundary)
        yield local.date(), local.hour, int((piece_end - cursor).total_seconds())
        cursor = piece_end


def seconds_by_day(spans: Iterable[Span], tz_name: str, first: date, last: date) -> dict[date, int]:
    lo, hi = local_midnight(first, tz_name), local_midnight(last + timedelta(days=1), tz_name)
    out: dict[date, int] = defaultdict(int)
    for s in spans:
        a, b = max(s.start, lo), min(s.end, hi)
        for day, _, seconds in hour_pieces(a, b, tz_name):
            out[day] += seconds
    return out


# -- /v1/stats -----------------------------------------------------------------------------


@dataclass(slots=True)
class Stats:
    period: str
    date_from: date
    date_to: date
    total_blocks: int
    completed_blocks: int
    completion_rate: float
    streak_days: int
    total_minutes: int
    scheduled_minutes: int
    tracked_minutes: int
    heatmap: dict[str, int]


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
    # all: from the first day with a block or an entry to today, or the last planned day
    bounds = session.execute(
        select(func.min(Block.date), func.max(Block.date)).where(*_counted(principal))
    ).one()
    first_entry = session.scalar(
        select(func.min(TimeEntry.start_at)).where(
            TimeEntry.user_id == principal.user_id, TimeEntry.livemode == principal.livemode
        )
    )
    starts = [d for d in (bounds[0],) if d is not None]
    if first_entry is not None:
        starts.append(first_entry.astimezone(zone(principal.timezone)).date())
    first = min([*starts, today])
    last = max(today, bounds[1] or today)
    return "all", first, last


def stats(
    session: Session,
    principal: Principal,
    now: datetime,
    period: str | None,
    date_from: date | None,
    date_to: date | None,
) -> Stats:
    today = local_today(now, principal.timezone)
    name, first, last = period_days(session, principal, today, period, date_from, date_to)
    days = block_days(session, principal, first, last)
    total = sum(d.total for d in days.values())
    completed = sum(d.completed for d in days.values())
    tz = principal.timezone
    end = local_midnight(last + timedelta(days=1), tz)
    tracked = seconds_by_day(
        entry_spans(session, principal, local_midnight(first, tz), end, now), tz, first, last
    )
    heatmap = {}
    day = first
    while day <= last:
        heatmap[day.isoformat()] = days[day].completed if day in days else 0
        day += timedelta(days=1)
    return Stats(
        period=name,
        date_from=first,
        date_to=last,
        total_blocks=total,
        completed_blocks=completed,
        completion_rate=round(completed / total, 4) if total else 0.0,
        streak_days=current_streak(completed_days(session, principal, today), today),
        total_minutes=sum(d.completed_minutes for d in days.values()),
        scheduled_minutes=sum(d.scheduled_minutes for d in days.values()),
        tracked_minutes=sum(tracked.values()) // 60,
        heatmap=heatmap,
    )


# -- /v1/productivity ----------------------------------------------------------------------


@dataclass(slots=True)
class Focus:
    sessions: int
    average_minutes: float
    longest_minutes: int
    deep_work_share: float


@dataclass(slots=True)
class ProjectShare:
    project_id: str | None
    name: str
    minutes: int
    share: float


@dataclass(slots=True)
class PlanVsActual:
    project_id: str | None
    name: str
    scheduled_minutes: int
    tracked_minutes: int


@dataclass(slots=True)
class Productivity:
    weeks: int
    date_from: date
    date_to: date
    current_streak: int
    longest_streak: int
    total_minutes: int
    focus: Focus
    projects: list[ProjectShare]
    heatmap: dict[str, int]
    last_30_days: list[dict[str, Any]]
    by_weekday: list[dict[str, Any]]
    by_hour: list[dict[str, Any]]
    plan_vs_actual: list[PlanVsActual]


def productivity(session: Session, principal: Principal, now: datetime, weeks: int) -> Productivity:
    if not 1 <= weeks <= 52:
        raise ValidationFailed("weeks is 1 to 52", field="weeks")
    tz = principal.timezone
    today = local_today(now, tz)
    first = today - timedelta(days=7 * weeks - 1)
    month_first = today - timedelta(days=29)
    lo_day = min(first, month_first)
    lo, hi = local_midnight(lo_day, tz), local_midnight(today + timedelta(days=1), tz)

    entries = entry_spans(session, principal, lo, hi, now)
    blocks = block_spans(session, principal, lo_day, today)
    per_day: dict[date, int] = defaultdict(int)
    per_hour: dict[int, int] = defaultdict(int)
    per_weekday: dict[int, int] = defaultdict(int)
    per_project: dict[str | None, int] = defaultdict(int)
    tracked_project: dict[str | None, int] = defaultdict(int)
    window_lo = local_midnight(first, tz)
    for span in [*entries, *blocks]:
        for day, hour, seconds in hour_pieces(max(span.start, lo), min(span.end, hi), tz):
            per_day[day] += seconds
            if day >= first:
                per_hour[hour] += seconds
                per_weekday[day.weekday()] += seconds
                per_project[span.project_id] += seconds
                if not span.block:
                    tracked_project[span.project_id] += seconds

    # Focus sessions: whole entries and blocks of at least 25 minutes begun in the window.
    lengths = [
        int((s.end - s.start).total_seconds())
        for s in [*entries, *blocks]
        if s.start >= window_lo and (s.end - s.start).total_seconds() >= FOCUS_SECONDS
    ]
    window_seconds = sum(per_project.values())
    share = min(1.0, sum(lengths) / window_seconds) if window_seconds else 0.0
    focus = Focus(
        sessions=len(lengths),
        average_minutes=round(sum(lengths) / len(lengths) / 60, 1) if lengths else 0.0,
        longest_minutes=max(lengths) // 60 if lengths else 0,
        deep_work_share=round(share, 4),
    )

    scheduled = _scheduled_by_project(session, principal, first, today)
    names = _project_names(session, set(per_project) | set(scheduled) | set(tracked_project))
    projects = [
        ProjectShare(
            pid,
            names.get(pid, "(no project)") if pid else "(no project)",
            seconds // 60,
            round(seconds / window_seconds, 4) if window_seconds else 0.0,
        )
        for pid, seconds in sorted(per_project.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    ]
    plan = [
        PlanVsActual(
            pid,
            names.get(pid, "(no project)") if pid else "(no project)",
            scheduled.get(pid, 0),
            tracked_project.get(pid, 0) // 60,
        )
        for pid in sorted(set(scheduled) | set(tracked_project), key=lambda p: p or "")
    ]
    days = completed_days(session, principal, today)
    return Productivity(
        weeks=weeks,
        date_from=first,
        date_to=today,
        current_streak=current_streak(days, today),
        longest_streak=longest_streak(days),
        total_minutes=window_seconds // 60,
        focus=focus,
        projects=projects,
        heatmap={
            (first + timedelta(days=n)).isoformat(): per_day[first + timedelta(days=n)] // 60
            for n in range(7 * weeks)
        },
        last_30_days=[
            {
                "date": (month_first + timedelta(days=n)).isoformat(),
                "minutes": per_day[month_first + timedelta(days=n)] // 60,
            }
            for n in range(30)
        ],
        by_weekday=[{"weekday": WEEKDAYS[n], "minutes": per_weekday[n] // 60} for n in range(7)],
        by_hour=[{"hour": h, "minutes": per_hour[h] // 60} for h in range(24)],
        plan_vs_actual=plan,
    )


def _scheduled_by_project(
    session: Session, principal: Principal, first: date, last: date
) -> dict[str | None, int]:
    minutes = _block_minutes(session.get_bind().dialect.name)
    rows = session.execute(
        select(Block.project_id, func.sum(minutes))
        .where(*_counted(principal), Block.date >= first, Block.date <= last)
        .group_by(Block.project_id)
    )
    return {r[0]: int(r[1] or 0) for r in rows}


def _project_names(session: Session, ids: set[str | None]) -> dict[str | None, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = session.execute(select(Project.id, Project.name).where(Project.id.in_(wanted)))
    return {r[0]: r[1] for r in rows}
