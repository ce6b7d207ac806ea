"""Project bodies and the project resource shape."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from timeboxd.schemas.common import Id, Input

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
    name: str | None = Field(default=None, min_length=1, max_length=200)
    color: str | None = Field(default=None, pattern=COLOR)
    client_id: Id | None = None
    billable: bool | None = None
    hourly_rate: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    currency: str | None = Field(default=None, pattern=CURRENCY)
    budget_minutes: int | None = Field(default=None, ge=0, le=100_000_000)


class ProjectOut(BaseModel):
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
