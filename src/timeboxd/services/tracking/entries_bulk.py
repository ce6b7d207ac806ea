"""Bulk create, update and delete of time entries: one transaction, every item checked,
nothing written unless all pass; and ``insert_imported``, the fast path imports write
through."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, Project, blocks_table
from timeboxd.db.prepared import insert_many
from timeboxd.db.rollups_bulk import counted_once
from timeboxd.db.tracking import Tag, TimeEntry, entry_tags
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
from timeboxd.services.accounts.access import task_projects, visible_project
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.outbox import Change
from timeboxd.services.tracking.entries import (
    announce,
    apply_patch,
    check_span,
    gone,
    load_own_unlocked,
    refresh_block_tracked,
    view,
    views,
)
from timeboxd.services.versioning import bump

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


def _row(
    principal: Principal,
    now: datetime,
    workspace_id: str,
    start_at: datetime,
    end_at: datetime,
    source: str,
    **fields: object,
) -> dict[str, object]:
    """A new stopped entry as a row of ``time_entries`` (a Core insert, not the ORM's: the
    first version is written here)."""
    return {
        "id": new_id("ten"),
        "user_id": principal.user_id,
        "workspace_id": workspace_id,
        "livemode": principal.livemode,
        "project_id": None,
        "task_id": None,
        "block_id": None,
        "description": "",
        "billable": False,
        "start_at": start_at,
        "end_at": end_at,
        "duration_seconds": check_span(start_at, end_at),
        "source": source,
        "external_id": None,
        "approval_status": "draft",
        "approval_comment": None,
        "reviewed_by": None,
        "reviewed_at": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        **fields,
    }


def _insert(session: Session, entries: list[dict[str, object]], tags: list[dict[str, str]]) -> None:
    """Two statements (``insert_many``: executemany on SQLite, one COPY on PostgreSQL); the
    statistics rollups count the entries once, in grouped statements (``counted_once``)."""
    conn = session.connection()
    with counted_once(conn):
        insert_many(conn, entries_table, entries)
    insert_many(conn, entry_tags, tags)


def insert_imported(
    session: Session,
    principal: Principal,
    now: datetime,
    workspace_id: str,
    items: Sequence[ImportedEntry],
) -> None:
    """All items in two statements (``_insert``). The caller resolved every reference in
    ``workspace_id`` just before, so the per-entry checks of ``new_entry`` (a few queries
    and a flush each: 12 s for 10,000 rows) have nothing left to find; the span is checked
    here as ``new_entry`` checks it. A fingerprint imported meanwhile by another request
    raises ``IntegrityError``."""
    entries: list[dict[str, object]] = []
    tags: list[dict[str, str]] = []
    for item in items:
        row = _row(
            principal,
            now,
            workspace_id,
            item.start_at,
            item.end_at,
            "import",
            project_id=item.project_id,
            task_id=item.task_id,
            description=item.description,
            billable=item.billable,
            external_id=item.external_id,
        )
        entries.append(row)
        tags.extend({"entry_id": str(row["id"]), "tag_id": t} for t in item.tag_ids)
    _insert(session, entries, tags)
    made = [
        view(cast(TimeEntry, SimpleNamespace(**r)), sorted(item.tag_ids), principal.timezone, now)
        for r, item in zip(entries, items, strict=True)
    ]
    announce(session, principal, now, [(Change("time_entry.created", v.id, v), v) for v in made])


def _chunks(ids: set[str]) -> Iterator[list[str]]:
    """``ids`` in slices small enough for SQLite's cap on bound parameters."""
    listed = sorted(ids)
    for i in range(0, len(listed), 5000):
        yield listed[i : i + 5000]


