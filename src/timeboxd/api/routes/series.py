"""``/v1/blocks/series``: recurring blocks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.routes.blocks import as_subject
from timeboxd.schemas.blocks import BulkDeleted
from timeboxd.schemas.common import Envelope, LocalDate, changes_of
from timeboxd.schemas.series import SeriesChanges, SeriesCreate, SeriesOut, SeriesPatch
from timeboxd.services.planning import series

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/blocks/series", tags=["blocks"])
read = scoped("read:blocks")
write = scoped("write:blocks")
FromDate = Annotated[
    LocalDate | None,
    Query(alias="from", description="this and following occurrences, from this date"),
]


@router.post("", operation_id="createSeries", status_code=201, response_model=Envelope[SeriesOut])
def create_series(body: SeriesCreate, ctx: Ctx = write) -> Response:
    with as_subject(body):
        made = series.create_series(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(made, status=201)


@router.get("/{series_id}", operation_id="getSeries", response_model=Envelope[SeriesOut])
async def get_series(series_id: str, ctx: Ctx = read) -> Response:
    return ctx.ok(series.get_series(ctx.session, ctx.principal, series_id))


@router.patch("/{series_id}", operation_id="updateSeries", response_model=Envelope[SeriesOut])
def update_series(
    series_id: str, body: SeriesPatch, since: FromDate = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(SeriesChanges, body)
    with as_subject(body):
        view = series.update_series(ctx.session, ctx.principal, ctx.now, series_id, changes, since)
    return ctx.ok(view)


@router.delete("/{series_id}", operation_id="deleteSeries", response_model=Envelope[BulkDeleted])
def delete_series(series_id: str, since: FromDate = None, ctx: Ctx = write) -> Response:
    return ctx.ok(series.delete_series(ctx.session, ctx.principal, ctx.now, series_id, since))
