"""Import reports: what an import made, changed, left alone and skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import Field


@dataclass(slots=True)
class CreatedRef:
    id: Annotated[str | None, Field(description="null in a dry run: nothing was made yet")]
    name: str


@dataclass(slots=True)
class SkippedItem:
    index: Annotated[
        int, Field(description="the CSV line, or the event's position in the ICS file")
    ]
    uid: Annotated[str | None, Field(description="the ICS event's UID")]
    message: str


@dataclass(slots=True)
class BlockImportOut:
    format: Literal["csv", "ics"]
    dry_run: bool
    window_from: Annotated[date | None, Field(description="ICS: first local date imported")]
    window_to: Annotated[date | None, Field(description="ICS: last local date imported")]
    created: int
    updated: Annotated[
        int, Field(description="ICS: blocks of events that changed since the last import")
    ]
    unchanged: Annotated[int, Field(description="rows or events imported before, left as they are")]
    deleted: Annotated[
        int, Field(description="ICS: blocks of occurrences no longer in the calendar")
    ]
    skipped: Annotated[
        int, Field(description="rows or events that cannot be blocks; see skipped_items")
    ]
    projects_created: list[CreatedRef]
    skipped_items: Annotated[list[SkippedItem], Field(description="the first 100 skipped")]


@dataclass(slots=True)
class EntryImportOut:
    source: Literal["toggl", "clockify"]
    timezone: Annotated[str, Field(description="the zone the file's times were read in")]
    dry_run: bool
    created: int
    unchanged: Annotated[int, Field(description="rows imported before, left as they are")]
    skipped: int
    projects_created: list[CreatedRef]
    clients_created: list[CreatedRef]
    tasks_created: list[CreatedRef]
    tags_created: list[CreatedRef]
    skipped_items: Annotated[list[SkippedItem], Field(description="the first 100 skipped")]
