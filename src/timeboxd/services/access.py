"""Tenant scoping shared by every service: which rows a principal may see."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Project, WorkspaceMember
from timeboxd.errors import ValidationFailed
from timeboxd.services.context import Principal


def member_workspaces(principal: Principal) -> Select[str]:
    return select(WorkspaceMember.workspace_id).where(WorkspaceMember.user_id == principal.user_id)


def visible_project(principal: Principal) -> ColumnElement[bool]:
    return (Project.workspace_id.in_(member_workspaces(principal))) & (
        Project.livemode == principal.livemode
    )


def check_projects_visible(
    session: Session, principal: Principal, project_ids: Iterable[str | None]
) -> set[str]:
    """The subset of ``project_ids`` the principal may reference."""
    wanted = {p for p in project_ids if p}
    if not wanted:
        return set()
    found = session.scalars(
        select(Project.id).where(Project.id.in_(wanted), visible_project(principal))
    )
    return set(found)


def require_project(session: Session, principal: Principal, project_id: str | None) -> None:
    if project_id and project_id not in check_projects_visible(session, principal, [project_id]):
        raise ValidationFailed(f"no project {project_id}", field="project_id")


def require_no_task(task_id: str | None) -> None:
    # Tasks arrive with the time-tracking capability; until then no task id can exist.
    if task_id is not None:
        raise ValidationFailed(f"no task {task_id}", field="task_id")
