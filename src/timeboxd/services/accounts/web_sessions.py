"""The web app's logins: server-side sessions, CSRF tokens, the login brake, and the
password changes that end sessions (hashing and the password rule: ``passwords``).

A deactivated user (``users.deactivated_at``) has no session: deactivating deletes them,
and a session row is never honoured for a deactivated user either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from timeboxd.db.models import User
from timeboxd.db.web_sessions import LoginFailure, WebSession
from timeboxd.domain.keys import ALL
from timeboxd.errors import ValidationFailed
from timeboxd.services.accounts.passwords import (
    DUMMY_HASH,
    check_new,
    hash_password,
    needs_rehash,
    verify_password,
)
from timeboxd.services.context import Principal

SESSION_DAYS = 14
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def set_password(
    session: Session, user: User, password: str, now: datetime, *, keep: str | None = None
) -> None:
    """A new password ends every session of the user (but ``keep``, a session id: the
    one that changed it)."""
    check_new(password)
    user.password_hash = hash_password(password)
    user.updated_at = now
    end_sessions(session, user.id, keep=keep)


def end_sessions(session: Session, user_id: str, *, keep: str | None = None) -> None:
    """End every session of the user, on every app server at once (the rows go)."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    session.execute(stmt)


WRONG_CURRENT = "the current password is wrong"


def change_password(
    session: Session,
    who: Visitor,
    now: datetime,
    address: str,
    current: str,
    new: str,
    confirm: str,
) -> ValidationFailed | None:
    """The user's own change: the current password must be right (a wrong one counts as a
    failed login, so a stolen session cannot guess it), the new one typed twice. Every
    other session of the user ends; this one stays.

    A wrong current password is *returned*, not raised: the caller commits the record of
    the failure and shows the error."""
    user = session.get(User, who.user.id, with_for_update=True)
    if user is None:  # pragma: no cover - the visitor's row was read in this transaction
        raise ValidationFailed("no such user")
    if login_blocked(session, user.email, address, now):
        raise ValidationFailed(BLOCKED, field="current_password")
    if not verify_password(user.password_hash, current):
        record_failure(session, user.email, address, now)
        return ValidationFailed(WRONG_CURRENT, field="current_password")
    if new != confirm:
        raise ValidationFailed("the two new passwords differ", field="confirm_password")
    check_new(new, field="new_password")
    set_password(session, user, new, now, keep=who.session_id)
    return None


BLOCKED = "Too many failed attempts. Wait 15 minutes, then try again."


def set_demo_password(session: Session, email: str, now: datetime) -> str:
    """A new random password for the demo user; returns it."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise LookupError(email)
    password = secrets.token_urlsafe(12)
    set_password(session, user, password, now)
    return password


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Visitor:
    """The logged-in user of one request."""

    user: User
    csrf_token: str
    session_id: str

    @property
    def principal(self) -> Principal:
        # The web app acts as its user in live mode with every scope the user has.
        return Principal(
            user_id=self.user.id,
            livemode=True,
            scopes=frozenset({ALL}),
            key_id=None,
            timezone=self.user.timezone,
            week_start=self.user.week_start,
        )


def open_session(session: Session, user: User, now: datetime) -> str:
    """A new session (always a new id: a token known before login is worth nothing)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS),
        )
    )
    session.flush()
    return token


def visitor(session: Session, token: str | None, now: datetime) -> Visitor | None:
    if not token:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.deactivated_at is not None:
        return None
    return Visitor(user, row.csrf_token, row.id)


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def csrf_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected, sent or "")


def _failures(session: Session, key: str, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at > now - FAILURE_WINDOW)
        )
        or 0
    )


def login_blocked(session: Session, email: str, address: str, now: datetime) -> bool:
    """Too many failed logins for the account or from the address in the window."""
    return (
        _failures(session, f"email:{email}", now) >= MAX_FAILURES_PER_ACCOUNT
        or _failures(session, f"addr:{address}", now) >= MAX_FAILURES_PER_ADDRESS
    )


def record_failure(session: Session, email: str, address: str, now: datetime) -> None:
    session.add(LoginFailure(key=f"email:{email}", at=now))
    session.add(LoginFailure(key=f"addr:{address}", at=now))
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - FAILURE_WINDOW))


def authenticate(session: Session, email: str, password: str, now: datetime) -> User | None:
    """The user whose email and password these are (a deactivated one too: the caller says
    so rather than "wrong password", to whoever knows the password)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    # Hash even for an unknown email, so timing does not tell which emails exist.
    stored = user.password_hash if user is not None else None
    ok = verify_password(stored or DUMMY_HASH, password) and stored is not None
    if not ok or user is None:
        return None
    if stored and needs_rehash(stored):
        user.password_hash = hash_password(password)
    return user
