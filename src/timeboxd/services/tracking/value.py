"""The value dashboard (``GET /v1/stats/value``, docs/api.md "Value dashboard"): billable
and non-billable time, amounts per currency, what is not approved yet, the effective
hourly rate, the top clients and projects, and the same per local calendar month.

Every figure is a summary report's (services.reports): what counts is what the caller's
report counts (``report_rows.visibility``), and amounts are per entry, rounded half up to
the cent (``reports.cents``). The range figures equal ``GET /v1/reports/summary`` over the
same days (``group_by=project`` and ``client`` for the top lists), and each month's
figures equal the summary of that month's days (within the range), to the cent.

One pass reads it all: the database sums the entries lying wholly inside one month, per
month, project, currency and approval, in one index range scan over the range (the month
of each entry is a CASE on its start); the few entries crossing a month's end, the range's
start, or still running, are cut in Python with the report's own functions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from timeboxd.domain.days import local_midnight
from timeboxd.schemas.reports import GroupOut
from timeboxd.schemas.value import (
    CurrencyValueOut,
    MonthAmountOut,
    MonthValueOut,
    ValueOut,
    ValueParams,
)
from timeboxd.services.context import Principal
from timeboxd.services.tracking.report_rows import (
    Entry,
    Sums,
    edges,
    entries_of,
    running,
    sum_by_period,
    visibility,
)
from timeboxd.services.tracking.reports import (
    ReportQuery,
    cents,
    labelled,
    money,
    pieces_of,
    resolve_range,
    totals_of,
)

APPROVED = "approved"


def months_of(first: date, last: date) -> list[tuple[str, date, date]]:
    """The local calendar months of [first, last], cut to it: (``YYYY-MM``, first, last)."""
    out = []
    day = first
    while day <= last:
        following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(last, following - timedelta(days=1))
        out.append((day.strftime("%Y-%m"), day, end))
        day = following
    return out


def hourly(amount_cents: int, seconds: int) -> str | None:
    """``amount_cents`` per hour of ``seconds``, rounded half up to the cent."""
    if seconds <= 0:
        return None
    return money((2 * amount_cents * 3600 + seconds) // (2 * seconds))


@dataclass(slots=True)
class Tally:
    """The range's sums (by project and by client; their totals are the range's) and each
    month's, with the amounts not yet approved beside them."""

    projects: Sums = field(default_factory=Sums)
    clients: Sums = field(default_factory=Sums)
    unbilled: dict[str | None, int] = field(default_factory=lambda: defaultdict(int))
    months: dict[str, Sums] = field(default_factory=lambda: defaultdict(Sums))
    months_unbilled: dict[str, dict[str | None, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )

    def add_summed(self, r: Any) -> None:
        """A row of ``sum_by_period``: wholly inside its month, so inside the range too."""
        self.projects.groups[(r.project_id, r.currency)].add(r)
        self.projects.totals[r.currency].add(r)
        self.clients.groups[(r.client_id, r.currency)].add(r)
        self.months[r.key].totals[r.currency].add(r)
        if not r.approved:
            self.unbilled[r.currency] += int(r.cents or 0)
            self.months_unbilled[r.key][r.currency] += int(r.cents or 0)

    def add_range(self, e: Entry, seconds: int) -> None:
        amount = cents(seconds, e.rate_cents) if e.billable else 0
        self.projects.add([e.project_id], e.currency, seconds, e.billable, amount)
        self.clients.add([e.client_id], e.currency, seconds, e.billable, amount)
        if e.approval_status != APPROVED:
            self.unbilled[e.currency] += amount

    def add_month(self, key: str, e: Entry, seconds: int) -> None:
        amount = cents(seconds, e.rate_cents) if e.billable else 0
        self.months[key].add([], e.currency, seconds, e.billable, amount)
        if e.approval_status != APPROVED:
            self.months_unbilled[key][e.currency] += amount


def value(session: Session, principal: Principal, now: datetime, p: ValueParams) -> ValueOut:
    query = ReportQuery(date_from=p.date_from, date_to=p.date_to)
    first, last = resolve_range(principal, now, query)
    tz = principal.timezone
    start, end = local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)
    months = months_of(first, last)
    bounds = [
        (key, local_midnight(lo, tz), local_midnight(hi + timedelta(days=1), tz))
        for key, lo, hi in months
    ]
    tally = Tally()
    crossing: list[Entry] = []
    for visible in visibility(session, principal, None):
        cond = [visible]
        for row in sum_by_period(session, cond, bounds):
            tally.add_summed(row)
        for edge in edges(start, end)[:2]:  # ended, crossing the range's start
            crossing += entries_of(session, cond, edge)
        crossing += entries_of(session, cond, running(end))
        for _, lo, hi in bounds:  # ended, begun inside a month, ending after it
            for edge in edges(lo, hi)[2:4]:
                crossing += entries_of(session, cond, edge)
    for e in crossing:
        tally.add_range(e, sum(s for _, s in pieces_of(e, start, end, now, tz, False)))
        for key, lo, hi in bounds:
            for _, seconds in pieces_of(e, lo, hi, now, tz, False):
                tally.add_month(key, e, seconds)
    return _out(session, principal, first, last, months, tally, p.top)


def _top(groups: list[GroupOut], top: int) -> list[GroupOut]:
    """Most money first, then most time (the report orders by time)."""
    ordered = sorted(groups, key=lambda g: (-Decimal(g.billable_amount), -g.tracked_seconds))
    return ordered[:top]


def _out(
    session: Session,
    principal: Principal,
    first: date,
    last: date,
    months: list[tuple[str, date, date]],
    tally: Tally,
    top: int,
) -> ValueOut:
    totals = totals_of(tally.projects.totals)
    tracked = totals.tracked_seconds
    currencies = [
        CurrencyValueOut(
            a.currency,
            a.billable_amount,
            money(tally.unbilled[a.currency]),
            hourly(tally.projects.totals[a.currency].cents, tracked),
        )
        for a in totals.by_currency
    ]
    per_month = []
    for key, lo, hi in months:
        month = totals_of(tally.months[key].totals)
        unbilled = tally.months_unbilled[key]
        per_month.append(
            MonthValueOut(
                key,
                lo,
                hi,
                month.tracked_seconds,
                month.billable_seconds,
                month.tracked_seconds - month.billable_seconds,
                [
                    MonthAmountOut(a.currency, a.billable_amount, money(unbilled[a.currency]))
                    for a in month.by_currency
                ],
            )
        )
    return ValueOut(
        date_from=first,
        date_to=last,
        tracked_seconds=tracked,
        billable_seconds=totals.billable_seconds,
        non_billable_seconds=tracked - totals.billable_seconds,
        by_currency=currencies,
        top_clients=_top(labelled(session, principal, "client", tally.clients), top),
        top_projects=_top(labelled(session, principal, "project", tally.projects), top),
        months=per_month,
    )
