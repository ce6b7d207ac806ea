"""Reports over tracked time (SPEC §3 "Reports"): a summary grouped by project, client,
task, tag, user, day or week, and the detailed entries, with report-time rounding.

The rules (docs/api.md "Reports and exports"):

- An entry counts for the part of it inside the report's local days; a running entry
  counts up to now. Day and week groups split an entry at local midnights.
- Rounding (``rounding`` minutes, ``up``/``nearest``/``down``) applies to each entry's
  seconds in each group (each day, for day and week groups) and never to stored entries.
- An amount is the rounded billable seconds * the project's hourly rate / 3600, rounded
  half up to the cent for each entry piece, in whole cents, so a group's amount is the sum
  of its entries' and the totals are the sum of every entry's, whatever the grouping.
- A group has one currency: projects of different currencies make separate rows.
- Totals count each entry once (an entry with two tags is in two tag groups).

Most entries of a long report lie wholly inside it, and most within one local day: the
database sums those in integers (for day and week groups, joined to a table of the report's
local days with the instants each begins and ends); only entries that cross the report's
edges (or, for day and week groups, a local midnight) or are still running are cut in
Python. Both paths use the same integer arithmetic, so they agree to the second and cent;
the database's part is services.report_rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from timeboxd.db.models import Project, User
from timeboxd.db.tracking import Client, Tag, Task, TimeEntry, entry_tags
from timeboxd.domain.days import local_midnight, split_by_day, week_of
from timeboxd.domain.wallclock import local_today, zone
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.reports import (
    AmountOut,
    DetailedOut,
    DetailedPage,
    DetailRowOut,
    GroupOut,
    ReportParams,
    SummaryOut,
    TotalsOut,
)
from timeboxd.services.context import Principal
from timeboxd.services.paging import PageRequest
from timeboxd.services.tracking.report_rows import (
    Acc,
    Entry,
    Sums,
    day_table,
    edges,
    entries_of,
    overlapping,
    running,
    sum_inside,
    tags_of,
    visibility,
)

GROUPS = ("project", "client", "task", "tag", "user", "day", "week")
MAX_DAYS = 3 * 366


@dataclass(slots=True)
class ReportQuery:
    group_by: str = "project"
    date_from: date | None = None
    date_to: date | None = None
    project_id: str | None = None
    client_id: str | None = None
    task_id: str | None = None
    tag_id: str | None = None
    user_id: str | None = None
    billable: bool | None = None
    rounding: int = 0  # minutes; 0 keeps the exact seconds
    rounding_mode: str = "up"

    @classmethod
    def of(cls, p: ReportParams, group_by: str = "project") -> ReportQuery:
        return cls(
            group_by=group_by,
            date_from=p.date_from,
            date_to=p.date_to,
            project_id=p.project_id,
            client_id=p.client_id,
            task_id=p.task_id,
            tag_id=p.tag_id,
            user_id=p.user_id,
            billable=p.billable,
            rounding=p.rounding,
            rounding_mode=p.rounding_mode,
        )


# -- the arithmetic, shared by the database path and the Python path --------------------


def rounded(seconds: int, step: int, mode: str) -> int:
    if step <= 0 or seconds <= 0:
        return max(0, seconds)
    if mode == "down":
        return seconds // step * step
    if mode == "nearest":
        return (seconds + step // 2) // step * step
    return (seconds + step - 1) // step * step


def cents(seconds: int, rate_cents: int | None) -> int:
    """Half up to the cent of seconds * rate / 3600, in integers (exact)."""
    if not rate_cents:
        return 0
    return (seconds * rate_cents + 1800) // 3600


def money(total_cents: int) -> str:
    return str((Decimal(total_cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# -- the report's range and the rows it reads ----------------------------------------------


def resolve_range(principal: Principal, now: datetime, q: ReportQuery) -> tuple[date, date]:
    """Local days [from, to]; by default the current calendar month."""
    today = local_today(now, principal.timezone)
    first = q.date_from or (q.date_to or today).replace(day=1)
    last = q.date_to or max(first, today)
    if last < first:
        raise ValidationFailed("date_to must not be before date_from", field="date_to")
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(f"a report covers at most {MAX_DAYS} days", field="date_to")
    return first, last


def _conditions(q: ReportQuery, visible: Any) -> list[Any]:
    """The report's filters, without its range (each query adds the part of it it reads,
    so that the database bounds its index scan by that part only)."""
    cond: list[Any] = [visible]
    if q.project_id is not None:
        cond.append(TimeEntry.project_id == q.project_id)
    if q.client_id is not None:
        cond.append(Project.client_id == q.client_id)
    if q.task_id is not None:
        cond.append(TimeEntry.task_id == q.task_id)
    if q.billable is not None:
        cond.append(TimeEntry.billable.is_(q.billable))
    if q.tag_id is not None:
        tagged = select(entry_tags.c.entry_id).where(entry_tags.c.tag_id == q.tag_id)
        cond.append(TimeEntry.id.in_(tagged))
    return cond


def pieces_of(
    e: Entry, start: datetime, end: datetime, now: datetime, tz_name: str, by_day: bool
) -> list[tuple[date | None, int]]:
    """The entry's seconds inside [start, end), whole or split by local day."""
    lo, hi = max(e.start_at, start), min(e.end_at or max(now, e.start_at), end)
    if hi <= lo:
        return []
    if by_day:
        return list(split_by_day(lo, hi, tz_name))
    return [(None, int((hi - lo).total_seconds()))]


