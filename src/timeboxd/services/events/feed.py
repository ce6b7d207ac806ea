"""``GET /v1/events``: the change feed, in commit order, from a cursor.

The order is ``(txid, seq)`` (see db/events.py). On PostgreSQL, transactions commit in
another order than they took their positions, so the feed hands out only events of
transactions older than the oldest one still running (``pg_snapshot_xmin``): every later
event belongs to a transaction with a higher id, and a reader following ``next`` never
skips one that commits after it read. On SQLite writers take turns: ``seq`` is the order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson
from sqlalchemy import false, literal_column, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from timeboxd.db.events import Event
from timeboxd.domain.keys import grants
from timeboxd.errors import CursorExpired, ValidationFailed
from timeboxd.schemas.events import EventOut
from timeboxd.services.context import Principal
from timeboxd.services.outbox import TYPES

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# The scope that reads each resource's events (SPEC §2's scope table).
SCOPE_OF = {
    "block": "read:blocks",
    "series": "read:blocks",
    "project": "read:projects",
    "client": "read:projects",
    "contact": "read:projects",
    "task": "read:projects",
    "tag": "read:projects",
    "time_entry": "read:time_entries",
    "timer": "read:time_entries",
    "lead": "read:crm",
    "deal": "read:crm",
}
RESOURCES = tuple(SCOPE_OF)
_EVENT_ID = re.compile(r"evt_[0-9A-Za-z]{20}")
_XMIN: ColumnClause[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


@dataclass(slots=True)
class Feed:
    events: list[EventOut]
    next: str | None
    has_more: bool


def patterns(text: str | None) -> list[str]:
    """``types`` as given: comma-separated names, ``block.*`` style wildcards or ``*``."""
    if text is None or not text.strip():
        return ["*"]
    return checked([part.strip() for part in text.split(",") if part.strip()], "types")


def checked(given: list[str], field: str) -> list[str]:
    """Each of ``given`` an event type, a wildcard of one resource or ``*``."""
    for part in given:
        wildcard = part.endswith(".*") and part[:-2] in RESOURCES
        if not (part == "*" or part in TYPES or wildcard):
            raise ValidationFailed(
                f"{part!r} is not an event type, a wildcard like block.* or *", field=field
            )
    return given


def readable_types(principal: Principal, wanted: list[str]) -> list[str]:
    """The event types ``wanted`` names that the key's scopes may read."""
    readable = [t for t in TYPES if grants(principal.scopes, SCOPE_OF[t.partition(".")[0]])]
    return [
        t
        for t in readable
        if any(w == "*" or w == t or (w.endswith(".*") and t.startswith(w[:-1])) for w in wanted)
    ]


def read(
    session: Session,
    principal: Principal,
    after: str | None,
    types: list[str],
    limit: int,
) -> Feed:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be 1 to {MAX_LIMIT}", field="limit")
    mine = [Event.user_id == principal.user_id, Event.livemode == principal.livemode]
    cond = list(mine)
    if after is not None:
        if not _EVENT_ID.fullmatch(after):
            raise ValidationFailed("after must be an event id (evt_...)", field="after")
        position = session.execute(
            select(Event.txid, Event.seq).where(*mine, Event.id == after)
        ).first()
        if position is None:
            raise CursorExpired(
                "the feed no longer holds this event (it keeps events for the retention "
                "period); resynchronise in full, then follow the feed from its end",
                field="after",
            )
        if session.get_bind().dialect.name == "postgresql":
            cond.append(tuple_(Event.txid, Event.seq) > tuple_(position.txid, position.seq))
        else:  # txid is always 0: SQLite seeks the index to the cursor instead of scanning
            cond += [Event.txid == position.txid, Event.seq > position.seq]
    # Always by name: the feed holds other rows too (a webhook's ping), never handed out.
    allowed = readable_types(principal, types)
    cond.append(Event.type.in_(allowed) if allowed else false())
    if session.get_bind().dialect.name == "postgresql":
        cond.append(Event.txid < _XMIN)
    rows = session.execute(
        select(Event.id, Event.type, Event.created_at, Event.data)
        .where(*cond)
        .order_by(Event.txid, Event.seq)
        .limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    events = [
        EventOut(row.id, row.type, row.created_at, orjson.Fragment(row.data))
        for row in rows[:limit]
    ]
    return Feed(events, events[-1].id if events else after, has_more)
