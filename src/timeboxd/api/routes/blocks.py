"""``/v1/blocks``: planned time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import Response, StreamingResponse

from timeboxd.api import streams
from timeboxd.api.deps import Ctx, UnitOfWorkRoute, runtime, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IdsParam, IfMatch, bulk_ids
from timeboxd.errors import DomainError, RateLimited, ServiceUnavailable
from timeboxd.schemas.blocks import (
    BlockChanges,
    BlockCreate,
    BlockFields,
    BlockListQuery,
    BlockOut,
    BlockPatch,
    BlockPut,
    BlockQuery,
    BlockUpdate,
    BulkCreate,
    BulkDeleted,
    BulkPatch,
)
from timeboxd.schemas.common import BulkIds, Envelope, ListEnvelope, changes_of
from timeboxd.services.paging import PageRequest
from timeboxd.services.planning import blocks, blocks_bulk, blocks_query

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/blocks", tags=["blocks"])
read = scoped("read:blocks")
write = scoped("write:blocks")


@contextmanager
def as_subject(*bodies: BaseModel) -> Iterator[None]:
    """An error about ``project_id`` names ``subject_id`` when the caller called the
    project that (a study planner's script, SPEC §3): every body that sent a project sent
    it as ``subject_id``."""
    try:
        yield
    except DomainError as exc:
        sent = [b.model_fields_set for b in bodies if "project_id" in b.model_fields_set]
        if sent and all("subject_id" in f for f in sent):
            if exc.field == "project_id":
                exc.field = "subject_id"
            for item in exc.details:
                if item.field == "project_id":
                    item.field = "subject_id"
        raise


@router.get("", operation_id="listBlocks", response_model=ListEnvelope[BlockOut])
async def list_blocks(
    ctx: Ctx = read, q: BlockListQuery = Depends(query(BlockListQuery))
) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    return ctx.page(
        blocks_query.list_blocks_json(ctx.conn, ctx.principal, blocks_query.filter_of(q), paging)
    )


@router.post("", operation_id="createBlock", status_code=201, response_model=Envelope[BlockOut])
def create_block(body: BlockCreate, ctx: Ctx = write) -> Response:
    with as_subject(body):
        view, tag = blocks.create_block(ctx.session, ctx.principal, ctx.now, BlockFields.of(body))
    return ctx.ok(view, status=201, etag=tag)


@router.get(
    "/stream",
    operation_id="streamBlocks",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "one block a line"}},
)
async def stream_blocks(
    request: Request, ctx: Ctx = read, q: BlockQuery = Depends(query(BlockQuery))
) -> Response:
    # ctx.db, not the request's unit: the stream reads page by page, each on a connection
    # of its own, for as long as the response lasts, after the unit has ended.
    pages = blocks_query.stream_blocks(ctx.db, ctx.principal, blocks_query.filter_of(q))
    rt = runtime(request)
    try:
        slot = rt.streams.take(ctx.principal.key_id or ctx.principal.user_id)
    except (RateLimited, ServiceUnavailable):
        retry = str(streams.RETRY_AFTER_SECONDS).encode()
        request.state.extra_headers = [*request.state.extra_headers, (b"retry-after", retry)]
        raise
    return streams.NdjsonStream(pages, slot, rt.settings.stream_idle_timeout_seconds)


@router.post(
    "/bulk",
    operation_id="bulkCreateBlocks",
    status_code=201,
    response_model=Envelope[list[BlockOut]],
)
def bulk_create(body: BulkCreate, ctx: Ctx = write) -> Response:
    items = [BlockFields.of(b) for b in body.blocks]
    with as_subject(*body.blocks):
        made = blocks_bulk.bulk_create(ctx.session, ctx.principal, ctx.now, items)
    return ctx.ok(made, status=201)


@router.patch("/bulk", operation_id="bulkUpdateBlocks", response_model=Envelope[list[BlockOut]])
def bulk_update(body: BulkPatch, ctx: Ctx = write) -> Response:
    items = [BlockUpdate(b.id, changes_of(BlockChanges, b)) for b in body.blocks]
    with as_subject(*body.blocks):
        changed = blocks_bulk.bulk_update(ctx.session, ctx.principal, ctx.now, items)
    return ctx.ok(changed)


@router.delete("/bulk", operation_id="bulkDeleteBlocks", response_model=Envelope[BulkDeleted])
def bulk_delete(ids: IdsParam = None, body: BulkIds | None = None, ctx: Ctx = write) -> Response:
    wanted = bulk_ids(ids, body)
    return ctx.ok(blocks_bulk.bulk_delete(ctx.session, ctx.principal, ctx.now, wanted))


@router.get("/{block_id}", operation_id="getBlock", response_model=Envelope[BlockOut])
async def get_block(block_id: str, ctx: Ctx = read) -> Response:
    view, tag = blocks.get_block(ctx.session, ctx.principal, block_id)
    return ctx.ok(view, etag=tag)


@router.put("/{block_id}", operation_id="replaceBlock", response_model=Envelope[BlockOut])
def replace_block(
    block_id: str, body: BlockPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(BlockChanges, body, replace=True)
    with as_subject(body):
        view, tag = blocks.update_block(
            ctx.session, ctx.principal, ctx.now, block_id, changes, if_match
        )
    return ctx.ok(view, etag=tag)


@router.patch("/{block_id}", operation_id="updateBlock", response_model=Envelope[BlockOut])
def update_block(
    block_id: str, body: BlockPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(BlockChanges, body)
    with as_subject(body):
        view, tag = blocks.update_block(
            ctx.session, ctx.principal, ctx.now, block_id, changes, if_match
        )
    return ctx.ok(view, etag=tag)


@router.delete("/{block_id}", operation_id="deleteBlock", response_model=Envelope[BlockOut])
def delete_block(block_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    view, tag = blocks.delete_block(ctx.session, ctx.principal, ctx.now, block_id, if_match)
    return ctx.ok(view, etag=tag)


def _state_route(action: str, service: blocks.StateChange) -> None:
    def handler(block_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
        view, tag = service(ctx.session, ctx.principal, ctx.now, block_id, if_match)
        return ctx.ok(view, etag=tag)

    handler.__name__ = f"{action}_block"
    router.add_api_route(
        f"/{{block_id}}/{action}",
        handler,
        methods=["POST"],
        operation_id=f"{action}Block",
        response_model=Envelope[BlockOut],
    )


_state_route("archive", blocks.archive_block)
_state_route("unarchive", blocks.unarchive_block)
_state_route("restore", blocks.restore_block)
