"""Time block bodies, the typed inputs a block service takes, and the block resource shape."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from timeboxd.schemas.common import (
    HHMM,
    UNSET,
    Id,
    Input,
    LocalDate,
    Paging,
    QueryModel,
    Unset,
    omittable,
)

MAX_BULK = 10_000

SUBJECT_ID_DOC = "a study planner's name for project_id: the same value (SPEC §3 Time blocks)"


def subject_as_project(model: str, data: Any) -> Any:
    """``subject_id`` is another name for ``project_id`` (a project is what a study planner
    calls a subject): a body or query that sends it sets ``project_id``, and one that sends
    both with different values is refused naming ``subject_id``. A value of the wrong type
    is left for the field's own validation to name."""
    if not isinstance(data, dict) or "subject_id" not in data:
        return data
    subject = data["subject_id"]
    if "project_id" in data:
        if data["project_id"] != subject:
            error = PydanticCustomError(
                "value_error", "subject_id and project_id differ; send one of them"
            )
            details = InitErrorDetails(type=error, loc=("subject_id",), input=subject)
            raise ValidationError.from_exception_data(model, [details])
        return data
    if subject is None or isinstance(subject, str):
        return {**data, "project_id": subject}
    return data


class BlockCreate(Input):
    date: LocalDate
    start: HHMM
    end: HHMM
    topic: str = Field(default="", max_length=500)
    project_id: Id | None = None
    subject_id: Id | None = Field(default=None, description=SUBJECT_ID_DOC)
    task_id: Id | None = None
    done: bool = False

    @model_validator(mode="before")
    @classmethod
    def _subject(cls, data: Any) -> Any:
        return subject_as_project(cls.__name__, data)


class BlockPut(BlockCreate):
    """PUT replaces every writable field; omitted optional fields take their defaults."""


class BlockPatch(Input):
    date: LocalDate | None = omittable()
    start: HHMM | None = omittable()
    end: HHMM | None = omittable()
    topic: str | None = Field(default=None, max_length=500)
    project_id: Id | None = None
    subject_id: Id | None = Field(default=None, description=SUBJECT_ID_DOC)
    task_id: Id | None = None
    done: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _subject(cls, data: Any) -> Any:
        return subject_as_project(cls.__name__, data)


class BulkCreate(Input):
    blocks: list[BlockCreate] = Field(min_length=1, max_length=MAX_BULK)


class BulkPatchItem(BlockPatch):
    id: Id


class BulkPatch(Input):
    blocks: list[BulkPatchItem] = Field(min_length=1, max_length=MAX_BULK)


@dataclass(slots=True)
class BlockFields:
    """A new block's writable fields: what the create services take from every face (a
    request body, a series' occurrence, an imported row, the demo)."""

    date: dt.date
    start: dt.time
    end: dt.time
    topic: str = ""
    project_id: str | None = None
    task_id: str | None = None
    done: bool = False

    @classmethod
    def of(cls, body: BlockCreate) -> BlockFields:
        # Attribute by attribute: model_dump() costs a tenth of a 10,000-block bulk request.
        return cls(
            body.date, body.start, body.end, body.topic, body.project_id, body.task_id, body.done
        )


@dataclass(slots=True)
class BlockChanges:
    """What a PATCH (or PUT) changes; ``UNSET``: not sent, keep the value."""

    date: dt.date | Unset | None = UNSET
    start: dt.time | Unset | None = UNSET
    end: dt.time | Unset | None = UNSET
    topic: str | Unset | None = UNSET
    project_id: str | Unset | None = UNSET
    task_id: str | Unset | None = UNSET
    done: bool | Unset | None = UNSET


@dataclass(slots=True)
class BlockUpdate:
    """One item of a bulk update: the block and what changes in it."""

    id: str
    changes: BlockChanges


@dataclass(slots=True)
class BlockOut:
    id: str
    project_id: str | None
    project_name: str | None
    subject_id: str | None
    subject_name: str | None
    task_id: str | None
    date: dt.date
    start: str
    end: str
    duration_minutes: int
    topic: str
    done: bool
    completed_at: dt.datetime | None
    start_at: dt.datetime
    end_at: dt.datetime
    series_id: str | None
    has_time_entry: bool
    archived_at: dt.datetime | None
    deleted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(slots=True)
class BulkDeleted:
    deleted: list[str]


# A day's plan (GET /v1/agenda): the blocks of one local day and their sums. (No
# docstring on output shapes: it would become their description in the OpenAPI document.)
@dataclass(slots=True)
class AgendaOut:
    date: dt.date
    timezone: str
    blocks: list[BlockOut]
    planned_minutes: int
    done_minutes: int
    done_count: int


class BlockQuery(QueryModel):
    """The filters of the block list and stream (SPEC §3 Time blocks)."""

    date: LocalDate | None = None
    date_from: LocalDate | None = None
    date_to: LocalDate | None = None
    project_id: str | None = Field(None, max_length=32)
    # An id's shape: a value that cannot be an id (``true``) is refused rather than
    # matching nothing, as a query generator sending an array of one value expects.
    subject_id: str | None = Field(
        None, max_length=32, pattern="^[a-z]+_[0-9A-Za-z]+$", description=SUBJECT_ID_DOC
    )
    task_id: str | None = Field(None, max_length=32)
    series_id: str | None = Field(None, max_length=32)
    done: bool | None = None
    archived: bool = False
    deleted: bool = Field(False, description="list the trash instead")
    order_by: str | None = Field(None, max_length=200, examples=["date,-start"])

    @model_validator(mode="before")
    @classmethod
    def _subject(cls, data: Any) -> Any:
        return subject_as_project(cls.__name__, data)


class BlockListQuery(BlockQuery, Paging):
    pass
