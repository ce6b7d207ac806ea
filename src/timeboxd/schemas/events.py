"""The change feed's shapes: an event and the feed's meta."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from timeboxd.schemas.common import Meta, QueryModel


@dataclass(slots=True)
class EventOut:
    id: str
    type: str
    timestamp: datetime
    data: Any  # the resource as the API shows it, or a tombstone {"id", "deleted": true}


class FeedMeta(Meta):
    next: str | None
    has_more: bool


class FeedParams(QueryModel):
    after: str | None = Field(
        None,
        max_length=40,
        description="the last event id read (`meta.next`); none: from the oldest kept",
    )
    types: str | None = Field(
        None, max_length=2000, description="comma-separated types, `block.*` style wildcards or `*`"
    )
    limit: int = Field(100, ge=1, le=1000)


class FeedEnvelope(BaseModel):
    data: list[EventOut]
    error: None
    meta: FeedMeta
