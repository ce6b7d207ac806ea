"""The database's part of a report (services.reports): the entries it reads, by the index
each set of them can use, and the sums of those lying wholly inside the report (or inside
one local day, for day and week groups), computed in SQL integers with the same arithmetic
as the Python path, so that both agree to the second and the cent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    select,
    text,
    true,
    values,
)
from sqlalchemy.orm import Session

from timeboxd.db.models import Project, Workspace, WorkspaceMember
from timeboxd.db.tracking import TimeEntry, entry_tags
from timeboxd.db.types import UTCDateTime
from timeboxd.domain.days import local_midnight, week_of
from timeboxd.services.accounts.access import managed_workspaces
from timeboxd.services.context import Principal

# 64-bit: seconds (up to a week) times a rate in cents (up to 100,000,000) overflow the
# 32 bits of PostgreSQL's integer long before a sum would.
RATE_CENTS = cast(func.round(Project.hourly_rate * 100), BigInteger)


@dataclass(slots=True)
class Acc:
    """Sums for one (group, currency)."""

    tracked: int = 0
    billable: int = 0
    cents: int = 0

    def add(self, row: Any) -> None:
        """A summed row of the database (``tracked``, ``billable``, ``cents``)."""
        self.tracked += int(row.tracked or 0)
        self.billable += int(row.billable or 0)
        self.cents += int(row.cents or 0)


@dataclass(slots=True)
class Entry:
    id: str
    user_id: str
    project_id: str | None
    client_id: str | None
    task_id: str | None
    billable: bool
    start_at: datetime
    end_at: datetime | None
    rate_cents: int | None
    currency: str | None
    description: str = ""
    approval_status: str = "draft"
    tags: list[str] = field(default_factory=list)


def entries_of(
    session: Session, cond: list[Any], extra: Iterable[Any] = (), days: Any = None
) -> Iterator[Entry]:
    stmt = (
        select(
            TimeEntry.id,
            TimeEntry.user_id,
            TimeEntry.project_id,
            Project.client_id,
            TimeEntry.task_id,
            TimeEntry.billable,
            TimeEntry.start_at,
            TimeEntry.end_at,
            RATE_CENTS.label("rate_cents"),
            Project.currency,
            TimeEntry.description,
            TimeEntry.approval_status,
        )
        .outerjoin(Project, Project.id == TimeEntry.project_id)
        .where(*cond)
        .order_by(TimeEntry.start_at, TimeEntry.id)
    )
    if days is None:
        stmt = stmt.where(*extra)
    elif lateral(session):  # ``extra`` may name the day: it goes with it
        # OFFSET 0 keeps PostgreSQL from flattening the subquery back into a plain join.
        per_day = stmt.where(starts_on(days), *extra).order_by(None).offset(0).lateral("per_day")
        stmt = (
            select(*per_day.c)
            .join_from(days, per_day, true())
            .order_by(per_day.c.start_at, per_day.c.id)
        )
    else:
        stmt = stmt.join(days, starts_on(days)).where(*extra)
    for r in session.execute(stmt):
        yield Entry(
            r.id,
            r.user_id,
            r.project_id,
            r.client_id,
            r.task_id,
            bool(r.billable),
            r.start_at,
            r.end_at,
            r.rate_cents,
            r.currency,
            r.description,
            r.approval_status,
        )


def tags_of(session: Session, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(ids), 5000):
        rows = session.execute(
            select(entry_tags.c.entry_id, entry_tags.c.tag_id)
            .where(entry_tags.c.entry_id.in_(ids[i : i + 5000]))
            .order_by(entry_tags.c.tag_id)
        )
        for entry_id, tag_id in rows:
            out[entry_id].append(tag_id)
    return out


class Sums:
    def __init__(self) -> None:
        self.groups: dict[tuple[str | None, str | None], Acc] = defaultdict(Acc)
        self.totals: dict[str | None, Acc] = defaultdict(Acc)

    def add(
        self,
        keys: list[str | None],
        currency: str | None,
        seconds: int,
        billable: bool,
        amount: int,
    ) -> None:
        for key in keys:
            acc = self.groups[(key, currency)]
            acc.tracked += seconds
            acc.billable += seconds if billable else 0
            acc.cents += amount
        total = self.totals[currency]
        total.tracked += seconds
        total.billable += seconds if billable else 0
        total.cents += amount


LONG = 7 * 24 * 3600  # entries longer than this are few and have a partial index (0007)


def crossing_start(start: Any, week_before: Any = None) -> list[list[Any]]:
    """Ended entries begun before ``start`` that end after it, as two sets: those begun
    within the week before (most; an index range on the start), and the few longer ones,
    found through their own small indexes (0007, 0014). ``start`` is an instant, or a bound
    parameter with ``week_before`` the one for the instant a week earlier."""
    # One lower and one upper bound on start_at each, computed here: given two, the database
    # may bound its index scan by the looser one.
    if week_before is None:
        week_before = start - timedelta(seconds=LONG)
    ended = TimeEntry.end_at.is_not(None)
    return [
        [
            ended,
            TimeEntry.start_at >= week_before,
            TimeEntry.start_at < start,
            TimeEntry.end_at > start,
        ],
        # Bounds on the columns themselves would have the database prefer the large
        # (user, mode, start) index, read unbounded below, when it also sorts by the start.
        [_long(), unindexed(TimeEntry.start_at) < week_before, unindexed(TimeEntry.end_at) > start],
    ]


def _long() -> Any:
    """Entries longer than a week (stopped ones: a running entry has no duration)."""
    # Written out, not bound: only then can the database match the partial index's condition.
    return text(f"time_entries.duration_seconds > {LONG}")


def unindexed(column: Any) -> Any:
    """``column`` as an expression that no index holds, for a condition the database must
    test on the rows a small partial index finds: given the column itself, both databases
    may rather read a large index that holds it, unbounded."""
    return func.coalesce(column, column)


def running(before: Any) -> list[Any]:
    """Running entries begun before ``before``: at most one per user and mode, read through
    the partial indexes of running entries (per user, and per workspace since 0014). The
    start is tested on the rows found: compared as the column, both databases read the
    (user, mode, start) index from its first entry instead."""
    return [TimeEntry.end_at.is_(None), unindexed(TimeEntry.start_at) < before]


def edges(start: datetime, end: datetime) -> list[list[Any]]:
    """The entries of [start, end) not wholly inside it, as disjoint sets that each have an
    index to read: crossing the start (``crossing_start``), crossing the end, and still
    running."""
    late = max(start, end - timedelta(seconds=LONG))  # an entry crossing the end began after
    ended = TimeEntry.end_at.is_not(None)
    return [
        *crossing_start(start),
        # begun inside, crossing the end
        [ended, TimeEntry.start_at >= late, TimeEntry.start_at < end, TimeEntry.end_at > end],
        [
            _long(),
            TimeEntry.start_at >= start,
            TimeEntry.start_at < late,
            unindexed(TimeEntry.end_at) > end,
        ],
        running(end),
    ]


def overlapping(start: Any, end: Any, week_before: Any = None) -> list[list[Any]]:
    """The entries overlapping [start, end) (``None``: open on that side) as disjoint sets
    that each have an index bounded below: begun inside, ended ones crossing the start
    (``crossing_start``, which also says what ``week_before`` is), and running ones begun
    before it.

    Not one condition ``start_at < end AND (end_at > start OR end_at IS NULL)``: that has
    no lower bound on the start for an index, and the database reads every entry of the
    owner up to the range's end."""
    before_end = [] if end is None else [TimeEntry.start_at < end]
    if start is None:
        return [before_end]
    return [
        [TimeEntry.start_at >= start, *before_end],
        *crossing_start(start, week_before),
        running(start),
    ]


