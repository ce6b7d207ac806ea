"""``/health`` and ``/ready``: for load balancers and orchestrators, no auth."""

from __future__ import annotations

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


@router.get("/ready", operation_id="ready")
def ready(request: Request) -> Response:
    rt = runtime(request)
    checks = {"database": rt.db.ping(), "rate_limit_store": _limiter_ok(request)}
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
