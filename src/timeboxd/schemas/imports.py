"""Import reports: what an import made, changed, left alone and skipped."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class CreatedRef(BaseModel):
    id: str | None = Field(description="null in a dry run: nothing was made yet")
    name: str


class SkippedItem(BaseModel):
    index: int = Field(description="the CSV line, or the event's position in the ICS file")
    uid: str | None = Field(description="the ICS event's UID")
    message: str


class BlockImportOut(BaseModel):
    format: Literal["csv", "ics"]
    dry_run: bool
    window_from: date | None = Field(description="ICS: first local date imported")
    window_to: date | None = Field(description="ICS: last local date imported")
    created: int
    updated: int = Field(description="ICS: blocks of events that changed since the last import")
    unchanged: int = Field(description="rows or events imported before, left as they are")
    deleted: int = Field(description="ICS: blocks of occurrences no longer in the calendar")
    skipped: int = Field(description="rows or events that cannot be blocks; see skipped_items")
    projects_created: list[CreatedRef]
    skipped_items: list[SkippedItem] = Field(description="the first 100 skipped")


class EntryImportOut(BaseModel):
    source: Literal["toggl", "clockify"]
    timezone: str = Field(description="the zone the file's times were read in")
    dry_run: bool
    created: int
    unchanged: int = Field(description="rows imported before, left as they are")
    skipped: int
    projects_created: list[CreatedRef]
    clients_created: list[CreatedRef]
    tasks_created: list[CreatedRef]
    tags_created: list[CreatedRef]
    skipped_items: list[SkippedItem] = Field(description="the first 100 skipped")
