"""``/v1/clients`` and their contacts."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.catalog import WorkspaceListQuery
from timeboxd.schemas.clients import (
    ClientChanges,
    ClientCreate,
    ClientOut,
    ClientPatch,
    ClientPut,
    ContactChanges,
    ContactCreate,
    ContactOut,
    ContactPatch,
)
from timeboxd.schemas.common import Envelope, ListEnvelope, Paging, changes_of
from timeboxd.services.catalog import clients
from timeboxd.services.paging import PageRequest

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/clients", tags=["clients"])
read = scoped("read:projects")
write = scoped("write:projects")
CONTACT = "/{client_id}/contacts/{contact_id}"


@router.get("", operation_id="listClients", response_model=ListEnvelope[ClientOut])
async def list_clients(
    ctx: Ctx = read, q: WorkspaceListQuery = Depends(query(WorkspaceListQuery))
) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    return ctx.page(clients.list_clients(ctx.session, ctx.principal, q.workspace_id, paging))


@router.post("", operation_id="createClient", status_code=201, response_model=Envelope[ClientOut])
def create_client(body: ClientCreate, ctx: Ctx = write) -> Response:
    view, tag = clients.create_client(ctx.session, ctx.principal, ctx.now, body)
    return ctx.ok(view, status=201, etag=tag)


@router.get("/{client_id}", operation_id="getClient", response_model=Envelope[ClientOut])
async def get_client(client_id: str, ctx: Ctx = read) -> Response:
    view, tag = clients.get_client(ctx.session, ctx.principal, client_id)
    return ctx.ok(view, etag=tag)


@router.put("/{client_id}", operation_id="replaceClient", response_model=Envelope[ClientOut])
def replace_client(
    client_id: str, body: ClientPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(ClientChanges, body, replace=True)
    view, tag = clients.update_client(
        ctx.session, ctx.principal, ctx.now, client_id, changes, if_match
    )
    return ctx.ok(view, etag=tag)


@router.patch("/{client_id}", operation_id="updateClient", response_model=Envelope[ClientOut])
def update_client(
    client_id: str, body: ClientPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(ClientChanges, body)
    view, tag = clients.update_client(
        ctx.session, ctx.principal, ctx.now, client_id, changes, if_match
    )
    return ctx.ok(view, etag=tag)


@router.delete("/{client_id}", operation_id="deleteClient", response_model=Envelope[None])
def delete_client(client_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    clients.delete_client(ctx.session, ctx.principal, ctx.now, client_id, if_match)
    return ctx.ok(None)


@router.get(
    "/{client_id}/contacts", operation_id="listContacts", response_model=ListEnvelope[ContactOut]
)
async def list_contacts(
    client_id: str, ctx: Ctx = read, q: Paging = Depends(query(Paging))
) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    return ctx.page(clients.list_contacts(ctx.session, ctx.principal, client_id, paging))


@router.post(
    "/{client_id}/contacts",
    operation_id="createContact",
    status_code=201,
    response_model=Envelope[ContactOut],
)
def create_contact(client_id: str, body: ContactCreate, ctx: Ctx = write) -> Response:
    view, tag = clients.create_contact(ctx.session, ctx.principal, ctx.now, client_id, body)
    return ctx.ok(view, status=201, etag=tag)


@router.get(CONTACT, operation_id="getContact", response_model=Envelope[ContactOut])
async def get_contact(client_id: str, contact_id: str, ctx: Ctx = read) -> Response:
    view, tag = clients.get_contact(ctx.session, ctx.principal, client_id, contact_id)
    return ctx.ok(view, etag=tag)


@router.put(CONTACT, operation_id="replaceContact", response_model=Envelope[ContactOut])
def replace_contact(
    client_id: str, contact_id: str, body: ContactCreate, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(ContactChanges, body, replace=True)
    view, tag = clients.update_contact(
        ctx.session, ctx.principal, ctx.now, client_id, contact_id, changes, if_match
    )
    return ctx.ok(view, etag=tag)


@router.patch(CONTACT, operation_id="updateContact", response_model=Envelope[ContactOut])
def update_contact(
    client_id: str, contact_id: str, body: ContactPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = changes_of(ContactChanges, body)
    view, tag = clients.update_contact(
        ctx.session, ctx.principal, ctx.now, client_id, contact_id, changes, if_match
    )
    return ctx.ok(view, etag=tag)


@router.delete(CONTACT, operation_id="deleteContact", response_model=Envelope[None])
def delete_contact(
    client_id: str, contact_id: str, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    clients.delete_contact(ctx.session, ctx.principal, ctx.now, client_id, contact_id, if_match)
    return ctx.ok(None)
