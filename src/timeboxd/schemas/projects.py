"""Project bodies and the project resource shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from timeboxd.schemas.common import UNSET, Id, Input, Unset, omittable

COLOR = r"^#[0-9A-Fa-f]{6}$"
CURRENCY = r"^[A-Z]{3}$"


class ProjectCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    workspace_id: Id | None = None
    color: str | None = Field(default=None, pattern=COLOR)
    client_id: Id | None = None
    billable: bool = False
    hourly_rate: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    currency: str | None = Field(default=None, pattern=CURRENCY)
    budget_minutes: int | None = Field(default=None, ge=0, le=100_000_000)


class ProjectPut(ProjectCreate):
    """PUT replaces every writable field (the workspace cannot move)."""


class ProjectPatch(Input):
    name: str | None = omittable(min_length=1, max_length=200)
    color: str | None = Field(default=None, pattern=COLOR)
    client_id: Id | None = None
    billable: bool | None = omittable()
    hourly_rate: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    currency: str | None = Field(default=None, pattern=CURRENCY)
    budget_minutes: int | None = Field(default=None, ge=0, le=100_000_000)


@dataclass(slots=True)
class ProjectChanges:
    """What a PATCH (or PUT) changes; ``UNSET``: not sent, keep the value."""

    name: str | Unset | None = UNSET
    color: str | Unset | None = UNSET
    client_id: str | Unset | None = UNSET
    billable: bool | Unset | None = UNSET
    hourly_rate: Decimal | Unset | None = UNSET
    currency: str | Unset | None = UNSET
    budget_minutes: int | Unset | None = UNSET


@dataclass(slots=True)
class ProjectOut:
    id: str
    workspace_id: str
    name: str
    color: str | None
    client_id: str | None
    billable: bool
    hourly_rate: str | None
    currency: str | None
    budget_minutes: int | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
