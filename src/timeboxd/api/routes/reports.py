"""``/v1/reports/summary`` and ``/v1/reports/detailed`` as JSON, CSV or XLSX."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api import envelope
from timeboxd.api.deps import Ctx, scoped
from timeboxd.api.query import query
from timeboxd.schemas.common import Envelope
from timeboxd.schemas.reports import (
    DetailedOut,
    DetailedParams,
    ReportParams,
    SummaryOut,
    SummaryParams,
)
from timeboxd.services.paging import PageRequest
from timeboxd.services.tracking import exports, reports
from timeboxd.services.tracking.reports import ReportQuery

router = APIRouter(prefix="/v1/reports", tags=["reports"])
read = scoped("read:reports")
FILES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DOWNLOADS = {
    200: {
        "content": {FILES["csv"]: {}, FILES["xlsx"]: {}},
        "description": "with format=csv or format=xlsx: the report as a file",
    }
}


def report_query(p: ReportParams, group_by: str = "project") -> ReportQuery:
    return ReportQuery(
        group_by=group_by,
        date_from=p.date_from,
        date_to=p.date_to,
        project_id=p.project_id,
        client_id=p.client_id,
        task_id=p.task_id,
        tag_id=p.tag_id,
        user_id=p.user_id,
        billable=p.billable,
        rounding=p.rounding,
        rounding_mode=p.rounding_mode,
    )


def paged(ctx: Ctx, report: reports.Detailed, paging: PageRequest) -> Response:
    """The rows of one page (every row up to 10,000 when unpaged) with the list meta; the
    totals always cover the whole report."""
    total = len(report.rows)
    report.rows = report.rows[paging.offset : paging.offset + paging.limit]
    extra = {
        "page": paging.page,
        "per_page": paging.limit,
        "total": total,
        "has_more": paging.offset + len(report.rows) < total,
    }
    body = {"data": report, "error": None, "meta": envelope.meta(ctx.request_id, ctx.now, **extra)}
    return envelope.JSONBody(body)


def download(kind: str, fmt: str, first: object, last: object, body: bytes) -> Response:
    name = f"timeboxd-{kind}-{first}-{last}.{fmt}"
    return Response(
        body,
        media_type=FILES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/summary",
    operation_id="reportSummary",
    response_model=Envelope[SummaryOut],
    responses=DOWNLOADS,  # type: ignore[arg-type]
)
def summary(ctx: Ctx = read, p: SummaryParams = Depends(query(SummaryParams))) -> Response:
    with ctx.db.read() as s:
        report = reports.summary(s, ctx.principal, ctx.now, report_query(p, p.group_by))
    if p.format == "json":
        return ctx.ok(report)
    rows = exports.summary_rows(report)
    body = (
        exports.to_csv(exports.SUMMARY_COLUMNS, rows)
        if p.format == "csv"
        else exports.to_xlsx("Summary", exports.SUMMARY_COLUMNS, rows)
    )
    return download("summary", p.format, report.date_from, report.date_to, body)


@router.get(
    "/detailed",
    operation_id="reportDetailed",
    response_model=Envelope[DetailedOut],
    responses=DOWNLOADS,  # type: ignore[arg-type]
)
def detailed(ctx: Ctx = read, p: DetailedParams = Depends(query(DetailedParams))) -> Response:
    with ctx.db.read() as s:
        report = reports.detailed(s, ctx.principal, ctx.now, report_query(p))
    if p.format == "json":
        return paged(ctx, report, PageRequest.parse(p.page, p.per_page))
    rows = exports.detailed_rows(report)
    body = (
        exports.to_csv(exports.DETAILED_COLUMNS, rows)
        if p.format == "csv"
        else exports.to_xlsx("Entries", exports.DETAILED_COLUMNS, rows)
    )
    return download("detailed", p.format, report.date_from, report.date_to, body)
