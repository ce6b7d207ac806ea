"""``/health`` and ``/ready``: for load balancers and orchestrators, no auth. Neither
needs a pooled database connection: ``/health`` touches nothing, ``/ready`` connects
afresh (``Database.ping``), so both answer however busy the server is."""

from __future__ import annotations

import anyio
from anyio import to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response

from timeboxd.api import envelope
from timeboxd.api.deps import runtime
from timeboxd.errors import DomainError

router = APIRouter(tags=["service"])


class NotReady(DomainError):
    code = "NOT_READY"
    status = 503


@router.get("/health", operation_id="health")
async def health(request: Request) -> Response:
    rt = runtime(request)
    return envelope.success({"status": "ok"}, request.state.request_id, rt.clock())


# /ready's checks run in threads of their own, never queued behind the requests that
# fill the shared pool, and are given up on after READY_TIMEOUT_SECONDS (a database that
# does not answer that fast is reported unreachable).
READY_THREADS = anyio.CapacityLimiter(4)
READY_TIMEOUT_SECONDS = 10.0


@router.get("/ready", operation_id="ready")
async def ready(request: Request) -> Response:
    rt = runtime(request)
    checks = {"database": False, "rate_limit_store": False}
    with anyio.move_on_after(READY_TIMEOUT_SECONDS):
        checks["database"] = await to_thread.run_sync(
            rt.db.ping, abandon_on_cancel=True, limiter=READY_THREADS
        )
    with anyio.move_on_after(READY_TIMEOUT_SECONDS):
        checks["rate_limit_store"] = await to_thread.run_sync(
            _limiter_ok, request, abandon_on_cancel=True, limiter=READY_THREADS
        )
    if not all(checks.values()):
        failing = ", ".join(k for k, ok in checks.items() if not ok)
        return envelope.failure(
            NotReady(f"not ready: {failing} unreachable"), request.state.request_id, rt.clock()
        )
    return envelope.success({"status": "ready", **checks}, request.state.request_id, rt.clock())


def _limiter_ok(request: Request) -> bool:
    try:
        return runtime(request).limiter.check_ready()
    except Exception:
        return False