def _keys(e: Entry, group_by: str, day: date | None, week_start: str) -> list[str | None]:
    if group_by == "project":
        return [e.project_id]
    if group_by == "client":
        return [e.client_id]
    if group_by == "task":
        return [e.task_id]
    if group_by == "user":
        return [e.user_id]
    if group_by == "tag":
        return list(e.tags) or [None]
    assert day is not None
    return [day.isoformat() if group_by == "day" else week_of(day, week_start).isoformat()]


def summary(session: Session, principal: Principal, now: datetime, q: ReportQuery) -> SummaryOut:
    if q.group_by not in GROUPS:
        raise ValidationFailed(f"group_by is one of {', '.join(GROUPS)}", field="group_by")
    first, last = resolve_range(principal, now, q)
    tz = principal.timezone
    start, end = local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)
    step = q.rounding * 60
    sums = Sums()
    by_day = q.group_by in ("day", "week")
    days = day_table(first, last, tz, q.group_by, principal.week_start) if by_day else None
    entries: list[Entry] = []
    for visible in visibility(session, principal, q.user_id):
        cond = _conditions(q, visible)
        sum_inside(session, cond, q.group_by, q.rounding_mode, step, start, end, sums, days)
        if days is None:
            for edge in edges(start, end):
                entries += entries_of(session, cond, edge)
            continue
        for edge in edges(start, end)[:2]:  # ended, crossing the report's start
            entries += entries_of(session, cond, edge)
        entries += entries_of(session, cond, running(end))
        # Ended, begun inside the report, crossing the end of their day: a condition on the
        # end alone (no OR), which the (user, mode, start, end) index tests for each day.
        entries += entries_of(session, cond, [TimeEntry.end_at > days.c.hi], days)
    if q.group_by == "tag":
        tags = tags_of(session, [e.id for e in entries])
        for e in entries:
            e.tags = tags.get(e.id, [])
    for e in entries:
        for day, seconds in pieces_of(e, start, end, now, tz, by_day):
            seconds = rounded(seconds, step, q.rounding_mode)
            amount = cents(seconds, e.rate_cents) if e.billable else 0
            keys = _keys(e, q.group_by, day, principal.week_start)
            sums.add(keys, e.currency, seconds, e.billable, amount)
    groups = labelled(session, principal, q.group_by, sums)
    return SummaryOut(
        q.group_by, first, last, q.rounding, q.rounding_mode, groups, totals_of(sums.totals)
    )


def totals_of(totals: dict[str | None, Acc]) -> TotalsOut:
    currencies = sorted(
        (c for c, acc in totals.items() if acc.cents or c is not None),
        key=lambda c: (c is None, c or ""),
    )
    by_currency = [AmountOut(c, money(totals[c].cents)) for c in currencies]
    single = by_currency[0] if len(by_currency) == 1 else None
    return TotalsOut(
        tracked_seconds=sum(a.tracked for a in totals.values()),
        billable_seconds=sum(a.billable for a in totals.values()),
        billable_amount=single.billable_amount if single else ("0.00" if not by_currency else None),
        currency=single.currency if single else None,
        by_currency=by_currency,
    )


