"""Shared route parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag from a previous GET; 412 if it changed"),
]
PageParam = Annotated[int | None, Query(ge=1, le=1_000_000)]
PerPageParam = Annotated[int | None, Query(ge=1, le=1_000)]
