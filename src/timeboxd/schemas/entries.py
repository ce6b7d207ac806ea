"""Time entry, timer and approval bodies, the typed changes of an entry and its shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from timeboxd.schemas.common import (
    DATE_PATTERN,
    MAX_YEAR,
    MIN_YEAR,
    UNSET,
    Id,
    Input,
    Unset,
    omittable,
)

MAX_BULK = 10_000
# RFC 3339 with the years 1900-2999 (the server also takes other ISO 8601 spellings).
INSTANT_PATTERN = (
    f"^{DATE_PATTERN}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{{1,6}})?"
    "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string with a UTC offset")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time with a UTC offset") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("needs a UTC offset, e.g. 2026-11-24T09:00:00+01:00 or ...Z")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return parsed.astimezone(UTC)


Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": INSTANT_PATTERN,
            "description": f"ISO 8601 with a UTC offset, years {MIN_YEAR} to {MAX_YEAR}",
        }
    ),
]
TagIds = Annotated[list[Id], Field(max_length=50)]


class EntryCreate(Input):
    start_at: Instant
    end_at: Instant
    description: str = Field(default="", max_length=2000)
    project_id: Id | None = None
    task_id: Id | None = None
    block_id: Id | None = None
    billable: bool | None = None
    tag_ids: TagIds = Field(default_factory=list)


class EntryPut(EntryCreate):
    """PUT replaces every writable field."""


class EntryPatch(Input):
    start_at: Instant | None = omittable()
    end_at: Instant | None = None
    description: str | None = Field(default=None, max_length=2000)
    project_id: Id | None = None
    task_id: Id | None = None
    block_id: Id | None = None
    billable: bool | None = None
    tag_ids: TagIds | None = None


class EntryBulkCreate(Input):
    time_entries: list[EntryCreate] = Field(min_length=1, max_length=MAX_BULK)


class EntryBulkPatchItem(EntryPatch):
    id: Id


class EntryBulkPatch(Input):
    time_entries: list[EntryBulkPatchItem] = Field(min_length=1, max_length=MAX_BULK)


class TimerStart(Input):
    description: str = Field(default="", max_length=2000)
    project_id: Id | None = None
    task_id: Id | None = None
    block_id: Id | None = None
    billable: bool | None = None
    tag_ids: TagIds = Field(default_factory=list)
    stop_running: bool = False


class ReviewBody(Input):
    comment: str | None = Field(default=None, max_length=2000)


@dataclass(slots=True)
class EntryChanges:
    """What a PATCH (or PUT, or one item of a bulk PATCH) changes; ``UNSET``: not sent,
    keep the value. ``None`` is a sent null: the rules for it are the service's."""

    start_at: datetime | Unset | None = UNSET
    end_at: datetime | Unset | None = UNSET
    description: str | Unset | None = UNSET
    project_id: str | Unset | None = UNSET
    task_id: str | Unset | None = UNSET
    block_id: str | Unset | None = UNSET
    billable: bool | Unset | None = UNSET
    tag_ids: list[str] | Unset | None = UNSET


@dataclass(slots=True)
class EntryOut:
    id: str
    user_id: str
    workspace_id: str
    project_id: str | None
    task_id: str | None
    block_id: str | None
    description: str
    start_at: datetime
    end_at: datetime | None
    duration_seconds: int
    running: bool
    billable: bool
    tag_ids: list[str]
    approval_status: str
    approval_comment: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    source: str
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class EntriesDeleted:
    deleted: list[str]
