"""Bulk create, update and delete of time entries: one transaction, every item checked,
nothing written unless all pass."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timeboxd.db.tracking import TimeEntry
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
    load_own_unlocked,
    new_entry,
    refresh_block_tracked,
    views,
)


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
