"""``/v1/projects``: what a study planner calls subjects."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.routes.common import IfMatch, PageParam, PerPageParam
from timeboxd.schemas.common import Envelope, ListEnvelope, changes_of
from timeboxd.schemas.projects import (
    ProjectChanges,
    ProjectCreate,
    ProjectOut,
    ProjectPatch,
    ProjectPut,
)
from timeboxd.schemas.value import ForecastOut
from timeboxd.services.catalog import projects
from timeboxd.services.paging import PageRequest
from timeboxd.services.tracking import forecast

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/projects", tags=["projects"])
read = scoped("read:projects")
write = scoped("write:projects")
# A forecast shows tracked time and money: what a report shows.
read_reports = scoped("read:reports")


@router.get("", operation_id="listProjects", response_model=ListEnvelope[ProjectOut])
async def list_projects(
    archived: bool = False,
    page: PageParam = None,
    per_page: PerPageParam = None,
    ctx: Ctx = read,
) -> Response:
    paging = PageRequest.parse(page, per_page)
    return ctx.page(projects.list_projects(ctx.conn, ctx.principal, archived, paging))


@router.post("", operation_id="createProject", status_code=201, response_model=Envelope[ProjectOut])
def create_project(body: ProjectCreate, ctx: Ctx = write) -> Response:
    view, tag = projects.create_project(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(view, status=201, etag=tag)


@router.get("/{project_id}", operation_id="getProject", response_model=Envelope[ProjectOut])
async def get_project(project_id: str, ctx: Ctx = read) -> Response:
    view, tag = projects.get_project(ctx.session, ctx.principal, project_id)
    return ctx.ok(view, etag=tag)


@router.put("/{project_id}", operation_id="replaceProject", response_model=Envelope[ProjectOut])
def replace_project(
    project_id: str, body: ProjectPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(ProjectChanges, body, replace=True)
    view, tag = projects.update_project(
        ctx.session, ctx.principal, ctx.now, project_id, changes, if_match
    )
    return ctx.ok(view, etag=tag)


@router.patch("/{project_id}", operation_id="updateProject", response_model=Envelope[ProjectOut])
def update_project(
    project_id: str, body: ProjectPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(ProjectChanges, body)
    view, tag = projects.update_project(
        ctx.session, ctx.principal, ctx.now, project_id, changes, if_match
    )
    return ctx.ok(view, etag=tag)


@router.delete("/{project_id}", operation_id="deleteProject", response_model=Envelope[None])
def delete_project(project_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    projects.delete_project(ctx.session, ctx.principal, ctx.now, project_id, if_match)
    return ctx.ok(None)


@router.post(
    "/{project_id}/archive", operation_id="archiveProject", response_model=Envelope[ProjectOut]
)
def archive_project(project_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    view, tag = projects.set_archived(
        ctx.session, ctx.principal, ctx.now, project_id, True, if_match
    )
    return ctx.ok(view, etag=tag)


@router.post(
    "/{project_id}/unarchive",
    operation_id="unarchiveProject",
    response_model=Envelope[ProjectOut],
)
def unarchive_project(project_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    view, tag = projects.set_archived(
        ctx.session, ctx.principal, ctx.now, project_id, False, if_match
    )
    return ctx.ok(view, etag=tag)


@router.get(
    "/{project_id}/forecast",
    operation_id="getProjectForecast",
    response_model=Envelope[ForecastOut],
)
def get_forecast(project_id: str, ctx: Ctx = read_reports) -> Response:
    return ctx.ok(forecast.forecast(ctx.session, ctx.principal, ctx.now, project_id))
