"""A block as an import plans it, before projects are resolved and anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

# Like the bulk routes: one import writes at most this many blocks.
MAX_BLOCKS = 10_000


@dataclass(slots=True)
class PlannedBlock:
    key: str  # stored in blocks.external_uid: the same source row always has the same key
    index: int  # the CSV line or the event's position in the ICS file, for messages
    date: date
    start: time
    end: time
    topic: str
    project: str | None  # a project name, matched or created later
    uid: str | None = None  # the ICS UID the block came from
