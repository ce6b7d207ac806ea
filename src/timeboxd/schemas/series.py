"""Recurring block series: bodies, typed changes and the series resource shape."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import Field, model_validator

from timeboxd.schemas.blocks import SUBJECT_ID_DOC, BlockCreate, BlockOut, subject_as_project
from timeboxd.schemas.common import HHMM, UNSET, Id, Input, Unset, omittable


class SeriesCreate(BlockCreate):
    rrule: str = Field(
        min_length=1,
        max_length=500,
        examples=["FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270131"],
        description="RFC 5545 RRULE; must end (COUNT or UNTIL) within 1,000 occurrences "
        "and two years. `date` is the first occurrence.",
    )


class SeriesPatch(Input):
    start: HHMM | None = omittable()
    end: HHMM | None = omittable()
    topic: str | None = Field(default=None, max_length=500)
    project_id: Id | None = None
    subject_id: Id | None = Field(default=None, description=SUBJECT_ID_DOC)
    task_id: Id | None = None

    @model_validator(mode="before")
    @classmethod
    def _subject(cls, data: Any) -> Any:
        return subject_as_project(cls.__name__, data)


@dataclass(slots=True)
class SeriesChanges:
    """What a PATCH changes in the template and the occurrences; ``UNSET``: not sent."""

    start: dt.time | Unset | None = UNSET
    end: dt.time | Unset | None = UNSET
    topic: str | Unset | None = UNSET
    project_id: str | Unset | None = UNSET
    task_id: str | Unset | None = UNSET


@dataclass(slots=True)
class SeriesOut:
    id: str
    rrule: str
    date: dt.date
    start: str
    end: str
    topic: str
    project_id: str | None
    subject_id: str | None
    task_id: str | None
    ended_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    blocks: list[BlockOut]
