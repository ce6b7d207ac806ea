"""``/v1/reports/summary`` and ``/v1/reports/detailed`` as JSON, CSV or XLSX."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
