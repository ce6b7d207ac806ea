"""Events, written by the services in the transaction of the change they describe (the
outbox): an event exists exactly when its change was committed, and a rolled-back write
leaves none.

``data`` is the resource as the API shows it after the change (the same view, encoded as
the API encodes it), or for a deletion a tombstone ``{"id", "deleted": true, ...}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from timeboxd.db.events import Event
from timeboxd.db.models import WorkspaceMember
from timeboxd.db.prepared import insert_many
from timeboxd.domain.ids import new_id

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS

# Every event type, by the resource it is about (the first part of its name).
TYPES: tuple[str, ...] = (
    *(
        f"{resource}.{change}"
        for resource in ("block", "series", "project", "client", "contact", "task", "tag")
        for change in ("created", "updated", "deleted")
    ),
    "block.completed",
    "block.restored",
    "time_entry.created",
    "time_entry.updated",
    "time_entry.deleted",
    "time_entry.submitted",
    "time_entry.approved",
    "time_entry.rejected",
    "timer.started",
    "timer.stopped",
    "lead.created",
    "lead.updated",
    "lead.deleted",
    "lead.converted",
    "deal.created",
    "deal.updated",
    "deal.deleted",
)

events_table = cast(Table, Event.__table__)
# PostgreSQL: from this many rows on, COPY (two round trips) beats one INSERT's executemany.
COPY_FROM = 50
# PostgreSQL: the id of the writing transaction, which orders the feed (see db/events.py).
_PG_TXID: ColumnClause[int] = literal_column("pg_current_xact_id()::text::bigint")


@dataclass(frozen=True, slots=True)
class Change:
    """One event to write: its type, the resource's id and the data the event carries."""

    type: str
    resource_id: str
    data: Any

    @classmethod
    def deleted(cls, type: str, resource_id: str, **place: Any) -> Change:
        """A tombstone, with what a sync client needs to place it (a block's ``date``)."""
        return cls(type, resource_id, {"id": resource_id, "deleted": True, **place})


def members(session: Session, workspace_id: str) -> list[str]:
    """Who reads a workspace's projects, clients, contacts, tasks and tags: its members."""
    return list(
        session.scalars(
            select(WorkspaceMember.user_id).where(WorkspaceMember.workspace_id == workspace_id)
        )
    )


def managers(session: Session, workspace_id: str) -> list[str]:
    """Who reads every member's time in a workspace: its owner and admins."""
    return list(
        session.scalars(
            select(WorkspaceMember.user_id).where(
                WorkspaceMember.workspace_id == workspace_id,
                WorkspaceMember.role.in_(("owner", "admin")),
            )
        )
    )


def emit(
    session: Session,
    now: datetime,
    livemode: bool,
    type: str,
    resource_id: str,
    data: Any,
    audience: Iterable[str],
) -> None:
    """One change's event (see ``record``)."""
    record(session, now, livemode, [Change(type, resource_id, data)], audience)


def record(
    session: Session,
    now: datetime,
    livemode: bool,
    changes: Sequence[Change],
    audience: Iterable[str],
) -> None:
    """Write ``changes`` into the feed of every account of ``audience`` (the owner, and for
    a shared resource everyone who may read it), in one statement however many."""
    readers = list(dict.fromkeys(audience))
    if not changes or not readers:
        return
    rows: list[dict[str, Any]] = [
        {
            "id": new_id("evt"),
            "user_id": user_id,
            "livemode": livemode,
            "type": change.type,
            "resource_id": change.resource_id,
            "data": orjson.dumps(change.data, option=JSON_OPTIONS).decode(),
            "created_at": now,
        }
        for change in changes
        for user_id in readers
    ]
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and len(rows) < COPY_FROM:
        session.execute(insert(events_table).values(txid=_PG_TXID), rows)
        return
    # Many rows (a bulk write, an import): encoded once and written in one go, executemany
    # on SQLite and COPY on PostgreSQL (db/prepared.py), which cannot compute a column, so
    # the transaction's id is read first; SQLite orders by ``seq`` alone.
    conn = session.connection()
    txid = conn.execute(select(_PG_TXID)).scalar_one() if postgres else 0
    for row in rows:
        row["txid"] = txid
    insert_many(conn, events_table, rows)
