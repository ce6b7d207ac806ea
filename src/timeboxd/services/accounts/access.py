"""Tenant scoping shared by every service: which rows a principal may see."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Project, Workspace, WorkspaceMember
from timeboxd.db.tracking import Tag, Task
from timeboxd.errors import Forbidden, ValidationFailed
from timeboxd.services.context import Principal


def in_mode(principal: Principal) -> ColumnElement[bool]:
    """Workspaces of the key's mode: a test key's team workspaces are sandbox workspaces
    that live keys never see, and live ones are invisible to a test key. A personal
    workspace holds both modes' rows (each row carries its own mode)."""
    return Workspace.personal.is_(True) | (Workspace.livemode == principal.livemode)


def _memberships(principal: Principal) -> Select[str]:
    return (
        select(WorkspaceMember.workspace_id)
        .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
        .where(WorkspaceMember.user_id == principal.user_id, in_mode(principal))
    )


def member_workspaces(principal: Principal) -> Select[str]:
    return _memberships(principal)


def is_member(session: Session, principal: Principal, workspace_id: str) -> bool:
    return role_in(session, principal, workspace_id) is not None


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


def visible_task(principal: Principal) -> ColumnElement[bool]:
    projects = select(Project.id).where(visible_project(principal))
    return Task.project_id.in_(projects) & (Task.livemode == principal.livemode)


def task_projects(
    session: Session, principal: Principal, task_ids: Iterable[str | None]
) -> dict[str, str]:
    """Visible tasks among ``task_ids``, mapped to their project id."""
    wanted = {t for t in task_ids if t}
    if not wanted:
        return {}
    rows = session.execute(
        select(Task.id, Task.project_id).where(Task.id.in_(wanted), visible_task(principal))
    )
    return {r.id: r.project_id for r in rows}


def check_task(task_id: str | None, project_id: str | None, known: dict[str, str]) -> None:
    """A referenced task must be visible and belong to the referenced project (if any)."""
    if task_id is None:
        return
    if task_id not in known:
        raise ValidationFailed(f"no task {task_id}", field="task_id")
    if project_id is not None and known[task_id] != project_id:
        raise ValidationFailed(f"task {task_id} belongs to another project", field="task_id")


def require_task(
    session: Session, principal: Principal, task_id: str | None, project_id: str | None
) -> None:
    check_task(task_id, project_id, task_projects(session, principal, [task_id]))


MANAGER_ROLES = ("owner", "admin")


def role_in(session: Session, principal: Principal, workspace_id: str) -> str | None:
    """The caller's role in a workspace of the key's mode, or None if not a member."""
    return session.scalar(
        select(WorkspaceMember.role)
        .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
        .where(
            WorkspaceMember.workspace_id == workspace_id,
            WorkspaceMember.user_id == principal.user_id,
            in_mode(principal),
        )
    )


def managed_workspaces(principal: Principal) -> Select[str]:
    """Workspaces where the caller is owner or admin (sees everyone's time, approves it)."""
    return _memberships(principal).where(WorkspaceMember.role.in_(MANAGER_ROLES))


def require_manager(
    session: Session, principal: Principal, workspace_id: str, field: str = "workspace_id"
) -> None:
    """Only owners and admins create or change a workspace's projects, clients, tasks and tags.

    A non-member gets the same answer as for a workspace that does not exist."""
    role = role_in(session, principal, workspace_id)
    if role is None:
        raise ValidationFailed(f"no workspace {workspace_id}", field=field)
    if role not in MANAGER_ROLES:
        raise Forbidden("only the workspace's owner or admins can change this")


def require_tags(
    session: Session,
    principal: Principal,
    tag_ids: Iterable[str],
    workspace_id: str,
    field: str = "tag_ids",
) -> list[str]:
    """Tags referenced by a task or entry must belong to its workspace (and mode)."""
    wanted = list(dict.fromkeys(tag_ids))  # keep order, drop repeats
    if not wanted:
        return []
    found = set(
        session.scalars(
            select(Tag.id).where(
                Tag.id.in_(wanted),
                Tag.workspace_id == workspace_id,
                Tag.livemode == principal.livemode,
            )
        )
    )
    missing = [t for t in wanted if t not in found]
    if missing:
        raise ValidationFailed(f"no tag {missing[0]} in this workspace", field=field)
    return wanted
