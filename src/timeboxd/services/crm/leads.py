"""Leads (docs/api.md "Leads"): people who may become clients. Every member of a
workspace sees and works its leads; converting one makes a client (and a contact, and a
deal if asked) in the request's one transaction, so it needs what making a client needs:
the workspace's owner or an admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from timeboxd.db.crm import Lead
from timeboxd.domain.ids import new_id
from timeboxd.errors import Conflict, NotFound, ValidationFailed
from timeboxd.schemas.clients import ClientCreate, ContactCreate
from timeboxd.schemas.common import UNSET, sent
from timeboxd.schemas.crm import DealCreate, LeadChanges, LeadConvert, LeadCreate, LeadOut
from timeboxd.services import versioning
from timeboxd.services.accounts.access import require_manager, role_in
from timeboxd.services.catalog import clients
from timeboxd.services.catalog.common import target_workspace
from timeboxd.services.context import Principal
from timeboxd.services.crm import deals
from timeboxd.services.crm.common import announce, cents, money, require_owner, visible
from timeboxd.services.paging import Page, PageRequest, select_page


@dataclass(frozen=True, slots=True)
class LeadFilter:
    workspace_id: str | None = None
    status: str | None = None
    owner_id: str | None = None
    source: str | None = None


def _view(lead: Lead) -> LeadOut:
    return LeadOut(
        id=lead.id,
        workspace_id=lead.workspace_id,
        name=lead.name,
        company=lead.company,
        email=lead.email,
        phone=lead.phone,
        source=lead.source,
        status=lead.status,
        notes=lead.notes,
        owner_id=lead.owner_id,
        value_estimate=None if lead.value_cents is None else money(lead.value_cents),
        currency=lead.currency,
        client_id=lead.client_id,
        contact_id=lead.contact_id,
        deal_id=lead.deal_id,
        converted_at=lead.converted_at,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
    )


def _load(session: Session, principal: Principal, lead_id: str) -> Lead:
    lead = session.scalar(select(Lead).where(Lead.id == lead_id, visible(Lead, principal)))
    if lead is None:
        raise NotFound(f"no lead {lead_id}")
    return lead


def _require_member(session: Session, principal: Principal, workspace_id: str) -> None:
    if role_in(session, principal, workspace_id) is None:
        raise ValidationFailed(f"no workspace {workspace_id}", field="workspace_id")


def _check_money(lead: Lead) -> None:
    if lead.value_cents is not None and lead.currency is None:
        raise ValidationFailed("a value estimate needs its currency", field="currency")


def create_lead(
    session: Session, principal: Principal, now: datetime, body: LeadCreate
) -> tuple[LeadOut, str]:
    workspace_id = target_workspace(session, principal, body.workspace_id)
    _require_member(session, principal, workspace_id)
    owner_id = body.owner_id or principal.user_id
    require_owner(session, workspace_id, owner_id)
    lead = Lead(
        id=new_id("lead"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        owner_id=owner_id,
        name=body.name,
        company=body.company,
        email=body.email,
        phone=body.phone,
        source=body.source,
        status=body.status,
        notes=body.notes,
        value_cents=None if body.value_estimate is None else cents(body.value_estimate),
        currency=body.currency,
        created_at=now,
        updated_at=now,
    )
    _check_money(lead)
    session.add(lead)
    session.flush()
    return _announced(session, principal, now, "lead.created", lead)


def get_lead(session: Session, principal: Principal, lead_id: str) -> tuple[LeadOut, str]:
    lead = _load(session, principal, lead_id)
    return _view(lead), versioning.etag(lead)


def list_leads(
    session: Session, principal: Principal, f: LeadFilter, paging: PageRequest
) -> Page[LeadOut]:
    stmt = select(Lead).where(visible(Lead, principal))
    if f.workspace_id:
        stmt = stmt.where(Lead.workspace_id == f.workspace_id)
    if f.status:
        stmt = stmt.where(Lead.status == f.status)
    if f.owner_id:
        stmt = stmt.where(Lead.owner_id == f.owner_id)
    if f.source:
        stmt = stmt.where(func.lower(Lead.source) == f.source.lower())
    stmt = stmt.order_by(Lead.created_at.desc(), Lead.id.desc())
    return select_page(session, stmt, paging).map(_view)


def update_lead(
    session: Session,
    principal: Principal,
    now: datetime,
    lead_id: str,
    changes: LeadChanges,
    if_match: str | None,
) -> tuple[LeadOut, str]:
    lead = _load(session, principal, lead_id)
    for name in ("name", "status", "notes"):
        if getattr(changes, name) is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)
    if lead.status == "converted" and isinstance(changes.status, str):
        raise Conflict("the lead is converted; its status no longer changes", field="status")
    if changes.owner_id is not UNSET:
        changes.owner_id = changes.owner_id or principal.user_id  # null: the caller
        require_owner(session, lead.workspace_id, changes.owner_id)
    versioning.check_row(lead, if_match, "lead")
    for key, value in sent(changes).items():
        if key == "value_estimate":
            lead.value_cents = None if value is None else cents(value)
        else:
            setattr(lead, key, value)
    _check_money(lead)
    lead.updated_at = now
    flag_modified(lead, "updated_at")  # every accepted write gives a new ETag
    session.flush()
    return _announced(session, principal, now, "lead.updated", lead)


def delete_lead(
    session: Session, principal: Principal, now: datetime, lead_id: str, if_match: str | None
) -> None:
    """A lead goes alone: what its conversion made stays."""
    lead = _load(session, principal, lead_id)
    versioning.check_row(lead, if_match, "lead")
    session.delete(lead)
    session.flush()
    gone = {"id": lead.id, "deleted": True, "workspace_id": lead.workspace_id}
    announce(session, principal, now, "lead.deleted", lead.id, lead.workspace_id, gone)


def convert_lead(
    session: Session, principal: Principal, now: datetime, lead_id: str, body: LeadConvert
) -> tuple[LeadOut, str]:
    """Make the lead's client (through the catalog's own service), and its contact and a
    deal if asked, and mark the lead converted: all in the caller's transaction, so a
    refusal of any part leaves nothing made."""
    lead = _load(session, principal, lead_id)
    if lead.status == "converted":
        raise Conflict(f"lead {lead.id} is already converted", field="status")
    require_manager(session, principal, lead.workspace_id)
    client_name = body.client_name or lead.company or lead.name
    client, _ = clients.create_client(
        session,
        principal,
        now,
        ClientCreate(
            name=client_name, email=lead.email, notes=lead.notes, workspace_id=lead.workspace_id
        ),
    )
    if body.contact:
        contact, _ = clients.create_contact(
            session,
            principal,
            now,
            client.id,
            ContactCreate(name=lead.name, email=lead.email, phone=lead.phone),
        )
        lead.contact_id = contact.id
    if body.deal is not None:
        wanted = body.deal
        currency = wanted.currency or lead.currency
        if currency is None:
            raise ValidationFailed(
                "the deal needs a currency (the lead has none)", field="currency"
            )
        value = wanted.value
        if value is None:
            value = Decimal(lead.value_cents or 0) / 100
        deal, _ = deals.create_deal(
            session,
            principal,
            now,
            DealCreate(
                client_id=client.id,
                title=wanted.title or client_name,
                stage=wanted.stage,
                value=value,
                currency=currency,
                probability=wanted.probability,
                expected_close_date=wanted.expected_close_date,
                owner_id=wanted.owner_id or lead.owner_id,
                notes=wanted.notes,
            ),
        )
        lead.deal_id = deal.id
    lead.client_id = client.id
    lead.status = "converted"
    lead.converted_at = now
    lead.updated_at = now
    session.flush()
    return _announced(session, principal, now, "lead.converted", lead)


def _announced(
    session: Session, principal: Principal, now: datetime, type: str, lead: Lead
) -> tuple[LeadOut, str]:
    out = _view(lead)
    announce(session, principal, now, type, lead.id, lead.workspace_id, out)
    return out, versioning.etag(lead)
