"""Task bodies, shape and list filters (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, Strict

from timeboxd.schemas.catalog import IdList, Name
from timeboxd.schemas.common import UNSET, Id, Input, LocalDate, Paging, Unset, omittable

Status = Literal["todo", "in_progress", "done"]
Priority = Literal["low", "normal", "high", "urgent"]
Notes = Annotated[str, Field(max_length=10_000)]
# Whole minutes as a JSON number: true or "90" is a mistake, not 1 or 90.
Minutes = Annotated[int, Strict(), Field(ge=0, le=1_000_000)]


class TaskCreate(Input):
    project_id: Id
    name: Name
    notes: Notes = ""
    status: Status = "todo"
    priority: Priority = "normal"
    estimated_minutes: Minutes | None = None
    due_date: LocalDate | None = None
    tag_ids: IdList = Field(default_factory=list)


class TaskPut(TaskCreate):
    """PUT replaces every writable field: omitted ones take their defaults."""


class TaskPatch(Input):
    project_id: Id | None = omittable()
    name: Name | None = omittable()
    notes: Notes | None = omittable()
    status: Status | None = omittable()
    priority: Priority | None = omittable()
    estimated_minutes: Minutes | None = None
    due_date: LocalDate | None = None
    tag_ids: IdList | None = omittable()


@dataclass(slots=True)
class TaskChanges:
    """What a PATCH (or PUT) changes; ``UNSET``: not sent, keep the value. ``tag_ids`` is
    the whole set of the task's tags, not a column of it."""

    project_id: str | Unset | None = UNSET
    name: str | Unset | None = UNSET
    notes: str | Unset | None = UNSET
    status: Status | Unset | None = UNSET
    priority: Priority | Unset | None = UNSET
    estimated_minutes: int | Unset | None = UNSET
    due_date: date | Unset | None = UNSET
    tag_ids: list[str] | Unset | None = UNSET


@dataclass(slots=True)
class TaskOut:
    id: str
    project_id: str
    name: str
    notes: str
    status: Status
    priority: Priority
    estimated_minutes: int | None
    due_date: date | None
    tag_ids: list[str]
    created_at: datetime
    updated_at: datetime


class TaskQuery(Paging):
    project_id: str | None = Field(None, max_length=32)
    status: Status | None = None
    priority: Priority | None = None
    tag_id: str | None = Field(None, max_length=32)
    due_before: LocalDate | None = Field(None, description="tasks due on or before this date")
