"""``/v1/projects``: what a study planner calls subjects."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, scoped
from timeboxd.api.routes.common import IfMatch, PageParam, PerPageParam
from timeboxd.schemas.common import Envelope, ListEnvelope
from timeboxd.schemas.projects import ProjectCreate, ProjectOut, ProjectPatch, ProjectPut
from timeboxd.services.catalog import projects
from timeboxd.services.paging import PageRequest

router = APIRouter(prefix="/v1/projects", tags=["projects"])
read = Depends(scoped("read:projects"))
write = Depends(scoped("write:projects"))


@router.get("", operation_id="listProjects", response_model=ListEnvelope[ProjectOut])
async def list_projects(
    archived: bool = False,
    page: PageParam = None,
    per_page: PerPageParam = None,
    ctx: Ctx = read,
) -> Response:
    paging = PageRequest.parse(page, per_page)
    with ctx.db.read() as s:
        return ctx.page(projects.list_projects(s, ctx.principal, archived, paging))


@router.post("", operation_id="createProject", status_code=201, response_model=Envelope[ProjectOut])
def create_project(body: ProjectCreate, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        view, tag = projects.create_project(s, ctx.principal, ctx.now, body.model_dump())
    return ctx.ok(view, status=201, etag=tag)


@router.get("/{project_id}", operation_id="getProject", response_model=Envelope[ProjectOut])
async def get_project(project_id: str, ctx: Ctx = read) -> Response:
    with ctx.db.read() as s:
        view, tag = projects.get_project(s, ctx.principal, project_id)
    return ctx.ok(view, etag=tag)


@router.put("/{project_id}", operation_id="replaceProject", response_model=Envelope[ProjectOut])
def replace_project(
    project_id: str, body: ProjectPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = body.model_dump(exclude={"workspace_id"})
    with ctx.db.write() as s:
        view, tag = projects.update_project(
            s, ctx.principal, ctx.now, project_id, changes, if_match
        )
    return ctx.ok(view, etag=tag)


@router.patch("/{project_id}", operation_id="updateProject", response_model=Envelope[ProjectOut])
def update_project(
    project_id: str, body: ProjectPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = body.model_dump(exclude_unset=True)
    with ctx.db.write() as s:
        view, tag = projects.update_project(
            s, ctx.principal, ctx.now, project_id, changes, if_match
        )
    return ctx.ok(view, etag=tag)


@router.delete("/{project_id}", operation_id="deleteProject", response_model=Envelope[None])
def delete_project(project_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        projects.delete_project(s, ctx.principal, project_id, if_match)
    return ctx.ok(None)


@router.post(
    "/{project_id}/archive", operation_id="archiveProject", response_model=Envelope[ProjectOut]
)
def archive_project(project_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        view, tag = projects.set_archived(s, ctx.principal, ctx.now, project_id, True, if_match)
    return ctx.ok(view, etag=tag)


@router.post(
    "/{project_id}/unarchive",
    operation_id="unarchiveProject",
    response_model=Envelope[ProjectOut],
)
def unarchive_project(project_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        view, tag = projects.set_archived(s, ctx.principal, ctx.now, project_id, False, if_match)
    return ctx.ok(view, etag=tag)
