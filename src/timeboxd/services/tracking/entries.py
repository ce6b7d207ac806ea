"""Time entries: tracked instants (UTC inside, shown in the account's zone)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, delete, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from timeboxd.db.models import Block, Project
from timeboxd.db.tracking import TimeEntry, entry_tags
from timeboxd.domain.ids import new_id
from timeboxd.domain.wallclock import zone
from timeboxd.errors import Conflict, Forbidden, NotFound, ValidationFailed
from timeboxd.schemas.common import UNSET, Unset
from timeboxd.schemas.entries import EntryChanges, EntryCreate, EntryOut
from timeboxd.services import outbox, versioning
from timeboxd.services.accounts.access import (
    is_member,
    managed_workspaces,
    require_project,
    require_tags,
    task_projects,
)
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.outbox import Change
from timeboxd.services.paging import Page

LOCKED = ("submitted", "approved")
T = TypeVar("T")


@dataclass(slots=True)
class EntryFields:
    """A new entry as every writer gives it (the API's body, the timer, the demo seed):
    instants in UTC, references not yet checked."""

    start_at: datetime
    end_at: datetime | None
    description: str = ""
    project_id: str | None = None
    task_id: str | None = None
    block_id: str | None = None
    billable: bool | None = None
    tag_ids: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, body: EntryCreate) -> EntryFields:
        return cls(
            start_at=body.start_at,
            end_at=body.end_at,
            description=body.description,
            project_id=body.project_id,
            task_id=body.task_id,
            block_id=body.block_id,
            billable=body.billable,
            tag_ids=list(body.tag_ids),
        )


def visible_entry(principal: Principal) -> ColumnElement[bool]:
    """Own entries, plus every entry of the workspaces the caller owns or administers."""
    return (TimeEntry.livemode == principal.livemode) & or_(
        TimeEntry.user_id == principal.user_id,
        TimeEntry.workspace_id.in_(managed_workspaces(principal)),
    )


def tags_of(session: Session, entry_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in entry_ids}
    for i in range(0, len(entry_ids), 5000):
        chunk = entry_ids[i : i + 5000]
        rows = session.execute(
            select(entry_tags.c.entry_id, entry_tags.c.tag_id)
            .where(entry_tags.c.entry_id.in_(chunk))
            .order_by(entry_tags.c.tag_id)
        )
        for entry_id, tag_id in rows:
            out[entry_id].append(tag_id)
    return out


def view(entry: TimeEntry, tag_ids: list[str], tz_name: str, now: datetime) -> EntryOut:
    tz = zone(tz_name)
    end = entry.end_at or now
    return EntryOut(
        id=entry.id,
        user_id=entry.user_id,
        workspace_id=entry.workspace_id,
        project_id=entry.project_id,
        task_id=entry.task_id,
        block_id=entry.block_id,
        description=entry.description,
        start_at=entry.start_at.astimezone(tz),
        end_at=entry.end_at.astimezone(tz) if entry.end_at else None,
        # A running entry counts up to now; a stopped one shows its stored duration.
        duration_seconds=entry.duration_seconds
        if entry.duration_seconds is not None
        else max(0, int((end - entry.start_at).total_seconds())),
        running=entry.end_at is None,
        billable=entry.billable,
        tag_ids=tag_ids,
        approval_status=entry.approval_status,
        approval_comment=entry.approval_comment,
        reviewed_by=entry.reviewed_by,
        reviewed_at=entry.reviewed_at,
        source=entry.source,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def views(
    session: Session, entries: list[TimeEntry], principal: Principal, now: datetime
) -> list[EntryOut]:
    tags = tags_of(session, [e.id for e in entries])
    return [view(e, tags[e.id], principal.timezone, now) for e in entries]


def page_views(
    session: Session, page: Page[TimeEntry], principal: Principal, now: datetime
) -> Page[EntryOut]:
    tags = tags_of(session, [e.id for e in page.items])
    return page.map(lambda e: view(e, tags[e.id], principal.timezone, now))


def load_readable(session: Session, principal: Principal, entry_id: str) -> TimeEntry:
    """An entry the caller may read: their own (wherever it lives) or one of a workspace
    they own or administer."""
    entry = session.scalar(
        select(TimeEntry).where(TimeEntry.id == entry_id, visible_entry(principal))
    )
    if entry is None:
        raise NotFound(f"no time entry {entry_id}")
    return entry


def load_visible(session: Session, principal: Principal, entry_id: str) -> TimeEntry:
    """An entry the caller is about to act on (edit, delete, submit, review, reopen).

    A member who left a workspace, or was removed from it, keeps reading their own time
    there, but it is the team's record now: changing it would reach the team's approval
    queue behind the team's back, so every write to it is a CONFLICT."""
    entry = load_readable(session, principal, entry_id)
    if entry.user_id == principal.user_id and not is_member(session, principal, entry.workspace_id):
        raise Conflict(
            "you are no longer a member of this entry's workspace; its entries are read-only",
            field="workspace_id",
        )
    return entry


def load_own_unlocked(
    session: Session, principal: Principal, entry_id: str, if_match: str | None
) -> TimeEntry:
    """An entry its owner may change: visible, theirs, not submitted or approved."""
    entry = load_visible(session, principal, entry_id)
    if entry.user_id != principal.user_id:
        raise Forbidden("only the person who tracked an entry can change it")
    versioning.check_row(entry, if_match, "entry")
    if entry.approval_status in LOCKED:
        raise Conflict(
            f"the entry is {entry.approval_status} and locked until an admin reopens it",
            field="approval_status",
        )
    return entry


def get_entry(
    session: Session, principal: Principal, now: datetime, entry_id: str
) -> tuple[EntryOut, str]:
    entry = load_readable(session, principal, entry_id)
    return views(session, [entry], principal, now)[0], versioning.etag(entry)


@dataclass(slots=True)
class Resolved:
    """References of an entry, checked: where it lives and what it defaults to."""

    workspace_id: str
    project_id: str | None
    billable_default: bool


def resolve_refs(
    session: Session,
    principal: Principal,
    project_id: str | None,
    task_id: str | None,
    block_id: str | None,
) -> Resolved:
    if task_id is not None:
        tasks = task_projects(session, principal, [task_id])
        if task_id not in tasks:
            raise ValidationFailed(f"no task {task_id}", field="task_id")
        if project_id is not None and tasks[task_id] != project_id:
            raise ValidationFailed(f"task {task_id} belongs to another project", field="task_id")
        project_id = tasks[task_id]
    if block_id is not None:
        owned = session.scalar(
            select(Block.id).where(
                Block.id == block_id,
                Block.user_id == principal.user_id,
                Block.livemode == principal.livemode,
                Block.deleted_at.is_(None),
            )
        )
        if owned is None:
            raise ValidationFailed(f"no block {block_id}", field="block_id")
    if project_id is None:
        return Resolved(personal_workspace_id(session, principal.user_id), None, False)
    require_project(session, principal, project_id)
    project = session.get(Project, project_id)
    assert project is not None
    return Resolved(project.workspace_id, project_id, project.billable)


def check_span(start_at: datetime, end_at: datetime | None) -> int | None:
    if end_at is None:
        return None
    if end_at <= start_at:
        raise ValidationFailed("end_at must be after start_at", field="end_at")
    if end_at - start_at > timedelta(days=7):
        raise ValidationFailed("an entry cannot last more than 7 days", field="end_at")
    return int((end_at - start_at).total_seconds())


def set_tags(session: Session, entry_id: str, tag_ids: list[str]) -> None:
    session.execute(delete(entry_tags).where(entry_tags.c.entry_id == entry_id))
    if tag_ids:
        session.execute(insert(entry_tags), [{"entry_id": entry_id, "tag_id": t} for t in tag_ids])


def mark_block_tracked(session: Session, block_id: str | None, now: datetime) -> None:
    if block_id is None:
        return
    block = session.get(Block, block_id)
    if block is not None and not block.has_time_entry:
        # A real change of the row: its UPDATE raises the block's version, so its ETag.
        block.has_time_entry = True
        block.updated_at = now


def refresh_block_tracked(session: Session, block_id: str | None, now: datetime) -> None:
    """After an entry leaves a block, the block is tracked only if another entry remains."""
    if block_id is None:
        return
    block = session.get(Block, block_id)
    if block is None:
        return
    remaining = session.scalar(select(func.count()).where(TimeEntry.block_id == block_id)) or 0
    if block.has_time_entry != (remaining > 0):
        # A real change of the row: its UPDATE raises the block's version, so its ETag.
        block.has_time_entry = remaining > 0
        block.updated_at = now


def new_entry(
    session: Session,
    principal: Principal,
    now: datetime,
    fields: EntryFields,
    source: str,
) -> TimeEntry:
    """Validate and add one entry (not yet flushed for tags); shared by create, timer, import."""
    duration = check_span(fields.start_at, fields.end_at)
    refs = resolve_refs(session, principal, fields.project_id, fields.task_id, fields.block_id)
    tag_ids = require_tags(session, principal, fields.tag_ids, refs.workspace_id)
    entry = TimeEntry(
        id=new_id("ten"),
        user_id=principal.user_id,
        workspace_id=refs.workspace_id,
        livemode=principal.livemode,
        project_id=refs.project_id,
        task_id=fields.task_id,
        block_id=fields.block_id,
        description=fields.description,
        start_at=fields.start_at,
        end_at=fields.end_at,
        duration_seconds=duration,
        billable=refs.billable_default if fields.billable is None else fields.billable,
        source=source,
        approval_status="draft",
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    set_tags(session, entry.id, tag_ids)
    mark_block_tracked(session, fields.block_id, now)
    return entry


def create_entry(
    session: Session, principal: Principal, now: datetime, body: EntryCreate
) -> tuple[EntryOut, str]:
    entry = new_entry(session, principal, now, EntryFields.of(body), "manual")
    found = get_entry(session, principal, now, entry.id)
    announce(session, principal, now, [(Change("time_entry.created", entry.id, found[0]), entry)])
    return found


class Owned(Protocol):
    """What places an entry's event: whose entry it is, in which workspace."""

    @property
    def user_id(self) -> str: ...

    @property
    def workspace_id(self) -> str: ...


def announce(
    session: Session,
    principal: Principal,
    now: datetime,
    changes: Sequence[tuple[Change, Owned]],
) -> None:
    """The events of changed entries, each for its owner and the owner and admins of its
    workspace (who read every member's time there)."""
    groups: dict[tuple[str, str], list[Change]] = defaultdict(list)
    for change, entry in changes:
        groups[(entry.user_id, entry.workspace_id)].append(change)
    for (user_id, workspace_id), found in groups.items():
        audience = [user_id, *outbox.managers(session, workspace_id)]
        outbox.record(session, now, principal.livemode, found, audience)


def gone(entry: TimeEntry, tz_name: str) -> Change:
    """A deleted entry's tombstone, with its start for a timeline to find it."""
    start = entry.start_at.astimezone(zone(tz_name))
    return Change.deleted("time_entry.deleted", entry.id, start_at=start)


def _given(value: T | Unset, current: T) -> T:
    """A sent value, or the current one when it was not sent."""
    return current if value is UNSET else value


def apply_patch(
    session: Session, principal: Principal, now: datetime, entry: TimeEntry, changes: EntryChanges
) -> None:
    """Check every change, then write them to the entry at once: the entry is flushed once,
    so its version rises by one whatever changed."""
    if changes.start_at is None:
        raise ValidationFailed("start_at cannot be null", field="start_at")
    start_at = _given(changes.start_at, entry.start_at)
    end_at = _given(changes.end_at, entry.end_at)
    if changes.end_at is None and entry.end_at is not None:
        raise ValidationFailed("a stopped entry cannot be restarted; use the timer", field="end_at")
    # The span is checked only when it changes: a timer stopped within the second it
    # started lasts 0 seconds, and its description or project must still be editable.
    if changes.start_at is not UNSET or changes.end_at is not UNSET:
        duration = check_span(start_at, end_at)
    else:
        duration = entry.duration_seconds
    workspace_id, project_id = entry.workspace_id, entry.project_id
    task_id, block_id = entry.task_id, entry.block_id
    if any(c is not UNSET for c in (changes.project_id, changes.task_id, changes.block_id)):
        project_id = _given(changes.project_id, entry.project_id)
        task_id = _given(changes.task_id, entry.task_id)
        if changes.project_id is not UNSET and changes.task_id is UNSET:
            task_id = None  # moving to another project drops a task of the old one
        block_id = _given(changes.block_id, entry.block_id)
        refs = resolve_refs(session, principal, project_id, task_id, block_id)
        if refs.workspace_id != entry.workspace_id and changes.tag_ids is UNSET:
            # Tags belong to a workspace: kept tags must exist where the entry moves.
            kept = tags_of(session, [entry.id])[entry.id]
            require_tags(session, principal, kept, refs.workspace_id)
        workspace_id, project_id = refs.workspace_id, refs.project_id
    tag_ids = None
    if changes.tag_ids is not UNSET:
        tag_ids = require_tags(session, principal, changes.tag_ids or [], workspace_id)
    billable = entry.billable
    if changes.billable is not UNSET:
        # null (and a PUT without it) means the project's default, as on create.
        if changes.billable is None:
            project = session.get(Project, project_id) if project_id else None
            billable = project is not None and project.billable
        else:
            billable = changes.billable
    old_block = entry.block_id
    entry.workspace_id, entry.project_id = workspace_id, project_id
    entry.task_id, entry.block_id = task_id, block_id
    if changes.description is not UNSET:
        entry.description = changes.description or ""
    entry.billable = billable
    entry.start_at, entry.end_at, entry.duration_seconds = start_at, end_at, duration
    entry.updated_at = now
    # Every write is a new version, even one that changes only tags (another table) or
    # sends the values the entry has: the row is updated, and the ORM raises its version.
    flag_modified(entry, "updated_at")
    if tag_ids is not None:
        set_tags(session, entry.id, tag_ids)
    if old_block != block_id:
        session.flush()
        refresh_block_tracked(session, old_block, now)
        mark_block_tracked(session, block_id, now)


def update_entry(
    session: Session,
    principal: Principal,
    now: datetime,
    entry_id: str,
    changes: EntryChanges,
    if_match: str | None,
) -> tuple[EntryOut, str]:
    entry = load_own_unlocked(session, principal, entry_id, if_match)
    apply_patch(session, principal, now, entry, changes)
    session.flush()
    found = get_entry(session, principal, now, entry.id)
    announce(session, principal, now, [(Change("time_entry.updated", entry.id, found[0]), entry)])
    return found


def delete_entry(
    session: Session, principal: Principal, now: datetime, entry_id: str, if_match: str | None
) -> None:
    entry = load_own_unlocked(session, principal, entry_id, if_match)
    block_id = entry.block_id
    announce(session, principal, now, [(gone(entry, principal.timezone), entry)])
    session.delete(entry)
    session.flush()
    refresh_block_tracked(session, block_id, now)
