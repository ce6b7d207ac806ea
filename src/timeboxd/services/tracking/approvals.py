"""Approvals: the entry's owner submits; a workspace owner or admin approves or rejects.

draft --submit--> submitted --approve--> approved (locked)
                            --reject---> rejected --submit--> submitted
reopen (admin: any reviewed or submitted entry; owner: withdraw a submission) -> draft
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timeboxd.db.tracking import TimeEntry
from timeboxd.errors import Conflict, Forbidden
from timeboxd.services.accounts.access import MANAGER_ROLES, managed_workspaces, role_in
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest
from timeboxd.services.tracking.entries import (
    EntryView,
    check_if_match,
    get_entry,
    load_visible,
    views,
)


def _is_manager(session: Session, principal: Principal, entry: TimeEntry) -> bool:
    return role_in(session, principal, entry.workspace_id) in MANAGER_ROLES


def _touch(entry: TimeEntry, now: datetime) -> None:
    entry.updated_at = now
    entry.version += 1


def submit(
    session: Session, principal: Principal, now: datetime, entry_id: str, if_match: str | None
) -> tuple[EntryView, str]:
    entry = load_visible(session, principal, entry_id)
    if entry.user_id != principal.user_id:
        raise Forbidden("only the person who tracked an entry submits it")
    check_if_match(entry, if_match)
    if entry.end_at is None:
        raise Conflict("stop the timer before submitting the entry", field="end_at")
    if entry.approval_status not in ("draft", "rejected"):
        raise Conflict(f"the entry is already {entry.approval_status}", field="approval_status")
    entry.approval_status = "submitted"
    _touch(entry, now)
    session.flush()
    return get_entry(session, principal, now, entry.id)


def review(
    session: Session,
    principal: Principal,
    now: datetime,
    entry_id: str,
    approve: bool,
    comment: str | None,
    if_match: str | None,
) -> tuple[EntryView, str]:
    entry = load_visible(session, principal, entry_id)
    if not _is_manager(session, principal, entry):
        raise Forbidden("only the workspace's owner or admins approve time")
    check_if_match(entry, if_match)
    if entry.approval_status != "submitted":
        raise Conflict(
            f"only submitted entries can be reviewed; this one is {entry.approval_status}",
            field="approval_status",
        )
    entry.approval_status = "approved" if approve else "rejected"
    entry.approval_comment = comment
    entry.reviewed_by = principal.user_id
    entry.reviewed_at = now
    _touch(entry, now)
    session.flush()
    return get_entry(session, principal, now, entry.id)


def reopen(
    session: Session, principal: Principal, now: datetime, entry_id: str, if_match: str | None
) -> tuple[EntryView, str]:
    entry = load_visible(session, principal, entry_id)
    manager = _is_manager(session, principal, entry)
    withdrawing = entry.user_id == principal.user_id and entry.approval_status == "submitted"
    if not manager and not withdrawing:
        raise Forbidden("only the workspace's owner or admins reopen reviewed time")
    check_if_match(entry, if_match)
    if entry.approval_status == "draft":
        raise Conflict("the entry is already a draft", field="approval_status")
    entry.approval_status = "draft"
    _touch(entry, now)
    session.flush()
    return get_entry(session, principal, now, entry.id)


def queue(
    session: Session, principal: Principal, now: datetime, paging: PageRequest
) -> Page[EntryView]:
    """Submitted entries waiting in the workspaces the caller owns or administers."""
    cond = [
        TimeEntry.livemode == principal.livemode,
        TimeEntry.workspace_id.in_(managed_workspaces(principal)),
        TimeEntry.approval_status == "submitted",
    ]
    rows = list(
        session.scalars(
            select(TimeEntry)
            .where(*cond)
            .order_by(TimeEntry.start_at, TimeEntry.id)
            .offset(paging.offset)
            .limit(paging.limit + 1)
        )
    )
    has_more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    if not has_more and (rows or paging.offset == 0):
        total = paging.offset + len(rows)
    else:
        total = session.scalar(select(func.count()).select_from(TimeEntry).where(*cond)) or 0
    return Page(views(session, rows, principal, now), paging.page, paging.limit, total, has_more)