NONE_LABELS = {
    "project": "(no project)",
    "client": "(no client)",
    "task": "(no task)",
    "tag": "(no tag)",
}


def _names(session: Session, group_by: str, keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    model: Any = {"project": Project, "client": Client, "task": Task, "tag": Tag}.get(group_by)
    if model is not None:
        rows = session.execute(select(model.id, model.name).where(model.id.in_(keys)))
        return {r.id: r.name for r in rows}
    if group_by == "user":
        rows = session.execute(select(User.id, User.name, User.email).where(User.id.in_(keys)))
        return {r.id: r.name or r.email for r in rows}
    return {}


def labelled(session: Session, principal: Principal, group_by: str, sums: Sums) -> list[GroupOut]:
    keys = {k for k, _ in sums.groups if k is not None}
    names = _names(session, group_by, keys)
    groups = []
    for (key, currency), acc in sums.groups.items():
        if key is None:
            label = NONE_LABELS[group_by]
        elif group_by == "day":
            label = key
        elif group_by == "week":
            label = f"Week of {key}"
        else:
            label = names.get(key, key)
        groups.append(GroupOut(key, label, acc.tracked, acc.billable, money(acc.cents), currency))
    if group_by in ("day", "week"):
        groups.sort(key=lambda g: (g.key or "", g.currency or ""))
    else:
        groups.sort(key=lambda g: (-g.tracked_seconds, g.label.lower(), g.currency or ""))
    return groups


# -- the detailed report -------------------------------------------------------------------


def detailed(session: Session, principal: Principal, now: datetime, q: ReportQuery) -> DetailedOut:
    """Every entry of the report, cut to its days and rounded as the summary does it (one
    row per entry; rounding per entry)."""
    first, last = resolve_range(principal, now, q)
    tz = principal.timezone
    start, end = local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)
    entries = [
        e
        for visible in visibility(session, principal, q.user_id)
        for part in overlapping(start, end)
        for e in entries_of(session, _conditions(q, visible), part)
    ]
    entries.sort(key=lambda e: (e.start_at, e.id))
    ids = [e.id for e in entries]
    tags = tags_of(session, ids)
    names = {
        kind: _names(session, kind, keys)
        for kind, keys in (
            ("project", {e.project_id for e in entries if e.project_id}),
            ("client", {e.client_id for e in entries if e.client_id}),
            ("task", {e.task_id for e in entries if e.task_id}),
            ("user", {e.user_id for e in entries}),
            ("tag", {t for ts in tags.values() for t in ts}),
        )
    }
    step, local = q.rounding * 60, zone(tz)
    rows, totals = [], Sums()
    for e in entries:
        seconds = sum(s for _, s in pieces_of(e, start, end, now, tz, False))
        seconds = rounded(seconds, step, q.rounding_mode)
        amount = cents(seconds, e.rate_cents) if e.billable else 0
        totals.add([], e.currency, seconds, e.billable, amount)
        rows.append(
            DetailRowOut(
                id=e.id,
                user_id=e.user_id,
                user=names["user"].get(e.user_id, e.user_id),
                date=e.start_at.astimezone(local).date(),
                start_at=e.start_at.astimezone(local),
                end_at=e.end_at.astimezone(local) if e.end_at else None,
                running=e.end_at is None,
                project_id=e.project_id,
                project=names["project"].get(e.project_id or ""),
                client_id=e.client_id,
                client=names["client"].get(e.client_id or ""),
                task_id=e.task_id,
                task=names["task"].get(e.task_id or ""),
                description=e.description,
                tags=[names["tag"].get(t, t) for t in tags.get(e.id, [])],
                billable=e.billable,
                tracked_seconds=seconds,
                billable_seconds=seconds if e.billable else 0,
                billable_amount=money(amount),
                currency=e.currency,
            )
        )
    return DetailedOut(first, last, rows, totals_of(totals.totals))


def detailed_page(report: DetailedOut, paging: PageRequest) -> DetailedPage:
    """The report with the rows of one page (every row up to 10,000 when unpaged); the
    totals always cover the whole report."""
    total = len(report.rows)
    report.rows = report.rows[paging.offset : paging.offset + paging.limit]
    has_more = paging.offset + len(report.rows) < total
    return DetailedPage(report, paging.page, paging.limit, total, has_more)
