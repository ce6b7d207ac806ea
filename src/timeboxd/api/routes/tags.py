"""``/v1/tags``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.catalog import WorkspaceListQuery
from timeboxd.schemas.common import Envelope, ListEnvelope, changes_of
from timeboxd.schemas.tags import TagChanges, TagCreate, TagOut, TagPatch, TagPut
from timeboxd.services.catalog import tags
from timeboxd.services.paging import PageRequest

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/tags", tags=["tags"])
read = scoped("read:projects")
write = scoped("write:projects")


@router.get("", operation_id="listTags", response_model=ListEnvelope[TagOut])
async def list_tags(
    ctx: Ctx = read, q: WorkspaceListQuery = Depends(query(WorkspaceListQuery))
) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    return ctx.page(tags.list_tags(ctx.session, ctx.principal, q.workspace_id, paging))


@router.post("", operation_id="createTag", status_code=201, response_model=Envelope[TagOut])
def create_tag(body: TagCreate, ctx: Ctx = write) -> Response:
    view, etag = tags.create_tag(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(view, status=201, etag=etag)


@router.get("/{tag_id}", operation_id="getTag", response_model=Envelope[TagOut])
async def get_tag(tag_id: str, ctx: Ctx = read) -> Response:
    view, etag = tags.get_tag(ctx.session, ctx.principal, tag_id)
    return ctx.ok(view, etag=etag)


@router.put("/{tag_id}", operation_id="replaceTag", response_model=Envelope[TagOut])
def replace_tag(tag_id: str, body: TagPut, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    changes = changes_of(TagChanges, body, replace=True)
    view, etag = tags.update_tag(ctx.session, ctx.principal, ctx.now, tag_id, changes, if_match)
    return ctx.ok(view, etag=etag)


@router.patch("/{tag_id}", operation_id="updateTag", response_model=Envelope[TagOut])
def update_tag(tag_id: str, body: TagPatch, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    changes = changes_of(TagChanges, body)
    view, etag = tags.update_tag(ctx.session, ctx.principal, ctx.now, tag_id, changes, if_match)
    return ctx.ok(view, etag=etag)


@router.delete("/{tag_id}", operation_id="deleteTag", response_model=Envelope[None])
def delete_tag(tag_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    tags.delete_tag(ctx.session, ctx.principal, ctx.now, tag_id, if_match)
    return ctx.ok(None)
