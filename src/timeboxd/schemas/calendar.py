"""The calendar feed's token, as ``POST /v1/calendar/token`` answers it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FeedToken:
    token: str
    url: str
