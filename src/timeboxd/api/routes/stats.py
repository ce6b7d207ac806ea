"""``/v1/stats`` and ``/v1/productivity``."""

from __future__ import annotations

import time

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from timeboxd.api.deps import Ctx, runtime, scoped
from timeboxd.api.query import query
from timeboxd.domain.wallclock import local_today
from timeboxd.schemas.common import Envelope
from timeboxd.schemas.stats import ProductivityOut, ProductivityParams, StatsOut, StatsParams
from timeboxd.services.insights import productivity, stats
from timeboxd.services.insights.stats_cache import Store, cached, make_store

router = APIRouter(prefix="/v1", tags=["statistics"])
read = scoped("read:stats")


def store(request: Request) -> Store:
    """One cache per app (in process, or the Redis of the settings)."""
    state = request.app.state
    if getattr(state, "stats_store", None) is None:
        state.stats_store = make_store(runtime(request).settings.redis_url)
    found: Store = state.stats_store
    return found


def answer(ctx: Ctx, body: bytes, hit: bool, began: float) -> Response:
    response = ctx.ok(orjson.Fragment(body))
    response.headers["X-Cache"] = "hit" if hit else "miss"
    # The handler's own time (cache lookup or computation), for clients and benchmarks.
    took = (time.perf_counter() - began) * 1000
    response.headers["Server-Timing"] = f"stats;desc={'hit' if hit else 'miss'};dur={took:.2f}"
    return response


@router.get("/stats", operation_id="getStats", response_model=Envelope[StatsOut])
def get_stats(
    request: Request, ctx: Ctx = read, p: StatsParams = Depends(query(StatsParams))
) -> Response:
    began = time.perf_counter()
    today = local_today(ctx.now, ctx.principal.timezone)
    with ctx.db.read() as s:
        body, hit = cached(
            store(request),
            s,
            ctx.principal,
            ("stats", today, p.period, p.date_from, p.date_to),
            lambda: stats.stats(s, ctx.principal, ctx.now, p.period, p.date_from, p.date_to),
        )
    return answer(ctx, body, hit, began)


@router.get(
    "/productivity", operation_id="getProductivity", response_model=Envelope[ProductivityOut]
)
def get_productivity(
    request: Request, ctx: Ctx = read, p: ProductivityParams = Depends(query(ProductivityParams))
) -> Response:
    began = time.perf_counter()
    today = local_today(ctx.now, ctx.principal.timezone)
    with ctx.db.read() as s:
        body, hit = cached(
            store(request),
            s,
            ctx.principal,
            ("productivity", today, p.weeks),
            lambda: productivity.productivity(s, ctx.principal, ctx.now, p.weeks),
        )
    return answer(ctx, body, hit, began)
