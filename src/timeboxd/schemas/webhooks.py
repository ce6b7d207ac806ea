"""Webhook bodies and shapes, and the delivery log's (SPEC §3 "Events")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from timeboxd.schemas.common import UNSET, Input, Paging, Unset

MAX_PATTERN = 60


def _patterns(value: Any) -> Any:
    """Each pattern a short string, said of ``events`` itself: the list is one setting,
    not a batch of items to report one by one."""
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, str) or not 1 <= len(item) <= MAX_PATTERN:
                raise ValueError(
                    f"each entry must be an event type, a wildcard like block.* or *, "
                    f"of 1 to {MAX_PATTERN} characters"
                )
    return value


Url = Annotated[str, Field(min_length=1, max_length=2000, examples=["https://example.com/hooks"])]
Patterns = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=MAX_PATTERN)]],
    BeforeValidator(_patterns),
    Field(
        min_length=1,
        max_length=50,
        description="event types, `block.*` style wildcards, or `*` for every event",
        examples=[["block.*", "timer.started"]],
    ),
]
Description = Annotated[str, Field(max_length=500)]


class WebhookCreate(Input):
    url: Url
    events: Patterns = Field(default_factory=lambda: ["*"])
    description: Description = ""
    active: bool = True


class WebhookPatch(Input):
    url: Url | None = None
    events: Patterns | None = None
    description: Description | None = None
    active: bool | None = None


@dataclass(slots=True)
class WebhookChanges:
    """What a PATCH changes; ``UNSET``: not sent, keep the value."""

    url: str | Unset | None = UNSET
    events: list[str] | Unset | None = UNSET
    description: str | Unset | None = UNSET
    active: bool | Unset | None = UNSET


@dataclass(slots=True)
class WebhookOut:
    id: str
    url: str
    events: list[str]
    description: str
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class WebhookWithSecret(WebhookOut):
    """A webhook as created or with a new secret: the only answers that show the secret."""

    secret: str


@dataclass(slots=True)
class DeliveryOut:
    id: str
    webhook_id: str
    event_id: str
    type: str
    status: str  # pending, succeeded or failed
    attempt: int  # attempts made so far
    status_code: int | None  # of the last attempt
    duration_ms: int | None
    error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DeliveryQuery(Paging):
    status: str | None = Field(None, pattern="^(pending|succeeded|failed)$")
