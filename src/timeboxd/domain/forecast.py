"""A project budget's forecast (docs/api.md "Project forecast"): the burn rate and the day
the budget runs out at that pace. Pure arithmetic on whole seconds, no I/O.

- The burn rate is the time tracked in the ``BURN_DAYS`` whole local days before today,
  per day (``burn_seconds / BURN_DAYS``).
- At that rate the budget left lasts ``remaining_seconds * BURN_DAYS / burn_seconds`` days
  from now (rounded up to the second); the budget runs out on the local day in which its
  last second is used. No date when there
  is no budget, when it is used up already, or when nothing was tracked in the window (or
  the day would lie past the last day the API speaks of, 2999-12-31): "not at this pace".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from timeboxd.domain.wallclock import zone

BURN_DAYS = 28  # the last four weeks
DAY_SECONDS = 24 * 3600
END_OF_TIME = datetime(3000, 1, 1, tzinfo=UTC)  # dates stop at 2999-12-31 (schemas.common)

NO_BUDGET = "no_budget"
EXHAUSTED = "exhausted"
NOT_AT_THIS_PACE = "not_at_this_pace"


@dataclass(frozen=True, slots=True)
class RunOut:
    """The day the budget runs out, or why there is none."""

    on: date | None
    reason: str | None


def seconds_until_run_out(remaining_seconds: int, burn_seconds: int) -> int:
    """Whole seconds (rounded up) until ``remaining_seconds`` are used at the pace of
    ``burn_seconds`` per ``BURN_DAYS`` days; both positive."""
    assert remaining_seconds > 0 and burn_seconds > 0
    return -(-remaining_seconds * BURN_DAYS * DAY_SECONDS // burn_seconds)


def run_out(
    remaining_seconds: int | None, burn_seconds: int, now: datetime, tz_name: str
) -> RunOut:
    if remaining_seconds is None:
        return RunOut(None, NO_BUDGET)
    if remaining_seconds <= 0:
        return RunOut(None, EXHAUSTED)
    if burn_seconds <= 0:
        return RunOut(None, NOT_AT_THIS_PACE)
    now = now.replace(microsecond=0)  # time is tracked in whole seconds
    until = seconds_until_run_out(remaining_seconds, burn_seconds)
    if until >= (END_OF_TIME - now).total_seconds():
        return RunOut(None, NOT_AT_THIS_PACE)
    # The day in which the last second of the budget is used (it begins a second before
    # the budget is gone: a budget used up at midnight ran out on the day before).
    last_second = now + timedelta(seconds=until - 1)
    day = last_second.astimezone(zone(tz_name)).date()
    if day.year > 2999:  # past the end in a zone east of UTC
        return RunOut(None, NOT_AT_THIS_PACE)
    return RunOut(day, None)


def per_day(burn_seconds: int, days: int = BURN_DAYS) -> float:
    """Minutes per day, two decimals."""
    return round(burn_seconds / 60 / days, 2)


def whole_minutes(seconds: int) -> int:
    """Whole minutes rounded down (towards the past: 30 seconds over budget is -1)."""
    return seconds // 60
