"""A project's forecast (``GET /v1/projects/{id}/forecast``, docs/api.md "Project
forecast"): its budget (``budget_minutes``, and the amount those minutes are worth at the
project's rate), what is used of it, the burn rate of the last four weeks, the day the
budget runs out at that pace (domain.forecast), and the planned time still ahead.

A forecast counts the whole project's time, anyone's, so only the owners and admins of its
workspace, who see all of that time, get one. Its figures are the reports': the time used
is every entry of the project (a running timer up to now) with the amounts of a summary,
and the burn is the summary of the four weeks' days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, Project
from timeboxd.db.tracking import TimeEntry
from timeboxd.domain import forecast as maths
from timeboxd.domain.wallclock import local_today
from timeboxd.errors import Forbidden
from timeboxd.schemas.value import BurnOut, ForecastOut
from timeboxd.services.accounts.access import MANAGER_ROLES, role_in
from timeboxd.services.catalog.projects import get_project
from timeboxd.services.context import Principal
from timeboxd.services.tracking import reports
from timeboxd.services.tracking.report_rows import entries_of, summed_measures


def forecast(session: Session, principal: Principal, now: datetime, project_id: str) -> ForecastOut:
    project, _ = get_project(session, principal, project_id)  # 404 for anyone else's
    if role_in(session, principal, project.workspace_id) not in MANAGER_ROLES:
        raise Forbidden(
            "a forecast counts everyone's time on the project: only the workspace's owner "
            "or admins see it"
        )
    rate_cents = None if project.hourly_rate is None else int(Decimal(project.hourly_rate) * 100)
    used_seconds, used_cents = _used(session, principal, now, project_id)
    today = local_today(now, principal.timezone)
    window = reports.ReportQuery(
        date_from=today - timedelta(days=maths.BURN_DAYS),
        date_to=today - timedelta(days=1),
        project_id=project_id,
    )
    burn = reports.summary(session, principal, now, window).totals.tracked_seconds
    planned = _planned(session, principal, now, project_id)
    budget = project.budget_minutes
    remaining = None if budget is None else budget * 60 - used_seconds
    budget_cents = (
        None if budget is None or not rate_cents else reports.cents(budget * 60, rate_cents)
    )
    ends = maths.run_out(remaining, burn, now, principal.timezone)
    assert window.date_from is not None and window.date_to is not None
    return ForecastOut(
        project_id=project.id,
        as_of=today,
        budget_minutes=budget,
        hourly_rate=project.hourly_rate,
        currency=project.currency,
        budget_amount=None if budget_cents is None else reports.money(budget_cents),
        used_seconds=used_seconds,
        used_minutes=maths.whole_minutes(used_seconds),
        used_amount=reports.money(used_cents),
        remaining_minutes=None if remaining is None else maths.whole_minutes(remaining),
        remaining_amount=(
            None if budget_cents is None else reports.money(budget_cents - used_cents)
        ),
        burn=BurnOut(
            window.date_from,
            window.date_to,
            burn,
            maths.per_day(burn),
            maths.per_day(burn * 7),
        ),
        runs_out_on=ends.on,
        runs_out_reason=ends.reason,
        planned_minutes=maths.whole_minutes(planned),
        unplanned_minutes=None if remaining is None else maths.whole_minutes(remaining - planned),
    )


def _used(
    session: Session, principal: Principal, now: datetime, project_id: str
) -> tuple[int, int]:
    """Seconds and billable cents of every entry of the project: the ended ones summed by
    the database as a report sums them, a running timer up to now."""
    cond = [TimeEntry.project_id == project_id, TimeEntry.livemode == principal.livemode]
    tracked, _, amount = summed_measures("up", 0)
    row = session.execute(
        select(tracked, amount)
        .select_from(TimeEntry)
        .outerjoin(Project, Project.id == TimeEntry.project_id)
        .where(*cond, TimeEntry.end_at.is_not(None))
    ).one()
    seconds, total = int(row.tracked or 0), int(row.cents or 0)
    for e in entries_of(session, cond, [TimeEntry.end_at.is_(None)]):
        part = sum(s for _, s in reports.pieces_of(e, e.start_at, now, now, "UTC", False))
        seconds += part
        total += reports.cents(part, e.rate_cents) if e.billable else 0
    return seconds, total


def _planned(session: Session, principal: Principal, now: datetime, project_id: str) -> int:
    """Seconds of the project's blocks (anyone's) still ahead: the part after now of every
    block not done, archived or deleted."""
    rows = session.execute(
        select(Block.start_at, Block.end_at).where(
            Block.project_id == project_id,
            Block.livemode == principal.livemode,
            Block.done.is_(False),
            Block.archived_at.is_(None),
            Block.deleted_at.is_(None),
            Block.end_at > now,
        )
    )
    return sum(int((end - max(start, now)).total_seconds()) for start, end in rows)
