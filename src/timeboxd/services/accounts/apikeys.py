"""API keys: created once (the secret is shown only then), hashed at rest, scoped, revocable."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from timeboxd.db.engine import SQLITE_BUSY_TIMEOUT_MS
from timeboxd.db.models import ApiKey, User
from timeboxd.db.prepared import Prepared, decoders
from timeboxd.domain import keys
from timeboxd.domain.ids import new_id
from timeboxd.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from timeboxd.schemas.account import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from timeboxd.services.context import Principal

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CreatedKey:
    """A new key and its secret, which is shown this once and never stored."""

    key: ApiKeyOut
    secret: str


def _view(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        mode="live" if row.livemode else "test",
        scopes=row.scopes.split(),
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        created_at=row.created_at,
    )


def normalize_scopes(scopes: list[str] | None) -> list[str]:
    if not scopes:
        return [keys.ALL]
    for scope in scopes:
        if scope != keys.ALL and scope not in keys.SCOPES:
            raise ValidationFailed(f"unknown scope {scope!r}", field="scopes")
    return sorted(set(scopes))


def create_key(
    session: Session,
    now: datetime,
    user_id: str,
    *,
    name: str = "",
    scopes: list[str] | None = None,
    livemode: bool = True,
    expires_in_days: int | None = None,
) -> CreatedKey:
    if expires_in_days is not None and expires_in_days < 1:
        raise ValidationFailed("must be at least 1 day", field="expires_in_days")
    secret = keys.generate(livemode)
    row = ApiKey(
        id=new_id("key"),
        user_id=user_id,
        name=name,
        prefix=keys.display_prefix(secret),
        key_hash=keys.hash_key(secret),
        livemode=livemode,
        scopes=" ".join(normalize_scopes(scopes)),
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return CreatedKey(key=_view(row), secret=secret)


def create_for(
    session: Session, principal: Principal, now: datetime, body: ApiKeyCreate
) -> ApiKeyCreated:
    """A key made with a key: it takes the caller's mode and scopes unless asked for
    others, and grants no more than the caller holds. A test key cannot make a live key
    (that would be a way out of the sandbox)."""
    livemode = principal.livemode if body.mode is None else body.mode == "live"
    if livemode and not principal.livemode:
        raise Forbidden("a test key cannot create live keys", field="mode")
    wanted = normalize_scopes(body.scopes) if body.scopes else sorted(principal.scopes)
    beyond = [s for s in wanted if not keys.grants(principal.scopes, s)]
    if beyond:
        raise Forbidden(
            f"this API key cannot grant scopes it does not hold: {', '.join(beyond)}",
            field="scopes",
        )
    created = create_key(
        session,
        now,
        principal.user_id,
        name=body.name,
        scopes=wanted,
        livemode=livemode,
        expires_in_days=body.expires_in_days,
    )
    return ApiKeyCreated(**asdict(created.key), key=created.secret)


def _owned(principal: Principal) -> list[ColumnElement[bool]]:
    """The keys a caller manages: all of the user's from a live key, only the sandbox
    ones from a test key (SPEC §2: a test key never reaches live data)."""
    where = [ApiKey.user_id == principal.user_id]
    if not principal.livemode:
        where.append(ApiKey.livemode.is_(False))
    return where


def list_keys(session: Session, principal: Principal) -> list[ApiKeyOut]:
    rows = session.scalars(select(ApiKey).where(*_owned(principal)).order_by(ApiKey.created_at))
    return [_view(r) for r in rows]


def revoke_key(session: Session, principal: Principal, now: datetime, key_id: str) -> ApiKeyOut:
    row = session.scalar(select(ApiKey).where(ApiKey.id == key_id, *_owned(principal)))
    if row is None:
        raise NotFound(f"no API key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return _view(row)


# One answer for a malformed, unknown, revoked or expired key: a different word for each
# would tell whoever holds a leaked key that it was real once. The owner sees a key's state
# (revoked_at, expires_at) in GET /v1/api-keys.
INVALID_KEY = "invalid or expired API key"

_AUTH_QUERY = Prepared(
    select(
        ApiKey.id,
        ApiKey.user_id,
        ApiKey.livemode,
        ApiKey.scopes,
        ApiKey.expires_at,
        ApiKey.revoked_at,
        ApiKey.last_used_at,
        User.timezone,
        User.week_start,
        User.deactivated_at,
    )
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)


# How long the ``last_used_at`` touch may wait for SQLite's write lock: authentication
# runs on the event loop, before the handler, so it must never wait out the busy timeout
# behind another request's write (every request of the server would wait with it).
TOUCH_WAIT_MS = 50


def _touch(conn: Connection, key_id: str, now: datetime) -> None:
    """Record the key's use, at best: when the database is busy with a write the touch is
    left for a later request (the interval is a minute), never the caller's error."""
    sqlite = conn.dialect.name == "sqlite"
    try:
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={TOUCH_WAIT_MS}")
        conn.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
        conn.commit()
    except OperationalError:
        conn.rollback()
        log.debug("API key %s: last_used_at not written, the database was busy", key_id)
    finally:
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def authenticate(
    conn: Connection, secret: str, now: datetime, touch_interval: timedelta
) -> Principal:
    """The principal behind a key, or Unauthorized. Runs on every request, so it is one
    indexed lookup; ``last_used_at`` is written at most once per ``touch_interval``."""
    if not keys.looks_valid(secret):
        raise Unauthorized(INVALID_KEY)
    found = _AUTH_QUERY.all(conn, {"key_hash": keys.hash_key(secret)})
    if not found:
        raise Unauthorized(INVALID_KEY)
    (
        key_id,
        user_id,
        livemode,
        scopes,
        expires_at,
        revoked_at,
        last_used_at,
        tz,
        week_start,
        deactivated_at,
    ) = found[0]
    instant = decoders(conn).instant
    # A deactivated user's keys stop at once (and work again when reactivated).
    if revoked_at is not None or deactivated_at is not None:
        raise Unauthorized(INVALID_KEY)
    if expires_at is not None and instant(expires_at) <= now:
        raise Unauthorized(INVALID_KEY)
    if last_used_at is None or now - instant(last_used_at) >= touch_interval:
        _touch(conn, key_id, now)
    return Principal(
        user_id=user_id,
        livemode=bool(livemode),
        scopes=frozenset(scopes.split()),
        key_id=key_id,
        timezone=tz,
        week_start=week_start,
    )
