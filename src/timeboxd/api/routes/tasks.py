"""``/v1/tasks`` and ``/v1/tasks/{id}/blocks``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.blocks import block_filter
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.blocks import BlockListQuery, BlockOut
from timeboxd.schemas.common import Envelope, ListEnvelope
from timeboxd.schemas.tasks import TaskCreate, TaskOut, TaskPatch, TaskPut, TaskQuery
from timeboxd.services.catalog import tasks
from timeboxd.services.catalog.tasks import TaskFilter
from timeboxd.services.paging import PageRequest
from timeboxd.services.planning import blocks_query

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])
read = scoped("read:projects")
write = scoped("write:projects")


@router.get("", operation_id="listTasks", response_model=ListEnvelope[TaskOut])
async def list_tasks(ctx: Ctx = read, q: TaskQuery = Depends(query(TaskQuery))) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    f = TaskFilter(q.project_id, q.status, q.priority, q.tag_id, q.due_before)
    with ctx.db.read() as s:
        return ctx.page(tasks.list_tasks(s, ctx.principal, f, paging))


@router.post("", operation_id="createTask", status_code=201, response_model=Envelope[TaskOut])
def create_task(body: TaskCreate, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        view, etag = tasks.create_task(s, ctx.principal, ctx.now, body.model_dump())
    return ctx.ok(view, status=201, etag=etag)


@router.get("/{task_id}", operation_id="getTask", response_model=Envelope[TaskOut])
async def get_task(task_id: str, ctx: Ctx = read) -> Response:
    with ctx.db.read() as s:
        view, etag = tasks.get_task(s, ctx.principal, task_id)
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
    f = block_filter(q)
    f.task_id = task_id
    with ctx.db.read() as s:
        tasks.require_visible(s, ctx.principal, task_id)
        return ctx.page(blocks_query.list_blocks(s.connection(), ctx.principal, f, paging))


@router.put("/{task_id}", operation_id="replaceTask", response_model=Envelope[TaskOut])
def replace_task(
    task_id: str, body: TaskPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    with ctx.db.write() as s:
        view, etag = tasks.update_task(
            s, ctx.principal, ctx.now, task_id, body.model_dump(), if_match
        )
    return ctx.ok(view, etag=etag)


@router.patch("/{task_id}", operation_id="updateTask", response_model=Envelope[TaskOut])
def update_task(
    task_id: str, body: TaskPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = body.model_dump(exclude_unset=True)
    with ctx.db.write() as s:
        view, etag = tasks.update_task(s, ctx.principal, ctx.now, task_id, changes, if_match)
    return ctx.ok(view, etag=etag)


@router.delete("/{task_id}", operation_id="deleteTask", response_model=Envelope[None])
def delete_task(task_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        tasks.delete_task(s, ctx.principal, ctx.now, task_id, if_match)
    return ctx.ok(None)
