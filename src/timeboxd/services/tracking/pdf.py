"""Reports as PDF (``format=pdf``): the same figures as the JSON, laid out as a printable
report: the account's name, the period, the totals, a bar chart of time per group, a table
per group and page numbers. Made with reportlab, in the Bitstream Vera fonts reportlab
ships (so any machine renders the same glyphs, accents included).

Amounts are the report's decimal strings with thousands separators; hours are the
report's seconds as hours with two decimals, as in the CSV and XLSX files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from timeboxd.schemas.reports import DetailedOut, DetailRowOut, SummaryOut, TotalsOut

FONT, BOLD = "TimeboxdVera", "TimeboxdVera-Bold"
INK = "#1f2933"
MUTED = "#616e7c"
ACCENT = "#0b6e69"
RULE = "#d9e2ec"
ZEBRA = "#f5f7fa"
MAX_BARS = 12
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(slots=True)
class Heading:
    """What the first lines say: whose report, of what, over which days."""

    title: str
    account: str
    date_from: date
    date_to: date
    generated_at: datetime
    subtitle: str


def hours(seconds: int) -> str:
    return f"{Decimal(seconds) / 3600:,.2f}"


def amount(value: str, currency: str | None) -> str:
    figure = f"{Decimal(value):,.2f}"
    return f"{figure} {currency}" if currency else figure


def period(first: date, last: date) -> str:
    if first == last:
        return f"{first:%d %b %Y}"
    return f"{first:%d %b %Y} \u2013 {last:%d %b %Y}"


def _text(value: str) -> str:
    """User text as Paragraph markup: escaped, without control characters."""
    return escape(CONTROL.sub("", value))


def _fonts() -> None:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(rl_config.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "VeraBd.ttf")))


class _Layout:
    """Styles and building blocks shared by both reports."""

    def __init__(self) -> None:
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle

        _fonts()
        self.colors = colors
        base = ParagraphStyle(
            "base", fontName=FONT, fontSize=8.5, leading=11, textColor=colors.HexColor(INK)
        )
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
        self.muted = ParagraphStyle("muted", parent=base, textColor=colors.HexColor(MUTED))
        self.title = ParagraphStyle(
            "title",
            parent=base,
            fontName=BOLD,
            fontSize=18,
            leading=22,
            textColor=colors.HexColor(INK),
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=11,
            leading=14,
            textColor=colors.HexColor(ACCENT),
        )
        self.right = ParagraphStyle("right", parent=base, alignment=2)
        self.bold_right = ParagraphStyle("bold_right", parent=self.right, fontName=BOLD)

    def p(self, text: str, style: Any = None) -> Any:
        from reportlab.platypus import Paragraph

        return Paragraph(text, style or self.body)

    def heading(self, h: Heading, totals: TotalsOut) -> list[Any]:
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer, Table, TableStyle

        left = [
            self.p("timeboxd", style_of(self.h2)),
            self.p(_text(h.title), self.title),
            self.p(_text(h.subtitle), self.muted),
        ]
        right = [
            self.p(f"<b>{_text(h.account)}</b>", self.right),
            self.p(f"Period: {period(h.date_from, h.date_to)}", self.right),
            self.p(f"Generated {h.generated_at:%d %b %Y %H:%M} UTC", self.right),
        ]
        top = Table([[left, right]], colWidths=[100 * mm, 70 * mm])
        top.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("LINEBELOW", (0, 0), (-1, 0), 1.2, self.colors.HexColor(ACCENT)),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        return [top, Spacer(1, 6 * mm), self.totals(totals), Spacer(1, 6 * mm)]

    def totals(self, totals: TotalsOut) -> Any:
        from reportlab.lib.units import mm
        from reportlab.platypus import Table, TableStyle

        amounts = totals.by_currency or []
        money = "<br/>".join(amount(a.billable_amount, a.currency) for a in amounts) or "0.00"
        cells = [
            ("Tracked hours", hours(totals.tracked_seconds)),
            ("Billable hours", hours(totals.billable_seconds)),
            (
                "Non-billable hours",
                hours(totals.tracked_seconds - totals.billable_seconds),
            ),
            ("Billable amount", money),
        ]
        label = style_of(self.small, textColor=MUTED)
        figure = style_of(self.body, fontName=BOLD, fontSize=12, leading=15)
        row = [[self.p(name.upper(), label), self.p(value, figure)] for name, value in cells]
        table = Table([row], colWidths=[42.5 * mm] * 4)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), self.colors.HexColor(ZEBRA)),
                    ("BOX", (0, 0), (-1, -1), 0.5, self.colors.HexColor(RULE)),
                    ("LINEAFTER", (0, 0), (-2, -1), 0.5, self.colors.HexColor(RULE)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 7),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        return table

    def chart(self, title: str, bars: Sequence[tuple[str, int]]) -> list[Any]:
        """Horizontal bars of hours per group, the largest first (at most ``MAX_BARS``;
        the rest summed as one bar)."""
        from reportlab.graphics.shapes import Drawing, String
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer

        ordered = sorted(bars, key=lambda b: -b[1])
        if len(ordered) > MAX_BARS:
            rest = sum(s for _, s in ordered[MAX_BARS - 1 :])
            ordered = [*ordered[: MAX_BARS - 1], (f"{len(bars) - MAX_BARS + 1} more", rest)]
        if not ordered:
            return []
        width, row, label_w, value_w = 170 * mm, 13.0, 52 * mm, 18 * mm
        drawing = Drawing(width, row * len(ordered) + 4)
        most = max(s for _, s in ordered) or 1
        span = width - label_w - value_w
        for n, (name, seconds) in enumerate(ordered):
            y = drawing.height - (n + 1) * row
            shown = name if len(name) <= 34 else name[:33] + "\u2026"
            drawing.add(String(0, y + 3, CONTROL.sub("", shown), fontName=FONT, fontSize=7.5))
            drawing.add(self._bar(label_w, y + 1.5, span, row - 4, ZEBRA))
            drawing.add(
                self._bar(label_w, y + 1.5, max(0.5, span * seconds / most), row - 4, ACCENT)
            )
            drawing.add(
                String(
                    width,
                    y + 3,
                    f"{hours(seconds)} h",
                    fontName=FONT,
                    fontSize=7.5,
                    textAnchor="end",
                )
            )
        return [self.p(_text(title), self.h2), Spacer(1, 2 * mm), drawing, Spacer(1, 6 * mm)]

    def _bar(self, x: float, y: float, width: float, height: float, color: str) -> Any:
        from reportlab.graphics.shapes import Rect

        bar = Rect(x, y, width, height)
        bar.fillColor = self.colors.HexColor(color)
        bar.strokeColor = None
        return bar

    def table(
        self,
        header: Sequence[str],
        rows: list[list[Any]],
        widths: Sequence[float],
        numeric_from: int,
        total: list[Any] | None = None,
    ) -> Any:
        from reportlab.platypus import Table, TableStyle

        head_style = style_of(self.small, fontName=BOLD, textColor="#ffffff")
        head_right = style_of(head_style, alignment=2)
        cells: list[list[Any]] = [
            [
                self.p(h, head_right if i >= numeric_from else head_style)
                for i, h in enumerate(header)
            ]
        ]
        for r in rows:
            cells.append(
                [
                    self.p(str(v), self.right if i >= numeric_from else self.body)
                    for i, v in enumerate(r)
                ]
            )
        if total is not None:
            cells.append(
                [
                    self.p(
                        str(v),
                        self.bold_right
                        if i >= numeric_from
                        else style_of(self.body, fontName=BOLD),
                    )
                    for i, v in enumerate(total)
                ]
            )
        table = Table(cells, colWidths=list(widths), repeatRows=1)
        style: list[Any] = [
            ("BACKGROUND", (0, 0), (-1, 0), self.colors.HexColor(ACCENT)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, self.colors.HexColor(RULE)),
        ]
        for n in range(2, len(rows) + 1, 2):
            style.append(("BACKGROUND", (0, n), (-1, n), self.colors.HexColor(ZEBRA)))
        if total is not None:
            style.append(("LINEABOVE", (0, -1), (-1, -1), 1, self.colors.HexColor(INK)))
        table.setStyle(TableStyle(style))
        return table


def style_of(parent: Any, **changes: Any) -> Any:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    if isinstance(changes.get("textColor"), str):
        changes["textColor"] = HexColor(changes["textColor"])
    return ParagraphStyle(f"{parent.name}+", parent=parent, **changes)


def _build(h: Heading, story: list[Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{h.title}, {period(h.date_from, h.date_to)}",
        author=h.account,
        creator="timeboxd",
    )
    footer = f"{h.title} \u00b7 {h.account} \u00b7 {period(h.date_from, h.date_to)}"
    doc.build(story, canvasmaker=_numbered_canvas(CONTROL.sub("", footer)))
    return out.getvalue()


def _numbered_canvas(footer: str) -> Any:
    """A canvas that holds each finished page back until the last, so that every footer
    can say "Page n of N"."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self.held.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # what showPage ends with

        def save(self) -> None:
            count = len(self.held)
            for state in self.held:
                self.__dict__.update(state)
                self.footer(count)
                super().showPage()
            super().save()

        def footer(self, count: int) -> None:
            width = A4[0]
            self.saveState()
            self.setStrokeColor(HexColor(RULE))
            self.setLineWidth(0.5)
            self.line(18 * mm, 12 * mm, width - 18 * mm, 12 * mm)
            self.setFont(FONT, 7)
            self.setFillColor(HexColor(MUTED))
            self.drawString(18 * mm, 8 * mm, footer)
            self.drawRightString(width - 18 * mm, 8 * mm, f"Page {self.getPageNumber()} of {count}")
            self.restoreState()

    return NumberedCanvas


