"""Per-key rate limits with the ``limits`` library: memory by default, Redis when configured.

When the configured Redis cannot be reached, each process counts in its own memory until it
can again (logged at most once a minute; ``/ready`` reports the store unreachable): an
outage of the counter store neither refuses every request nor lifts the limits.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

log = logging.getLogger("timeboxd.api")


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


class _MemoryCounters(MemoryStorage):
    """The library's in-memory counters without its sweeper thread. ``MemoryStorage``
    starts a timer thread on each hit when none is alive (one every 10 ms under load), on
    the event loop, which then waits until the new thread has been scheduled; each read
    of a counter already drops it when expired (``get``), so the sweep only frees keys
    nobody asks for again: done here inline, at most once a minute."""

    SWEEP_SECONDS = 60.0

    def __init__(self) -> None:
        super().__init__()
        self._swept_at = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the private scheduler
        now = time.monotonic()
        if now - self._swept_at >= self.SWEEP_SECONDS:
            self._swept_at = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


class RateLimiter:
    """Two windows per key: the per-minute quota and the per-second burst."""

    def __init__(self, per_minute: int, per_second: int, redis_url: str | None = None) -> None:
        self.errors: tuple[type[Exception], ...] = ()
        if redis_url:
            import redis

            storage = storage_from_string(redis_url, socket_connect_timeout=1, socket_timeout=1)
            self.errors = (redis.RedisError,)
        else:
            storage = _MemoryCounters()
        self.storage = cast(Storage, storage)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self.fallback = SlidingWindowCounterRateLimiter(_MemoryCounters())
        self.minute = RateLimitItemPerMinute(per_minute)
        self.second = RateLimitItemPerSecond(per_second)
        self.warned_at = -math.inf

    def hit(self, key: str) -> Verdict:
        try:
            return self._hit(self.limiter, key)
        except self.errors as exc:
            if time.monotonic() - self.warned_at >= 60:
                self.warned_at = time.monotonic()
                log.warning("rate-limit store unreachable, counting in memory: %s", exc)
            return self._hit(self.fallback, key)

    def _hit(self, limiter: SlidingWindowCounterRateLimiter, key: str) -> Verdict:
        now = time.time()
        # Check the burst window first so a rejected burst does not spend minute quota.
        if not limiter.hit(self.second, "tbx", key):
            stats = limiter.get_window_stats(self.second, "tbx", key)
            return Verdict(False, self.second.amount, 0, _secs(stats.reset_time - now))
        allowed = limiter.hit(self.minute, "tbx", key)
        stats = limiter.get_window_stats(self.minute, "tbx", key)
        return Verdict(
            allowed, self.minute.amount, max(0, stats.remaining), _secs(stats.reset_time - now)
        )

    def check_ready(self) -> bool:
        return bool(self.storage.check())


def _secs(delta: float) -> int:
    return max(0, math.ceil(delta))
