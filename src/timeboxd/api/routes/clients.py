"""``/v1/clients`` and their contacts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["clients"])
