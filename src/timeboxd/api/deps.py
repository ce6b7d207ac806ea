"""Per-request context: the authenticated principal, the request's unit of work and the
clock. The dependency owns the unit of work: it opens it (a read for GET and HEAD, a write
for every other method), the handler passes ``ctx.session`` to one service, and the unit
is committed before the response is sent, or rolled back on any error.

Where the commit runs matters. A plain ``def`` handler runs in the thread pool and takes
the write lock there (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's row locks), so the same
thread commits as soon as the handler returns (``UnitOfWorkRoute``): a commit that waited
for the event loop or for another pool thread could wait behind the very requests queued
on its lock, and every writer would stall until the lock timeout."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from timeboxd.api import envelope, idempotency
from timeboxd.api.ratelimit import RateLimiter
from timeboxd.api.streams import StreamSlots
from timeboxd.config import Settings
from timeboxd.errors import RateLimited, ServiceUnavailable, Unauthorized
from timeboxd.services.accounts import apikeys
from timeboxd.services.context import Clock, Principal
from timeboxd.services.database import Database, UnitOfWork
from timeboxd.services.insights.stats_cache import Store
from timeboxd.services.paging import Page


@dataclass(slots=True)
class Runtime:
    """What create_app builds once and every request shares."""

    settings: Settings
    db: Database
    clock: Clock
    limiter: RateLimiter
    stats_store: Store  # the statistics cache: in process, or the settings' Redis
    streams: StreamSlots  # the NDJSON streams open in this process


READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(slots=True)
class Ctx:
    principal: Principal
    unit: UnitOfWork
    now: datetime
    request_id: str
    base_url: str
    db: Database  # only for work that outlives the request's unit: streams, idempotency

    @property
    def session(self) -> Session:
        return self.unit.session

    @property
    def conn(self) -> Connection:
        """The unit's connection, for hot reads that need no ORM session."""
        return self.unit.connection()

    def ok(self, data: Any, *, status: int = 200, etag: str | None = None) -> Response:
        headers: Mapping[str, str] | None = {"ETag": etag} if etag else None
        return envelope.success(data, self.request_id, self.now, status=status, headers=headers)

    def page(self, items: Page[Any]) -> Response:
        return envelope.page(items, self.request_id, self.now)


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def scoped(scope: str | None, *, replayable: bool = True) -> Any:  # FastAPI types Depends as Any
    """The dependency every ``/v1`` route takes: authenticate the key, apply its rate
    limit, require ``scope`` (``None``: any valid key), claim a POST's
    ``Idempotency-Key``, then hand the handler its unit of work. A route whose answer shows
    a secret once is not ``replayable``: its answer is never stored."""

    async def dependency(request: Request) -> AsyncIterator[Ctx]:
        rt = runtime(request)
        secret = api_key(request)
        if not secret:
            raise Unauthorized("send an API key as Authorization: Bearer <key> or X-API-Key")
        now = rt.clock()
        unit = rt.db.unit(write=request.method not in READ_METHODS)
        try:
            # Everything that waits on the database or the rate-limit store runs in the
            # thread pool, in one hand-off: the event loop never waits for a pooled
            # connection, and /health answers however busy the pool is.
            principal = await run_in_threadpool(
                _admit, rt, request, unit, secret, now, scope, replayable
            )
            base_url = rt.settings.public_url or str(request.base_url).rstrip("/")
            yield Ctx(principal, unit, now, request.state.request_id, base_url, rt.db)
            if unit.write:  # an async handler's unit (a sync one committed in its thread)
                await run_in_threadpool(unit.commit)
        except BaseException as exc:
            if isinstance(exc, ServiceUnavailable):
                request.state.extra_headers = [
                    *getattr(request.state, "extra_headers", ()),
                    (b"retry-after", b"1"),
                ]
            unit.rollback()
            raise
        finally:
            unit.close()

    dependency.__name__ = f"require_{(scope or 'key').replace(':', '_')}"
    dependency.required_scope = scope or "any"  # type: ignore[attr-defined]  # for OpenAPI
    # "function": the unit ends when the handler returns, before the response is sent, so
    # a failed commit is the caller's error response, never a 200 for a lost write.
    return Depends(dependency, scope="function")


def _admit(
    rt: Runtime,
    request: Request,
    unit: UnitOfWork,
    secret: str,
    now: datetime,
    scope: str | None,
    replayable: bool,
) -> Principal:
    """Authenticate, count the request against its key's quota, check the scope and
    claim an ``Idempotency-Key``; in a pool thread (see ``scoped``).

    A read authenticates on its own unit's connection, which the handler then reads on
    (one checkout, taken here rather than on the event loop by an async handler). A
    write authenticates on a connection of its own: its unit takes the write lock at its
    first statement, which must not happen before the request is admitted."""
    interval = timedelta(seconds=rt.settings.key_touch_interval_seconds)
    if unit.write:
        with rt.db.connect() as conn:
            principal = apikeys.authenticate(conn, secret, now, interval)
    else:
        principal = apikeys.authenticate(unit.connection(), secret, now, interval)
    unit.serial = principal.user_id  # a write queues behind the account's others
    verdict = rt.limiter.hit(principal.key_id or principal.user_id)
    request.state.extra_headers = verdict.headers()
    if not verdict.allowed:
        raise RateLimited(f"rate limit exceeded; retry in {max(1, verdict.reset_seconds)} s")
    if scope is not None:
        principal.require(scope)
    if request.method == "POST":
        owner = principal.key_id or principal.user_id
        idempotency.claim(request, rt.db, owner, now, store=replayable)
    return principal


def api_key(request: Request) -> str | None:
    """The key from ``Authorization: Bearer`` or else ``X-API-Key``. Read here rather than
    through FastAPI's security classes, which cost a thread hand-off each per request; the
    OpenAPI document declares both schemes (see ``SECURITY_SCHEMES``)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("x-api-key") or None


SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer tbx_live_...`",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "`X-API-Key`"},
}


class UnitOfWorkRoute(APIRoute):
    """A route whose plain ``def`` handler commits its request's unit of work in its own
    thread, right after it returns (see the module docstring); the dependency's later
    commit then finds nothing left to do. Every ``/v1`` router uses it."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        ctx = kwargs.get("ctx")
        if isinstance(ctx, Ctx) and ctx.unit.write:
            ctx.unit.commit()
        return result

    return handler
