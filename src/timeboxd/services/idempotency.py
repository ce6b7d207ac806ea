"""``Idempotency-Key`` on POST: a retry with the same key and body gets the first response.

A pending row is written before the request runs, so two concurrent requests with one key
cannot both write; only successful (2xx) responses are kept, for 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from timeboxd.db.models import IdempotencyRecord
from timeboxd.errors import Conflict
from timeboxd.services.database import Database

RETENTION = timedelta(hours=24)
PENDING = 0


@dataclass(slots=True)
class Replay:
    status_code: int
    body: bytes


def begin(db: Database, owner: str, key: str, fingerprint: str, now: datetime) -> Replay | None:
    """Claim ``key`` for this request, or return the stored response to replay."""
    with db.write() as session:
        record = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
            )
        )
        if record is not None and record.created_at < now - RETENTION:
            session.delete(record)
            session.flush()
            record = None
        if record is not None:
            if record.fingerprint != fingerprint:
                raise Conflict(
                    "this Idempotency-Key was used with a different request",
                    field="Idempotency-Key",
                )
            if record.status_code == PENDING:
                raise Conflict(
                    "a request with this Idempotency-Key is still in progress",
                    field="Idempotency-Key",
                )
            return Replay(record.status_code, record.body)
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


def begin_or_conflict(
    db: Database, owner: str, key: str, fingerprint: str, now: datetime
) -> Replay | None:
    try:
        return begin(db, owner, key, fingerprint, now)
    except IntegrityError:
        # Another request claimed the key between our read and our insert.
        raise Conflict(
            "a request with this Idempotency-Key is still in progress", field="Idempotency-Key"
        ) from None


def finish(db: Database, owner: str, key: str, status_code: int, body: bytes) -> None:
    with db.write() as session:
        where = (IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
        if 200 <= status_code < 300:
            session.execute(
                update(IdempotencyRecord).where(*where).values(status_code=status_code, body=body)
            )
        else:
            session.execute(delete(IdempotencyRecord).where(*where))
