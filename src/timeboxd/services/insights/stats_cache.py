"""Statistics cached per account until its next write (SPEC §3 "Statistics").

The key holds the account's stats version, which a trigger raises on every write to its
blocks or time entries (migration 0008), so a cached answer is never stale after a write,
whatever wrote it. The key also holds everything else an answer depends on: the query, the
account's zone and week start, the local date, and the last change to a project the
account can see (the report shows project names, which a teammate may change). While a
timer runs the answer changes every second: it is not cached then. In process by default;
in Redis when one is set, so that every worker process shares it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from threading import Lock
from typing import Any, Protocol

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from timeboxd.db.models import Project, WorkspaceMember
from timeboxd.db.tracking import TimeEntry
from timeboxd.domain.wallclock import local_today
from timeboxd.schemas.stats import ProductivityParams, StatsParams
from timeboxd.services.context import Principal
from timeboxd.services.insights import productivity, stats

log = logging.getLogger("timeboxd.stats")

# Read with plain SQL: the table has no ORM model (it is kept by triggers).
VERSION_SQL = "SELECT version FROM stats_versions WHERE user_id = :u AND livemode = :m"


class Store(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes) -> None: ...


class MemoryStore:
    def __init__(self, size: int = 2048) -> None:
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.size = size
        self.lock = Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class RedisStore:
    """A cache, not a store of record: when Redis cannot be reached, a read misses and a
    write is dropped (and logged), so statistics are computed instead of failing."""

    TTL_SECONDS = 7 * 24 * 3600  # versions make entries stale, not time: this only frees space

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.errors: tuple[type[Exception], ...] = (redis.RedisError,)

    def get(self, key: str) -> bytes | None:
        try:
            value = self.client.get(key)
        except self.errors as exc:
            log.warning("statistics cache unavailable: %s", exc)
            return None
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes) -> None:
        try:
            self.client.set(key, value, ex=self.TTL_SECONDS)
        except self.errors as exc:
            log.warning("statistics cache unavailable: %s", exc)


def make_store(redis_url: str | None) -> Store:
    return RedisStore(redis_url) if redis_url else MemoryStore()


def version(session: Session, principal: Principal) -> int:
    found = session.execute(
        text(VERSION_SQL), {"u": principal.user_id, "m": principal.livemode}
    ).scalar()
    return int(found or 0)


def projects_changed(session: Session, principal: Principal) -> tuple[int, int]:
    """How many projects the account's workspaces hold and the sum of their versions: any
    change to one (its name shows in the report) changes the pair."""
    found = session.execute(
        select(func.count(), func.sum(Project.version))
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Project.workspace_id)
        .where(WorkspaceMember.user_id == principal.user_id)
    ).one()
    return int(found[0]), int(found[1] or 0)


def running(session: Session, principal: Principal) -> bool:
    return (
        session.scalar(
            select(TimeEntry.id).where(
                TimeEntry.user_id == principal.user_id,
                TimeEntry.livemode == principal.livemode,
                TimeEntry.end_at.is_(None),
            )
        )
        is not None
    )


@dataclass(frozen=True, slots=True)
class Cached:
    """An answer's JSON, and whether it came from the store."""

    body: bytes
    hit: bool


def statistics(
    store: Store,
    session: Session,
    principal: Principal,
    now: datetime,
    query: StatsParams | ProductivityParams,
) -> Cached:
    """``/v1/stats`` or ``/v1/productivity``, whichever ``query`` asks for, through the
    cache: both depend on the same writes, so both are cached by the same rule."""
    today = local_today(now, principal.timezone)
    parts: tuple[Any, ...]
    compute: Callable[[], Any]
    if isinstance(query, ProductivityParams):
        parts = ("productivity", today, query.weeks)
        compute = partial(productivity.productivity, session, principal, now, query.weeks)
    else:
        parts = ("stats", today, query.period, query.date_from, query.date_to)
        compute = partial(
            stats.stats, session, principal, now, query.period, query.date_from, query.date_to
        )
    return cached(store, session, principal, parts, compute)


def cached(
    store: Store,
    session: Session,
    principal: Principal,
    parts: tuple[Any, ...],
    compute: Callable[[], Any],
) -> Cached:
    """The JSON of ``compute()``, from the store when nothing changed."""
    if running(session, principal):
        return Cached(orjson.dumps(compute(), option=orjson.OPT_NON_STR_KEYS), False)
    key = (
        "tbx:stats:"
        + orjson.dumps(
            [
                principal.user_id,
                principal.livemode,
                principal.timezone,
                principal.week_start,
                version(session, principal),
                projects_changed(session, principal),
                *parts,
            ],
            default=str,
        ).decode()
    )
    hit = store.get(key)
    if hit is not None:
        return Cached(hit, True)
    value = orjson.dumps(compute(), option=orjson.OPT_NON_STR_KEYS)
    store.set(key, value)
    return Cached(value, False)
