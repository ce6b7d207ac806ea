"""The Python client of the timeboxd API: ``Client`` (blocking) and ``AsyncClient``
(asyncio), with the same methods and typed results, raising ``ApiError``.

    from timeboxd.client import Client

    with Client("http://127.0.0.1:8080", "tbx_live_...") as tb:
        for block in tb.agenda().blocks:
            print(block.start, block.topic, block.done)

Importing it loads httpx, Pydantic and the shared output shapes, never the server."""

from timeboxd.client.aio import AsyncClient
from timeboxd.client.calls import DEFAULT_TIMEOUT, DEFAULT_URL, UNSET, Unset
from timeboxd.client.errors import ApiError
from timeboxd.client.models import (
    Agenda,
    Block,
    Event,
    EventPage,
    Page,
    Productivity,
    Project,
    Stats,
    TimeEntry,
)
from timeboxd.client.sync import Client

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "UNSET",
    "Agenda",
    "ApiError",
    "AsyncClient",
    "Block",
    "Client",
    "Event",
    "EventPage",
    "Page",
    "Productivity",
    "Project",
    "Stats",
    "TimeEntry",
    "Unset",
]
