"""The productivity report (SPEC §3 "Statistics"): ``/v1/productivity?weeks=N``.

Productive time is tracked time plus done blocks that have no time entry (a block tracked
with the timer counts once, as its entries), each minute on the local day and hour of the
account's zone now. Every figure is summed in the database from the quarter-hour rollup,
one query per stretch of the window with one UTC offset (two or three a year where the
clocks change); only the running entry is spread in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Project
from timeboxd.db.rollups import (
    StatsBlockProject,
    StatsDayProject,
    StatsSlot,
    StatsSlotProject,
)
from timeboxd.domain.days import local_midnight
from timeboxd.domain.stats import (
    EPOCH_ORDINAL,
    FOCUS_SECONDS,
    SLOT,
    SLOTS_PER_DAY,
    Run,
    current_streak,
    longest_streak,
    offset_runs,
    slot_of,
    whole_days,
)
from timeboxd.domain.wallclock import local_today
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.stats import (
    DayMinutes,
    FocusOut,
    HourMinutes,
    PlanVsActualOut,
    ProductivityOut,
    ProjectShareOut,
    WeekdayMinutes,
)
from timeboxd.services.context import Principal
from timeboxd.services.insights.stats import Running, completed_days, running, slots_of

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NO_PROJECT = "(no project)"


@dataclass(slots=True)
class Sums:
    """Productive seconds of the window, gathered from the rollup and the running entry."""

    per_day: dict[date, int]
    per_hour: dict[int, int]
    per_project: dict[str | None, int]
    tracked_project: dict[str | None, int]
    focus_count: int = 0
    focus_seconds: int = 0
    longest: int = 0


def _pid(key: str | None) -> str | None:
    return key or None


def _gather(session: Session, principal: Principal, runs: list[Run], window: int, hi: int) -> Sums:
    """Per-day sums over every run; per-hour, per-project and focus over [window, hi)."""
    s = StatsSlot
    sums = Sums(defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int))
    productive = func.sum(s.tracked_seconds + s.block_seconds)
    for run in runs:
        local = s.slot + literal(run.offset)
        day = local // literal(SLOTS_PER_DAY)
        for d, seconds in session.execute(
            select(day, productive).where(*slots_of(principal, run.first, run.last)).group_by(day)
        ):
            sums.per_day[date.fromordinal(EPOCH_ORDINAL + int(d))] += int(seconds)
        first = max(run.first, window)
        if first >= run.last:
            continue
        hour = local % literal(SLOTS_PER_DAY) // literal(4)
        for h, seconds in session.execute(
            select(hour, productive).where(*slots_of(principal, first, run.last)).group_by(hour)
        ):
            sums.per_hour[int(h)] += int(seconds)
    for key, tracked, blocks in _by_project(session, principal, window, hi):
        if tracked + blocks > 0:
            sums.per_project[_pid(key)] += tracked + blocks
        if tracked > 0:
            sums.tracked_project[_pid(key)] += tracked
    focus = session.execute(
        select(
            func.sum(s.focus_count),
            func.sum(s.focus_seconds),
            func.max(s.entry_longest),
            func.max(s.block_longest),
        ).where(*slots_of(principal, window, hi))
    ).one()
    sums.focus_count = int(focus[0] or 0)
    sums.focus_seconds = int(focus[1] or 0)
    sums.longest = max(int(focus[2] or 0), int(focus[3] or 0))
    return sums


def _by_project(
    session: Session, principal: Principal, first: int, last: int
) -> list[tuple[str, int, int]]:
    """(project key, tracked, block seconds) of slots [first, last): whole UTC days from the
    day rollup, the edges from the quarter hours."""
    edges, (lo, hi) = whole_days(first, last)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    queries = []
    for a, b in edges:
        if a < b:
            p = StatsSlotProject
            queries.append(
                select(p.project_key, func.sum(p.tracked_seconds), func.sum(p.block_seconds))
                .where(
                    p.user_id == principal.user_id,
                    p.livemode == principal.livemode,
                    p.slot >= a,
                    p.slot < b,
                )
                .group_by(p.project_key)
            )
    if lo < hi:
        d = StatsDayProject
        queries.append(
            select(d.project_key, func.sum(d.tracked_seconds), func.sum(d.block_seconds))
            .where(
                d.user_id == principal.user_id,
                d.livemode == principal.livemode,
                d.day >= lo,
                d.day < hi,
            )
            .group_by(d.project_key)
        )
    for query in queries:
        for key, tracked, blocks in session.execute(query):
            out[key][0] += int(tracked)
            out[key][1] += int(blocks)
    return [(key, v[0], v[1]) for key, v in out.items()]


def _add_running(sums: Sums, timer: Running, runs: list[Run], window: int, hi: int) -> None:
    for run in runs:
        for slot, seconds in timer.slots(run.first, run.last):
            sums.per_day[run.day(slot)] += seconds
            if slot >= window:
                sums.per_hour[run.hour(slot)] += seconds
                sums.per_project[timer.project_id] += seconds
                sums.tracked_project[timer.project_id] += seconds
    length = timer.end - timer.start
    if length >= FOCUS_SECONDS and window <= timer.start // SLOT < hi:
        sums.focus_count += 1
        sums.focus_seconds += length
        sums.longest = max(sums.longest, length)


def _minutes(sums: Sums, day: date) -> int:
    return sums.per_day.get(day, 0) // 60


def productivity(
    session: Session, principal: Principal, now: datetime, weeks: int
) -> ProductivityOut:
    if not 1 <= weeks <= 52:
        raise ValidationFailed("weeks is 1 to 52", field="weeks")
    tz = principal.timezone
    today = local_today(now, tz)
    first = today - timedelta(days=7 * weeks - 1)
    month_first = today - timedelta(days=29)
    lo = slot_of(local_midnight(min(first, month_first), tz))
    hi = slot_of(local_midnight(today + timedelta(days=1), tz))
    window = slot_of(local_midnight(first, tz))
    runs = offset_runs(lo, hi, tz)
    sums = _gather(session, principal, runs, window, hi)
    timer = running(session, principal, now)
    if timer is not None:
        _add_running(sums, timer, runs, window, hi)

    total = sum(sums.per_project.values())
    count = sums.focus_count
    focus = FocusOut(
        sessions=count,
        average_minutes=round(sums.focus_seconds / count / 60, 1) if count else 0.0,
        longest_minutes=sums.longest // 60,
        deep_work_share=round(min(1.0, sums.focus_seconds / total), 4) if total else 0.0,
    )
    scheduled = _scheduled_by_project(session, principal, first, today)
    names = _project_names(session, set(sums.per_project) | set(scheduled))
    projects = [
        ProjectShareOut(pid, names.get(pid, NO_PROJECT), seconds // 60, round(seconds / total, 4))
        for pid, seconds in sorted(sums.per_project.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    ]
    plan = [
        PlanVsActualOut(
            pid,
            names.get(pid, NO_PROJECT),
            scheduled.get(pid, 0),
            sums.tracked_project.get(pid, 0) // 60,
        )
        for pid in sorted(set(scheduled) | set(sums.tracked_project), key=lambda p: p or "")
    ]
    per_weekday: dict[int, int] = defaultdict(int)
    for day, seconds in sums.per_day.items():
        if first <= day <= today:
            per_weekday[day.weekday()] += seconds
    days = completed_days(session, principal, today)
    return ProductivityOut(
        weeks=weeks,
        date_from=first,
        date_to=today,
        current_streak=current_streak(days, today),
        longest_streak=longest_streak(days),
        total_minutes=total // 60,
        focus=focus,
        projects=projects,
        heatmap={
            (first + timedelta(days=n)).isoformat(): _minutes(sums, first + timedelta(days=n))
            for n in range(7 * weeks)
        },
        last_30_days=[
            DayMinutes(
                month_first + timedelta(days=n), _minutes(sums, month_first + timedelta(days=n))
            )
            for n in range(30)
        ],
        by_weekday=[WeekdayMinutes(WEEKDAYS[n], per_weekday[n] // 60) for n in range(7)],
        by_hour=[HourMinutes(h, sums.per_hour[h] // 60) for h in range(24)],
        plan_vs_actual=plan,
    )


def _scheduled_by_project(
    session: Session, principal: Principal, first: date, last: date
) -> dict[str | None, int]:
    d = StatsBlockProject
    rows = session.execute(
        select(d.project_key, func.sum(d.scheduled_minutes))
        .where(
            d.user_id == principal.user_id,
            d.livemode == principal.livemode,
            d.date >= first,
            d.date <= last,
        )
        .group_by(d.project_key)
    )
    return {_pid(r[0]): int(r[1]) for r in rows if int(r[1]) > 0}


def _project_names(session: Session, ids: set[str | None]) -> dict[str | None, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = session.execute(select(Project.id, Project.name).where(Project.id.in_(wanted)))
    return {r[0]: r[1] for r in rows}
