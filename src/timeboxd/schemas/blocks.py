"""Time block bodies and the block resource shape."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from timeboxd.schemas.common import HHMM, Id, Input, LocalDate, Paging, QueryModel

MAX_BULK = 10_000


class BlockCreate(Input):
    date: LocalDate
    start: HHMM
    end: HHMM
    topic: str = Field(default="", max_length=500)
    project_id: Id | None = None
    task_id: Id | None = None
    done: bool = False


class BlockPut(BlockCreate):
    """PUT replaces every writable field; omitted optional fields take their defaults."""


class BlockPatch(Input):
    date: LocalDate | None = None
    start: HHMM | None = None
    end: HHMM | None = None
    topic: str | None = Field(default=None, max_length=500)
    project_id: Id | None = None
    task_id: Id | None = None
    done: bool | None = None


class BulkCreate(Input):
    blocks: list[BlockCreate] = Field(min_length=1, max_length=MAX_BULK)


class BulkPatchItem(BlockPatch):
    id: Id


class BulkPatch(Input):
    blocks: list[BulkPatchItem] = Field(min_length=1, max_length=MAX_BULK)


class BlockOut(BaseModel):
    id: str
    project_id: str | None
    project_name: str | None
    task_id: str | None
    date: date
    start: str
    end: str
    duration_minutes: int
    topic: str
    done: bool
    completed_at: datetime | None
    start_at: datetime
    end_at: datetime
    series_id: str | None
    has_time_entry: bool
    archived_at: datetime | None
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class BulkDeleted(BaseModel):
    deleted: list[str]


class BlockQuery(QueryModel):
    """The filters of the block list and stream (SPEC §3 Time blocks)."""

    date: LocalDate | None = None
    date_from: LocalDate | None = None
    date_to: LocalDate | None = None
    project_id: str | None = Field(None, max_length=32)
    task_id: str | None = Field(None, max_length=32)
    series_id: str | None = Field(None, max_length=32)
    done: bool | None = None
    archived: bool = False
    deleted: bool = Field(False, description="list the trash instead")
    order_by: str | None = Field(None, max_length=200, examples=["date,-start"])


class BlockListQuery(BlockQuery, Paging):
    pass
