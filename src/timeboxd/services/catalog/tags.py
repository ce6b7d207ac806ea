"""Tags (SPEC §3): a workspace's labels for tasks and time entries.

Every member sees a workspace's tags; only its owner and admins create, rename or delete
them, since renaming one relabels everybody's tasks and time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timeboxd.db.tracking import Tag, Task, TimeEntry, entry_tags, task_tags
from timeboxd.domain.ids import new_id
from timeboxd.errors import Conflict, NotFound
from timeboxd.schemas.common import UNSET
from timeboxd.schemas.tags import TagChanges, TagCreate, TagOut
from timeboxd.services import versioning
from timeboxd.services.accounts.access import member_workspaces, require_manager
from timeboxd.services.catalog.common import (
    announce,
    apply_changes,
    reject_nulls,
    target_workspace,
    tombstone,
)
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, select_page


def _view(t: Tag) -> TagOut:
    return TagOut(
        id=t.id,
        workspace_id=t.workspace_id,
        name=t.name,
        color=t.color,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


def _visible(principal: Principal) -> ColumnElement[bool]:
    return Tag.workspace_id.in_(member_workspaces(principal)) & (Tag.livemode == principal.livemode)


def _load(session: Session, principal: Principal, tag_id: str) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.id == tag_id, _visible(principal)))
    if tag is None:
        raise NotFound(f"no tag {tag_id}")
    return tag


def _load_managed(session: Session, principal: Principal, tag_id: str, if_match: str | None) -> Tag:
    tag = _load(session, principal, tag_id)
    require_manager(session, principal, tag.workspace_id)
    versioning.check_row(tag, if_match, "tag")
    return tag


def _name_taken(name: str) -> Conflict:
    return Conflict(f"the workspace already has a tag named {name!r}", field="name")


def _check_unique_name(
    session: Session, principal: Principal, workspace_id: str, name: str, tag_id: str | None
) -> None:
    """Tag names are unique in a workspace without regard to case ("Exam" and "exam")."""
    clash = session.scalar(
        select(Tag.id).where(
            Tag.workspace_id == workspace_id,
            Tag.livemode == principal.livemode,
            func.lower(Tag.name) == name.lower(),
            Tag.id != (tag_id or ""),
        )
    )
    if clash is not None:
        raise _name_taken(name)


def _flush(session: Session, name: str) -> None:
    try:
        session.flush()
    except IntegrityError:  # the same name written at the same moment by another request
        raise _name_taken(name) from None


def create_tag(
    session: Session, principal: Principal, now: datetime, body: TagCreate
) -> tuple[TagOut, str]:
    workspace_id = target_workspace(session, principal, body.workspace_id)
    require_manager(session, principal, workspace_id)
    _check_unique_name(session, principal, workspace_id, body.name, None)
    tag = Tag(
        id=new_id("tag"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        name=body.name,
        color=body.color,
        created_at=now,
        updated_at=now,
    )
    session.add(tag)
    _flush(session, tag.name)
    return _announced(session, principal, now, "tag.created", tag)


def get_tag(session: Session, principal: Principal, tag_id: str) -> tuple[TagOut, str]:
    tag = _load(session, principal, tag_id)
    return _view(tag), versioning.etag(tag)


def list_tags(
    session: Session, principal: Principal, workspace_id: str | None, paging: PageRequest
) -> Page[TagOut]:
    stmt = select(Tag).where(_visible(principal))
    if workspace_id:
        stmt = stmt.where(Tag.workspace_id == workspace_id)
    stmt = stmt.order_by(func.lower(Tag.name), Tag.id)
    return select_page(session, stmt, paging).map(_view)


def update_tag(
    session: Session,
    principal: Principal,
    now: datetime,
    tag_id: str,
    changes: TagChanges,
    if_match: str | None,
) -> tuple[TagOut, str]:
    tag = _load_managed(session, principal, tag_id, if_match)
    reject_nulls(changes, "name")
    if changes.name is not UNSET and changes.name is not None:
        _check_unique_name(session, principal, tag.workspace_id, changes.name, tag.id)
    apply_changes(tag, changes, now)
    _flush(session, tag.name)
    return _announced(session, principal, now, "tag.updated", tag)


def delete_tag(
    session: Session, principal: Principal, now: datetime, tag_id: str, if_match: str | None
) -> None:
    """The tag goes, and with it its place on tasks and time entries (nothing else); those
    tasks and entries changed, so they get a new ETag."""
    tag = _load_managed(session, principal, tag_id, if_match)
    tagged_tasks = select(task_tags.c.task_id).where(task_tags.c.tag_id == tag.id)
    tagged_entries = select(entry_tags.c.entry_id).where(entry_tags.c.tag_id == tag.id)
    session.execute(
        update(Task)
        .where(Task.id.in_(tagged_tasks))
        .values(updated_at=now, **versioning.bump(Task.version))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(TimeEntry)
        .where(TimeEntry.id.in_(tagged_entries))
        .values(updated_at=now, **versioning.bump(TimeEntry.version))
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(task_tags).where(task_tags.c.tag_id == tag.id))
    session.execute(delete(entry_tags).where(entry_tags.c.tag_id == tag.id))
    session.delete(tag)
    session.flush()
    gone = tombstone(tag.workspace_id, tag.id)
    announce(session, principal, now, "tag.deleted", tag.id, tag.workspace_id, gone)


def _announced(
    session: Session, principal: Principal, now: datetime, type: str, tag: Tag
) -> tuple[TagOut, str]:
    view = _view(tag)
    announce(session, principal, now, type, tag.id, tag.workspace_id, view)
    return view, versioning.etag(tag)
