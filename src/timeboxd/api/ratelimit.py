"""Per-key rate limits with the ``limits`` library: memory by default, Redis when configured."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter


@dataclass(slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(max(1, self.reset_seconds)).encode()))
        return out


class RateLimiter:
    """Two windows per key: the per-minute quota and the per-second burst."""

    def __init__(self, per_minute: int, per_second: int, redis_url: str | None = None) -> None:
        storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
        self.storage = cast(Storage, storage)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self.minute = RateLimitItemPerMinute(per_minute)
        self.second = RateLimitItemPerSecond(per_second)

    def hit(self, key: str) -> Verdict:
        now = time.time()
        # Check the burst window first so a rejected burst does not spend minute quota.
        if not self.limiter.hit(self.second, "tbx", key):
            stats = self.limiter.get_window_stats(self.second, "tbx", key)
            return Verdict(False, self.second.amount, 0, _secs(stats.reset_time - now))
        allowed = self.limiter.hit(self.minute, "tbx", key)
        stats = self.limiter.get_window_stats(self.minute, "tbx", key)
        return Verdict(
            allowed, self.minute.amount, max(0, stats.remaining), _secs(stats.reset_time - now)
        )

    def check_ready(self) -> bool:
        return bool(self.storage.check())


def _secs(delta: float) -> int:
    return max(0, math.ceil(delta))
