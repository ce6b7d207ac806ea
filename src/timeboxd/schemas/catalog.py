"""Bodies and shapes of clients, their contacts, tags and tasks (SPEC §3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from timeboxd.schemas.common import Id, Input, LocalDate, Paging, QueryModel

COLOR = r"^#[0-9A-Fa-f]{6}$"
# A plausible address; whether it receives mail is not ours to check.
EmailStr = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Name = Field(min_length=1, max_length=200)
Status = Literal["todo", "in_progress", "done"]
Priority = Literal["low", "normal", "high", "urgent"]


class ClientCreate(Input):
    name: str = Name
    workspace_id: Id | None = None
    email: EmailStr | None = None
    notes: str = Field(default="", max_length=10_000)


class ClientPut(Input):
    """PUT replaces every writable field (the workspace cannot move)."""

    name: str = Name
    email: EmailStr | None = None
    notes: str = Field(default="", max_length=10_000)


class ClientPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    notes: str | None = Field(default=None, max_length=10_000)


class ClientOut(BaseModel):
    id: str
    workspace_id: str
    name: str
    email: str | None
    notes: str
    created_at: datetime
    updated_at: datetime


class ContactCreate(Input):
    name: str = Name
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50, pattern=r"^[0-9+()./ -]{3,50}$")
    role: str | None = Field(default=None, max_length=100)


class ContactPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50, pattern=r"^[0-9+()./ -]{3,50}$")
    role: str | None = Field(default=None, max_length=100)


class ContactOut(BaseModel):
    id: str
    client_id: str
    name: str
    email: str | None
    phone: str | None
    role: str | None
    created_at: datetime
    updated_at: datetime


class TagCreate(Input):
    name: str = Field(min_length=1, max_length=100)
    workspace_id: Id | None = None
    color: str | None = Field(default=None, pattern=COLOR)


class TagPut(Input):
    name: str = Field(min_length=1, max_length=100)
    color: str | None = Field(default=None, pattern=COLOR)


class TagPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    color: str | None = Field(default=None, pattern=COLOR)


class TagOut(BaseModel):
    id: str
    workspace_id: str
    name: str
    color: str | None
    created_at: datetime
    updated_at: datetime


class TaskCreate(Input):
    project_id: Id
    name: str = Name
    notes: str = Field(default="", max_length=10_000)
    status: Status = "todo"
    priority: Priority = "normal"
    estimated_minutes: int | None = Field(default=None, ge=0, le=1_000_000)
    due_date: LocalDate | None = None
    tag_ids: list[Id] = Field(default_factory=list, max_length=50)


class TaskPut(TaskCreate):
    """PUT replaces every writable field."""


class TaskPatch(Input):
    project_id: Id | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)
    status: Status | None = None
    priority: Priority | None = None
    estimated_minutes: int | None = Field(default=None, ge=0, le=1_000_000)
    due_date: LocalDate | None = None
    tag_ids: list[Id] | None = Field(default=None, max_length=50)


class TaskOut(BaseModel):
    id: str
    project_id: str
    name: str
    notes: str
    status: Status
    priority: Priority
    estimated_minutes: int | None
    due_date: date | None
    tag_ids: list[str]
    created_at: datetime
    updated_at: datetime


class TaskQuery(Paging):
    project_id: str | None = Field(None, max_length=32)
    status: Status | None = None
    priority: Priority | None = None
    tag_id: str | None = Field(None, max_length=32)
    due_before: LocalDate | None = Field(None, description="tasks due on or before this date")


class ListQuery(Paging, QueryModel):
    """Clients and tags: an optional workspace."""

    workspace_id: str | None = Field(None, max_length=32)
