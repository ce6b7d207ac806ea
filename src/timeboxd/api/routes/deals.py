"""``/v1/deals`` and ``GET /v1/deals/pipeline``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.common import Envelope, ListEnvelope, changes_of
from timeboxd.schemas.crm import (
    DealChanges,
    DealCreate,
    DealOut,
    DealPatch,
    DealPut,
    DealQuery,
    PipelineOut,
    PipelineQuery,
)
from timeboxd.services.crm import deals, pipeline
from timeboxd.services.crm.deals import DealFilter
from timeboxd.services.paging import PageRequest

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/deals", tags=["deals"])
read = scoped("read:crm")
write = scoped("write:crm")


@router.get("", operation_id="listDeals", response_model=ListEnvelope[DealOut])
async def list_deals(ctx: Ctx = read, q: DealQuery = Depends(query(DealQuery))) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    f = DealFilter(
        q.workspace_id,
        q.client_id,
        q.owner_id,
        q.close_date_from,
        q.close_date_to,
        deals.parse_stages(q.stage),
    )
    return ctx.page(deals.list_deals(ctx.session, ctx.principal, f, paging))


@router.get("/pipeline", operation_id="getDealPipeline", response_model=Envelope[PipelineOut])
async def get_pipeline(
    ctx: Ctx = read, q: PipelineQuery = Depends(query(PipelineQuery))
) -> Response:
    """Count, value and probability-weighted value per stage and currency."""
    f = DealFilter(q.workspace_id, q.client_id, q.owner_id, q.close_date_from, q.close_date_to)
    return ctx.ok(pipeline.pipeline(ctx.session, ctx.principal, f))


@router.post("", operation_id="createDeal", status_code=201, response_model=Envelope[DealOut])
def create_deal(body: DealCreate, ctx: Ctx = write) -> Response:
    view, tag = deals.create_deal(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(view, status=201, etag=tag)


@router.get("/{deal_id}", operation_id="getDeal", response_model=Envelope[DealOut])
async def get_deal(deal_id: str, ctx: Ctx = read) -> Response:
    view, tag = deals.get_deal(ctx.session, ctx.principal, deal_id)
    return ctx.ok(view, etag=tag)


@router.put("/{deal_id}", operation_id="replaceDeal", response_model=Envelope[DealOut])
def replace_deal(
    deal_id: str, body: DealPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(DealChanges, body, replace=True)
    view, tag = deals.update_deal(ctx.session, ctx.principal, ctx.now, deal_id, changes, if_match)
    return ctx.ok(view, etag=tag)


@router.patch("/{deal_id}", operation_id="updateDeal", response_model=Envelope[DealOut])
def update_deal(
    deal_id: str, body: DealPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(DealChanges, body)
    view, tag = deals.update_deal(ctx.session, ctx.principal, ctx.now, deal_id, changes, if_match)
    return ctx.ok(view, etag=tag)


@router.delete("/{deal_id}", operation_id="deleteDeal", response_model=Envelope[None])
def delete_deal(deal_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    deals.delete_deal(ctx.session, ctx.principal, ctx.now, deal_id, if_match)
    return ctx.ok(None)
