"""Clients and their contacts (SPEC §3): who a workspace's billable projects are for.

Every member of a workspace sees its clients and their contacts; clients are the
workspace's shared vocabulary, so only its owner and admins change them (as for projects).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from timeboxd.db.crm import Deal, Lead
from timeboxd.db.models import Project
from timeboxd.db.tracking import Client, Contact
from timeboxd.domain.ids import new_id
from timeboxd.errors import Conflict, NotFound
from timeboxd.schemas.clients import (
    ClientChanges,
    ClientCreate,
    ClientOut,
    ContactChanges,
    ContactCreate,
    ContactOut,
)
from timeboxd.services import versioning
from timeboxd.services.accounts.access import member_workspaces, require_manager
from timeboxd.services.catalog.common import (
    announce,
    apply_changes,
    reject_nulls,
    target_workspace,
    tombstone,
)
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, select_page


def _client_view(c: Client) -> ClientOut:
    return ClientOut(
        id=c.id,
        workspace_id=c.workspace_id,
        name=c.name,
        email=c.email,
        notes=c.notes,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _contact_view(c: Contact) -> ContactOut:
    return ContactOut(
        id=c.id,
        client_id=c.client_id,
        name=c.name,
        email=c.email,
        phone=c.phone,
        role=c.role,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _visible(principal: Principal) -> ColumnElement[bool]:
    return Client.workspace_id.in_(member_workspaces(principal)) & (
        Client.livemode == principal.livemode
    )


def _load(session: Session, principal: Principal, client_id: str) -> Client:
    client = session.scalar(select(Client).where(Client.id == client_id, _visible(principal)))
    if client is None:
        raise NotFound(f"no client {client_id}")
    return client


def _load_managed(
    session: Session, principal: Principal, client_id: str, if_match: str | None = None
) -> Client:
    """A client the caller may change: visible first (else 404), then the role (else 403)."""
    client = _load(session, principal, client_id)
    require_manager(session, principal, client.workspace_id)
    versioning.check_row(client, if_match, "client")
    return client


# -- clients -------------------------------------------------------------------------------


def create_client(
    session: Session, principal: Principal, now: datetime, body: ClientCreate
) -> tuple[ClientOut, str]:
    workspace_id = target_workspace(session, principal, body.workspace_id)
    require_manager(session, principal, workspace_id)
    client = Client(
        id=new_id("cli"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        created_at=now,
        updated_at=now,
        name=body.name,
        email=body.email,
        notes=body.notes,
    )
    session.add(client)
    session.flush()
    return _announced(session, principal, now, "client.created", client)


def get_client(session: Session, principal: Principal, client_id: str) -> tuple[ClientOut, str]:
    client = _load(session, principal, client_id)
    return _client_view(client), versioning.etag(client)


def list_clients(
    session: Session, principal: Principal, workspace_id: str | None, paging: PageRequest
) -> Page[ClientOut]:
    stmt = select(Client).where(_visible(principal))
    if workspace_id:
        stmt = stmt.where(Client.workspace_id == workspace_id)
    stmt = stmt.order_by(func.lower(Client.name), Client.id)
    return select_page(session, stmt, paging).map(_client_view)


def update_client(
    session: Session,
    principal: Principal,
    now: datetime,
    client_id: str,
    changes: ClientChanges,
    if_match: str | None,
) -> tuple[ClientOut, str]:
    client = _load_managed(session, principal, client_id, if_match)
    reject_nulls(changes, "name", "notes")
    apply_changes(client, changes, now)
    session.flush()
    return _announced(session, principal, now, "client.updated", client)


def delete_client(
    session: Session, principal: Principal, now: datetime, client_id: str, if_match: str | None
) -> None:
    """The client and its contacts go; its projects stay, without a client (their
    tracked time and rates are worth more than the link), and with a new ETag, as do the
    leads converted into it. A client with deals stays: its deals go first (409)."""
    client = _load_managed(session, principal, client_id, if_match)
    deals = session.scalar(select(func.count()).where(Deal.client_id == client.id)) or 0
    if deals:
        raise Conflict(f"client {client.id} has {deals} deal(s): delete them first")
    session.execute(
        update(Lead)
        .where(Lead.client_id == client.id)
        .values(client_id=None, contact_id=None, updated_at=now, **versioning.bump(Lead.version))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Project)
        .where(Project.client_id == client.id)
        .values(client_id=None, updated_at=now, **versioning.bump(Project.version))
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(Contact).where(Contact.client_id == client.id))
    session.delete(client)
    session.flush()
    gone = tombstone(client.workspace_id, client.id)
    announce(session, principal, now, "client.deleted", client.id, client.workspace_id, gone)


# -- contacts ------------------------------------------------------------------------------


def _load_contact(session: Session, client: Client, contact_id: str) -> Contact:
    contact = session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.client_id == client.id)
    )
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


def list_contacts(
    session: Session, principal: Principal, client_id: str, paging: PageRequest
) -> Page[ContactOut]:
    _load(session, principal, client_id)
    stmt = (
        select(Contact)
        .where(Contact.client_id == client_id)
        .order_by(func.lower(Contact.name), Contact.id)
    )
    return select_page(session, stmt, paging).map(_contact_view)


def create_contact(
    session: Session, principal: Principal, now: datetime, client_id: str, body: ContactCreate
) -> tuple[ContactOut, str]:
    client = _load_managed(session, principal, client_id)
    contact = Contact(
        id=new_id("con"),
        client_id=client_id,
        created_at=now,
        updated_at=now,
        name=body.name,
        email=body.email,
        phone=body.phone,
        role=body.role,
    )
    session.add(contact)
    session.flush()
    return _contact_announced(session, principal, now, "contact.created", client, contact)


def get_contact(
    session: Session, principal: Principal, client_id: str, contact_id: str
) -> tuple[ContactOut, str]:
    contact = _load_contact(session, _load(session, principal, client_id), contact_id)
    return _contact_view(contact), versioning.etag(contact)


def update_contact(
    session: Session,
    principal: Principal,
    now: datetime,
    client_id: str,
    contact_id: str,
    changes: ContactChanges,
    if_match: str | None,
) -> tuple[ContactOut, str]:
    client = _load_managed(session, principal, client_id)
    contact = _load_contact(session, client, contact_id)
    versioning.check_row(contact, if_match, "contact")
    reject_nulls(changes, "name")
    apply_changes(contact, changes, now)
    session.flush()
    return _contact_announced(session, principal, now, "contact.updated", client, contact)


def delete_contact(
    session: Session,
    principal: Principal,
    now: datetime,
    client_id: str,
    contact_id: str,
    if_match: str | None,
) -> None:
    client = _load_managed(session, principal, client_id)
    contact = _load_contact(session, client, contact_id)
    versioning.check_row(contact, if_match, "contact")
    session.delete(contact)
    session.flush()
    gone = tombstone(client.workspace_id, contact.id, client_id=client.id)
    announce(session, principal, now, "contact.deleted", contact.id, client.workspace_id, gone)


def _announced(
    session: Session, principal: Principal, now: datetime, type: str, client: Client
) -> tuple[ClientOut, str]:
    view = _client_view(client)
    announce(session, principal, now, type, client.id, client.workspace_id, view)
    return view, versioning.etag(client)


def _contact_announced(
    session: Session,
    principal: Principal,
    now: datetime,
    type: str,
    client: Client,
    contact: Contact,
) -> tuple[ContactOut, str]:
    view = _contact_view(contact)
    announce(session, principal, now, type, contact.id, client.workspace_id, view)
    return view, versioning.etag(contact)
