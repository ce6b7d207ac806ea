"""``/v1/agenda``: a day's plan as JSON or a Markdown checklist."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from starlette.responses import PlainTextResponse, Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.schemas.blocks import AgendaOut
from timeboxd.schemas.common import Envelope, LocalDate
from timeboxd.services.planning import agenda as agenda_service

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1", tags=["blocks"])


@router.get(
    "/agenda",
    operation_id="getAgenda",
    response_model=Envelope[AgendaOut],
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
async def get_agenda(
    date: LocalDate | None = None,
    format: Literal["json", "markdown"] = "json",
    ctx: Ctx = scoped("read:blocks"),
) -> Response:
    if format == "markdown":
        text = agenda_service.markdown(ctx.conn, ctx.principal, ctx.now, date)
        return PlainTextResponse(text, media_type="text/markdown")
    return ctx.ok(agenda_service.agenda(ctx.conn, ctx.principal, ctx.now, date))
