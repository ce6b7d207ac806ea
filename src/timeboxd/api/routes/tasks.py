"""``/v1/tasks`` and ``/v1/tasks/{id}/blocks``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.blocks import BlockListQuery, BlockOut
from timeboxd.schemas.common import Envelope, ListEnvelope, changes_of
from timeboxd.schemas.tasks import (
    TaskChanges,
    TaskCreate,
    TaskOut,
    TaskPatch,
    TaskPut,
    TaskQuery,
)
from timeboxd.services.catalog import tasks
from timeboxd.services.catalog.tasks import TaskFilter
from timeboxd.services.paging import PageRequest
from timeboxd.services.planning import blocks_query

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/tasks", tags=["tasks"])
read = scoped("read:projects")
write = scoped("write:projects")


@router.get("", operation_id="listTasks", response_model=ListEnvelope[TaskOut])
async def list_tasks(ctx: Ctx = read, q: TaskQuery = Depends(query(TaskQuery))) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    f = TaskFilter(q.project_id, q.status, q.priority, q.tag_id, q.due_before)
    return ctx.page(tasks.list_tasks(ctx.session, ctx.principal, f, paging))


@router.post("", operation_id="createTask", status_code=201, response_model=Envelope[TaskOut])
def create_task(body: TaskCreate, ctx: Ctx = write) -> Response:
    view, etag = tasks.create_task(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(view, status=201, etag=etag)


@router.get("/{task_id}", operation_id="getTask", response_model=Envelope[TaskOut])
async def get_task(task_id: str, ctx: Ctx = read) -> Response:
    view, etag = tasks.get_task(ctx.session, ctx.principal, task_id)
    return ctx.ok(view, etag=etag)


@router.get(
    "/{task_id}/blocks", operation_id="listTaskBlocks", response_model=ListEnvelope[BlockOut]
)
async def list_task_blocks(
    task_id: str,
    ctx: Ctx = scoped("read:blocks"),
    q: BlockListQuery = Depends(query(BlockListQuery)),
) -> Response:
    """The caller's blocks of one task, with the filters and paging of GET /v1/blocks."""
    paging = PageRequest.parse(q.page, q.per_page)
    return ctx.page(blocks_query.list_task_blocks(ctx.conn, ctx.principal, task_id, q, paging))


@router.put("/{task_id}", operation_id="replaceTask", response_model=Envelope[TaskOut])
def replace_task(
    task_id: str, body: TaskPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(TaskChanges, body, replace=True)
    view, etag = tasks.update_task(ctx.session, ctx.principal, ctx.now, task_id, changes, if_match)
    return ctx.ok(view, etag=etag)


@router.patch("/{task_id}", operation_id="updateTask", response_model=Envelope[TaskOut])
def update_task(
    task_id: str, body: TaskPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(TaskChanges, body)
    view, etag = tasks.update_task(ctx.session, ctx.principal, ctx.now, task_id, changes, if_match)
    return ctx.ok(view, etag=etag)


@router.delete("/{task_id}", operation_id="deleteTask", response_model=Envelope[None])
def delete_task(task_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    tasks.delete_task(ctx.session, ctx.principal, ctx.now, task_id, if_match)
    return ctx.ok(None)
