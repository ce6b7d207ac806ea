"""``/v1/tasks`` and ``/v1/tasks/{id}/blocks``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["tasks"])
