"""Search parameters and hits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from timeboxd.schemas.common import QueryModel


class SearchParams(QueryModel):
    q: str = Field(min_length=1, max_length=200, description="words; the last may be a prefix")
    type: str | None = Field(
        None,
        max_length=100,
        description="comma-separated kinds: project, task, client, block, entry",
        examples=["block,entry"],
    )
    limit: int = Field(20, ge=1, le=100)


@dataclass(slots=True)
class HitOut:
    type: Literal["project", "task", "client", "block", "entry"]
    id: str
    title: str
    date: dt.date | None  # dt.date: the field's name hides the type within the class
    project_id: str | None