GROUP_NAMES = {
    "project": "Project",
    "client": "Client",
    "task": "Task",
    "tag": "Tag",
    "user": "Person",
    "day": "Day",
    "week": "Week",
}


def summary_pdf(report: SummaryOut, h: Heading) -> bytes:
    from reportlab.lib.units import mm

    ui = _Layout()
    name = GROUP_NAMES.get(report.group_by, report.group_by)
    story = ui.heading(h, report.totals)
    bars: dict[str, int] = {}
    for g in report.groups:
        bars[g.label] = bars.get(g.label, 0) + g.tracked_seconds
    story += ui.chart(f"Hours by {name.lower()}", list(bars.items()))
    story.append(ui.p(f"By {name.lower()}", ui.h2))
    rows = [
        [
            _text(g.label),
            g.currency or "",
            hours(g.tracked_seconds),
            hours(g.billable_seconds),
            amount(g.billable_amount, None),
        ]
        for g in report.groups
    ]
    totals = report.totals
    lines = totals.by_currency or []
    total_rows = [
        [
            "Total" + (f" {a.currency}" if a.currency else ""),
            a.currency or "",
            hours(totals.tracked_seconds) if n == 0 else "",
            hours(totals.billable_seconds) if n == 0 else "",
            amount(a.billable_amount, None),
        ]
        for n, a in enumerate(lines)
    ] or [["Total", "", hours(totals.tracked_seconds), hours(totals.billable_seconds), "0.00"]]
    widths = [72 * mm, 18 * mm, 25 * mm, 25 * mm, 30 * mm]
    header = [name, "Currency", "Tracked h", "Billable h", "Amount"]
    story.append(ui.table(header, rows + total_rows[:-1], widths, 2, total_rows[-1]))
    return _build(h, story)


