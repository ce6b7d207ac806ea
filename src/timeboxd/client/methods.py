"""Each client method as a ``Call``: its route, its arguments as a query or a body, and the
shape of its result. The two clients turn these into requests, each in its own way."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

from timeboxd.client import calls
from timeboxd.client.calls import UNSET, Call, Unset, query
from timeboxd.client.errors import ApiError
from timeboxd.client.models import (
    Agenda,
    Block,
    EventPage,
    Page,
    Productivity,
    Project,
    Stats,
    TimeEntry,
)

DateLike = dt.date | str
TimeLike = dt.time | str


def list_blocks(**filters: Any) -> Call[Page[Block]]:
    return Call("GET", "/v1/blocks", calls.page(Block), params=query(**filters))


def block_filters(
    date: DateLike | None,
    date_from: DateLike | None,
    date_to: DateLike | None,
    project_id: str | None,
    task_id: str | None,
    series_id: str | None,
    done: bool | None,
    archived: bool | None,
    order_by: str | None,
) -> dict[str, str]:
    return query(
        date=date,
        date_from=date_from,
        date_to=date_to,
        project_id=project_id,
        task_id=task_id,
        series_id=series_id,
        done=done,
        archived=archived,
        order_by=order_by,
    )


# IDs are opaque prefixed strings (``blk_...``): what does not start with a prefix is no
# id, and sent as one it could name a sibling route (``stream``, ``bulk``, ``series``, or
# ``""``, which is the list itself).
PREFIXED = re.compile(r"[a-z]+_.+", re.DOTALL)


def segment(value: str) -> str:
    """``value`` as one path segment: percent-encoded, its dots too, so that an id such as
    ``blk_/../projects`` names no block rather than another route."""
    return quote(value, safe="").replace(".", "%2E")


def block_path(block_id: str) -> str:
    """The path of the block ``block_id``; an id that cannot be one (not prefixed, or not
    text a URL can carry) is NOT_FOUND at once, as the server would answer it, rather
    than a request to whatever route it names."""
    try:
        if PREFIXED.fullmatch(block_id):
            return f"/v1/blocks/{segment(block_id)}"
    except UnicodeEncodeError:
        pass
    raise ApiError("NOT_FOUND", f"no block {block_id}", status=404)


def get_block(block_id: str) -> Call[Block]:
    return Call("GET", block_path(block_id), calls.one(Block))


def create_block(fields: dict[str, Any], idempotency_key: str | None) -> Call[Block]:
    return Call(
        "POST",
        "/v1/blocks",
        calls.one(Block),
        body=calls.body(fields),
        headers=calls.with_key({}, idempotency_key),
    )


def update_block(block_id: str, changes: dict[str, Any], if_match: str | None) -> Call[Block]:
    return Call(
        "PATCH",
        block_path(block_id),
        calls.one(Block),
        body=calls.body(changes, drop_none=False),
        headers={"If-Match": if_match} if if_match else {},
    )


def delete_block(block_id: str, if_match: str | None) -> Call[Block]:
    return Call(
        "DELETE",
        block_path(block_id),
        calls.one(Block),
        headers={"If-Match": if_match} if if_match else {},
    )


def agenda(date: DateLike | None) -> Call[Agenda]:
    return Call("GET", "/v1/agenda", calls.one(Agenda), params=query(date=date))


def stats(period: str | None, date_from: DateLike | None, date_to: DateLike | None) -> Call[Stats]:
    params = query(period=period, date_from=date_from, date_to=date_to)
    return Call("GET", "/v1/stats", calls.one(Stats), params=params)


def productivity(weeks: int | None) -> Call[Productivity]:
    return Call("GET", "/v1/productivity", calls.one(Productivity), params=query(weeks=weeks))


def start_timer(fields: dict[str, Any], idempotency_key: str | None) -> Call[TimeEntry]:
    return Call(
        "POST",
        "/v1/timer/start",
        calls.one(TimeEntry),
        body=calls.body(fields),
        headers=calls.with_key({}, idempotency_key),
    )


def stop_timer(idempotency_key: str | None) -> Call[TimeEntry]:
    return Call(
        "POST",
        "/v1/timer/stop",
        calls.one(TimeEntry),
        headers=calls.with_key({}, idempotency_key),
    )


def timer() -> Call[TimeEntry | None]:
    return Call("GET", "/v1/timer", calls.maybe(TimeEntry))


def list_projects(archived: bool | None) -> Call[Page[Project]]:
    return Call("GET", "/v1/projects", calls.page(Project), params=query(archived=archived))


def events(after: str | None, types: str | list[str] | None, limit: int | None) -> Call[EventPage]:
    if isinstance(types, list):
        types = ",".join(types)
    return Call(
        "GET", "/v1/events", calls.feed, params=query(after=after, types=types, limit=limit)
    )


def changes_of(**values: Any) -> dict[str, Any]:
    """The arguments of ``update_block`` that were given (``None`` is sent: it clears)."""
    return {name: value for name, value in values.items() if not isinstance(value, Unset)}


__all__ = ["UNSET", "DateLike", "TimeLike", "Unset"]
