"""Client and contact bodies and shapes (SPEC §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from timeboxd.schemas.catalog import EmailStr, Name
from timeboxd.schemas.common import Id, Input

Notes = Annotated[str, Field(max_length=10_000)]
Phone = Annotated[str, Field(max_length=50, pattern=r"^[0-9+()./ -]{3,50}$")]
Role = Annotated[str, Field(max_length=100)]


class ClientPut(Input):
    """PUT replaces every writable field (the workspace cannot move)."""

    name: Name
    email: EmailStr | None = None
    notes: Notes = ""


class ClientCreate(ClientPut):
    workspace_id: Id | None = None


class ClientPatch(Input):
    name: Name | None = None
    email: EmailStr | None = None
    notes: Notes | None = None


class ClientOut(BaseModel):
    id: str
    workspace_id: str
    name: str
    email: str | None
    notes: str
    created_at: datetime
    updated_at: datetime


class ContactCreate(Input):
    """Also the PUT body: omitted fields become null."""

    name: Name
    email: EmailStr | None = None
    phone: Phone | None = None
    role: Role | None = None


class ContactPatch(Input):
    name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    role: Role | None = None


class ContactOut(BaseModel):
    id: str
    client_id: str
    name: str
    email: str | None
    phone: str | None
    role: str | None
    created_at: datetime
    updated_at: datetime
