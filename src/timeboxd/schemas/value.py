"""The value dashboard (``GET /v1/stats/value``) and a project's forecast
(``GET /v1/projects/{id}/forecast``): parameters and shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import Field

from timeboxd.schemas.common import LocalDate, QueryModel
from timeboxd.schemas.reports import GroupOut


class ValueParams(QueryModel):
    date_from: LocalDate | None = Field(
        None, description="first local day (default: 1st of this month)"
    )
    date_to: LocalDate | None = Field(None, description="last local day (default: today)")
    top: int = Field(10, ge=1, le=100, description="how many clients and projects to list")


@dataclass(slots=True)
class CurrencyValueOut:
    currency: str | None
    billable_amount: str
    # The part of billable_amount whose entries are not approved yet (draft, submitted,
    # rejected, or a running timer).
    unbilled_amount: str
    # billable_amount per hour of all tracked time of the period; null without tracked time.
    effective_hourly_rate: str | None


@dataclass(slots=True)
class MonthAmountOut:
    currency: str | None
    billable_amount: str
    unbilled_amount: str


@dataclass(slots=True)
class MonthValueOut:
    month: str  # YYYY-MM
    date_from: date
    date_to: date
    tracked_seconds: int
    billable_seconds: int
    non_billable_seconds: int
    by_currency: list[MonthAmountOut]


@dataclass(slots=True)
class ValueOut:
    date_from: date
    date_to: date
    tracked_seconds: int
    billable_seconds: int
    non_billable_seconds: int
    by_currency: list[CurrencyValueOut]
    top_clients: list[GroupOut]
    top_projects: list[GroupOut]
    months: list[MonthValueOut]


@dataclass(slots=True)
class BurnOut:
    date_from: date
    date_to: date
    tracked_seconds: int
    minutes_per_day: float
    minutes_per_week: float


@dataclass(slots=True)
class ForecastOut:
    project_id: str
    as_of: date  # the local day the forecast is made on (today)
    budget_minutes: int | None
    hourly_rate: str | None
    currency: str | None
    budget_amount: str | None
    used_seconds: int
    used_minutes: int
    used_amount: str
    remaining_minutes: int | None
    remaining_amount: str | None
    burn: BurnOut
    runs_out_on: date | None
    # Why runs_out_on is null: no_budget, exhausted or not_at_this_pace.
    runs_out_reason: str | None
    planned_minutes: int
    unplanned_minutes: int | None
