"""``Idempotency-Key`` on POST: a retry with the same key and body gets the first response.

A pending row is written before the request runs, so two concurrent requests with one key
cannot both write; only successful (2xx) responses are kept, for 24 hours.

The pending row is a lease, not a lock: a request that died without answering (the
process was killed, the machine restarted) leaves its claim behind, and the retry the key
exists for must not be refused for a day. A claim older than ``LEASE`` is taken over by
the next request with that key; ``finish`` writes only the claim it made, so a request
that outlived its lease cannot overwrite the answer of the one that took it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timeboxd.db.models import IdempotencyRecord
from timeboxd.errors import Conflict
from timeboxd.services.database import Database

RETENTION = timedelta(hours=24)
# Far longer than any request runs (the largest bulk write or import takes seconds), short
# enough that a client's ordinary backoff reaches a retry that is answered.
LEASE = timedelta(seconds=60)
PENDING = 0


@dataclass(slots=True)
class Replay:
    status_code: int
    body: bytes


def _in_progress() -> Conflict:
    return Conflict(
        "a request with this Idempotency-Key is still in progress; retry after it answers",
        field="Idempotency-Key",
    )


def _verdict(record: IdempotencyRecord | None, fingerprint: str, now: datetime) -> Replay | None:
    """The stored answer, or ``None`` when the key is free to claim (no record, or one
    past its retention, or a pending claim past its lease); raises ``Conflict`` for a
    different request or a claim still held."""
    if record is None or record.created_at < now - RETENTION:
        return None
    if record.status_code == PENDING:
        if record.created_at < now - LEASE:
            return None
        if record.fingerprint != fingerprint:
            raise _different()
        raise _in_progress()
    if record.fingerprint != fingerprint:
        raise _different()
    return Replay(record.status_code, record.body)


def _different() -> Conflict:
    return Conflict(
        "this Idempotency-Key was used with a different request", field="Idempotency-Key"
    )


def _record(session: Session, owner: str, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
        )
    )


def begin(db: Database, owner: str, key: str, fingerprint: str, now: datetime) -> Replay | None:
    """Claim ``key`` for this request (the claim is ``now``: pass it to ``finish``), or
    return the stored response to replay."""
    # A replay or a twin of a request in flight is answered from a read, without waiting
    # for the write lock (on SQLite the request in flight may hold it).
    with db.read() as session:
        replay = _verdict(_record(session, owner, key), fingerprint, now)
    if replay is not None:
        return replay
    with db.write() as session:
        record = _record(session, owner, key)
        replay = _verdict(record, fingerprint, now)
        if replay is not None:
            return replay
        if record is None:
            session.add(
                IdempotencyRecord(
                    owner=owner,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=PENDING,
                    body=b"",
                    created_at=now,
                )
            )
            return None
        # An expired answer or an abandoned claim: take it over, unless a twin took it
        # over first (the row is no longer the one read).
        taken = session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == record.id,
                IdempotencyRecord.status_code == record.status_code,
                IdempotencyRecord.created_at == record.created_at,
            )
            .values(fingerprint=fingerprint, status_code=PENDING, body=b"", created_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise _in_progress()
    return None


def begin_or_conflict(
    db: Database, owner: str, key: str, fingerprint: str, now: datetime
) -> Replay | None:
    try:
        return begin(db, owner, key, fingerprint, now)
    except IntegrityError:
        # Another request claimed the key between our read and our insert.
        raise _in_progress() from None


def finish(
    db: Database, owner: str, key: str, claimed_at: datetime, status_code: int, body: bytes
) -> None:
    """Keep the answer of the claim made at ``claimed_at`` (2xx), or release it."""
    with db.write() as session:
        where = (
            IdempotencyRecord.owner == owner,
            IdempotencyRecord.key == key,
            IdempotencyRecord.status_code == PENDING,
            IdempotencyRecord.created_at == claimed_at,
        )
        if 200 <= status_code < 300:
            session.execute(
                update(IdempotencyRecord).where(*where).values(status_code=status_code, body=body)
            )
        else:
            session.execute(delete(IdempotencyRecord).where(*where))
