"""Report parameters and shapes (SPEC §3 "Reports"): the JSON reports, one page of the
detailed one, and a report as a file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from timeboxd.schemas.common import LocalDate, Paging, QueryModel


class ReportParams(QueryModel):
    date_from: LocalDate | None = Field(
        None, description="first local day (default: 1st of this month)"
    )
    date_to: LocalDate | None = Field(None, description="last local day (default: today)")
    project_id: str | None = Field(None, max_length=32)
    client_id: str | None = Field(None, max_length=32)
    task_id: str | None = Field(None, max_length=32)
    tag_id: str | None = Field(None, max_length=32)
    user_id: str | None = Field(None, max_length=32, description="admins: one member's time")
    billable: bool | None = None
    rounding: int = Field(0, ge=0, le=1440, description="minutes per entry (0: exact)")
    rounding_mode: Literal["up", "nearest", "down"] = "up"
    format: Literal["json", "csv", "xlsx", "pdf"] = "json"


class SummaryParams(ReportParams):
    group_by: Literal["project", "client", "task", "tag", "user", "day", "week"] = "project"


class DetailedParams(ReportParams, Paging):
    pass


FileFormat = Literal["csv", "xlsx", "pdf"]
MEDIA_TYPES: dict[FileFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(slots=True)
class AmountOut:
    currency: str | None
    billable_amount: str


@dataclass(slots=True)
class TotalsOut:
    tracked_seconds: int
    billable_seconds: int
    # The amount and its currency when the report has one currency (null when it mixes
    # several: see by_currency, which always lists each).
    billable_amount: str | None
    currency: str | None
    by_currency: list[AmountOut]


@dataclass(slots=True)
class GroupOut:
    key: str | None
    label: str
    tracked_seconds: int
    billable_seconds: int
    billable_amount: str
    currency: str | None


@dataclass(slots=True)
class SummaryOut:
    group_by: str
    date_from: date
    date_to: date
    rounding: int
    rounding_mode: str
    groups: list[GroupOut]
    totals: TotalsOut


@dataclass(slots=True)
class DetailRowOut:
    id: str
    user_id: str
    user: str
    date: dt.date  # "date" here would name this slot, not the type
    start_at: datetime
    end_at: datetime | None
    running: bool
    project_id: str | None
    project: str | None
    client_id: str | None
    client: str | None
    task_id: str | None
    task: str | None
    description: str
    tags: list[str]
    billable: bool
    tracked_seconds: int
    billable_seconds: int
    billable_amount: str
    currency: str | None


@dataclass(slots=True)
class DetailedOut:
    date_from: date
    date_to: date
    rows: list[DetailRowOut]
    totals: TotalsOut


@dataclass(slots=True)
class DetailedPage:
    """The detailed report with the rows of one page; its totals cover the whole report,
    and the page's place in the rows goes in the response's list meta."""

    report: DetailedOut
    page: int
    per_page: int
    total: int
    has_more: bool


@dataclass(slots=True)
class ReportFile:
    """A report exported as a file, sent as a download."""

    filename: str
    media_type: str
    body: bytes
