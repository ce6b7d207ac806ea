"""Users, their personal workspace, and the ``/v1/me`` profile."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from timeboxd.db.models import Block, User, Workspace, WorkspaceMember, blocks_table
from timeboxd.domain import keys
from timeboxd.domain.ids import new_id
from timeboxd.domain.wallclock import is_valid_zone, to_utc_lenient
from timeboxd.errors import Conflict, Forbidden, NotFound, ValidationFailed
from timeboxd.schemas.account import MeChanges, MeOut
from timeboxd.schemas.common import UNSET, sent
from timeboxd.services import versioning
from timeboxd.services.accounts import passwords
from timeboxd.services.context import Principal
from timeboxd.services.planning import calendar

WEEK_STARTS = ("monday", "sunday")


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320:
        raise ValidationFailed("an email address is at most 320 characters", field="email")
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise ValidationFailed("not a valid email address", field="email")
    return email


def create_user(
    session: Session,
    now: datetime,
    email: str,
    *,
    name: str = "",
    password: str | None = None,
    timezone: str = "UTC",
    is_admin: bool = False,
) -> User:
    email = normalize_email(email)
    if not is_valid_zone(timezone):
        raise ValidationFailed(f"unknown IANA time zone {timezone!r}", field="timezone")
    if password is not None:
        passwords.check_new(password)
    if len(name) > 200:
        raise ValidationFailed("a name is at most 200 characters", field="name")
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user with email {email} already exists", field="email")
    user = User(
        id=new_id("usr"),
        email=email,
        name=name,
        password_hash=passwords.hash_password(password) if password else None,
        timezone=timezone,
        week_start="monday",
        is_admin=is_admin,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    workspace = Workspace(
        id=new_id("wsp"),
        name=f"{name or email}'s workspace",
        owner_id=user.id,
        personal=True,
        livemode=True,  # holds both modes: each of its rows carries its own
        created_at=now,
    )
    session.add(workspace)
    session.flush()
    session.add(
        WorkspaceMember(workspace_id=workspace.id, user_id=user.id, role="owner", created_at=now)
    )
    session.flush()
    return user


def find_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with email {email}", field="email")
    return user


def personal_workspace_id(session: Session, user_id: str) -> str:
    wsp = session.scalar(
        select(Workspace.id).where(Workspace.owner_id == user_id, Workspace.personal.is_(True))
    )
    if wsp is None:  # pragma: no cover - every user is created with one
        raise NotFound("personal workspace missing")
    return wsp


def _view(user: User, principal: Principal, feed_url: str | None = None) -> MeOut:
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        timezone=user.timezone,
        week_start=user.week_start,
        daily_goal_minutes=user.daily_goal_minutes,
        livemode=principal.livemode,
        calendar_feed_url=feed_url,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


# Changing the account (its zone moves every live block) is a write: a key needs one of
# these. Read-only keys, whatever they read, only look at the profile.
ACCOUNT_WRITE_SCOPES = (*(s for s in keys.SCOPES if s.startswith("write:")), "admin")


def require_account_write(principal: Principal) -> None:
    """The account is live data: only a live key with a write-capable scope changes it."""
    if not principal.livemode:
        raise Forbidden("a test key cannot change the account; use a live key")
    if not any(keys.grants(principal.scopes, s) for s in ACCOUNT_WRITE_SCOPES):
        raise Forbidden(
            "changing the account needs a write scope (write:* or admin); this key is read-only"
        )


def _me(session: Session, user: User, principal: Principal, base_url: str) -> MeOut:
    # The feed URL's token reads every block: only a key that may read blocks sees it.
    token = (
        calendar.current_token(session, principal)
        if keys.grants(principal.scopes, "read:blocks")
        else None
    )
    return _view(user, principal, calendar.feed_url(base_url, token) if token else None)


def get_me(session: Session, principal: Principal, base_url: str) -> tuple[MeOut, str]:
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("user not found")
    return _me(session, user, principal, base_url), versioning.etag(user)


def update_me(
    session: Session,
    principal: Principal,
    now: datetime,
    changes: MeChanges,
    if_match: str | None,
    base_url: str,
) -> tuple[MeOut, str]:
    require_account_write(principal)
    user = session.get(User, principal.user_id, with_for_update=True)
    if user is None:
        raise NotFound("user not found")
    versioning.check_row(user, if_match, "profile")
    required = (
        ("name", changes.name),
        ("timezone", changes.timezone),
        ("week_start", changes.week_start),
    )
    for name, value in required:
        if value is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)
    new_zone = changes.timezone is not UNSET and changes.timezone != user.timezone
    for key, value in sent(changes).items():
        setattr(user, key, value)
    if new_zone:
        _reanchor_blocks(session, user.id, user.timezone, now)
    user.updated_at = now
    session.flush()
    return _me(session, user, principal, base_url), versioning.etag(user)


def _reanchor_blocks(session: Session, user_id: str, tz_name: str, now: datetime) -> None:
    """Blocks are wall-clock: after a zone change their instants move with the zone, and
    the blocks show their instants, so each gets a new version (ETag, feed SEQUENCE)."""
    rows = session.execute(
        select(Block.id, Block.date, Block.start, Block.end).where(Block.user_id == user_id)
    ).all()
    if not rows:
        return
    params = [
        {
            "b_id": r.id,
            "start_at": to_utc_lenient(r.date, r.start, tz_name),
            "end_at": to_utc_lenient(r.date, r.end, tz_name),
        }
        for r in rows
    ]
    stmt = (
        update(blocks_table)
        .where(blocks_table.c.id == bindparam("b_id"))
        .values(
            start_at=bindparam("start_at"),
            end_at=bindparam("end_at"),
            updated_at=now,
            **versioning.bump(blocks_table.c.version),
        )
    )
    session.execute(stmt, params)


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0
