"""Deals (docs/api.md "Deals"): what a client may buy, moving through the pipeline's
stages. Every member of a workspace sees and works its deals; only its owner and admins
close one (``won`` or ``lost``), and change or delete a closed one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from timeboxd.db.crm import Deal
from timeboxd.db.models import Project
from timeboxd.db.tracking import Client
from timeboxd.domain.ids import new_id
from timeboxd.errors import Forbidden, NotFound, ValidationFailed
from timeboxd.schemas.common import UNSET
from timeboxd.schemas.crm import (
    CLOSED_STAGES,
    STAGE_PROBABILITY,
    STAGES,
    DealChanges,
    DealCreate,
    DealOut,
)
from timeboxd.services import versioning
from timeboxd.services.accounts.access import MANAGER_ROLES, role_in
from timeboxd.services.context import Principal
from timeboxd.services.crm.common import announce, cents, money, require_owner, visible, weighted
from timeboxd.services.paging import Page, PageRequest, select_page


@dataclass(frozen=True, slots=True)
class DealFilter:
    workspace_id: str | None = None
    client_id: str | None = None
    owner_id: str | None = None
    close_date_from: date | None = None
    close_date_to: date | None = None
    stages: tuple[str, ...] = ()


def parse_stages(text: str | None) -> tuple[str, ...]:
    """``stage=won`` or ``stage=prospect,proposal``: each one a stage."""
    if text is None or not text.strip():
        return ()
    given = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    for stage in given:
        if stage not in STAGES:
            raise ValidationFailed(f"{stage!r} is not a stage ({', '.join(STAGES)})", field="stage")
    return given


def view(d: Deal) -> DealOut:
    return DealOut(
        id=d.id,
        workspace_id=d.workspace_id,
        client_id=d.client_id,
        title=d.title,
        stage=d.stage,
        value=money(d.value_cents),
        currency=d.currency,
        probability=d.probability,
        weighted_value=weighted(d.value_cents * d.probability),
        expected_close_date=d.expected_close_date,
        project_id=d.project_id,
        owner_id=d.owner_id,
        notes=d.notes,
        closed_at=d.closed_at,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


Ts = TypeVarTuple("Ts")


def filtered(stmt: Select[*Ts], principal: Principal, f: DealFilter) -> Select[*Ts]:
    """``stmt`` narrowed to the caller's deals that ``f`` names (the list's and the
    pipeline's filters are the same, so their figures agree)."""
    stmt = stmt.where(visible(Deal, principal))
    if f.workspace_id:
        stmt = stmt.where(Deal.workspace_id == f.workspace_id)
    if f.client_id:
        stmt = stmt.where(Deal.client_id == f.client_id)
    if f.owner_id:
        stmt = stmt.where(Deal.owner_id == f.owner_id)
    if f.close_date_from:
        stmt = stmt.where(Deal.expected_close_date >= f.close_date_from)
    if f.close_date_to:
        stmt = stmt.where(Deal.expected_close_date <= f.close_date_to)
    if f.stages:
        stmt = stmt.where(Deal.stage.in_(f.stages))
    return stmt


def check_range(f: DealFilter) -> None:
    if f.close_date_from and f.close_date_to and f.close_date_to < f.close_date_from:
        raise ValidationFailed("close_date_to is before close_date_from", field="close_date_to")


def _load(session: Session, principal: Principal, deal_id: str) -> Deal:
    deal = session.scalar(select(Deal).where(Deal.id == deal_id, visible(Deal, principal)))
    if deal is None:
        raise NotFound(f"no deal {deal_id}")
    return deal


def _client_workspace(session: Session, principal: Principal, client_id: str) -> str:
    """The workspace of a client the caller sees (a deal lives in its client's)."""
    workspace_id = session.scalar(
        select(Client.workspace_id).where(Client.id == client_id, visible(Client, principal))
    )
    if workspace_id is None:
        raise ValidationFailed(f"no client {client_id}", field="client_id")
    return workspace_id


def _check_project(
    session: Session, principal: Principal, workspace_id: str, project_id: str | None, stage: str
) -> None:
    if project_id is None:
        return
    if stage != "won":
        raise ValidationFailed("a deal links its project once it is won", field="project_id")
    found = session.scalar(
        select(Project.id).where(
            Project.id == project_id,
            Project.workspace_id == workspace_id,
            Project.livemode == principal.livemode,
        )
    )
    if found is None:
        raise ValidationFailed(f"no project {project_id} in this workspace", field="project_id")


def _probability(stage: str, given: int | None) -> int:
    """The probability of a deal in ``stage``: won is 100 and lost 0, whatever is sent."""
    if stage in CLOSED_STAGES:
        fixed = STAGE_PROBABILITY[stage]
        if given is not None and given != fixed:
            raise ValidationFailed(
                f"a deal that is {stage} has probability {fixed}", field="probability"
            )
        return fixed
    return STAGE_PROBABILITY[stage] if given is None else given


