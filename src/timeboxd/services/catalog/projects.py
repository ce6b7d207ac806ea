"""Projects (a study planner's subjects): CRUD and archive within the caller's workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Project
from timeboxd.db.tracking import Client
from timeboxd.domain.ids import new_id
from timeboxd.errors import NotFound, PreconditionFailed, ValidationFailed
from timeboxd.services.accounts.access import require_manager, visible_project
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest

WRITABLE = (
    "name",
    "color",
    "client_id",
    "billable",
    "hourly_rate",
    "currency",
    "budget_minutes",
)


@dataclass(slots=True)
class ProjectView:
    id: str
    workspace_id: str
    name: str
    color: str | None
    client_id: str | None
    billable: bool
    hourly_rate: str | None
    currency: str | None
    budget_minutes: int | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _view(p: Project) -> ProjectView:
    return ProjectView(
        id=p.id,
        workspace_id=p.workspace_id,
        name=p.name,
        color=p.color,
        client_id=p.client_id,
        billable=p.billable,
        # Money as a decimal string: no float rounding on the way to a client.
        hourly_rate=None if p.hourly_rate is None else f"{Decimal(p.hourly_rate):.2f}",
        currency=p.currency,
        budget_minutes=p.budget_minutes,
        archived_at=p.archived_at,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def etag(p: Project) -> str:
    return f'"{p.id}.{p.version}"'


def _check_client(
    session: Session, principal: Principal, client_id: object, workspace_id: str
) -> None:
    """A project's client must be a client of the same workspace (and mode)."""
    if client_id is None:
        return
    found = session.scalar(
        select(Client.id).where(
            Client.id == client_id,
            Client.workspace_id == workspace_id,
            Client.livemode == principal.livemode,
        )
    )
    if found is None:
        raise ValidationFailed(f"no client {client_id}", field="client_id")


def _load(session: Session, principal: Principal, project_id: str) -> Project:
    project = session.scalar(
        select(Project).where(Project.id == project_id, visible_project(principal))
    )
    if project is None:
        raise NotFound(f"no project {project_id}")
    return project


def _check_etag(project: Project, if_match: str | None) -> None:
    if if_match is not None and if_match not in ("*", etag(project)):
        raise PreconditionFailed("If-Match does not match the project's ETag", field="If-Match")


def _load_managed(
    session: Session, principal: Principal, project_id: str, if_match: str | None
) -> Project:
    """Members see a workspace's projects; only its owner and admins change them."""
    project = _load(session, principal, project_id)
    require_manager(session, principal, project.workspace_id)
    _check_etag(project, if_match)
    return project


def create_project(
    session: Session, principal: Principal, now: datetime, fields: dict[str, Any]
) -> tuple[ProjectView, str]:
    workspace_id = fields.get("workspace_id") or personal_workspace_id(session, principal.user_id)
    require_manager(session, principal, workspace_id)
    _check_client(session, principal, fields.get("client_id"), workspace_id)
    project = Project(
        id=new_id("prj"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
        **{k: fields.get(k) for k in WRITABLE if fields.get(k) is not None},
    )
    session.add(project)
    session.flush()
    return _view(project), etag(project)


def get_project(session: Session, principal: Principal, project_id: str) -> tuple[ProjectView, str]:
    project = _load(session, principal, project_id)
    return _view(project), etag(project)


def list_projects(
    session: Session, principal: Principal, archived: bool, paging: PageRequest
) -> Page[ProjectView]:
    cond = [
        visible_project(principal),
        Project.archived_at.is_not(None) if archived else Project.archived_at.is_(None),
    ]
    rows = list(
        session.scalars(
            select(Project)
            .where(*cond)
            .order_by(func.lower(Project.name), Project.id)
            .offset(paging.offset)
            .limit(paging.limit + 1)
        )
    )
    has_more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    total = session.scalar(select(func.count()).select_from(Project).where(*cond)) or 0
    return Page([_view(p) for p in rows], paging.page, paging.limit, total, has_more)


def update_project(
    session: Session,
    principal: Principal,
    now: datetime,
    project_id: str,
    changes: dict[str, Any],
    if_match: str | None,
) -> tuple[ProjectView, str]:
    project = _load_managed(session, principal, project_id, if_match)
    if "name" in changes and not changes["name"]:
        raise ValidationFailed("name cannot be empty", field="name")
    if "billable" in changes and changes["billable"] is None:
        raise ValidationFailed("billable cannot be null", field="billable")
    if "client_id" in changes:
        _check_client(session, principal, changes["client_id"], project.workspace_id)
    for key in WRITABLE:
        if key in changes:
            setattr(project, key, changes[key])
    project.updated_at = now
    session.flush()
    return _view(project), etag(project)


def set_archived(
    session: Session,
    principal: Principal,
    now: datetime,
    project_id: str,
    archived: bool,
    if_match: str | None,
) -> tuple[ProjectView, str]:
    project = _load_managed(session, principal, project_id, if_match)
    if archived != (project.archived_at is not None):
        project.archived_at = now if archived else None
        project.updated_at = now
        session.flush()
    return _view(project), etag(project)


def delete_project(
    session: Session, principal: Principal, project_id: str, if_match: str | None
) -> None:
    """Deletes the project; its blocks stay, without a project (the FK sets NULL)."""
    project = _load_managed(session, principal, project_id, if_match)
    session.delete(project)
    session.flush()
