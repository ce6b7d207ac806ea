"""Workspace and membership bodies and shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from timeboxd.schemas.catalog import Name
from timeboxd.schemas.common import Input


class WorkspaceCreate(Input):
    name: Name


class MemberAdd(Input):
    email: str = Field(min_length=3, max_length=320)
    role: Literal["admin", "member"] = "member"


class MemberPatch(Input):
    role: Literal["admin", "member"]


class WorkspaceOut(BaseModel):
    id: str
    name: str
    personal: bool
    owner_id: str
    role: str
    created_at: datetime


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    created_at: datetime