def visibility(session: Session, principal: Principal, user_id: str | None) -> list[Any]:
    """What the caller may see (services.entries.visible_entry) as alternatives that each
    use an index: their own entries, and others' entries in workspaces they manage
    (``user_id``: only that person's). One query with the OR of both would scan every
    entry."""
    own = and_(TimeEntry.user_id == principal.user_id, TimeEntry.livemode == principal.livemode)
    # A personal workspace has no other members: only shared ones can hold others' time.
    shared = select(Workspace.id).where(Workspace.personal.is_(False))
    managed = list(
        session.scalars(
            managed_workspaces(principal).where(WorkspaceMember.workspace_id.in_(shared))
        )
    )
    parts: list[Any] = []
    if user_id in (None, principal.user_id):
        parts.append(own)
    if managed and user_id != principal.user_id:
        others = and_(
            TimeEntry.workspace_id.in_(managed),
            TimeEntry.livemode == principal.livemode,
            TimeEntry.user_id != principal.user_id,
        )
        parts.append(others if user_id is None else and_(others, TimeEntry.user_id == user_id))
    return parts


def day_table(first: date, last: date, tz_name: str, group_by: str, week_start: str) -> Any:
    """The report's local days as a VALUES table: the group key (the day, or its week) and
    the instants the day begins and ends, so the database can sum the entries lying within
    one local day (most of them) with the day's key."""
    periods = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        key = day if group_by == "day" else week_of(day, week_start)
        periods.append((key.isoformat(), day, day))
    return period_table(periods, tz_name, "report_days")


