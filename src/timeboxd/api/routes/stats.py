"""``/v1/stats``, ``/v1/productivity`` and the value dashboard ``/v1/stats/value``."""

from __future__ import annotations

import time
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, runtime, scoped
from timeboxd.api.query import query
from timeboxd.schemas.common import Envelope
from timeboxd.schemas.stats import ProductivityOut, ProductivityParams, StatsOut, StatsParams
from timeboxd.schemas.value import ValueOut, ValueParams
from timeboxd.services.insights import stats_cache
from timeboxd.services.insights.stats_cache import Store
from timeboxd.services.tracking import value

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1", tags=["statistics"])
read = scoped("read:stats")
# Money and, for a team's owners and admins, everyone's time: what a report shows.
read_reports = scoped("read:reports")


def stats_store(request: Request) -> Store:
    """The app's statistics cache (built once, in create_app)."""
    return runtime(request).stats_store


Cache = Annotated[Store, Depends(stats_store)]


@router.get("/stats", operation_id="getStats", response_model=Envelope[StatsOut])
def get_stats(
    store: Cache, ctx: Ctx = read, p: StatsParams = Depends(query(StatsParams))
) -> Response:
    return answer(ctx, store, p)


@router.get(
    "/productivity", operation_id="getProductivity", response_model=Envelope[ProductivityOut]
)
def get_productivity(
    store: Cache, ctx: Ctx = read, p: ProductivityParams = Depends(query(ProductivityParams))
) -> Response:
    return answer(ctx, store, p)


@router.get("/stats/value", operation_id="getValueStats", response_model=Envelope[ValueOut])
def get_value(ctx: Ctx = read_reports, p: ValueParams = Depends(query(ValueParams))) -> Response:
    return ctx.ok(value.value(ctx.session, ctx.principal, ctx.now, p))


def answer(ctx: Ctx, store: Store, p: StatsParams | ProductivityParams) -> Response:
    began = time.perf_counter()
    found = stats_cache.statistics(store, ctx.session, ctx.principal, ctx.now, p)
    response = ctx.ok(orjson.Fragment(found.body))
    state = "hit" if found.hit else "miss"
    response.headers["X-Cache"] = state
    # The handler's own time (cache lookup or computation), for clients and benchmarks.
    took = (time.perf_counter() - began) * 1000
    response.headers["Server-Timing"] = f"stats;desc={state};dur={took:.2f}"
    return response
