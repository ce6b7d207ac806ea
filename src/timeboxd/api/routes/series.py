"""``/v1/blocks/series``: recurring blocks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from timeboxd.api.deps import Ctx, scoped
from timeboxd.schemas.blocks import BulkDeleted
from timeboxd.schemas.common import Envelope, LocalDate
from timeboxd.schemas.series import SeriesCreate, SeriesOut, SeriesPatch
from timeboxd.services.planning import series
from timeboxd.services.planning.blocks import BlockFields

router = APIRouter(prefix="/v1/blocks/series", tags=["blocks"])
read = scoped("read:blocks")
write = scoped("write:blocks")
FromDate = Annotated[
    LocalDate | None,
    Query(alias="from", description="this and following occurrences, from this date"),
]


@router.post("", operation_id="createSeries", status_code=201, response_model=Envelope[SeriesOut])
def create_series(body: SeriesCreate, ctx: Ctx = write) -> Response:
    fields = BlockFields(**body.model_dump(exclude={"rrule"}))
    with ctx.db.write() as s:
        view = series.create_series(s, ctx.principal, ctx.now, fields, body.rrule)
    return ctx.ok(view, status=201)


@router.get("/{series_id}", operation_id="getSeries", response_model=Envelope[SeriesOut])
async def get_series(series_id: str, ctx: Ctx = read) -> Response:
    with ctx.db.read() as s:
        return ctx.ok(series.get_series(s, ctx.principal, series_id))


@router.patch("/{series_id}", operation_id="updateSeries", response_model=Envelope[SeriesOut])
def update_series(
    series_id: str, body: SeriesPatch, since: FromDate = None, ctx: Ctx = write
) -> Response:
    changes = body.model_dump(exclude_unset=True)
    with ctx.db.write() as s:
        view = series.update_series(s, ctx.principal, ctx.now, series_id, changes, since)
    return ctx.ok(view)


@router.delete("/{series_id}", operation_id="deleteSeries", response_model=Envelope[BulkDeleted])
def delete_series(series_id: str, since: FromDate = None, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        deleted = series.delete_series(s, ctx.principal, ctx.now, series_id, since)
    return ctx.ok({"deleted": deleted})
