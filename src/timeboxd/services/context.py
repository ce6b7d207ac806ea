"""Who is calling, and what time it is: passed explicitly to every service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from timeboxd.domain.keys import grants
from timeboxd.errors import Forbidden

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    livemode: bool
    scopes: frozenset[str]
    key_id: str | None
    timezone: str
    week_start: str

    def require(self, scope: str) -> None:
        if not grants(self.scopes, scope):
            raise Forbidden(f"this API key lacks the {scope!r} scope")
