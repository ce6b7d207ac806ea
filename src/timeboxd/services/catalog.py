"""Clients (with contacts), tags and tasks: what projects and time are organised by.

Visibility follows the workspace: every member sees its clients, tags and tasks. Clients
and tags are the workspace's shared vocabulary, so only its owner and admins change them
(as for projects); tasks are the work itself, so any member who sees the project may
create, edit and delete its tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, Project
from timeboxd.db.tracking import Client, Contact, Tag, Task, TimeEntry, task_tags
from timeboxd.domain.ids import new_id
from timeboxd.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from timeboxd.services.access import (
    member_workspaces,
    require_manager,
    require_project,
    require_tags,
    visible_task,
)
from timeboxd.services.accounts import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest


def etag(row: Client | Contact | Tag | Task) -> str:
    return f'"{row.id}.{row.version}"'


def _check_etag(row: Client | Contact | Tag | Task, if_match: str | None, what: str) -> None:
    if if_match is not None and if_match not in ("*", etag(row)):
        raise PreconditionFailed(f"If-Match does not match the {what}'s ETag", field="If-Match")


def _apply(row: Any, changes: dict[str, Any], writable: tuple[str, ...], now: datetime) -> None:
    for key in writable:
        if key in changes:
            setattr(row, key, changes[key])
    row.updated_at = now
    row.version += 1


def _required(changes: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)


def _page(session: Session, stmt: Any, paging: PageRequest) -> tuple[list[Any], int, bool]:
    rows = list(session.scalars(stmt.offset(paging.offset).limit(paging.limit + 1)))
    has_more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    if not has_more and (rows or paging.offset == 0):
        return rows, paging.offset + len(rows), has_more
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return rows, total or 0, has_more


def _workspace(session: Session, principal: Principal, workspace_id: str | None) -> str:
    return workspace_id or personal_workspace_id(session, principal.user_id)


# -- clients -------------------------------------------------------------------------------

CLIENT_FIELDS = ("name", "email", "notes")


@dataclass(slots=True)
class ClientView:
    id: str
    workspace_id: str
    name: str
    email: str | None
    notes: str
    created_at: datetime
    updated_at: datetime


def _client_view(c: Client) -> ClientView:
    return ClientView(c.id, c.workspace_id, c.name, c.email, c.notes, c.created_at, c.updated_at)


def _visible_client(principal: Principal) -> Any:
    return Client.workspace_id.in_(member_workspaces(principal)) & (
        Client.livemode == principal.livemode
    )


def _load_client(session: Session, principal: Principal, client_id: str) -> Client:
    client = session.scalar(
        select(Client).where(Client.id == client_id, _visible_client(principal))
    )
    if client is None:
        raise NotFound(f"no client {client_id}")
    return client


def _managed_client(
    session: Session, principal: Principal, client_id: str, if_match: str | None = None
) -> Client:
    client = _load_client(session, principal, client_id)
    require_manager(session, principal, client.workspace_id)
    _check_etag(client, if_match, "client")
    return client


def create_client(
    session: Session, principal: Principal, now: datetime, fields: dict[str, Any]
) -> tuple[ClientView, str]:
    workspace_id = _workspace(session, principal, fields.get("workspace_id"))
    require_manager(session, principal, workspace_id)
    client = Client(
        id=new_id("cli"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        created_at=now,
        updated_at=now,
        version=1,
        **{k: fields[k] for k in CLIENT_FIELDS if k in fields},
    )
    session.add(client)
    session.flush()
    return _client_view(client), etag(client)


def get_client(session: Session, principal: Principal, client_id: str) -> tuple[ClientView, str]:
    client = _load_client(session, principal, client_id)
    return _client_view(client), etag(client)


def list_clients(
    session: Session, principal: Principal, workspace_id: str | None, paging: PageRequest
) -> Page[ClientView]:
    stmt = select(Client).where(_visible_client(principal))
    if workspace_id:
        stmt = stmt.where(Client.workspace_id == workspace_id)
    rows, total, more = _page(session, stmt.order_by(func.lower(Client.name), Client.id), paging)
    return Page([_client_view(c) for c in rows], paging.page, paging.limit, total, more)


def update_client(
    session: Session,
    principal: Principal,
    now: datetime,
    client_id: str,
    changes: dict[str, Any],
    if_match: str | None,
) -> tuple[ClientView, str]:
    client = _managed_client(session, principal, client_id, if_match)
    _required(changes, "name", "notes")
    _apply(client, changes, CLIENT_FIELDS, now)
    session.flush()
    return _client_view(client), etag(client)


def delete_client(
    session: Session, principal: Principal, client_id: str, if_match: str | None
) -> None:
    """The client and its contacts go; its projects stay, without a client."""
    client = _managed_client(session, principal, client_id, if_match)
    session.execute(update(Project).where(Project.client_id == client.id).values(client_id=None))
    session.delete(client)
    session.flush()


# -- contacts ------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "email", "phone", "role")


@dataclass(slots=True)
class ContactView:
    id: str
    client_id: str
    name: str
    email: str | None
    phone: str | None
    role: str | None
    created_at: datetime
    updated_at: datetime


def _contact_view(c: Contact) -> ContactView:
    return ContactView(
        c.id, c.client_id, c.name, c.email, c.phone, c.role, c.created_at, c.updated_at
    )


def _load_contact(
    session: Session, principal: Principal, client_id: str, contact_id: str
) -> Contact:
    _load_client(session, principal, client_id)
    contact = session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.client_id == client_id)
    )
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


def list_contacts(session: Session, principal: Principal, client_id: str) -> list[ContactView]:
    _load_client(session, principal, client_id)
    rows = session.scalars(
        select(Contact)
        .where(Contact.client_id == client_id)
        .order_by(func.lower(Contact.name), Contact.id)
    )
    return [_contact_view(c) for c in rows]


def create_contact(
    session: Session, principal: Principal, now: datetime, client_id: str, fields: dict[str, Any]
) -> tuple[ContactView, str]:
    _managed_client(session, principal, client_id)
    contact = Contact(
        id=new_id("con"),
        client_id=client_id,
        created_at=now,
        updated_at=now,
        version=1,
        **{k: fields.get(k) for k in CONTACT_FIELDS},
    )
    session.add(contact)
    session.flush()
    return _contact_view(contact), etag(contact)


def get_contact(
    session: Session, principal: Principal, client_id: str, contact_id: str
) -> tuple[ContactView, str]:
    contact = _load_contact(session, principal, client_id, contact_id)
    return _contact_view(contact), etag(contact)


def update_contact(
    session: Session,
    principal: Principal,
    now: datetime,
    client_id: str,
    contact_id: str,
    changes: dict[str, Any],
    if_match: str | None,
) -> tuple[ContactView, str]:
    _managed_client(session, principal, client_id)
    contact = _load_contact(session, principal, client_id, contact_id)
    _check_etag(contact, if_match, "contact")
    _required(changes, "name")
    _apply(contact, changes, CONTACT_FIELDS, now)
    session.flush()
    return _contact_view(contact), etag(contact)


def delete_contact(
    session: Session, principal: Principal, client_id: str, contact_id: str, if_match: str | None
) -> None:
    _managed_client(session, principal, client_id)
    contact = _load_contact(session, principal, client_id, contact_id)
    _check_etag(contact, if_match, "contact")
    session.delete(contact)
    session.flush()


# -- tags ----------------------------------------------------------------------------------

TAG_FIELDS = ("name", "color")


@dataclass(slots=True)
class TagView:
    id: str
    workspace_id: str
    name: str
    color: str | None
    created_at: datetime
    updated_at: datetime


def _tag_view(t: Tag) -> TagView:
    return TagView(t.id, t.workspace_id, t.name, t.color, t.created_at, t.updated_at)


def _load_tag(session: Session, principal: Principal, tag_id: str) -> Tag:
    tag = session.scalar(
        select(Tag).where(
            Tag.id == tag_id,
            Tag.workspace_id.in_(member_workspaces(principal)),
            Tag.livemode == principal.livemode,
        )
    )
    if tag is None:
        raise NotFound(f"no tag {tag_id}")
    return tag


def _unique_tag_name(
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
        raise Conflict(f"the workspace already has a tag named {name!r}", field="name")


def create_tag(
    session: Session, principal: Principal, now: datetime, fields: dict[str, Any]
) -> tuple[TagView, str]:
    workspace_id = _workspace(session, principal, fields.get("workspace_id"))
    require_manager(session, principal, workspace_id)
    _unique_tag_name(session, principal, workspace_id, fields["name"], None)
    tag = Tag(
        id=new_id("tag"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        name=fields["name"],
        color=fields.get("color"),
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(tag)
    try:
        session.flush()
    except IntegrityError:  # a concurrent create of the same name
        raise Conflict(
            f"the workspace already has a tag named {tag.name!r}", field="name"
        ) from None
    return _tag_view(tag), etag(tag)


def get_tag(session: Session, principal: Principal, tag_id: str) -> tuple[TagView, str]:
    tag = _load_tag(session, principal, tag_id)
    return _tag_view(tag), etag(tag)


def list_tags(
    session: Session, principal: Principal, workspace_id: str | None, paging: PageRequest
) -> Page[TagView]:
    stmt = select(Tag).where(
        Tag.workspace_id.in_(member_workspaces(principal)), Tag.livemode == principal.livemode
    )
    if workspace_id:
        stmt = stmt.where(Tag.workspace_id == workspace_id)
    rows, total, more = _page(session, stmt.order_by(func.lower(Tag.name), Tag.id), paging)
    return Page([_tag_view(t) for t in rows], paging.page, paging.limit, total, more)


def update_tag(
    session: Session,
    principal: Principal,
    now: datetime,
    tag_id: str,
    changes: dict[str, Any],
    if_match: str | None,
) -> tuple[TagView, str]:
    tag = _load_tag(session, principal, tag_id)
    require_manager(session, principal, tag.workspace_id)
    _check_etag(tag, if_match, "tag")
    _required(changes, "name")
    if "name" in changes:
        _unique_tag_name(session, principal, tag.workspace_id, changes["name"], tag.id)
    _apply(tag, changes, TAG_FIELDS, now)
    session.flush()
    return _tag_view(tag), etag(tag)


def delete_tag(session: Session, principal: Principal, tag_id: str, if_match: str | None) -> None:
    """The tag goes, and with it its place on tasks and time entries (nothing else)."""
    tag = _load_tag(session, principal, tag_id)
    require_manager(session, principal, tag.workspace_id)
    _check_etag(tag, if_match, "tag")
    session.delete(tag)
    session.flush()


# -- tasks ---------------------------------------------------------------------------------

TASK_FIELDS = (
    "project_id",
    "name",
    "notes",
    "status",
    "priority",
    "estimated_minutes",
    "due_date",
)


@dataclass(slots=True)
class TaskView:
    id: str
    project_id: str
    name: str
    notes: str
    status: str
    priority: str
    estimated_minutes: int | None
    due_date: date | None
    tag_ids: list[str]
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class TaskFilter:
    project_id: str | None = None
    status: str | None = None
    priority: str | None = None
    tag_id: str | None = None
    due_before: date | None = None


def _task_tags(session: Session, task_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {t: [] for t in task_ids}
    for i in range(0, len(task_ids), 5000):
        chunk = task_ids[i : i + 5000]
        rows = session.execute(
            select(task_tags.c.task_id, task_tags.c.tag_id)
            .where(task_tags.c.task_id.in_(chunk))
            .order_by(task_tags.c.tag_id)
        )
        for task_id, tag_id in rows:
            out[task_id].append(tag_id)
    return out


def _task_view(t: Task, tag_ids: list[str]) -> TaskView:
    return TaskView(
        t.id,
        t.project_id,
        t.name,
        t.notes,
        t.status,
        t.priority,
        t.estimated_minutes,
        t.due_date,
        tag_ids,
        t.created_at,
        t.updated_at,
    )


def _load_task(session: Session, principal: Principal, task_id: str) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id, visible_task(principal)))
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def _project_workspace(session: Session, principal: Principal, project_id: str) -> str:
    require_project(session, principal, project_id)
    workspace_id = session.scalar(select(Project.workspace_id).where(Project.id == project_id))
    assert workspace_id is not None
    return workspace_id


def _set_task_tags(
    session: Session, principal: Principal, task: Task, tag_ids: list[str]
) -> list[str]:
    workspace_id = _project_workspace(session, principal, task.project_id)
    tag_ids = require_tags(session, principal, tag_ids, workspace_id)
    session.execute(delete(task_tags).where(task_tags.c.task_id == task.id))
    if tag_ids:
        session.execute(insert(task_tags), [{"task_id": task.id, "tag_id": t} for t in tag_ids])
    return sorted(tag_ids)


def create_task(
    session: Session, principal: Principal, now: datetime, fields: dict[str, Any]
) -> tuple[TaskView, str]:
    _project_workspace(session, principal, fields["project_id"])
    task = Task(
        id=new_id("tsk"),
        livemode=principal.livemode,
        created_at=now,
        updated_at=now,
        version=1,
        **{k: fields[k] for k in TASK_FIELDS if k in fields},
    )
    session.add(task)
    session.flush()
    tag_ids = _set_task_tags(session, principal, task, fields.get("tag_ids") or [])
    return _task_view(task, tag_ids), etag(task)


def get_task(session: Session, principal: Principal, task_id: str) -> tuple[TaskView, str]:
    task = _load_task(session, principal, task_id)
    return _task_view(task, _task_tags(session, [task.id])[task.id]), etag(task)


def list_tasks(
    session: Session, principal: Principal, f: TaskFilter, paging: PageRequest
) -> Page[TaskView]:
    stmt = select(Task).where(visible_task(principal))
    if f.project_id:
        stmt = stmt.where(Task.project_id == f.project_id)
    if f.status:
        stmt = stmt.where(Task.status == f.status)
    if f.priority:
        stmt = stmt.where(Task.priority == f.priority)
    if f.due_before:
        stmt = stmt.where(Task.due_date <= f.due_before)
    if f.tag_id:
        tagged = select(task_tags.c.task_id).where(task_tags.c.tag_id == f.tag_id)
        stmt = stmt.where(Task.id.in_(tagged))
    # Due first (soonest first, undated last), then by name.
    order = (Task.due_date.is_(None), Task.due_date, func.lower(Task.name), Task.id)
    rows, total, more = _page(session, stmt.order_by(*order), paging)
    tags = _task_tags(session, [t.id for t in rows])
    return Page([_task_view(t, tags[t.id]) for t in rows], paging.page, paging.limit, total, more)


def update_task(
    session: Session,
    principal: Principal,
    now: datetime,
    task_id: str,
    changes: dict[str, Any],
    if_match: str | None,
) -> tuple[TaskView, str]:
    task = _load_task(session, principal, task_id)
    _check_etag(task, if_match, "task")
    _required(changes, "project_id", "name", "notes", "status", "priority")
    moved = "project_id" in changes and changes["project_id"] != task.project_id
    if moved:
        _project_workspace(session, principal, changes["project_id"])
        _check_movable(session, task)
    _apply(task, changes, TASK_FIELDS, now)
    session.flush()
    if "tag_ids" in changes or moved:
        # Tags belong to a workspace: after a move, the kept ones must exist in the new one.
        wanted = changes.get("tag_ids")
        if wanted is None:
            wanted = _task_tags(session, [task.id])[task.id]
        tag_ids = _set_task_tags(session, principal, task, wanted)
    else:
        tag_ids = _task_tags(session, [task.id])[task.id]
    return _task_view(task, tag_ids), etag(task)


def _check_movable(session: Session, task: Task) -> None:
    """Blocks and entries of a task belong to the task's project, so a task that has any
    stays in its project (its tracked time may be approved and locked)."""
    used = session.scalar(select(Block.id).where(Block.task_id == task.id).limit(1)) or (
        session.scalar(select(TimeEntry.id).where(TimeEntry.task_id == task.id).limit(1))
    )
    if used is not None:
        raise Conflict(
            "the task has blocks or time entries in its project; it cannot move",
            field="project_id",
        )


def delete_task(session: Session, principal: Principal, task_id: str, if_match: str | None) -> None:
    """The task goes; its blocks and time entries stay, without a task."""
    task = _load_task(session, principal, task_id)
    _check_etag(task, if_match, "task")
    session.execute(update(Block).where(Block.task_id == task.id).values(task_id=None))
    session.execute(update(TimeEntry).where(TimeEntry.task_id == task.id).values(task_id=None))
    session.delete(task)
    session.flush()


def require_visible_task(session: Session, principal: Principal, task_id: str) -> None:
    _load_task(session, principal, task_id)
