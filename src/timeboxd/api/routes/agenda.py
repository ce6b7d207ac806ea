"""``/v1/agenda``: a day's plan as JSON or a Markdown checklist."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import PlainTextResponse, Response

from timeboxd.api.deps import Ctx, scoped
from timeboxd.schemas.blocks import BlockOut
from timeboxd.schemas.common import Envelope, LocalDate
from timeboxd.services.planning import agenda as agenda_service

router = APIRouter(prefix="/v1", tags=["blocks"])


class AgendaOut(BaseModel):
    date: date
    timezone: str
    blocks: list[BlockOut]
    planned_minutes: int
    done_minutes: int
    done_count: int


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
    with ctx.db.read() as s:
        plan = agenda_service.agenda(s, ctx.principal, ctx.now, date)
    if format == "markdown":
        return PlainTextResponse(agenda_service.to_markdown(plan), media_type="text/markdown")
    return ctx.ok(plan)
