"""Projects (a study planner's subjects): CRUD and archive within the caller's workspaces."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Project
from timeboxd.db.tracking import Client
from timeboxd.domain.ids import new_id
from timeboxd.errors import NotFound, ValidationFailed
from timeboxd.schemas.common import UNSET, sent
from timeboxd.schemas.projects import ProjectChanges, ProjectCreate, ProjectOut
from timeboxd.services import versioning
from timeboxd.services.accounts.access import require_manager, visible_project
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, select_page


def _view(p: Project) -> ProjectOut:
    return ProjectOut(
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


def _load_managed(
    session: Session, principal: Principal, project_id: str, if_match: str | None
) -> Project:
    """Members see a workspace's projects; only its owner and admins change them."""
    project = _load(session, principal, project_id)
    require_manager(session, principal, project.workspace_id)
    versioning.check_row(project, if_match, "project")
    return project


def create_project(
    session: Session, principal: Principal, now: datetime, body: ProjectCreate
) -> tuple[ProjectOut, str]:
    workspace_id = body.workspace_id or personal_workspace_id(session, principal.user_id)
    require_manager(session, principal, workspace_id)
    _check_client(session, principal, body.client_id, workspace_id)
    project = Project(
        id=new_id("prj"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
        name=body.name,
        color=body.color,
        client_id=body.client_id,
        billable=body.billable,
        hourly_rate=body.hourly_rate,
        currency=body.currency,
        budget_minutes=body.budget_minutes,
    )
    session.add(project)
    session.flush()
    return _view(project), versioning.etag(project)


def get_project(session: Session, principal: Principal, project_id: str) -> tuple[ProjectOut, str]:
    project = _load(session, principal, project_id)
    return _view(project), versioning.etag(project)


def list_projects(
    session: Session, principal: Principal, archived: bool, paging: PageRequest
) -> Page[ProjectOut]:
    cond = [
        visible_project(principal),
        Project.archived_at.is_not(None) if archived else Project.archived_at.is_(None),
    ]
    stmt = select(Project).where(*cond).order_by(func.lower(Project.name), Project.id)
    return select_page(session, stmt, paging).map(_view)


def update_project(
    session: Session,
    principal: Principal,
    now: datetime,
    project_id: str,
    changes: ProjectChanges,
    if_match: str | None,
) -> tuple[ProjectOut, str]:
    project = _load_managed(session, principal, project_id, if_match)
    if changes.name is not UNSET and not changes.name:
        raise ValidationFailed("name cannot be empty", field="name")
    if changes.billable is None:
        raise ValidationFailed("billable cannot be null", field="billable")
    if changes.client_id is not UNSET:
        _check_client(session, principal, changes.client_id, project.workspace_id)
    for key, value in sent(changes).items():
        setattr(project, key, value)
    project.updated_at = now
    session.flush()
    return _view(project), versioning.etag(project)


def set_archived(
    session: Session,
    principal: Principal,
    now: datetime,
    project_id: str,
    archived: bool,
    if_match: str | None,
) -> tuple[ProjectOut, str]:
    project = _load_managed(session, principal, project_id, if_match)
    if archived != (project.archived_at is not None):
        project.archived_at = now if archived else None
        project.updated_at = now
        session.flush()
    return _view(project), versioning.etag(project)


def delete_project(
    session: Session, principal: Principal, project_id: str, if_match: str | None
) -> None:
    """Deletes the project; its blocks stay, without a project (the FK sets NULL)."""
    project = _load_managed(session, principal, project_id, if_match)
    session.delete(project)
    session.flush()
