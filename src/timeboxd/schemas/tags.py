"""Tag bodies and shape (SPEC §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from timeboxd.schemas.catalog import COLOR, TagName
from timeboxd.schemas.common import Id, Input

Color = Annotated[str, Field(pattern=COLOR)]


class TagPut(Input):
    """PUT replaces every writable field (the workspace cannot move)."""

    name: TagName
    color: Color | None = None


class TagCreate(TagPut):
    workspace_id: Id | None = None


class TagPatch(Input):
    name: TagName | None = None
    color: Color | None = None


class TagOut(BaseModel):
    id: str
    workspace_id: str
    name: str
    color: str | None
    created_at: datetime
    updated_at: datetime
