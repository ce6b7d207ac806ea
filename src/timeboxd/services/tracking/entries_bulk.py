"""Bulk create, update and delete of time entries: one transaction, every item checked,
nothing written unless all pass; and ``insert_imported``, the fast path imports write
through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from timeboxd.db.prepared import insert_many
from timeboxd.db.tracking import TimeEntry, entry_tags
from timeboxd.domain.ids import new_id
from timeboxd.errors import (
    Conflict,
    DomainError,
    ErrorItem,
    NotFound,
    ValidationFailed,
    fail_bulk,
)
from timeboxd.schemas.entries import EntriesDeleted, EntryChanges, EntryCreate, EntryOut
from timeboxd.services.context import Principal
from timeboxd.services.tracking.entries import (
    EntryFields,
    apply_patch,
    check_span,
    load_own_unlocked,
    new_entry,
    refresh_block_tracked,
    views,
)

entries_table = cast(Table, TimeEntry.__table__)


@dataclass(frozen=True, slots=True)
class ImportedEntry:
    """A stopped entry from an export, its project, task and tags already resolved within
    the caller's personal workspace; ``external_id`` is the row's fingerprint."""

    start_at: datetime
    end_at: datetime
    description: str
    billable: bool
    external_id: str
    project_id: str | None = None
    task_id: str | None = None
    tag_ids: Sequence[str] = field(default_factory=tuple)


def insert_imported(
    session: Session,
    principal: Principal,
    now: datetime,
    workspace_id: str,
    items: Sequence[ImportedEntry],
) -> None:
    """All items in two statements (``insert_many``: executemany on SQLite, one COPY on
    PostgreSQL). The caller resolved every reference in ``workspace_id`` just before, so
    the per-entry checks of ``new_entry`` (a few queries and a flush each: 12 s for 10,000
    rows) have nothing left to find; the span is checked here as ``new_entry`` checks it.
    A fingerprint imported meanwhile by another request raises ``IntegrityError``."""
    entries: list[dict[str, object]] = []
    tags: list[dict[str, str]] = []
    for item in items:
        entry_id = new_id("ten")
        entries.append(
            {
                "id": entry_id,
                "user_id": principal.user_id,
                "workspace_id": workspace_id,
                "livemode": principal.livemode,
                "project_id": item.project_id,
                "task_id": item.task_id,
                "block_id": None,
                "description": item.description,
                "start_at": item.start_at,
                "end_at": item.end_at,
                "duration_seconds": check_span(item.start_at, item.end_at),
                "billable": item.billable,
                "source": "import",
                "external_id": item.external_id,
                "approval_status": "draft",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        tags.extend({"entry_id": entry_id, "tag_id": t} for t in item.tag_ids)
    insert_many(session.connection(), entries_table, entries)
    insert_many(session.connection(), entry_tags, tags)


def bulk_create(
    session: Session, principal: Principal, now: datetime, items: list[EntryCreate]
) -> list[EntryOut]:
    created: list[TimeEntry] = []
    errors: list[ErrorItem] = []
    for index, item in enumerate(items):
        try:
            # Validation happens before anything is added, so a failing item leaves no row.
            created.append(new_entry(session, principal, now, EntryFields.of(item), "manual"))
        except ValidationFailed as exc:
            errors.append(ErrorItem(index, exc.field, exc.message))
    fail_bulk(errors)
    return views(session, created, principal, now)


def _each_own(
    session: Session, principal: Principal, ids: list[str], field: str
) -> list[TimeEntry]:
    errors: list[ErrorItem] = []
    seen: set[str] = set()
    for index, entry_id in enumerate(ids):
        if entry_id in seen:
            errors.append(ErrorItem(index, field, f"time entry {entry_id} appears twice"))
        seen.add(entry_id)
    fail_bulk(errors)
    found = {
        e.id: e
        for e in session.scalars(
            select(TimeEntry).where(
                TimeEntry.id.in_(ids),
                TimeEntry.user_id == principal.user_id,
                TimeEntry.livemode == principal.livemode,
            )
        )
    }
    missing = [
        ErrorItem(index, field, f"no time entry {entry_id}")
        for index, entry_id in enumerate(ids)
        if entry_id not in found
    ]
    fail_bulk(missing, NotFound)
    return [found[i] for i in ids]


def _status(codes: set[type[DomainError]]) -> type[DomainError]:
    """A locked (submitted or approved) item makes the request a CONFLICT, as it is for
    one entry: no change to the input helps until an admin reopens it."""
    return Conflict if Conflict in codes else ValidationFailed


def bulk_update(
    session: Session, principal: Principal, now: datetime, items: list[tuple[str, EntryChanges]]
) -> list[EntryOut]:
    entries = _each_own(session, principal, [i for i, _ in items], "id")
    errors: list[ErrorItem] = []
    codes: set[type[DomainError]] = set()
    for index, ((entry_id, changes), entry) in enumerate(zip(items, entries, strict=True)):
        try:
            load_own_unlocked(session, principal, entry_id, None)
            apply_patch(session, principal, now, entry, changes)
        except DomainError as exc:
            errors.append(ErrorItem(index, exc.field, exc.message))
            codes.add(type(exc))
    # raising rolls back the changes already applied to passing items
    fail_bulk(errors, _status(codes))
    session.flush()
    return views(session, entries, principal, now)


def bulk_delete(
    session: Session, principal: Principal, now: datetime, ids: list[str]
) -> EntriesDeleted:
    if not ids:
        raise ValidationFailed("give at least one id", field="ids")
    if len(ids) > 10_000:
        raise ValidationFailed("at most 10000 ids at once", field="ids")
    entries = _each_own(session, principal, ids, "ids")
    errors: list[ErrorItem] = []
    codes: set[type[DomainError]] = set()
    for index, entry in enumerate(entries):
        try:
            load_own_unlocked(session, principal, entry.id, None)
        except DomainError as exc:
            errors.append(ErrorItem(index, exc.field or "ids", exc.message))
            codes.add(type(exc))
    fail_bulk(errors, _status(codes))
    blocks = {e.block_id for e in entries if e.block_id}
    for entry in entries:
        session.delete(entry)
    session.flush()
    for block_id in blocks:
        refresh_block_tracked(session, block_id, now)
    return EntriesDeleted(ids)
