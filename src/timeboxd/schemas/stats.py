"""Statistics parameters and shapes (SPEC §3 "Statistics")."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from timeboxd.schemas.common import LocalDate, QueryModel


class StatsParams(QueryModel):
    period: Literal["today", "week", "month", "all"] | None = Field(
        None, description="default week; or give date_from and date_to"
    )
    date_from: LocalDate | None = None
    date_to: LocalDate | None = None


class ProductivityParams(QueryModel):
    weeks: int = Field(12, ge=1, le=52)


class StatsOut(BaseModel):
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


class FocusOut(BaseModel):
    sessions: int
    average_minutes: float
    longest_minutes: int
    deep_work_share: float


class ProjectShareOut(BaseModel):
    project_id: str | None
    name: str
    minutes: int
    share: float


class PlanVsActualOut(BaseModel):
    project_id: str | None
    name: str
    scheduled_minutes: int
    tracked_minutes: int


class DayMinutes(BaseModel):
    date: date
    minutes: int


class WeekdayMinutes(BaseModel):
    weekday: str
    minutes: int


class HourMinutes(BaseModel):
    hour: int
    minutes: int


class ProductivityOut(BaseModel):
    weeks: int
    date_from: date
    date_to: date
    current_streak: int
    longest_streak: int
    total_minutes: int
    focus: FocusOut
    projects: list[ProjectShareOut]
    heatmap: dict[str, int]
    last_30_days: list[DayMinutes]
    by_weekday: list[WeekdayMinutes]
    by_hour: list[HourMinutes]
    plan_vs_actual: list[PlanVsActualOut]