def period_table(periods: list[tuple[str, date, date]], tz_name: str, name: str) -> Any:
    """Periods of local days ``(key, first day, last day)`` as a VALUES table of the key and
    the instants the period begins and ends (at local midnight)."""
    rows = [
        (key, local_midnight(first, tz_name), local_midnight(last + timedelta(days=1), tz_name))
        for key, first, last in periods
    ]
    columns = (column("key", String), column("lo", UTCDateTime()), column("hi", UTCDateTime()))
    # A CTE rather than VALUES in FROM: SQLite cannot name the columns of the latter.
    return values(*columns, name=name).data(rows).cte(name)


def starts_on(days: Any) -> Any:
    return and_(TimeEntry.start_at >= days.c.lo, TimeEntry.start_at < days.c.hi)


def lateral(session: Session) -> bool:
    """Whether to read the day table as the outer loop through LATERAL, each day one index
    scan (PostgreSQL). Given a plain join, PostgreSQL compares every entry with every day;
    SQLite, which has no LATERAL, already scans the index once per day."""
    return session.get_bind().dialect.name == "postgresql"


def measured(rounding_mode: str, step: int) -> tuple[Any, Any, Any]:
    """An ended entry's rounded seconds, its billable seconds and its amount in cents, as
    SQL integers: the arithmetic of services.reports (``rounded``, ``cents``)."""
    d = TimeEntry.duration_seconds
    if step <= 0:
        seconds: Any = d
    elif rounding_mode == "down":
        seconds = d // step * step
    elif rounding_mode == "nearest":
        seconds = (d + step // 2) // step * step
    else:
        seconds = (d + (step - 1)) // step * step
    amount = case(
        (
            and_(TimeEntry.billable.is_(True), RATE_CENTS.is_not(None)),
            (seconds * RATE_CENTS + 1800) // 3600,
        ),
        else_=0,
    )
    billable = case((TimeEntry.billable.is_(True), seconds), else_=0)
    return seconds, billable, amount


def summed_measures(rounding_mode: str, step: int) -> tuple[Any, Any, Any]:
    """The sums of ``measured``: ``tracked``, ``billable`` and ``cents``."""
    seconds, billable, amount = measured(rounding_mode, step)
    return (
        func.sum(seconds).label("tracked"),
        func.sum(billable).label("billable"),
        func.sum(amount).label("cents"),
    )


def sum_inside(
    session: Session,
    cond: list[Any],
    group_by: str,
    rounding_mode: str,
    step: int,
    start: datetime,
    end: datetime,
    sums: Sums,
    days: Any = None,
) -> None:
    """Entries wholly inside the report (with a day table: wholly inside one local day),
    summed by the database in integers."""
    key_column: Any = {
        "project": TimeEntry.project_id,
        "client": Project.client_id,
        "task": TimeEntry.task_id,
        "user": TimeEntry.user_id,
        "tag": entry_tags.c.tag_id,
    }.get(group_by, days.c.key if days is not None else None)
    # With a day table, each day bounds its own index scan (a bound over the whole report
    # would have the database scan every entry of it once per day instead).
    if days is None:
        inside = [TimeEntry.start_at >= start, TimeEntry.start_at < end, TimeEntry.end_at <= end]
    else:
        inside = [TimeEntry.end_at <= days.c.hi]
    inside.append(TimeEntry.end_at.is_not(None))
    measures = summed_measures(rounding_mode, step)

    def summed(*columns: Any) -> Any:
        return (
            select(*columns, Project.currency, *measures)
            .select_from(TimeEntry)
            .outerjoin(Project, Project.id == TimeEntry.project_id)
            .where(*cond, *inside)
        )

    stmt = summed(key_column.label("key")).group_by(key_column, Project.currency)
    if group_by == "tag":
        stmt = stmt.outerjoin(entry_tags, entry_tags.c.entry_id == TimeEntry.id)
    if days is not None and lateral(session):
        per_day = summed().where(starts_on(days)).group_by(Project.currency).lateral("per_day")
        stmt = select(days.c.key.label("key"), *per_day.c).join_from(days, per_day, true())
    elif days is not None:
        stmt = stmt.join(days, starts_on(days))
    rows = session.execute(stmt).all()
    for r in rows:
        sums.groups[(r.key, r.currency)].add(r)
    if group_by == "tag":  # totals count each entry once, whatever its tags
        rows = session.execute(summed().group_by(Project.currency)).all()
    for r in rows:
        sums.totals[r.currency].add(r)


Period = tuple[str, datetime, datetime]  # a key and the instants it begins and ends


def period_end(periods: list[Period]) -> Any:
    """The end of the period (of contiguous ``periods``, in order) an entry begins in, as
    SQL over its start: a CASE the database computes on each row it reads in one index
    range scan (a table of periods would be a scan per period), nested as a binary search
    so that a row costs a few comparisons however many periods there are."""
    if len(periods) == 1:
        return literal(periods[0][2], UTCDateTime())
    middle = len(periods) // 2
    return case(
        (TimeEntry.start_at < periods[middle - 1][2], period_end(periods[:middle])),
        else_=period_end(periods[middle:]),
    )


def sum_by_period(session: Session, cond: list[Any], periods: list[Period]) -> list[Any]:
    """Ended entries lying wholly inside one of ``periods``, summed exactly (no rounding)
    per period, project and whether the entry is approved: rows of ``key, project_id,
    client_id, currency, approved, tracked, billable, cents`` (a project has one client
    and currency: they are not grouped by)."""
    end = period_end(periods)
    tracked, billable, amount = measured("up", 0)
    approved = case((TimeEntry.approval_status == "approved", 1), else_=0)
    rows = (
        select(
            end.label("period_end"),
            TimeEntry.project_id.label("project_id"),
            Project.client_id.label("client_id"),
            Project.currency.label("currency"),
            approved.label("approved"),
            tracked.label("tracked"),
            billable.label("billable"),
            amount.label("cents"),
        )
        .select_from(TimeEntry)
        .outerjoin(Project, Project.id == TimeEntry.project_id)
        .where(
            *cond,
            TimeEntry.start_at >= periods[0][1],
            TimeEntry.start_at < periods[-1][2],
            TimeEntry.end_at <= end,
        )
        .subquery("per_entry")
    )
    keys = (rows.c.period_end, rows.c.project_id, rows.c.approved)
    stmt = select(
        *keys,
        func.min(rows.c.client_id).label("client_id"),
        func.min(rows.c.currency).label("currency"),
        func.sum(rows.c.tracked).label("tracked"),
        func.sum(rows.c.billable).label("billable"),
        func.sum(rows.c.cents).label("cents"),
    ).group_by(*keys)
    key_of = {hi: key for key, _, hi in periods}
    return [
        SimpleNamespace(**r._asdict(), key=key_of[r.period_end])
        for r in session.execute(stmt).all()
    ]
