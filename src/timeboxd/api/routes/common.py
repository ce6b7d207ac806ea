"""Shared route parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query

from timeboxd.errors import ValidationFailed
from timeboxd.schemas.common import BulkIds

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag from a previous GET; 412 if it changed"),
]
PageParam = Annotated[int | None, Query(ge=1, le=1_000_000)]
PerPageParam = Annotated[int | None, Query(ge=1, le=1_000)]

# The URL form of a bulk delete's ids. A URL holds at most 65,535 bytes (the HTTP parser's
# limit: about 2,600 ids), so the same ids can come as a JSON body ``{"ids": [...]}``.
IdsParam = Annotated[
    str | None,
    Query(
        description="comma-separated ids (a URL holds about 2,600; more go in the body)",
        max_length=65_535,
    ),
]


def bulk_ids(ids: str | None, body: BulkIds | None) -> list[str]:
    """The ids of a bulk delete, from the query or the body (exactly one of them)."""
    if ids is not None and body is not None:
        raise ValidationFailed("give the ids in the query or in the body, not both", field="ids")
    if body is not None:
        return body.ids
    if ids is None:
        raise ValidationFailed(
            'give the ids as ?ids=a,b,c or as a JSON body {"ids": [...]}', field="ids"
        )
    return [i.strip() for i in ids.split(",") if i.strip()]
