"""Projects, clients, tasks and tags found by name (without case), or made when missing.

Imports refer to things by name, never by id. Only the caller's own rows are read:
projects they can see, and clients, tags and tasks of their personal workspace. What is
missing is made by the catalog's own create functions, with their checks: an import
writes no project, client, task or tag another way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Project
from timeboxd.db.tracking import Client, Tag, Task
from timeboxd.schemas.clients import ClientCreate
from timeboxd.schemas.projects import ProjectCreate
from timeboxd.schemas.tags import TagCreate
from timeboxd.schemas.tasks import TaskCreate
from timeboxd.services.accounts.access import visible_project
from timeboxd.services.catalog import clients, projects, tags, tasks
from timeboxd.services.context import Principal
from timeboxd.services.imports.common import normalize_name


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: str
    name: str
    client_id: str | None
    billable: bool


def visible_projects(
    session: Session, principal: Principal, personal_id: str, *, personal_only: bool
) -> list[ProjectRow]:
    """Projects in order of preference for a name match: the personal workspace first,
    live before archived, then the oldest."""
    cond = [visible_project(principal)]
    if personal_only:
        cond.append(Project.workspace_id == personal_id)
    rows = session.execute(
        select(Project.id, Project.name, Project.client_id, Project.billable)
        .where(*cond)
        .order_by(
            case((Project.workspace_id == personal_id, 0), else_=1),
            case((Project.archived_at.is_(None), 0), else_=1),
            Project.created_at,
            Project.id,
        )
    )
    return [ProjectRow(r.id, r.name, r.client_id, r.billable) for r in rows]


def first_by_name(rows: Iterable[ProjectRow]) -> dict[str, str]:
    """Normalized name -> id of the preferred project with that name."""
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(normalize_name(row.name), row.id)
    return found


def create_project(
    session: Session,
    principal: Principal,
    now: datetime,
    name: str,
    workspace_id: str,
    client_id: str | None = None,
) -> str:
    # Constructed, not validated: names come from the file as they are (see names.py).
    body = ProjectCreate.model_construct(name=name, workspace_id=workspace_id, client_id=client_id)
    view, _ = projects.create_project(session, principal, now, body)
    return view.id


def clients_by_name(session: Session, principal: Principal, workspace_id: str) -> dict[str, str]:
    rows = session.execute(
        select(Client.id, Client.name)
        .where(Client.workspace_id == workspace_id, Client.livemode == principal.livemode)
        .order_by(case((Client.archived_at.is_(None), 0), else_=1), Client.created_at, Client.id)
    )
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(normalize_name(row.name), row.id)
    return found


def create_client(
    session: Session, principal: Principal, now: datetime, workspace_id: str, name: str
) -> str:
    body = ClientCreate.model_construct(workspace_id=workspace_id, name=name)
    view, _ = clients.create_client(session, principal, now, body)
    return view.id


def tags_by_name(session: Session, principal: Principal, workspace_id: str) -> dict[str, str]:
    rows = session.execute(
        select(Tag.id, Tag.name)
        .where(Tag.workspace_id == workspace_id, Tag.livemode == principal.livemode)
        .order_by(Tag.created_at, Tag.id)
    )
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(normalize_name(row.name), row.id)
    return found


def create_tag(
    session: Session, principal: Principal, now: datetime, workspace_id: str, name: str
) -> str:
    body = TagCreate.model_construct(workspace_id=workspace_id, name=name)
    view, _ = tags.create_tag(session, principal, now, body)
    return view.id


def tasks_by_name(
    session: Session, principal: Principal, project_ids: Iterable[str]
) -> dict[tuple[str, str], str]:
    """(project id, normalized task name) -> task id."""
    wanted = sorted(set(project_ids))
    found: dict[tuple[str, str], str] = {}
    for i in range(0, len(wanted), 5000):
        rows = session.execute(
            select(Task.id, Task.project_id, Task.name)
            .where(Task.project_id.in_(wanted[i : i + 5000]), Task.livemode == principal.livemode)
            .order_by(Task.created_at, Task.id)
        )
        for row in rows:
            found.setdefault((row.project_id, normalize_name(row.name)), row.id)
    return found


def create_task(
    session: Session, principal: Principal, now: datetime, project_id: str, name: str
) -> str:
    body = TaskCreate.model_construct(project_id=project_id, name=name)
    view, _ = tasks.create_task(session, principal, now, body)
    return view.id