def _group_of(r: DetailRowOut) -> tuple[str, str]:
    return (r.project_id or "", r.project or "(no project)")


def detailed_pdf(report: DetailedOut, h: Heading) -> bytes:
    """The entries in a table per project (oldest first within each), each with its
    subtotal, after the totals and a chart of hours per project."""
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, Spacer

    ui = _Layout()
    story = ui.heading(h, report.totals)
    groups: dict[tuple[str, str], list[DetailRowOut]] = {}
    for r in report.rows:
        groups.setdefault(_group_of(r), []).append(r)
    order = sorted(groups, key=lambda k: (-sum(r.tracked_seconds for r in groups[k]), k[1]))
    story += ui.chart(
        "Hours by project", [(k[1], sum(r.tracked_seconds for r in groups[k])) for k in order]
    )
    widths = [20 * mm, 23 * mm, 56 * mm, 28 * mm, 15 * mm, 28 * mm]
    header = ["Date", "Time", "Description", "Person", "Hours", "Amount"]
    for key in order:
        rows = groups[key]
        client = next((r.client for r in rows if r.client), None)
        title = _text(key[1]) + (f" \u00b7 {_text(client)}" if client else "")
        story += [CondPageBreak(30 * mm), ui.p(title, ui.h2), Spacer(1, 1.5 * mm)]
        lines = []
        for r in rows:
            end = f"{r.end_at:%H:%M}" if r.end_at else "running"
            words = _text(r.description) or "\u2014"
            if r.task:
                words = f"<b>{_text(r.task)}</b> {words}"
            if r.tags:
                words += f" <font color='{MUTED}'>[{_text(', '.join(r.tags))}]</font>"
            lines.append(
                [
                    f"<font size=7.5>{r.date:%Y-%m-%d}</font>",
                    f"<font size=7.5>{r.start_at:%H:%M}\u2013{end}</font>",
                    words,
                    _text(r.user),
                    hours(r.tracked_seconds),
                    amount(r.billable_amount, r.currency) if r.billable else "\u2014",
                ]
            )
        cents: dict[str | None, Decimal] = {}
        for r in rows:
            cents[r.currency] = cents.get(r.currency, Decimal(0)) + Decimal(r.billable_amount)
        money = ", ".join(amount(str(v), c) for c, v in sorted(cents.items(), key=str))
        subtotal = ["", "", "Subtotal", "", hours(sum(r.tracked_seconds for r in rows)), money]
        story += [ui.table(header, lines, widths, 4, subtotal), Spacer(1, 5 * mm)]
    if not report.rows:
        story.append(ui.p("No time tracked in this period.", ui.muted))
    return _build(h, story)