@dataclass(slots=True)
class _Known:
    """Every reference the items make, looked up once for all of them."""

    tasks: dict[str, str]  # task -> its project
    projects: dict[str, tuple[str, bool]]  # project -> (workspace, billable by default)
    blocks: set[str]
    tag_workspaces: dict[str, str]
    personal: str

    @classmethod
    def of(cls, session: Session, principal: Principal, items: list[EntryCreate]) -> _Known:
        tasks = task_projects(session, principal, (i.task_id for i in items))
        wanted = {i.project_id for i in items if i.project_id} | set(tasks.values())
        projects: dict[str, tuple[str, bool]] = {}
        for chunk in _chunks(wanted):
            stmt = select(Project.id, Project.workspace_id, Project.billable).where(
                Project.id.in_(chunk), visible_project(principal)
            )
            projects.update(
                (r.id, (r.workspace_id, bool(r.billable))) for r in session.execute(stmt)
            )
        blocks: set[str] = set()
        for chunk in _chunks({i.block_id for i in items if i.block_id}):
            blocks.update(
                session.scalars(
                    select(Block.id).where(
                        Block.id.in_(chunk),
                        Block.user_id == principal.user_id,
                        Block.livemode == principal.livemode,
                        Block.deleted_at.is_(None),
                    )
                )
            )
        tag_workspaces: dict[str, str] = {}
        for chunk in _chunks({t for i in items for t in i.tag_ids}):
            tagged = select(Tag.id, Tag.workspace_id).where(
                Tag.id.in_(chunk), Tag.livemode == principal.livemode
            )
            tag_workspaces.update((r.id, r.workspace_id) for r in session.execute(tagged))
        personal = personal_workspace_id(session, principal.user_id)
        return cls(tasks, projects, blocks, tag_workspaces, personal)

    def resolve(self, item: EntryCreate) -> tuple[str, str | None, bool, list[str]]:
        """The entry's workspace, project, default billable flag and tags, checked in the
        order ``new_entry`` checks them (``resolve_refs``, then ``require_tags``): the
        first failure is the item's error."""
        project_id = item.project_id
        if item.task_id is not None:
            if item.task_id not in self.tasks:
                raise ValidationFailed(f"no task {item.task_id}", field="task_id")
            if project_id is not None and self.tasks[item.task_id] != project_id:
                raise ValidationFailed(
                    f"task {item.task_id} belongs to another project", field="task_id"
                )
            project_id = self.tasks[item.task_id]
        if item.block_id is not None and item.block_id not in self.blocks:
            raise ValidationFailed(f"no block {item.block_id}", field="block_id")
        if project_id is None:
            workspace_id, billable = self.personal, False
        elif project_id in self.projects:
            workspace_id, billable = self.projects[project_id]
        else:
            raise ValidationFailed(f"no project {project_id}", field="project_id")
        tag_ids = list(dict.fromkeys(item.tag_ids))  # keep order, drop repeats
        for tag_id in tag_ids:
            if self.tag_workspaces.get(tag_id) != workspace_id:
                raise ValidationFailed(f"no tag {tag_id} in this workspace", field="tag_ids")
        return workspace_id, project_id, billable, tag_ids


# Marks blocks tracked: a real change of each row raises its version, so its ETag.
_TRACKED = (
    update(blocks_table)
    .where(blocks_table.c.id == bindparam("b_id"), blocks_table.c.has_time_entry.is_(False))
    .values(has_time_entry=True, updated_at=bindparam("now"), **bump(blocks_table.c.version))
)


def bulk_create(
    session: Session, principal: Principal, now: datetime, items: list[EntryCreate]
) -> list[EntryOut]:
    """Every item checked against references looked up once for all (``_Known``), then
    written in two statements (``_insert``), the blocks marked in one more: a constant
    number of statements, where ``new_entry`` for each item took several (17 s for 10,000
    on PostgreSQL). The answer is made from the rows written, as they read back."""
    known = _Known.of(session, principal, items)
    errors: list[ErrorItem] = []
    entries: list[dict[str, object]] = []
    tags: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        try:
            workspace_id, project_id, billable, tag_ids = known.resolve(item)
            row = _row(
                principal,
                now,
                workspace_id,
                item.start_at,
                item.end_at,
                "manual",
                project_id=project_id,
                task_id=item.task_id,
                block_id=item.block_id,
                description=item.description,
                billable=billable if item.billable is None else item.billable,
            )
        except ValidationFailed as exc:
            errors.append(ErrorItem(index, exc.field, exc.message))
            continue
        entries.append(row)
        tags[str(row["id"])] = tag_ids
    fail_bulk(errors)
    _insert(
        session,
        entries,
        [{"entry_id": e, "tag_id": t} for e, ts in tags.items() for t in ts],
    )
    blocks = sorted({str(r["block_id"]) for r in entries if r["block_id"]})
    if blocks:
        session.execute(_TRACKED, [{"b_id": b, "now": now} for b in blocks])
    made = [
        view(
            cast(TimeEntry, SimpleNamespace(**r)),
            sorted(tags[str(r["id"])]),
            principal.timezone,
            now,
        )
        for r in entries
    ]
    announce(session, principal, now, [(Change("time_entry.created", v.id, v), v) for v in made])
    return made


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
    changed = views(session, entries, principal, now)
    announce(session, principal, now, [(Change("time_entry.updated", v.id, v), v) for v in changed])
    return changed


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
    announce(session, principal, now, [(gone(e, principal.timezone), e) for e in entries])
    blocks = {e.block_id for e in entries if e.block_id}
    for entry in entries:
        session.delete(entry)
    session.flush()
    for block_id in blocks:
        refresh_block_tracked(session, block_id, now)
    return EntriesDeleted(ids)
