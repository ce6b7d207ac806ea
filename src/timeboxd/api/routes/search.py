"""``/v1/search?q=``: one query across what the caller may see."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["search"])
