"""``/v1/me`` and ``/v1/api-keys`` bodies and shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from timeboxd.schemas.common import Input, TimeZoneName


class MePatch(Input):
    name: str | None = Field(default=None, max_length=200)
    timezone: TimeZoneName | None = None
    week_start: Literal["monday", "sunday"] | None = None
    daily_goal_minutes: int | None = Field(default=None, ge=0, le=1440)


class MeOut(BaseModel):
    id: str
    email: str
    name: str
    timezone: str
    week_start: str
    daily_goal_minutes: int | None
    livemode: bool
    calendar_feed_url: str | None
    created_at: datetime
    updated_at: datetime


class ApiKeyCreate(Input):
    name: str = Field(default="", max_length=200)
    scopes: list[str] | None = Field(default=None, max_length=20)
    mode: Literal["live", "test"] | None = None
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    mode: str
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKeyOut):
    key: str
