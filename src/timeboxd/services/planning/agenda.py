"""A day's plan: the blocks of one local day, as data or as a Markdown checklist."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection

from timeboxd.domain.wallclock import local_today
from timeboxd.schemas.blocks import AgendaOut
from timeboxd.services.context import Principal
from timeboxd.services.paging import PageRequest
from timeboxd.services.planning.blocks_query import BlockFilter, list_blocks


def agenda(conn: Connection, principal: Principal, now: datetime, day: date | None) -> AgendaOut:
    day = day or local_today(now, principal.timezone)
    blocks = list_blocks(conn, principal, BlockFilter(date=day), PageRequest(1, 10_000)).items
    return AgendaOut(
        date=day,
        timezone=principal.timezone,
        blocks=blocks,
        planned_minutes=sum(b.duration_minutes for b in blocks),
        done_minutes=sum(b.duration_minutes for b in blocks if b.done),
        done_count=sum(1 for b in blocks if b.done),
    )


def _escape(text: str) -> str:
    """Keep a topic on one line and stop it from opening Markdown emphasis or links."""
    flat = " ".join(text.split())
    for char in "\\`*_[]<>":
        flat = flat.replace(char, "\\" + char)
    return flat


def to_markdown(plan: AgendaOut) -> str:
    """A checklist to paste into Obsidian or Notion: ``- [x] 09:00-10:30 **Project** — topic``."""
    title = plan.date.strftime("%A, %d %B %Y")
    lines = [f"## Agenda for {title}", ""]
    if not plan.blocks:
        lines.append("_Nothing planned._")
    for block in plan.blocks:
        mark = "x" if block.done else " "
        parts = [f"- [{mark}] {block.start}-{block.end}"]
        if block.project_name:
            parts.append(f"**{_escape(block.project_name)}**")
        if block.topic:
            parts.append(("— " if block.project_name else "") + _escape(block.topic))
        lines.append(" ".join(parts))
    hours, minutes = divmod(plan.planned_minutes, 60)
    done_h, done_m = divmod(plan.done_minutes, 60)
    lines += [
        "",
        f"{plan.done_count}/{len(plan.blocks)} done · {done_h}h{done_m:02d} of "
        f"{hours}h{minutes:02d} planned",
        "",
    ]
    return "\n".join(lines)


def markdown(conn: Connection, principal: Principal, now: datetime, day: date | None) -> str:
    """The day's plan as ``to_markdown`` writes it."""
    return to_markdown(agenda(conn, principal, now, day))
