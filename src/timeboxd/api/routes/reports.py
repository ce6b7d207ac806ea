"""``/v1/reports/summary`` and ``/v1/reports/detailed`` as JSON, CSV, XLSX or PDF."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api import envelope
from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.query import query
from timeboxd.schemas.common import Envelope
from timeboxd.schemas.reports import (
    MEDIA_TYPES,
    DetailedOut,
    DetailedPage,
    DetailedParams,
    ReportFile,
    SummaryOut,
    SummaryParams,
)
from timeboxd.services.tracking import exports

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/reports", tags=["reports"])
read = scoped("read:reports")
DOWNLOADS = {
    200: {
        "content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["xlsx"]: {}, MEDIA_TYPES["pdf"]: {}},
        "description": "with format=csv, xlsx or pdf: the report as a file",
    }
}


def respond(ctx: Ctx, report: SummaryOut | DetailedPage | ReportFile) -> Response:
    """A file as a download; one page of the detailed report with the list meta."""
    if isinstance(report, ReportFile):
        disposition = f'attachment; filename="{report.filename}"'
        headers = {"Content-Disposition": disposition}
        return Response(report.body, media_type=report.media_type, headers=headers)
    if isinstance(report, DetailedPage):
        meta = envelope.meta(
            ctx.request_id,
            ctx.now,
            page=report.page,
            per_page=report.per_page,
            total=report.total,
            has_more=report.has_more,
        )
        return envelope.JSONBody({"data": report.report, "error": None, "meta": meta})
    return ctx.ok(report)


@router.get(
    "/summary",
    operation_id="reportSummary",
    response_model=Envelope[SummaryOut],
    responses=DOWNLOADS,  # type: ignore[arg-type]
)
def summary(ctx: Ctx = read, p: SummaryParams = Depends(query(SummaryParams))) -> Response:
    return respond(ctx, exports.summary_report(ctx.session, ctx.principal, ctx.now, p))


@router.get(
    "/detailed",
    operation_id="reportDetailed",
    response_model=Envelope[DetailedOut],
    responses=DOWNLOADS,  # type: ignore[arg-type]
)
def detailed(ctx: Ctx = read, p: DetailedParams = Depends(query(DetailedParams))) -> Response:
    return respond(ctx, exports.detailed_report(ctx.session, ctx.principal, ctx.now, p))
