"""Server administration of users (the web app's ``/admin/users``): list, create (the
same ``users.create_user`` as ``timeboxd users create``), deactivate, reactivate and
reset a password. Only a server administrator (``users.is_admin``) may.

Deactivating is immediate everywhere: the user's web sessions are deleted, and key
authentication, session lookup and the calendar feed refuse a deactivated user (the keys
are not revoked, so reactivating gives them back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timeboxd.db.models import User
from timeboxd.errors import Conflict, Forbidden, NotFound
from timeboxd.services.accounts import users, web_sessions
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, select_page

PER_PAGE = 100


@dataclass(slots=True)
class UserRow:
    id: str
    email: str
    name: str
    is_admin: bool
    deactivated_at: datetime | None
    created_at: datetime


def _row(user: User) -> UserRow:
    return UserRow(
        user.id, user.email, user.name, user.is_admin, user.deactivated_at, user.created_at
    )


def is_admin(session: Session, principal: Principal) -> bool:
    user = session.get(User, principal.user_id)
    return user is not None and user.is_admin and user.deactivated_at is None


def require_admin(session: Session, principal: Principal) -> None:
    if not is_admin(session, principal):
        raise Forbidden("only a server administrator manages users")


def _target(session: Session, user_id: str) -> User:
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def list_users(
    session: Session, principal: Principal, page: int = 1, email: str = ""
) -> Page[UserRow]:
    """The newest first; ``email``: only those whose address holds it."""
    require_admin(session, principal)
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    wanted = email.strip().lower()[:320]
    if wanted:
        stmt = stmt.where(User.email.contains(wanted, autoescape=True))
    return select_page(session, stmt, PageRequest(max(1, page), PER_PAGE)).map(_row)


def create_user(
    session: Session,
    principal: Principal,
    now: datetime,
    *,
    email: str,
    name: str,
    password: str,
    timezone: str,
    is_admin: bool,
) -> UserRow:
    require_admin(session, principal)
    user = users.create_user(
        session, now, email, name=name, password=password, timezone=timezone, is_admin=is_admin
    )
    return _row(user)


def deactivate(session: Session, principal: Principal, now: datetime, user_id: str) -> UserRow:
    require_admin(session, principal)
    if user_id == principal.user_id:
        raise Conflict("you cannot deactivate your own account", field="user_id")
    user = _target(session, user_id)
    if user.deactivated_at is None:
        user.deactivated_at = now
        user.updated_at = now
    web_sessions.end_sessions(session, user.id)
    session.flush()
    return _row(user)


def reactivate(session: Session, principal: Principal, now: datetime, user_id: str) -> UserRow:
    require_admin(session, principal)
    user = _target(session, user_id)
    if user.deactivated_at is not None:
        user.deactivated_at = None
        user.updated_at = now
        session.flush()
    return _row(user)


def reset_password(
    session: Session, principal: Principal, now: datetime, user_id: str, password: str
) -> UserRow:
    """A new password the administrator hands over; it ends every session of the user
    (the administrator's own too, when it is their own account)."""
    require_admin(session, principal)
    user = _target(session, user_id)
    web_sessions.set_password(session, user, password, now)
    session.flush()
    return _row(user)
