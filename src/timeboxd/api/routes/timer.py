"""``/v1/timer``: the one running entry of the caller."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.common import Envelope
from timeboxd.schemas.entries import EntryOut, TimerStart
from timeboxd.services.tracking import timer

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/timer", tags=["timer"])
read = scoped("read:time_entries")
write = scoped("write:time_entries")


@router.get("", operation_id="getTimer", response_model=Envelope[EntryOut | None])
async def get_timer(ctx: Ctx = read) -> Response:
    running = timer.current(ctx.session, ctx.principal, ctx.now)
    if running is None:
        return ctx.ok(None)
    view, tag = running
    return ctx.ok(view, etag=tag)


@router.post(
    "/start", operation_id="startTimer", status_code=201, response_model=Envelope[EntryOut]
)
def start_timer(body: TimerStart | None = None, ctx: Ctx = write) -> Response:
    started, tag = timer.start(ctx.session, ctx.principal, ctx.now, body or TimerStart())
    return ctx.ok(started, status=201, etag=tag)


@router.post("/stop", operation_id="stopTimer", response_model=Envelope[EntryOut])
def stop_timer(if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    stopped, tag = timer.stop(ctx.session, ctx.principal, ctx.now, if_match)
    return ctx.ok(stopped, etag=tag)
