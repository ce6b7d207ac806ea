"""``/v1/clients`` and their contacts."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from timeboxd.api.deps import Ctx, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.catalog import (
    ClientCreate,
    ClientOut,
    ClientPatch,
    ClientPut,
    ContactCreate,
    ContactOut,
    ContactPatch,
    ListQuery,
)
from timeboxd.schemas.common import Envelope, ListEnvelope
from timeboxd.services import catalog
from timeboxd.services.paging import PageRequest

router = APIRouter(prefix="/v1/clients", tags=["clients"])
read = Depends(scoped("read:projects"))
write = Depends(scoped("write:projects"))


@router.get("", operation_id="listClients", response_model=ListEnvelope[ClientOut])
async def list_clients(ctx: Ctx = read, q: ListQuery = Depends(query(ListQuery))) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    with ctx.db.read() as s:
        return ctx.page(catalog.list_clients(s, ctx.principal, q.workspace_id, paging))


@router.post("", operation_id="createClient", status_code=201, response_model=Envelope[ClientOut])
def create_client(body: ClientCreate, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        view, tag = catalog.create_client(s, ctx.principal, ctx.now, body.model_dump())
    return ctx.ok(view, status=201, etag=tag)


@router.get("/{client_id}", operation_id="getClient", response_model=Envelope[ClientOut])
async def get_client(client_id: str, ctx: Ctx = read) -> Response:
    with ctx.db.read() as s:
        view, tag = catalog.get_client(s, ctx.principal, client_id)
    return ctx.ok(view, etag=tag)


@router.put("/{client_id}", operation_id="replaceClient", response_model=Envelope[ClientOut])
def replace_client(
    client_id: str, body: ClientPut, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    with ctx.db.write() as s:
        view, tag = catalog.update_client(
            s, ctx.principal, ctx.now, client_id, body.model_dump(), if_match
        )
    return ctx.ok(view, etag=tag)


@router.patch("/{client_id}", operation_id="updateClient", response_model=Envelope[ClientOut])
def update_client(
    client_id: str, body: ClientPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = body.model_dump(exclude_unset=True)
    with ctx.db.write() as s:
        view, tag = catalog.update_client(s, ctx.principal, ctx.now, client_id, changes, if_match)
    return ctx.ok(view, etag=tag)


@router.delete("/{client_id}", operation_id="deleteClient", response_model=Envelope[None])
def delete_client(client_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        catalog.delete_client(s, ctx.principal, client_id, if_match)
    return ctx.ok(None)


@router.get(
    "/{client_id}/contacts", operation_id="listContacts", response_model=Envelope[list[ContactOut]]
)
async def list_contacts(client_id: str, ctx: Ctx = read) -> Response:
    with ctx.db.read() as s:
        return ctx.ok(catalog.list_contacts(s, ctx.principal, client_id))


@router.post(
    "/{client_id}/contacts",
    operation_id="createContact",
    status_code=201,
    response_model=Envelope[ContactOut],
)
def create_contact(client_id: str, body: ContactCreate, ctx: Ctx = write) -> Response:
    with ctx.db.write() as s:
        view, tag = catalog.create_contact(s, ctx.principal, ctx.now, client_id, body.model_dump())
    return ctx.ok(view, status=201, etag=tag)


@router.get(
    "/{client_id}/contacts/{contact_id}",
    operation_id="getContact",
    response_model=Envelope[ContactOut],
)
async def get_contact(client_id: str, contact_id: str, ctx: Ctx = read) -> Response:
    with ctx.db.read() as s:
        view, tag = catalog.get_contact(s, ctx.principal, client_id, contact_id)
    return ctx.ok(view, etag=tag)


@router.put(
    "/{client_id}/contacts/{contact_id}",
    operation_id="replaceContact",
    response_model=Envelope[ContactOut],
)
def replace_contact(
    client_id: str, contact_id: str, body: ContactCreate, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    with ctx.db.write() as s:
        view, tag = catalog.update_contact(
            s, ctx.principal, ctx.now, client_id, contact_id, body.model_dump(), if_match
        )
    return ctx.ok(view, etag=tag)


@router.patch(
    "/{client_id}/contacts/{contact_id}",
    operation_id="updateContact",
    response_model=Envelope[ContactOut],
)
def update_contact(
    client_id: str, contact_id: str, body: ContactPatch, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    changes = body.model_dump(exclude_unset=True)
    with ctx.db.write() as s:
        view, tag = catalog.update_contact(
            s, ctx.principal, ctx.now, client_id, contact_id, changes, if_match
        )
    return ctx.ok(view, etag=tag)


@router.delete(
    "/{client_id}/contacts/{contact_id}",
    operation_id="deleteContact",
    response_model=Envelope[None],
)
def delete_contact(
    client_id: str, contact_id: str, if_match: IfMatch = None, ctx: Ctx = write
) -> Response:
    with ctx.db.write() as s:
        catalog.delete_contact(s, ctx.principal, client_id, contact_id, if_match)
    return ctx.ok(None)
