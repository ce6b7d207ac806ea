"""``/v1/tags``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.catalog import WorkspaceListQuery
from timeboxd.schemas.common import Envelope, ListEnvelope
from timeboxd.schemas.tags import TagCreate, TagOut, TagPatch, TagPut
from timeboxd.services.catalog import tags
from timeboxd.services.paging import PageRequest

router = APIRouter(prefix="/v1/tags", tags=["tags"])
read = scoped("read:projects")
write = scoped("write:projects")


@router.get("", operation_id="listTags", response_model=ListEnvelope[TagOut])
async def list_tags(
    ctx: Ctx = read, q: WorkspaceListQuery = Depends(query(WorkspaceListQuery))
) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    with ctx.db.read() as s:
        return ctx.page(tags.list_tags(s, ctx.principal, q.workspace_id, paging))


@router.post("", operation_id="createTag", status_code=201, response_model=Envelope[TagOut])
def create_tag(body: TagCreate, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        view, etag = tags.create_tag(s, ctx.principal, ctx.now, body.model_dump())
    return ctx.ok(view, status=201, etag=etag)


@router.get("/{tag_id}", operation_id="getTag", response_model=Envelope[TagOut])
async def get_tag(tag_id: str, ctx: Ctx = read) -> Response:
    with ctx.db.read() as s:
        view, etag = tags.get_tag(s, ctx.principal, tag_id)
    return ctx.ok(view, etag=etag)


@router.put("/{tag_id}", operation_id="replaceTag", response_model=Envelope[TagOut])
def replace_tag(tag_id: str, body: TagPut, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        view, etag = tags.update_tag(s, ctx.principal, ctx.now, tag_id, body.model_dump(), if_match)
    return ctx.ok(view, etag=etag)


@router.patch("/{tag_id}", operation_id="updateTag", response_model=Envelope[TagOut])
def update_tag(tag_id: str, body: TagPatch, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    changes = body.model_dump(exclude_unset=True)
    with ctx.db.write() as s:
        view, etag = tags.update_tag(s, ctx.principal, ctx.now, tag_id, changes, if_match)
    return ctx.ok(view, etag=etag)


@router.delete("/{tag_id}", operation_id="deleteTag", response_model=Envelope[None])
def delete_tag(tag_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        tags.delete_tag(s, ctx.principal, ctx.now, tag_id, if_match)
    return ctx.ok(None)
