"""The calendar feed: ``POST /v1/calendar/token`` and ``GET /v1/calendar.ics?token=``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, runtime, scoped
from timeboxd.errors import RateLimited
from timeboxd.schemas.calendar import FeedToken
from timeboxd.schemas.common import Envelope
from timeboxd.services.planning import calendar

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1", tags=["calendar"])


@router.post(
    "/calendar/token",
    operation_id="rotateCalendarToken",
    status_code=201,
    response_model=Envelope[FeedToken],
)
def rotate_token(ctx: Ctx = scoped("write:blocks")) -> Response:
    # A write: it retires the URL every subscribed calendar app is using.
    feed = calendar.rotate_token(ctx.session, ctx.principal, ctx.now, ctx.base_url)
    return ctx.ok(feed, status=201)


@router.get(
    "/calendar.ics",
    operation_id="calendarFeed",
    responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}},
)
def calendar_feed(
    request: Request, token: Annotated[str, Query(min_length=1, max_length=64)]
) -> Response:
    rt = runtime(request)
    # No API key here: the feed token is the caller, and it is counted like a key.
    verdict = rt.limiter.hit(f"feed:{token}")
    request.state.extra_headers = verdict.headers()
    if not verdict.allowed:
        raise RateLimited(f"rate limit exceeded; retry in {max(1, verdict.reset_seconds)} s")
    with rt.db.read() as s:
        body = calendar.render_feed(s, token, rt.clock())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
