"""Reports in the format asked for: JSON, or a CSV, XLSX or PDF file with the same figures
(amounts to the cent)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from timeboxd.db.models import User
from timeboxd.schemas.reports import (
    MEDIA_TYPES,
    DetailedOut,
    DetailedPage,
    DetailedParams,
    FileFormat,
    ReportFile,
    SummaryOut,
    SummaryParams,
    TotalsOut,
)
from timeboxd.services.context import Principal
from timeboxd.services.paging import PageRequest
from timeboxd.services.tracking import reports
from timeboxd.services.tracking.reports import ReportQuery

SUMMARY_COLUMNS = (
    "key",
    "label",
    "currency",
    "tracked_seconds",
    "tracked_hours",
    "billable_seconds",
    "billable_hours",
    "billable_amount",
)
DETAILED_COLUMNS = (
    "id",
    "date",
    "start_at",
    "end_at",
    "user",
    "project",
    "client",
    "task",
    "description",
    "tags",
    "billable",
    "currency",
    "tracked_seconds",
    "tracked_hours",
    "billable_seconds",
    "billable_amount",
)


def hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))


def _total_rows(totals: TotalsOut) -> list[list[Any]]:
    """One "Total" line per currency (a single line when the report has no amounts)."""
    amounts = totals.by_currency or []
    if not amounts:
        return [
            [
                "",
                "Total",
                None,
                totals.tracked_seconds,
                hours(totals.tracked_seconds),
                totals.billable_seconds,
                hours(totals.billable_seconds),
                Decimal("0.00"),
            ]
        ]
    rows = []
    for n, amount in enumerate(amounts):
        first = n == 0  # the time is counted once, on the first line
        rows.append(
            [
                "",
                f"Total {amount.currency}" if amount.currency else "Total",
                amount.currency,
                totals.tracked_seconds if first else None,
                hours(totals.tracked_seconds) if first else None,
                totals.billable_seconds if first else None,
                hours(totals.billable_seconds) if first else None,
                Decimal(amount.billable_amount),
            ]
        )
    return rows


def summary_rows(report: SummaryOut) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            g.key or "",
            g.label,
            g.currency,
            g.tracked_seconds,
            hours(g.tracked_seconds),
            g.billable_seconds,
            hours(g.billable_seconds),
            Decimal(g.billable_amount),
        ]
        for g in report.groups
    ]
    return rows + _total_rows(report.totals)


def detailed_rows(report: DetailedOut) -> list[list[Any]]:
    return [
        [
            r.id,
            r.date.isoformat(),
            r.start_at.isoformat(),
            r.end_at.isoformat() if r.end_at else "",
            r.user,
            r.project or "",
            r.client or "",
            r.task or "",
            r.description,
            ", ".join(r.tags),
            "yes" if r.billable else "no",
            r.currency,
            r.tracked_seconds,
            hours(r.tracked_seconds),
            r.billable_seconds,
            Decimal(r.billable_amount),
        ]
        for r in report.rows
    ]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (a description typed as ``=HYPERLINK(...)``)
    gets a leading ``'``, as OWASP advises for CSV files; numbers are written as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    """XLSX is XML 1.0, which cannot hold most control characters (a name may): they are
    left out of the cell, as a spreadsheet would not show them anyway."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # see to_xlsx

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def to_xlsx(title: str, columns: Sequence[str], rows: list[list[Any]]) -> bytes:
    """Numbers as numbers (amounts and hours with two decimals), text as text."""
    # Here, not at the top: every server process would pay openpyxl's import at start.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=True):
            if isinstance(value, Decimal):
                cell.number_format = "0.00"
            elif isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text as typed, never a formula
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _file(
    kind: str,
    fmt: FileFormat,
    first: date,
    last: date,
    title: str,
    columns: Sequence[str],
    rows: list[list[Any]],
) -> ReportFile:
    body = to_csv(columns, rows) if fmt == "csv" else to_xlsx(title, columns, rows)
    return ReportFile(f"timeboxd-{kind}-{first}-{last}.{fmt}", MEDIA_TYPES[fmt], body)


def _heading(
    session: Session,
    principal: Principal,
    now: datetime,
    title: str,
    subtitle: str,
    first: date,
    last: date,
) -> Any:
    from timeboxd.services.tracking import pdf  # here: reportlab loads only for a PDF

    found = session.execute(select(User.name, User.email).where(User.id == principal.user_id)).one()
    return pdf.Heading(title, found.name or found.email, first, last, now, subtitle)


def _subtitle(what: str, p: SummaryParams | DetailedParams) -> str:
    if p.rounding:
        return f"{what}; each entry rounded {p.rounding_mode} to {p.rounding} minutes"
    return f"{what}; exact time"


def summary_report(
    session: Session, principal: Principal, now: datetime, p: SummaryParams
) -> SummaryOut | ReportFile:
    """``GET /v1/reports/summary``: the summary as JSON, or as a file."""
    report = reports.summary(session, principal, now, ReportQuery.of(p, p.group_by))
    if p.format == "json":
        return report
    first, last = report.date_from, report.date_to
    if p.format == "pdf":
        from timeboxd.services.tracking import pdf

        what = f"Summary by {pdf.GROUP_NAMES[p.group_by].lower()}"
        heading = _heading(session, principal, now, "Time report", _subtitle(what, p), first, last)
        body = pdf.summary_pdf(report, heading)
        return ReportFile(f"timeboxd-summary-{first}-{last}.pdf", MEDIA_TYPES["pdf"], body)
    rows = summary_rows(report)
    return _file("summary", p.format, first, last, "Summary", SUMMARY_COLUMNS, rows)


def detailed_report(
    session: Session, principal: Principal, now: datetime, p: DetailedParams
) -> DetailedPage | ReportFile:
    """``GET /v1/reports/detailed``: one page of it as JSON, or every row as a file."""
    report = reports.detailed(session, principal, now, ReportQuery.of(p))
    if p.format == "json":
        return reports.detailed_page(report, PageRequest.parse(p.page, p.per_page))
    first, last = report.date_from, report.date_to
    if p.format == "pdf":
        from timeboxd.services.tracking import pdf

        subtitle = _subtitle("Every entry, by project", p)
        heading = _heading(session, principal, now, "Detailed time report", subtitle, first, last)
        body = pdf.detailed_pdf(report, heading)
        return ReportFile(f"timeboxd-detailed-{first}-{last}.pdf", MEDIA_TYPES["pdf"], body)
    rows = detailed_rows(report)
    return _file("detailed", p.format, first, last, "Entries", DETAILED_COLUMNS, rows)
