"""``/v1/stats`` and ``/v1/productivity``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["stats"])
