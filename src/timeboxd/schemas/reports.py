"""Report parameters and shapes (SPEC §3 "Reports")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

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
    format: Literal["json", "csv", "xlsx"] = "json"


class SummaryParams(ReportParams):
    group_by: Literal["project", "client", "task", "tag", "user", "day", "week"] = "project"


class DetailedParams(ReportParams, Paging):
    pass


class AmountOut(BaseModel):
    currency: str | None
    billable_amount: str


class TotalsOut(BaseModel):
    tracked_seconds: int
    billable_seconds: int
    billable_amount: str | None
    currency: str | None
    by_currency: list[AmountOut]


class GroupOut(BaseModel):
    key: str | None
    label: str
    tracked_seconds: int
    billable_seconds: int
    billable_amount: str
    currency: str | None


class SummaryOut(BaseModel):
    group_by: str
    date_from: date
    date_to: date
    rounding: int
    rounding_mode: str
    groups: list[GroupOut]
    totals: TotalsOut


class DetailRowOut(BaseModel):
    id: str
    user_id: str
    user: str
    date: date
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


class DetailedOut(BaseModel):
    date_from: date
    date_to: date
    rows: list[DetailRowOut]
    totals: TotalsOut
