"""``/v1/me`` and ``/v1/api-keys`` bodies, typed changes and shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field, StrictInt

from timeboxd.schemas.common import UNSET, Input, TimeZoneName, Unset, omittable


class MePatch(Input):
    name: str | None = omittable(max_length=200)
    timezone: TimeZoneName | None = omittable()
    week_start: Literal["monday", "sunday"] | None = omittable()
    # Strict: JSON true is not a number of minutes.
    daily_goal_minutes: StrictInt | None = Field(default=None, ge=0, le=1440)


@dataclass(slots=True)
class MeChanges:
    """What a PATCH of the profile changes; ``UNSET``: not sent, keep the value. A sent
    ``None`` clears ``daily_goal_minutes``; the other fields cannot be cleared."""

    name: str | Unset | None = UNSET
    timezone: str | Unset | None = UNSET
    week_start: str | Unset | None = UNSET
    daily_goal_minutes: int | Unset | None = UNSET


@dataclass(slots=True)
class MeOut:
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


@dataclass(slots=True)
class ApiKeyOut:
    id: str
    name: str
    prefix: str
    mode: str
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


# The only shape that ever carries the secret: the answer to creating a key.
@dataclass(slots=True)
class ApiKeyCreated(ApiKeyOut):
    key: str
