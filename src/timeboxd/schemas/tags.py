"""Tag bodies and shape (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import Field

from timeboxd.schemas.catalog import COLOR, TagName
from timeboxd.schemas.common import UNSET, Id, Input, Unset, omittable

Color = Annotated[str, Field(pattern=COLOR)]


class TagPut(Input):
    """PUT replaces every writable field (the workspace cannot move)."""

    name: TagName
    color: Color | None = None


class TagCreate(TagPut):
    workspace_id: Id | None = None


class TagPatch(Input):
    name: TagName | None = omittable()
    color: Color | None = None


@dataclass(slots=True)
class TagChanges:
    """What a PATCH (or PUT) changes; ``UNSET``: not sent, keep the value."""

    name: str | Unset | None = UNSET
    color: str | Unset | None = UNSET


@dataclass(slots=True)
class TagOut:
    id: str
    workspace_id: str
    name: str
    color: str | None
    created_at: datetime
    updated_at: datetime
