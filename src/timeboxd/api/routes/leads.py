"""``/v1/leads`` and ``POST /v1/leads/{id}/convert``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.common import Envelope, ListEnvelope, changes_of
from timeboxd.schemas.crm import (
    LeadChanges,
    LeadConvert,
    LeadCreate,
    LeadOut,
    LeadPatch,
    LeadPut,
    LeadQuery,
)
from timeboxd.services.crm import leads
from timeboxd.services.crm.leads import LeadFilter
from timeboxd.services.paging import PageRequest

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/leads", tags=["leads"])
read = scoped("read:crm")
write = scoped("write:crm")


@router.get("", operation_id="listLeads", response_model=ListEnvelope[LeadOut])
async def list_leads(ctx: Ctx = read, q: LeadQuery = Depends(query(LeadQuery))) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    f = LeadFilter(q.workspace_id, q.status, q.owner_id, q.source)
    return ctx.page(leads.list_leads(ctx.session, ctx.principal, f, paging))


@router.post("", operation_id="createLead", status_code=201, response_model=Envelope[LeadOut])
def create_lead(body: LeadCreate, ctx: Ctx = write) -> Response:
    view, tag = leads.create_lead(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(view, status=201, etag=tag)


@router.get("/{lead_id}", operation_id="getLead", response_model=Envelope[LeadOut])
async def get_lead(lead_id: str, ctx: Ctx = read) -> Response:
    view, tag = leads.get_lead(ctx.session, ctx.principal, lead_id)
    return ctx.ok(view, etag=tag)


@router.put("/{lead_id}", operation_id="replaceLead", response_model=Envelope[LeadOut])
def replace_lead(
    lead_id: str, body: LeadPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(LeadChanges, body, replace=True)
    view, tag = leads.update_lead(ctx.session, ctx.principal, ctx.now, lead_id, changes, if_match)
    return ctx.ok(view, etag=tag)


@router.patch("/{lead_id}", operation_id="updateLead", response_model=Envelope[LeadOut])
def update_lead(
    lead_id: str, body: LeadPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(LeadChanges, body)
    view, tag = leads.update_lead(ctx.session, ctx.principal, ctx.now, lead_id, changes, if_match)
    return ctx.ok(view, etag=tag)


@router.delete("/{lead_id}", operation_id="deleteLead", response_model=Envelope[None])
def delete_lead(lead_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    leads.delete_lead(ctx.session, ctx.principal, ctx.now, lead_id, if_match)
    return ctx.ok(None)


@router.post("/{lead_id}/convert", operation_id="convertLead", response_model=Envelope[LeadOut])
def convert_lead(lead_id: str, body: LeadConvert | None = None, ctx: Ctx = write) -> Response:
    """The lead's client, contact and (if asked) deal, made in one transaction; the answer
    is the converted lead, naming them."""
    view, tag = leads.convert_lead(
        ctx.session, ctx.principal, ctx.now, lead_id, body or LeadConvert()
    )
    return ctx.ok(view, etag=tag)
