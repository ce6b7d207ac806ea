"""The admins' version check (docs/api.md "Version check")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import Field

from timeboxd.schemas.common import Input

VersionText = Annotated[str, Field(min_length=1, max_length=64, description="e.g. 1.4.0")]


class VersionDismiss(Input):
    version: VersionText


@dataclass(slots=True)
class VersionOut:
    installed: str
    latest: str | None
    update_available: bool
    release_notes_url: str | None
    checked_at: datetime | None
    dismissed_version: str | None
    notify: bool
