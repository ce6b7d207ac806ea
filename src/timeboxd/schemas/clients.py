"""Client and contact bodies and shapes (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import Field

from timeboxd.schemas.catalog import EmailStr, Name
from timeboxd.schemas.common import UNSET, Id, Input, Unset, omittable

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
    name: Name | None = omittable()
    email: EmailStr | None = None
    notes: Notes | None = omittable()


@dataclass(slots=True)
class ClientChanges:
    """What a PATCH (or PUT) changes; ``UNSET``: not sent, keep the value."""

    name: str | Unset | None = UNSET
    email: str | Unset | None = UNSET
    notes: str | Unset | None = UNSET


@dataclass(slots=True)
class ClientOut:
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
    name: Name | None = omittable()
    email: EmailStr | None = None
    phone: Phone | None = None
    role: Role | None = None


@dataclass(slots=True)
class ContactChanges:
    """What a PATCH (or PUT) changes; ``UNSET``: not sent, keep the value."""

    name: str | Unset | None = UNSET
    email: str | Unset | None = UNSET
    phone: str | Unset | None = UNSET
    role: str | Unset | None = UNSET


@dataclass(slots=True)
class ContactOut:
    id: str
    client_id: str
    name: str
    email: str | None
    phone: str | None
    role: str | None
    created_at: datetime
    updated_at: datetime
