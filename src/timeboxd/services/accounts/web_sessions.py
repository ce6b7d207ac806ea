"""The web app's logins: passwords, server-side sessions, CSRF tokens and the login brake.

New passwords are hashed with Argon2id. Hashes written before (``scrypt$salt$digest`` by
``services.accounts.users.hash_password``) still verify, and are rehashed with Argon2 at
the next successful login.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from timeboxd.db.models import User
from timeboxd.db.web_sessions import LoginFailure, WebSession
from timeboxd.domain.keys import ALL
from timeboxd.services.context import Principal

SESSION_DAYS = 14
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    if stored.startswith("scrypt$"):
        _, salt, digest = stored.split("$", 2)
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
        return hmac.compare_digest(got.hex(), digest)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return stored.startswith("scrypt$") or _hasher.check_needs_rehash(stored)


def set_password(session: Session, user: User, password: str, now: datetime) -> None:
    """A new password ends every session of the user."""
    user.password_hash = hash_password(password)
    user.updated_at = now
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


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
    if user is None:
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
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    # Hash even for an unknown email, so timing does not tell which emails exist.
    stored = user.password_hash if user is not None else None
    ok = verify_password(stored or _DUMMY, password) and stored is not None
    if not ok or user is None:
        return None
    if stored and needs_rehash(stored):
        user.password_hash = hash_password(password)
    return user


_DUMMY = _hasher.hash("not a password anyone has")
