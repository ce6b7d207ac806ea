"""What the client, contact, tag and task services share: ETags, partial updates and
counted pages. Visibility and roles live in ``services.access``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from timeboxd.db.tracking import Client, Contact, Tag, Task
from timeboxd.errors import PreconditionFailed, ValidationFailed
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal
from timeboxd.services.paging import PageRequest

Versioned = Client | Contact | Tag | Task


def etag(row: Versioned) -> str:
    return f'"{row.id}.{row.version}"'


def check_etag(row: Versioned, if_match: str | None, what: str) -> None:
    if if_match is not None and if_match not in ("*", etag(row)):
        raise PreconditionFailed(f"If-Match does not match the {what}'s ETag", field="If-Match")


def reject_nulls(changes: dict[str, Any], *names: str) -> None:
    """PATCH may clear optional fields with null, never the required ones."""
    for name in names:
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)


def apply_changes(
    row: Versioned, changes: dict[str, Any], writable: tuple[str, ...], now: datetime
) -> None:
    for key in writable:
        if key in changes:
            setattr(row, key, changes[key])
    row.updated_at = now
    row.version += 1


def counted_page(
    session: Session, stmt: Select[Any], paging: PageRequest, *, columns: bool = False
) -> tuple[list[Any], int, bool]:
    """One page of ``stmt`` (already ordered), the total and whether more follow. The total
    is counted only when the page alone cannot tell it. ``columns``: the statement selects
    columns, and the page holds rows rather than objects."""
    result = session.execute(stmt.offset(paging.offset).limit(paging.limit + 1))
    rows = list(result.all() if columns else result.scalars())
    has_more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    if not has_more and (rows or paging.offset == 0):
        return rows, paging.offset + len(rows), has_more
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return rows, total or 0, has_more


def target_workspace(session: Session, principal: Principal, workspace_id: str | None) -> str:
    """The workspace a new client or tag goes to: the one named, else the personal one."""
    return workspace_id or personal_workspace_id(session, principal.user_id)
