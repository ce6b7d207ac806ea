"""Workspace and membership bodies, typed changes and shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool

from timeboxd.schemas.catalog import Name
from timeboxd.schemas.common import UNSET, Input, Unset, omittable


class WorkspaceCreate(Input):
    name: Name
    allow_self_approval: StrictBool = False


class WorkspacePatch(Input):
    # Declared without None: a sent null fails the type (400 naming the field).
    name: Name = omittable()
    allow_self_approval: StrictBool = omittable()


@dataclass(slots=True)
class WorkspaceChanges:
    """What a PATCH of a workspace changes; ``UNSET``: not sent, keep the value."""

    name: str | Unset = UNSET
    allow_self_approval: bool | Unset = UNSET


class MemberAdd(Input):
    email: str = Field(min_length=3, max_length=320)
    role: Literal["admin", "member"] = "member"


class MemberPatch(Input):
    role: Literal["admin", "member"]


@dataclass(slots=True)
class MemberChanges:
    """What a PATCH of a membership changes; ``UNSET``: not sent, keep the value."""

    role: str | Unset = UNSET


@dataclass(slots=True)
class WorkspaceOut:
    id: str
    name: str
    personal: bool
    owner_id: str
    role: str
    allow_self_approval: bool
    created_at: datetime


@dataclass(slots=True)
class MemberOut:
    user_id: str
    email: str
    name: str
    role: str
    created_at: datetime
