"""Tasks (SPEC §3): the work inside a project, with status, priority, estimate, due date
and tags.

A task is visible to whoever sees its project. Tasks are the work itself, not a
workspace's vocabulary, so any member who sees the project creates, edits and deletes
them (a team plans its own work; owners and admins are not a bottleneck for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, Project
from timeboxd.db.tracking import Task, TimeEntry, task_tags
from timeboxd.domain.ids import new_id
from timeboxd.errors import Conflict, NotFound, ValidationFailed
from timeboxd.schemas.tasks import Priority, Status, TaskChanges, TaskCreate, TaskOut
from timeboxd.services import versioning
from timeboxd.services.accounts.access import require_tags, visible_project, visible_task
from timeboxd.services.catalog.common import announce, apply_changes, reject_nulls, tombstone
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, select_page

# Tag lookups go in chunks: an unpaged list holds up to 10,000 tasks, more than some
# drivers take as bound parameters at once.
CHUNK = 5000


@dataclass(slots=True)
class TaskFilter:
    project_id: str | None = None
    status: str | None = None
    priority: str | None = None
    tag_id: str | None = None
    due_before: date | None = None


def _view(t: Task | Row[Any], tag_ids: list[str]) -> TaskOut:
    return TaskOut(
        id=t.id,
        project_id=t.project_id,
        name=t.name,
        notes=t.notes,
        # The column holds only what the bodies' literals let in.
        status=cast(Status, t.status),
        priority=cast(Priority, t.priority),
        estimated_minutes=t.estimated_minutes,
        due_date=t.due_date,
        tag_ids=tag_ids,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


def _tags_of(session: Session, task_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {t: [] for t in task_ids}
    for i in range(0, len(task_ids), CHUNK):
        rows = session.execute(
            select(task_tags.c.task_id, task_tags.c.tag_id)
            .where(task_tags.c.task_id.in_(task_ids[i : i + CHUNK]))
            .order_by(task_tags.c.tag_id)
        )
        for task_id, tag_id in rows:
            out[task_id].append(tag_id)
    return out


def _load(session: Session, principal: Principal, task_id: str) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id, visible_task(principal)))
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def _project_workspace(session: Session, principal: Principal, project_id: str) -> str:
    """The workspace of a project the caller sees (a task's project must be one)."""
    workspace_id = session.scalar(
        select(Project.workspace_id).where(Project.id == project_id, visible_project(principal))
    )
    if workspace_id is None:
        raise ValidationFailed(f"no project {project_id}", field="project_id")
    return workspace_id


def _set_tags(
    session: Session, principal: Principal, task: Task, workspace_id: str, tag_ids: list[str]
) -> list[str]:
    """Tags belong to a workspace: a task takes only tags of its project's workspace."""
    tag_ids = require_tags(session, principal, tag_ids, workspace_id)
    session.execute(delete(task_tags).where(task_tags.c.task_id == task.id))
    if tag_ids:
        session.execute(insert(task_tags), [{"task_id": task.id, "tag_id": t} for t in tag_ids])
    return sorted(tag_ids)


def create_task(
    session: Session, principal: Principal, now: datetime, body: TaskCreate
) -> tuple[TaskOut, str]:
    workspace_id = _project_workspace(session, principal, body.project_id)
    task = Task(
        id=new_id("tsk"),
        livemode=principal.livemode,
        created_at=now,
        updated_at=now,
        project_id=body.project_id,
        name=body.name,
        notes=body.notes,
        status=body.status,
        priority=body.priority,
        estimated_minutes=body.estimated_minutes,
        due_date=body.due_date,
    )
    session.add(task)
    session.flush()
    tag_ids = _set_tags(session, principal, task, workspace_id, body.tag_ids)
    return _announced(session, principal, now, "task.created", task, tag_ids, workspace_id)


def get_task(session: Session, principal: Principal, task_id: str) -> tuple[TaskOut, str]:
    task = _load(session, principal, task_id)
    return _view(task, _tags_of(session, [task.id])[task.id]), versioning.etag(task)


def _filtered(principal: Principal, f: TaskFilter) -> Select[Any]:
    # Plain rows, not ORM objects: a list may hold 10,000 tasks, and nothing here changes.
    stmt = select(*Task.__table__.c).where(visible_task(principal))
    if f.project_id:
        stmt = stmt.where(Task.project_id == f.project_id)
    if f.status:
        stmt = stmt.where(Task.status == f.status)
    if f.priority:
        stmt = stmt.where(Task.priority == f.priority)
    if f.due_before:
        stmt = stmt.where(Task.due_date <= f.due_before)
    if f.tag_id:
        stmt = stmt.where(
            Task.id.in_(select(task_tags.c.task_id).where(task_tags.c.tag_id == f.tag_id))
        )
    return stmt


def list_tasks(
    session: Session, principal: Principal, f: TaskFilter, paging: PageRequest
) -> Page[TaskOut]:
    # Due first (soonest first, undated last), then by name: a to-do list's order.
    order = (Task.due_date.is_(None), Task.due_date, func.lower(Task.name), Task.id)
    stmt = _filtered(principal, f).order_by(*order)
    page = select_page(session, stmt, paging, columns=True)
    tags = _tags_of(session, [t.id for t in page.items])
    return page.map(lambda t: _view(t, tags[t.id]))


def update_task(
    session: Session,
    principal: Principal,
    now: datetime,
    task_id: str,
    changes: TaskChanges,
    if_match: str | None,
) -> tuple[TaskOut, str]:
    task = _load(session, principal, task_id)
    versioning.check_row(task, if_match, "task")
    reject_nulls(changes, "project_id", "name", "notes", "status", "priority", "tag_ids")
    target = changes.project_id if isinstance(changes.project_id, str) else task.project_id
    workspace_id = _project_workspace(session, principal, target)
    moved = target != task.project_id
    if moved:
        _check_movable(session, task)
    apply_changes(task, changes, now, skip=("tag_ids",))
    session.flush()
    wanted = changes.tag_ids if isinstance(changes.tag_ids, list) else None
    if wanted is None and moved:
        # The kept tags must exist in the new project's workspace too.
        wanted = _tags_of(session, [task.id])[task.id]
    if wanted is None:
        tag_ids = _tags_of(session, [task.id])[task.id]
    else:
        tag_ids = _set_tags(session, principal, task, workspace_id, wanted)
    return _announced(session, principal, now, "task.updated", task, tag_ids, workspace_id)


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


def delete_task(
    session: Session, principal: Principal, now: datetime, task_id: str, if_match: str | None
) -> None:
    """The task goes; its blocks and time entries stay, without a task (and with a new
    ETag, since they changed)."""
    task = _load(session, principal, task_id)
    versioning.check_row(task, if_match, "task")
    for model in (Block, TimeEntry):
        session.execute(
            update(model)
            .where(model.task_id == task.id)
            .values(task_id=None, updated_at=now, **versioning.bump(model.version))
            .execution_options(synchronize_session=False)
        )
    session.execute(delete(task_tags).where(task_tags.c.task_id == task.id))
    workspace_id = session.scalar(select(Project.workspace_id).where(Project.id == task.project_id))
    session.delete(task)
    session.flush()
    if workspace_id is not None:
        gone = tombstone(workspace_id, task.id, project_id=task.project_id)
        announce(session, principal, now, "task.deleted", task.id, workspace_id, gone)


def _announced(
    session: Session,
    principal: Principal,
    now: datetime,
    type: str,
    task: Task,
    tag_ids: list[str],
    workspace_id: str,
) -> tuple[TaskOut, str]:
    view = _view(task, tag_ids)
    announce(session, principal, now, type, task.id, workspace_id, view)
    return view, versioning.etag(task)


def require_visible(conn: Connection, principal: Principal, task_id: str) -> None:
    """NOT_FOUND unless the caller sees the task (for the list of a task's blocks, a hot
    read on a plain connection)."""
    if conn.scalar(select(Task.id).where(Task.id == task_id, visible_task(principal))) is None:
        raise NotFound(f"no task {task_id}")
