"""What the client, contact, tag and task services share: typed partial updates and the
workspace a new row goes to. Visibility and roles live in ``services.accounts.access``;
ETags in ``services.versioning``, pages in ``services.paging``."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from timeboxd.db.tracking import Client, Contact, Tag, Task
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.clients import ClientChanges, ContactChanges
from timeboxd.schemas.common import sent
from timeboxd.schemas.tags import TagChanges
from timeboxd.schemas.tasks import TaskChanges
from timeboxd.services import outbox
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.context import Principal

Versioned = Client | Contact | Tag | Task
Changes = ClientChanges | ContactChanges | TagChanges | TaskChanges


def reject_nulls(changes: Changes, *required: str) -> None:
    """PATCH may clear optional fields with null, never the ``required`` ones: a field of
    the typed ``changes`` that was sent as ``None`` is refused, naming the field."""
    for name in required:
        if getattr(changes, name) is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)


def apply_changes(
    row: Versioned, changes: Changes, now: datetime, *, skip: Collection[str] = ()
) -> None:
    """Write the sent fields of the typed ``changes`` (but those in ``skip``, which are not
    columns) to ``row`` and mark it updated. The UPDATE is issued even when no value
    differs, so the ORM raises the version and every accepted write gives a new ETag."""
    for key, value in sent(changes).items():
        if key not in skip:
            setattr(row, key, value)
    row.updated_at = now
    flag_modified(row, "updated_at")


def target_workspace(session: Session, principal: Principal, workspace_id: str | None) -> str:
    """The workspace a new client or tag goes to: the one named, else the personal one."""
    return workspace_id or personal_workspace_id(session, principal.user_id)


def announce(
    session: Session,
    principal: Principal,
    now: datetime,
    type: str,
    row_id: str,
    workspace_id: str,
    data: Any,
) -> None:
    """The change's event, for every member of the workspace (each of them reads it)."""
    outbox.emit(
        session, now, principal.livemode, type, row_id, data, outbox.members(session, workspace_id)
    )


def tombstone(workspace_id: str, row_id: str, **place: Any) -> dict[str, Any]:
    return {"id": row_id, "deleted": True, "workspace_id": workspace_id, **place}
