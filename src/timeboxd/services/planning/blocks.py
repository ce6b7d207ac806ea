"""Time blocks: planned wall-clock time in the account's zone (SPEC §3 Time blocks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from timeboxd.db.models import Block, Project
from timeboxd.domain.ids import new_id
from timeboxd.domain.wallclock import NonexistentLocalTime, to_utc, zone
from timeboxd.errors import Conflict, NotFound, ValidationFailed
from timeboxd.schemas.blocks import BlockChanges, BlockFields, BlockOut
from timeboxd.schemas.common import UNSET
from timeboxd.services import outbox, versioning
from timeboxd.services.accounts.access import require_project, require_task
from timeboxd.services.context import Principal
from timeboxd.services.outbox import Change


@dataclass(slots=True)
class Placed:
    start_at: datetime
    end_at: datetime


# Columns every block read selects, named as BlockOut's fields, plus the version for the ETag.
VIEW_COLUMNS = (
    Block.id,
    Block.project_id,
    Project.name.label("project_name"),
    Block.task_id,
    Block.date,
    Block.start,
    Block.end,
    Block.topic,
    Block.done,
    Block.completed_at,
    Block.start_at,
    Block.end_at,
    Block.series_id,
    Block.has_time_entry,
    Block.archived_at,
    Block.deleted_at,
    Block.created_at,
    Block.updated_at,
    Block.version,
)


def view_from_row(row: Row[Any] | Any, tz_name: str) -> BlockOut:
    """A block from a row of VIEW_COLUMNS (or any object with those attributes)."""
    tz = zone(tz_name)
    start_at = row.start_at.astimezone(tz)
    end_at = row.end_at.astimezone(tz)
    return BlockOut(
        id=row.id,
        project_id=row.project_id,
        project_name=row.project_name,
        subject_id=row.project_id,
        subject_name=row.project_name,
        task_id=row.task_id,
        date=row.date,
        start=row.start.strftime("%H:%M"),
        end=row.end.strftime("%H:%M"),
        # From the UTC instants: same-zone aware arithmetic in Python ignores DST shifts.
        duration_minutes=int((row.end_at - row.start_at).total_seconds() // 60),
        topic=row.topic,
        done=row.done,
        completed_at=row.completed_at,
        start_at=start_at,
        end_at=end_at,
        series_id=row.series_id,
        has_time_entry=row.has_time_entry,
        archived_at=row.archived_at,
        deleted_at=row.deleted_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def place(day: date, start: time, end: time, tz_name: str) -> Placed:
    """Validate a block's wall-clock span and return its instants (fields named as in SPEC)."""
    try:
        start_at = to_utc(day, start, tz_name)
    except NonexistentLocalTime as exc:
        raise ValidationFailed(f"{exc} (daylight-saving gap)", field="start") from None
    try:
        end_at = to_utc(day, end, tz_name)
    except NonexistentLocalTime as exc:
        raise ValidationFailed(f"{exc} (daylight-saving gap)", field="end") from None
    if end <= start or end_at <= start_at:
        raise ValidationFailed("end must be after start", field="end")
    return Placed(start_at, end_at)


def _select_one(principal: Principal, block_id: str) -> Any:
    return (
        select(*VIEW_COLUMNS)
        .outerjoin(Project, Project.id == Block.project_id)
        .where(
            Block.id == block_id,
            Block.user_id == principal.user_id,
            Block.livemode == principal.livemode,
        )
    )


def get_block(session: Session, principal: Principal, block_id: str) -> tuple[BlockOut, str]:
    row = session.execute(_select_one(principal, block_id)).first()
    if row is None:
        raise NotFound(f"no block {block_id}")
    return view_from_row(row, principal.timezone), versioning.etag_of(row.id, row.version)


def _load_for_write(
    session: Session, principal: Principal, block_id: str, if_match: str | None
) -> Block:
    block = session.scalar(
        select(Block).where(
            Block.id == block_id,
            Block.user_id == principal.user_id,
            Block.livemode == principal.livemode,
        )
    )
    if block is None:
        raise NotFound(f"no block {block_id}")
    versioning.check_row(block, if_match, "block")
    return block


def _touch(block: Block, now: datetime) -> None:
    block.updated_at = now
    # Every write gives the block a new ETag, even one that leaves each value as it was
    # (a PATCH sending the stored values within the clock's resolution): flagged, the row
    # is always UPDATEd, and the ORM raises its version.
    flag_modified(block, "updated_at")


def create_block(
    session: Session, principal: Principal, now: datetime, fields: BlockFields
) -> tuple[BlockOut, str]:
    require_project(session, principal, fields.project_id)
    require_task(session, principal, fields.task_id, fields.project_id)
    placed = place(fields.date, fields.start, fields.end, principal.timezone)
    block = Block(
        id=new_id("blk"),
        user_id=principal.user_id,
        livemode=principal.livemode,
        project_id=fields.project_id,
        task_id=fields.task_id,
        date=fields.date,
        start=fields.start,
        end=fields.end,
        start_at=placed.start_at,
        end_at=placed.end_at,
        topic=fields.topic,
        done=fields.done,
        completed_at=now if fields.done else None,
        has_time_entry=False,
        created_at=now,
        updated_at=now,
    )
    session.add(block)
    session.flush()
    found = get_block(session, principal, block.id)
    announce(session, principal, now, [Change("block.created", block.id, found[0])])
    return found


