"""Approvals: the entry's owner submits; a workspace owner or admin approves or rejects.

draft --submit--> submitted --approve--> approved (locked)
                            --reject---> rejected --submit--> submitted
reopen (admin: any reviewed or submitted entry; owner: withdraw a submission) -> draft

Nobody reviews their own time while the workspace has another owner or admin to do it,
unless the workspace's ``allow_self_approval`` says so; the only owner or admin of a
workspace (a freelancer in their personal workspace) reviews their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timeboxd.db.models import Workspace, WorkspaceMember
from timeboxd.db.tracking import TimeEntry
from timeboxd.errors import Conflict, Forbidden
from timeboxd.schemas.entries import EntryOut
from timeboxd.services import versioning
from timeboxd.services.accounts.access import MANAGER_ROLES, managed_workspaces, role_in
from timeboxd.services.context import Principal
from timeboxd.services.outbox import Change
from timeboxd.services.paging import Page, PageRequest, select_page
from timeboxd.services.tracking.entries import announce, get_entry, load_visible, page_views


def _is_manager(session: Session, principal: Principal, entry: TimeEntry) -> bool:
    return role_in(session, principal, entry.workspace_id) in MANAGER_ROLES


def _check_self_review(session: Session, principal: Principal, entry: TimeEntry) -> None:
    if entry.user_id != principal.user_id:
        return
    workspace = session.get(Workspace, entry.workspace_id)
    if workspace is None or workspace.allow_self_approval:
        return
    other_managers = session.scalar(
        select(func.count())
        .select_from(WorkspaceMember)
        .where(
            WorkspaceMember.workspace_id == entry.workspace_id,
            WorkspaceMember.role.in_(MANAGER_ROLES),
            WorkspaceMember.user_id != principal.user_id,
        )
    )
    if other_managers:
        raise Forbidden(
            "another owner or admin of this workspace reviews your time"
            " (the workspace's allow_self_approval setting is off)"
        )


def submit(
    session: Session, principal: Principal, now: datetime, entry_id: str, if_match: str | None
) -> tuple[EntryOut, str]:
    entry = load_visible(session, principal, entry_id)
    if entry.user_id != principal.user_id:
        raise Forbidden("only the person who tracked an entry submits it")
    versioning.check_row(entry, if_match, "entry")
    if entry.end_at is None:
        raise Conflict("stop the timer before submitting the entry", field="end_at")
    if entry.approval_status not in ("draft", "rejected"):
        raise Conflict(f"the entry is already {entry.approval_status}", field="approval_status")
    entry.approval_status = "submitted"
    entry.updated_at = now
    session.flush()
    return _announced(session, principal, now, "time_entry.submitted", entry)


def review(
    session: Session,
    principal: Principal,
    now: datetime,
    entry_id: str,
    approve: bool,
    comment: str | None,
    if_match: str | None,
) -> tuple[EntryOut, str]:
    entry = load_visible(session, principal, entry_id)
    if not _is_manager(session, principal, entry):
        raise Forbidden("only the workspace's owner or admins approve time")
    _check_self_review(session, principal, entry)
    versioning.check_row(entry, if_match, "entry")
    if entry.approval_status != "submitted":
        raise Conflict(
            f"only submitted entries can be reviewed; this one is {entry.approval_status}",
            field="approval_status",
        )
    entry.approval_status = "approved" if approve else "rejected"
    entry.approval_comment = comment
    entry.reviewed_by = principal.user_id
    entry.reviewed_at = now
    entry.updated_at = now
    session.flush()
    kind = "time_entry.approved" if approve else "time_entry.rejected"
    return _announced(session, principal, now, kind, entry)


def reopen(
    session: Session, principal: Principal, now: datetime, entry_id: str, if_match: str | None
) -> tuple[EntryOut, str]:
    entry = load_visible(session, principal, entry_id)
    manager = _is_manager(session, principal, entry)
    withdrawing = entry.user_id == principal.user_id and entry.approval_status == "submitted"
    if not manager and not withdrawing:
        raise Forbidden("only the workspace's owner or admins reopen reviewed time")
    versioning.check_row(entry, if_match, "entry")
    if entry.approval_status == "draft":
        raise Conflict("the entry is already a draft", field="approval_status")
    entry.approval_status = "draft"
    entry.updated_at = now
    session.flush()
    return _announced(session, principal, now, "time_entry.updated", entry)


def _announced(
    session: Session, principal: Principal, now: datetime, kind: str, entry: TimeEntry
) -> tuple[EntryOut, str]:
    found = get_entry(session, principal, now, entry.id)
    announce(session, principal, now, [(Change(kind, entry.id, found[0]), entry)])
    return found


def queue(
    session: Session, principal: Principal, now: datetime, paging: PageRequest
) -> Page[EntryOut]:
    """Submitted entries waiting in the workspaces the caller owns or administers."""
    stmt = (
        select(TimeEntry)
        .where(
            TimeEntry.livemode == principal.livemode,
            TimeEntry.workspace_id.in_(managed_workspaces(principal)),
            TimeEntry.approval_status == "submitted",
        )
        .order_by(TimeEntry.start_at, TimeEntry.id)
    )
    return page_views(session, select_page(session, stmt, paging), principal, now)
