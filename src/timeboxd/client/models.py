"""The typed results: the same output shapes the server builds its answers from
(``timeboxd.schemas``), so the client cannot drift from the API, plus the list and feed
pages. Fields the server adds later are ignored, never an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from timeboxd.schemas.blocks import AgendaOut, BlockOut
from timeboxd.schemas.entries import EntryOut
from timeboxd.schemas.events import EventOut
from timeboxd.schemas.projects import ProjectOut
from timeboxd.schemas.stats import ProductivityOut, StatsOut

T = TypeVar("T")

Block = BlockOut
Agenda = AgendaOut
Stats = StatsOut
Productivity = ProductivityOut
TimeEntry = EntryOut
Project = ProjectOut
Event = EventOut


class Page(list[T], Generic[T]):
    """A list answer: the rows, and the list's ``meta`` as attributes."""

    total: int | None
    page: int | None
    per_page: int | None
    has_more: bool

    def __init__(
        self,
        rows: list[T],
        *,
        total: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
        has_more: bool = False,
    ) -> None:
        super().__init__(rows)
        self.total = total
        self.page = page
        self.per_page = per_page
        self.has_more = has_more


@dataclass(slots=True)
class EventPage:
    """One call of the change feed: its events, the cursor for the next call (``next``,
    pass it as ``after``) and whether to call again at once (``has_more``)."""

    events: list[EventOut] = field(default_factory=list)
    next: str | None = None
    has_more: bool = False