def _require_closer(session: Session, principal: Principal, workspace_id: str) -> None:
    role = role_in(session, principal, workspace_id)
    if role not in MANAGER_ROLES:
        raise Forbidden("only the workspace's owner or admins close deals or change closed ones")


def create_deal(
    session: Session, principal: Principal, now: datetime, body: DealCreate
) -> tuple[DealOut, str]:
    workspace_id = _client_workspace(session, principal, body.client_id)
    owner_id = body.owner_id or principal.user_id
    require_owner(session, workspace_id, owner_id)
    if body.stage in CLOSED_STAGES:
        _require_closer(session, principal, workspace_id)
    _check_project(session, principal, workspace_id, body.project_id, body.stage)
    deal = Deal(
        id=new_id("deal"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        client_id=body.client_id,
        owner_id=owner_id,
        title=body.title,
        stage=body.stage,
        value_cents=cents(body.value),
        currency=body.currency,
        probability=_probability(body.stage, body.probability),
        expected_close_date=body.expected_close_date,
        project_id=body.project_id,
        notes=body.notes,
        closed_at=now if body.stage in CLOSED_STAGES else None,
        created_at=now,
        updated_at=now,
    )
    session.add(deal)
    session.flush()
    return _announced(session, principal, now, "deal.created", deal)


def get_deal(session: Session, principal: Principal, deal_id: str) -> tuple[DealOut, str]:
    deal = _load(session, principal, deal_id)
    return view(deal), versioning.etag(deal)


def list_deals(
    session: Session, principal: Principal, f: DealFilter, paging: PageRequest
) -> Page[DealOut]:
    check_range(f)
    stmt = filtered(select(Deal), principal, f).order_by(Deal.created_at.desc(), Deal.id.desc())
    return select_page(session, stmt, paging).map(view)


def update_deal(
    session: Session,
    principal: Principal,
    now: datetime,
    deal_id: str,
    changes: DealChanges,
    if_match: str | None,
) -> tuple[DealOut, str]:
    deal = _load(session, principal, deal_id)
    for name in ("client_id", "title", "stage", "value", "currency", "notes"):
        if getattr(changes, name) is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)
    stage = deal.stage if changes.stage is UNSET or changes.stage is None else changes.stage
    # Every check first, the row untouched: a query's autoflush would raise its version
    # before If-Match is compared.
    client_id = deal.client_id
    if isinstance(changes.client_id, str) and changes.client_id != deal.client_id:
        if _client_workspace(session, principal, changes.client_id) != deal.workspace_id:
            raise ValidationFailed(
                f"no client {changes.client_id} in this workspace", field="client_id"
            )
        client_id = changes.client_id
    owner_id = deal.owner_id
    if changes.owner_id is not UNSET:
        owner_id = changes.owner_id or principal.user_id  # null: the caller
        require_owner(session, deal.workspace_id, owner_id)
    project_id = deal.project_id if changes.project_id is UNSET else changes.project_id
    _check_project(session, principal, deal.workspace_id, project_id, stage)
    # Not sent: kept, unless the stage changes (then the new stage's); null: the stage's.
    if changes.probability is UNSET:
        kept = None if stage != deal.stage else deal.probability
        probability = _probability(stage, kept if stage not in CLOSED_STAGES else None)
    else:
        probability = _probability(stage, changes.probability)
    if deal.stage in CLOSED_STAGES or stage in CLOSED_STAGES:
        _require_closer(session, principal, deal.workspace_id)
    versioning.check_row(deal, if_match, "deal")
    if stage != deal.stage:
        deal.closed_at = now if stage in CLOSED_STAGES else None
    deal.client_id, deal.owner_id = client_id, owner_id
    deal.stage = stage
    deal.probability = probability
    deal.project_id = project_id
    if isinstance(changes.title, str):
        deal.title = changes.title
    if changes.value is not UNSET and changes.value is not None:
        deal.value_cents = cents(changes.value)
    if isinstance(changes.currency, str):
        deal.currency = changes.currency
    if changes.expected_close_date is not UNSET:
        deal.expected_close_date = changes.expected_close_date
    if isinstance(changes.notes, str):
        deal.notes = changes.notes
    deal.updated_at = now
    flag_modified(deal, "updated_at")  # every accepted write gives a new ETag
    session.flush()
    return _announced(session, principal, now, "deal.updated", deal)


def delete_deal(
    session: Session, principal: Principal, now: datetime, deal_id: str, if_match: str | None
) -> None:
    deal = _load(session, principal, deal_id)
    if deal.stage in CLOSED_STAGES:
        _require_closer(session, principal, deal.workspace_id)
    versioning.check_row(deal, if_match, "deal")
    session.delete(deal)
    session.flush()
    gone = {"id": deal.id, "deleted": True, "workspace_id": deal.workspace_id}
    announce(session, principal, now, "deal.deleted", deal.id, deal.workspace_id, gone)


def _announced(
    session: Session, principal: Principal, now: datetime, type: str, deal: Deal
) -> tuple[DealOut, str]:
    out = view(deal)
    announce(session, principal, now, type, deal.id, deal.workspace_id, out)
    return out, versioning.etag(deal)
