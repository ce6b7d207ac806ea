"""Statistics parameters and shapes (SPEC §3 "Statistics")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import Field

from timeboxd.schemas.common import LocalDate, QueryModel


class StatsParams(QueryModel):
    period: Literal["today", "week", "month", "all"] | None = Field(
        None, description="default week; or give date_from and date_to"
    )
    date_from: LocalDate | None = None
    date_to: LocalDate | None = None


class ProductivityParams(QueryModel):
    weeks: int = Field(12, ge=1, le=52)


@dataclass(slots=True)
class StatsOut:
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


@dataclass(slots=True)
class FocusOut:
    sessions: int
    average_minutes: float
    longest_minutes: int
    deep_work_share: float


@dataclass(slots=True)
class ProjectShareOut:
    project_id: str | None
    name: str
    minutes: int
    share: float


@dataclass(slots=True)
class PlanVsActualOut:
    project_id: str | None
    name: str
    scheduled_minutes: int
    tracked_minutes: int


@dataclass(slots=True)
class DayMinutes:
    date: dt.date  # dt.date: the field's name hides the type within the class
    minutes: int


@dataclass(slots=True)
class WeekdayMinutes:
    weekday: str
    minutes: int


@dataclass(slots=True)
class HourMinutes:
    hour: int
    minutes: int


@dataclass(slots=True)
class ProductivityOut:
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
