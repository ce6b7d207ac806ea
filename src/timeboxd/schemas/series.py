"""Recurring block series."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from timeboxd.schemas.blocks import BlockCreate, BlockOut
from timeboxd.schemas.common import HHMM, Id, Input


class SeriesCreate(BlockCreate):
    rrule: str = Field(
        min_length=1,
        max_length=500,
        examples=["FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270131"],
        description="RFC 5545 RRULE; must end (COUNT or UNTIL) within 1,000 occurrences "
        "and two years. `date` is the first occurrence.",
    )


class SeriesPatch(Input):
    start: HHMM | None = None
    end: HHMM | None = None
    topic: str | None = Field(default=None, max_length=500)
    project_id: Id | None = None
    task_id: Id | None = None


class SeriesOut(BaseModel):
    id: str
    rrule: str
    date: date
    start: str
    end: str
    topic: str
    project_id: str | None
    task_id: str | None
    ended_at: datetime | None
    created_at: datetime
    updated_at: datetime
    blocks: list[BlockOut]
