"""``GET /metrics``: Prometheus text, summed over every process of the server.

``timeboxd serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before any
process starts, so each uvicorn worker and the in-process webhook worker write their
figures there and any one of them answers for all (prometheus_client's multiprocess
mode). A process started without it (tests, an embedded app) counts in memory alone.
Requests are labelled by route template (``/v1/blocks/{block_id}``), never by raw path;
a request that matched no route is ``unmatched``.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from fastapi import APIRouter, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from timeboxd.api import envelope
from timeboxd.api.deps import runtime
from timeboxd.errors import Unauthorized
from timeboxd.services.database import Database
from timeboxd.services.events import dispatch

REQUESTS = Counter(
    "timeboxd_http_requests", "HTTP requests answered", ["method", "route", "status"]
)
DURATION = Histogram(
    "timeboxd_http_request_duration_seconds",
    "Time to answer a request, by route template",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
POOL_CHECKED_OUT = Gauge(
    "timeboxd_db_pool_checked_out",
    "Database connections in use, over every process",
    multiprocess_mode="livesum",
)

router = APIRouter(tags=["service"])


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class QueueDepth(Collector):
    """Pending webhook deliveries, read from the database when scraped."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "timeboxd_webhook_queue_depth", "Webhook deliveries waiting for an attempt"
        )
        family.add_metric([], dispatch.queue_depth(self.db))
        yield family


class PoolFigures(Collector):
    """This process's connection pool (in multiprocess mode the checked-out gauge above
    sums every process)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.db.engine.pool
        size = getattr(pool, "size", None)
        family = GaugeMetricFamily("timeboxd_db_pool_size", "Connections the pool keeps open")
        family.add_metric([], float(size() if callable(size) else 0))
        yield family


@router.get("/metrics", operation_id="metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    rt = runtime(request)
    token = rt.settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            error = Unauthorized("send the metrics token as Authorization: Bearer <token>")
            return envelope.failure(error, request.state.request_id, rt.clock())
    registry = CollectorRegistry()
    if multiprocess():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(QueueDepth(rt.db))
    registry.register(PoolFigures(rt.db))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _checked_out(*_: object) -> None:
    POOL_CHECKED_OUT.inc()


def _checked_in(*_: object) -> None:
    POOL_CHECKED_OUT.dec()


def count_pool(db: Database) -> None:
    """Keep the checked-out gauge of this process's pool as connections come and go
    (once per engine, however many apps share it)."""
    if not event.contains(db.engine, "checkout", _checked_out):
        event.listen(db.engine, "checkout", _checked_out)
        event.listen(db.engine, "checkin", _checked_in)


class MetricsMiddleware:
    """Counts every answer by method, route template and status, and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Bounded: methods x route templates (or "unmatched") x statuses.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            key = (scope["method"], template, status)
            found = self._children.get(key)
            if found is None:  # labels() takes a lock and builds its key on every call
                found = (REQUESTS.labels(key[0], template, str(status)), DURATION.labels(template))
                self._children[key] = found
            found[0].inc()
            found[1].observe(time.perf_counter() - started)
