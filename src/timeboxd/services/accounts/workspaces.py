"""Shared workspaces: the creator owns it; owners and admins manage its members.

A workspace has the mode of the key that made it (a personal workspace holds both): a
test key sees and manages only sandbox workspaces, so nothing it does reaches a live
team, and a live key never sees a sandbox one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timeboxd.db.models import User, Workspace, WorkspaceMember
from timeboxd.domain.ids import new_id
from timeboxd.errors import Conflict, Forbidden, NotFound, ValidationFailed
from timeboxd.schemas.common import UNSET, sent
from timeboxd.schemas.workspaces import (
    MemberAdd,
    MemberChanges,
    MemberOut,
    WorkspaceChanges,
    WorkspaceCreate,
    WorkspaceOut,
)
from timeboxd.services.accounts.access import MANAGER_ROLES, in_mode, role_in
from timeboxd.services.context import Principal


def list_workspaces(session: Session, principal: Principal) -> list[WorkspaceOut]:
    rows = session.execute(
        select(Workspace, WorkspaceMember.role)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == principal.user_id, in_mode(principal))
        .order_by(Workspace.personal.desc(), Workspace.name, Workspace.id)
    )
    return [_view(w, role) for w, role in rows]


def _view(w: Workspace, role: str) -> WorkspaceOut:
    return WorkspaceOut(
        w.id, w.name, w.personal, w.owner_id, role, w.allow_self_approval, w.created_at
    )


def get_workspace(session: Session, principal: Principal, workspace_id: str) -> WorkspaceOut:
    workspace, role = _member_of(session, principal, workspace_id)
    return _view(workspace, role)


def _member_of(session: Session, principal: Principal, workspace_id: str) -> tuple[Workspace, str]:
    role = role_in(session, principal, workspace_id)
    workspace = session.get(Workspace, workspace_id) if role else None
    if workspace is None or role is None:
        raise NotFound(f"no workspace {workspace_id}")
    return workspace, role


def _managed(session: Session, principal: Principal, workspace_id: str) -> Workspace:
    workspace, role = _member_of(session, principal, workspace_id)
    if role not in MANAGER_ROLES:
        raise Forbidden("only the workspace's owner or admins manage its members")
    if workspace.personal:
        raise Conflict("a personal workspace cannot be shared; create a workspace for the team")
    return workspace


def create_workspace(
    session: Session, principal: Principal, now: datetime, body: WorkspaceCreate
) -> WorkspaceOut:
    workspace = Workspace(
        id=new_id("wsp"),
        name=body.name,
        owner_id=principal.user_id,
        personal=False,
        # made with a test key, it is a sandbox workspace: live keys never see it
        livemode=principal.livemode,
        allow_self_approval=body.allow_self_approval,
        created_at=now,
    )
    session.add(workspace)
    session.flush()
    session.add(
        WorkspaceMember(
            workspace_id=workspace.id, user_id=principal.user_id, role="owner", created_at=now
        )
    )
    session.flush()
    return _view(workspace, "owner")


def update_workspace(
    session: Session, principal: Principal, workspace_id: str, changes: WorkspaceChanges
) -> WorkspaceOut:
    """Owners and admins rename a workspace and set its approval rule; a plain member is
    403, a non-member 404. A personal workspace may be renamed too (its setting has no
    effect there: its owner is its only manager)."""
    workspace, role = _member_of(session, principal, workspace_id)
    if role not in MANAGER_ROLES:
        raise Forbidden("only the workspace's owner or admins change its settings")
    for name, value in sent(changes).items():
        setattr(workspace, name, value)
    session.flush()
    return _view(workspace, role)


def list_members(session: Session, principal: Principal, workspace_id: str) -> list[MemberOut]:
    _member_of(session, principal, workspace_id)
    rows = session.execute(
        select(WorkspaceMember, User)
        .join(User, User.id == WorkspaceMember.user_id)
        .where(WorkspaceMember.workspace_id == workspace_id)
        .order_by(User.email)
    )
    return [MemberOut(u.id, u.email, u.name, m.role, m.created_at) for m, u in rows]


def add_member(
    session: Session, principal: Principal, now: datetime, workspace_id: str, body: MemberAdd
) -> MemberOut:
    _managed(session, principal, workspace_id)
    user = session.scalar(select(User).where(User.email == body.email.strip().lower()))
    if user is None:
        raise ValidationFailed(f"no user with email {body.email}", field="email")
    if role_in(session, principal_for(user.id, principal), workspace_id) is not None:
        raise Conflict(f"{user.email} is already a member", field="email")
    member = WorkspaceMember(
        workspace_id=workspace_id, user_id=user.id, role=body.role, created_at=now
    )
    session.add(member)
    session.flush()
    return MemberOut(user.id, user.email, user.name, body.role, now)


def principal_for(user_id: str, like: Principal) -> Principal:
    return Principal(user_id, like.livemode, frozenset(), None, like.timezone, like.week_start)


def _membership(session: Session, workspace_id: str, user_id: str) -> WorkspaceMember:
    member = session.get(WorkspaceMember, (workspace_id, user_id))
    if member is None:
        raise NotFound(f"no member {user_id} in this workspace")
    return member


def update_member(
    session: Session,
    principal: Principal,
    workspace_id: str,
    user_id: str,
    changes: MemberChanges,
) -> MemberOut:
    _managed(session, principal, workspace_id)
    member = _membership(session, workspace_id, user_id)
    if member.role == "owner":
        raise Conflict("the owner's role cannot change", field="role")
    if changes.role is not UNSET:
        member.role = changes.role
    session.flush()
    user = session.get(User, user_id)
    assert user is not None
    return MemberOut(user.id, user.email, user.name, member.role, member.created_at)


def remove_member(session: Session, principal: Principal, workspace_id: str, user_id: str) -> None:
    """Owners and admins remove members; any member may leave. The owner cannot be removed.

    The member's time entries stay in the workspace (they are the team's records)."""
    if user_id != principal.user_id:
        _managed(session, principal, workspace_id)
    else:
        _member_of(session, principal, workspace_id)
    member = _membership(session, workspace_id, user_id)
    if member.role == "owner":
        raise Conflict("the owner cannot be removed from the workspace", field="user_id")
    session.delete(member)
    session.flush()