def announce(session: Session, principal: Principal, now: datetime, changes: list[Change]) -> None:
    """Blocks are their owner's alone: the events go to the owner's feed."""
    outbox.record(session, now, principal.livemode, changes, [principal.user_id])


def changed(view: BlockOut, was_done: bool) -> list[Change]:
    """The events of an update: ``block.updated``, and ``block.completed`` when it
    became done."""
    found = [Change("block.updated", view.id, view)]
    if view.done and not was_done:
        found.append(Change("block.completed", view.id, view))
    return found


def gone(block_id: str, day: date) -> Change:
    """A deleted block's tombstone, with its date for a calendar to find it."""
    return Change.deleted("block.deleted", block_id, date=day)


def apply_changes(block: Block, changes: BlockChanges, principal: Principal, now: datetime) -> None:
    """Apply parsed PATCH fields to a loaded block (no I/O; references checked by callers)."""
    if block.deleted_at is not None:
        raise Conflict("the block is in the trash; restore it first", field="id")
    if changes.date is None:
        raise ValidationFailed("date cannot be null", field="date")
    if changes.start is None:
        raise ValidationFailed("start cannot be null", field="start")
    if changes.end is None:
        raise ValidationFailed("end cannot be null", field="end")
    if changes.done is None:
        raise ValidationFailed("done cannot be null; send true or false", field="done")
    if changes.topic is not UNSET:
        block.topic = changes.topic or ""
    if changes.project_id is not UNSET:
        block.project_id = changes.project_id
    if changes.task_id is not UNSET:
        block.task_id = changes.task_id
    if changes.date is not UNSET or changes.start is not UNSET or changes.end is not UNSET:
        day = block.date if changes.date is UNSET else changes.date
        start = block.start if changes.start is UNSET else changes.start
        end = block.end if changes.end is UNSET else changes.end
        placed = place(day, start, end, principal.timezone)
        block.date, block.start, block.end = day, start, end
        block.start_at, block.end_at = placed.start_at, placed.end_at
    if changes.done is not UNSET:
        if changes.done and not block.done:
            block.completed_at = now
        elif not changes.done:
            block.completed_at = None
        block.done = changes.done
    _touch(block, now)


def target_project(block: Block, changes: BlockChanges) -> str | None:
    """The project the block belongs to once ``changes`` apply (its tasks must be of it)."""
    return block.project_id if changes.project_id is UNSET else changes.project_id


def update_block(
    session: Session,
    principal: Principal,
    now: datetime,
    block_id: str,
    changes: BlockChanges,
    if_match: str | None,
) -> tuple[BlockOut, str]:
    """PATCH, or PUT with every field sent (``changes_of(..., replace=True)``)."""
    block = _load_for_write(session, principal, block_id, if_match)
    if changes.project_id is not UNSET and changes.project_id:
        require_project(session, principal, changes.project_id)
    if changes.task_id is not UNSET and changes.task_id is not None:
        require_task(session, principal, changes.task_id, target_project(block, changes))
    was_done = block.done
    apply_changes(block, changes, principal, now)
    session.flush()
    found = get_block(session, principal, block.id)
    announce(session, principal, now, changed(found[0], was_done))
    return found


def _set_state(
    session: Session,
    principal: Principal,
    now: datetime,
    block_id: str,
    if_match: str | None,
    *,
    archived: bool | None = None,
    deleted: bool | None = None,
) -> tuple[BlockOut, str]:
    block = _load_for_write(session, principal, block_id, if_match)
    event: str | None = None
    if archived is not None:
        if block.deleted_at is not None:
            raise Conflict("the block is in the trash; restore it first", field="id")
        if archived != (block.archived_at is not None):
            block.archived_at = now if archived else None
            _touch(block, now)
            event = "block.updated"
    if deleted is not None and deleted != (block.deleted_at is not None):
        block.deleted_at = now if deleted else None
        _touch(block, now)
        event = "block.deleted" if deleted else "block.restored"
    session.flush()
    found = get_block(session, principal, block.id)
    if event == "block.deleted":
        announce(session, principal, now, [gone(block.id, block.date)])
    elif event is not None:
        announce(session, principal, now, [Change(event, block.id, found[0])])
    return found


def delete_block(
    session: Session, principal: Principal, now: datetime, block_id: str, if_match: str | None
) -> tuple[BlockOut, str]:
    return _set_state(session, principal, now, block_id, if_match, deleted=True)


def restore_block(
    session: Session, principal: Principal, now: datetime, block_id: str, if_match: str | None
) -> tuple[BlockOut, str]:
    return _set_state(session, principal, now, block_id, if_match, deleted=False)


def archive_block(
    session: Session, principal: Principal, now: datetime, block_id: str, if_match: str | None
) -> tuple[BlockOut, str]:
    return _set_state(session, principal, now, block_id, if_match, archived=True)


def unarchive_block(
    session: Session, principal: Principal, now: datetime, block_id: str, if_match: str | None
) -> tuple[BlockOut, str]:
    return _set_state(session, principal, now, block_id, if_match, archived=False)


StateChange = Callable[[Session, Principal, datetime, str, "str | None"], tuple[BlockOut, str]]
