"""What leads and deals share: money in cents, who may own one, what a caller sees."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from timeboxd.db.models import WorkspaceMember
from timeboxd.errors import ValidationFailed
from timeboxd.services import outbox
from timeboxd.services.accounts.access import member_workspaces
from timeboxd.services.context import Principal

CENT = Decimal("0.01")


def cents(amount: Decimal) -> int:
    """An amount of at most two decimal places (the bodies' ``Money``) in cents."""
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def money(value_cents: int) -> str:
    """Cents as the API shows money: a decimal string with two places, never a float."""
    return f"{Decimal(value_cents) / 100:.2f}"


def weighted(value_cents_times_percent: int) -> str:
    """A sum of ``cents * probability`` (percent) as money, rounded half up to the cent."""
    exact = Decimal(value_cents_times_percent) / 10_000
    return f"{exact.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def visible(model: Any, principal: Principal) -> ColumnElement[bool]:
    """Rows of the workspaces the caller is a member of, in the key's mode."""
    condition: ColumnElement[bool] = model.workspace_id.in_(member_workspaces(principal)) & (
        model.livemode == principal.livemode
    )
    return condition


def require_owner(session: Session, workspace_id: str, owner_id: str) -> None:
    """A lead's or deal's owner is a member of its workspace."""
    found = session.scalar(
        select(WorkspaceMember.user_id).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == owner_id
        )
    )
    if found is None:
        raise ValidationFailed(f"no member {owner_id} in this workspace", field="owner_id")


def announce(
    session: Session,
    principal: Principal,
    now: Any,
    type: str,
    row_id: str,
    workspace_id: str,
    data: Any,
) -> None:
    """The change's event, for every member of the workspace (each of them reads it)."""
    outbox.emit(
        session, now, principal.livemode, type, row_id, data, outbox.members(session, workspace_id)
    )
