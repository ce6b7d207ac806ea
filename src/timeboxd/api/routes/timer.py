"""``/v1/timer``: the one running entry of the caller."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from timeboxd.api.deps import Ctx, scoped
from timeboxd.schemas.common import Envelope
from timeboxd.schemas.entries import EntryOut, TimerStart
from timeboxd.services.tracking import timer
from timeboxd.services.tracking.entries import EntryFields

router = APIRouter(prefix="/v1/timer", tags=["timer"])
read = scoped("read:time_entries")
write = scoped("write:time_entries")


@router.get("", operation_id="getTimer", response_model=Envelope[EntryOut | None])
async def get_timer(ctx: Ctx = read) -> Response:
    with ctx.db.read() as s:
        return ctx.ok(timer.current(s, ctx.principal, ctx.now))


@router.post(
    "/start", operation_id="startTimer", status_code=201, response_model=Envelope[EntryOut]
)
def start_timer(body: TimerStart | None = None, ctx: Ctx = write) -> Response:
    body = body or TimerStart()
    fields = EntryFields(
        start_at=ctx.now,
        end_at=None,
        **body.model_dump(exclude={"stop_running"}),
    )
    return ctx.ok(
        timer.start(ctx.db, ctx.principal, ctx.now, fields, body.stop_running), status=201
    )


@router.post("/stop", operation_id="stopTimer", response_model=Envelope[EntryOut])
def stop_timer(ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        return ctx.ok(timer.stop(s, ctx.principal, ctx.now))
