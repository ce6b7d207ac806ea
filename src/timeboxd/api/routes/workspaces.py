"""``/v1/workspaces``: teams sharing projects, clients and tasks."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.schemas.common import Envelope, changes_of
from timeboxd.schemas.workspaces import (
    MemberAdd,
    MemberChanges,
    MemberOut,
    MemberPatch,
    WorkspaceChanges,
    WorkspaceCreate,
    WorkspaceOut,
    WorkspacePatch,
)
from timeboxd.services.accounts import workspaces

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/workspaces", tags=["workspaces"])
read = scoped("read:projects")
admin = scoped("admin")


@router.get("", operation_id="listWorkspaces", response_model=Envelope[list[WorkspaceOut]])
async def list_workspaces(ctx: Ctx = read) -> Response:
    return ctx.ok(workspaces.list_workspaces(ctx.session, ctx.principal))


@router.post(
    "", operation_id="createWorkspace", status_code=201, response_model=Envelope[WorkspaceOut]
)
def create_workspace(body: WorkspaceCreate, ctx: Ctx = admin) -> Response:
    view = workspaces.create_workspace(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(view, status=201)


@router.get("/{workspace_id}", operation_id="getWorkspace", response_model=Envelope[WorkspaceOut])
async def get_workspace(workspace_id: str, ctx: Ctx = read) -> Response:
    return ctx.ok(workspaces.get_workspace(ctx.session, ctx.principal, workspace_id))


@router.patch(
    "/{workspace_id}", operation_id="updateWorkspace", response_model=Envelope[WorkspaceOut]
)
def update_workspace(workspace_id: str, body: WorkspacePatch, ctx: Ctx = admin) -> Response:
    changes = changes_of(WorkspaceChanges, body)
    return ctx.ok(workspaces.update_workspace(ctx.session, ctx.principal, workspace_id, changes))


@router.get(
    "/{workspace_id}/members",
    operation_id="listWorkspaceMembers",
    response_model=Envelope[list[MemberOut]],
)
async def list_members(workspace_id: str, ctx: Ctx = read) -> Response:
    return ctx.ok(workspaces.list_members(ctx.session, ctx.principal, workspace_id))


@router.post(
    "/{workspace_id}/members",
    operation_id="addWorkspaceMember",
    status_code=201,
    response_model=Envelope[MemberOut],
)
def add_member(workspace_id: str, body: MemberAdd, ctx: Ctx = admin) -> Response:
    view = workspaces.add_member(ctx.session, ctx.principal, ctx.now, workspace_id, body)
    return ctx.ok(view, status=201)


@router.patch(
    "/{workspace_id}/members/{user_id}",
    operation_id="updateWorkspaceMember",
    response_model=Envelope[MemberOut],
)
def update_member(workspace_id: str, user_id: str, body: MemberPatch, ctx: Ctx = admin) -> Response:
    changes = changes_of(MemberChanges, body)
    view = workspaces.update_member(ctx.session, ctx.principal, workspace_id, user_id, changes)
    return ctx.ok(view)


@router.delete(
    "/{workspace_id}/members/{user_id}",
    operation_id="removeWorkspaceMember",
    response_model=Envelope[None],
)
def remove_member(workspace_id: str, user_id: str, ctx: Ctx = admin) -> Response:
    workspaces.remove_member(ctx.session, ctx.principal, workspace_id, user_id)
    return ctx.ok(None)
