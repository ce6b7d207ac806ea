"""The ``{data, error, meta}`` envelope every response carries (SPEC §2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from starlette.responses import Response

from timeboxd.errors import DomainError
from timeboxd.services.paging import Page

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=JSON_OPTIONS)


def timestamp(now: datetime) -> str:
    # The wall-clock digits to the millisecond, as strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]
    # writes them, at a third of its cost.
    return now.isoformat(timespec="milliseconds")[:23] + "Z"


def meta(request_id: str, now: datetime, **extra: Any) -> dict[str, Any]:
    return {"request_id": request_id, "timestamp": timestamp(now), **extra}


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


def success(
    data: Any,
    request_id: str,
    now: datetime,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> JSONBody:
    body = {"data": data, "error": None, "meta": meta(request_id, now)}
    return JSONBody(body, status_code=status, headers=headers)


def page(items: Page[Any], request_id: str, now: datetime) -> JSONBody:
    body = {
        "data": items.items,
        "error": None,
        "meta": meta(
            request_id,
            now,
            page=items.page,
            per_page=items.per_page,
            total=items.total,
            has_more=items.has_more,
        ),
    }
    return JSONBody(body)


def failure(
    error: DomainError, request_id: str, now: datetime, headers: Mapping[str, str] | None = None
) -> JSONBody:
    body = {"data": None, "error": error.as_dict(), "meta": meta(request_id, now)}
    return JSONBody(body, status_code=error.status, headers=headers)
