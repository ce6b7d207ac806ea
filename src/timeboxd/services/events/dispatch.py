"""The delivery queue, in the database: new events become deliveries for the webhooks that
subscribe to them, due deliveries are claimed for a short lease, and each attempt's
outcome schedules the next one or ends the delivery.

Delivery is at least once. A claim moves the delivery's ``next_attempt_at`` a lease ahead
instead of marking it taken, so a worker that dies with deliveries in hand (kill -9, a
lost machine) leaves them due again when the lease runs out; PostgreSQL workers claim
with ``FOR UPDATE SKIP LOCKED`` and never wait for each other."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import Table, delete, func, insert, literal_column, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from timeboxd.db.events import Cursor, Delivery, Event, Webhook
from timeboxd.domain.ids import new_id
from timeboxd.services.database import Database
from timeboxd.services.events.webhooks import IN_HAND, LEASE, PING
from timeboxd.services.outbox import JSON_OPTIONS

BATCH = 500
PER_WEBHOOK = 4  # attempts in flight to one webhook, per worker
DISABLE_AFTER = timedelta(days=5)
DISABLE_AFTER_EVENTS = 100
JITTER = 0.1  # each wait between attempts is drawn within ±10% of the schedule's
CURSOR = "webhooks"
_XMIN: ColumnClause[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
deliveries_table: Table = Delivery.__table__  # type: ignore[assignment]


def matches(subscription: str, event_type: str) -> bool:
    """Whether a webhook's patterns (space-separated) take events of ``event_type``."""
    for pattern in subscription.split():
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def _cursor(session: Session) -> Cursor:
    """The dispatcher's place in the feed, locked for this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            pg_insert(Cursor).values(name=CURSOR, txid=0, seq=0).on_conflict_do_nothing()
        )
        found = session.get(Cursor, CURSOR, with_for_update=True)
        assert found is not None
        return found
    found = session.get(Cursor, CURSOR)
    if found is None:
        found = Cursor(name=CURSOR, txid=0, seq=0)
        session.add(found)
    return found


def _after(session: Session, txid: int, seq: int) -> list[Any]:
    """The events after a position that the dispatcher may take now."""
    if session.get_bind().dialect.name == "postgresql":
        return [
            tuple_(Event.txid, Event.seq) > tuple_(txid, seq),
            Event.txid < _XMIN,  # commit order: see services/events/feed.py
        ]
    # txid is always 0: a range of the primary key, not a scan of every event
    return [Event.txid == txid, Event.seq > seq]


def _position(session: Session, cond: list[Any], last: bool) -> tuple[int, int] | None:
    """The first or last position among the events ``cond`` selects."""
    order = (Event.txid.desc(), Event.seq.desc()) if last else (Event.txid, Event.seq)
    found = session.execute(select(Event.txid, Event.seq).where(*cond).order_by(*order).limit(1))
    row = found.first()
    return None if row is None else (row.txid, row.seq)


def _upto(session: Session, txid: int, seq: int) -> list[Any]:
    """The events up to and including a position."""
    if session.get_bind().dialect.name == "postgresql":
        return [tuple_(Event.txid, Event.seq) <= tuple_(txid, seq)]
    return [Event.txid == txid, Event.seq <= seq]


def dispatch(db: Database, now: datetime) -> dict[str, int]:
    """Turn the next events of every account into deliveries; how many events of each type
    were passed. A webhook takes the events written after it was made, of its owner and
    mode.

    A read first: a worker polls twice a second, and on SQLite a write transaction with
    nothing to write would still take the database's one write lock each time. Then the
    events of accounts with an active webhook are read, up to ``BATCH`` of them, within
    the range that is there now; those of accounts without one (most, on most servers)
    are only counted, in one grouped statement, and passed over, instead of read 500 at a
    time (a bulk write of 10,000 blocks was twenty rounds of the dispatcher)."""
    with db.read() as session:
        place = session.get(Cursor, CURSOR)
        start = (place.txid, place.seq) if place else (0, 0)
        if session.scalar(select(Event.seq).where(*_after(session, *start)).limit(1)) is None:
            return {}
    with db.write() as session:
        cursor = _cursor(session)
        after = _after(session, cursor.txid, cursor.seq)
        # The range ends where the events end now: on PostgreSQL each statement sees its
        # own snapshot, and an event that becomes visible after this one must not be
        # passed over unread.
        tail = _position(session, after, last=True)
        if tail is None:
            return {}
        in_range = [*after, *_upto(session, *tail)]
        watched = (
            select(Webhook.user_id, Webhook.livemode).where(Webhook.active.is_(True)).distinct()
        )
        events = session.execute(
            select(
                Event.txid,
                Event.seq,
                Event.id,
                Event.user_id,
                Event.livemode,
                Event.type,
                Event.created_at,
            )
            .where(*in_range, tuple_(Event.user_id, Event.livemode).in_(watched))
            .order_by(Event.txid, Event.seq)
            .limit(BATCH)
        ).all()
        # Passed: the whole range, or up to the last event read when there were more.
        end = (events[-1].txid, events[-1].seq) if len(events) == BATCH else tail
        counted = session.execute(
            select(Event.type, func.count())
            .where(*after, *_upto(session, *end), Event.type != PING)
            .group_by(Event.type)
        ).all()
        owners = {(e.user_id, e.livemode) for e in events if e.type != PING}
        hooks: dict[tuple[str, bool], list[Webhook]] = defaultdict(list)
        if owners:
            found = session.scalars(
                select(Webhook).where(
                    Webhook.active.is_(True),
                    tuple_(Webhook.user_id, Webhook.livemode).in_(list(owners)),
                )
            )
            for hook in found:
                hooks[(hook.user_id, hook.livemode)].append(hook)
        rows = [
            {
                "id": new_id("dlv"),
                "webhook_id": hook.id,
                "event_id": event.id,
                "event_type": event.type,
                "status": "pending",
                "attempt": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for event in events
            if event.type != PING  # a ping's delivery is made with it
            for hook in hooks[(event.user_id, event.livemode)]
            if hook.created_at <= event.created_at and matches(hook.events, event.type)
        ]
        if rows:
            session.execute(insert(deliveries_table), rows)
        cursor.txid, cursor.seq = end
        return {event_type: int(n) for event_type, n in counted}


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery: where it goes, how it is signed and what it carries."""

    delivery_id: str
    webhook_id: str
    url: str
    secret: str
    event_id: str
    type: str
    body: str  # {"type", "timestamp", "data"}: the event, as Standard Webhooks has it


def claim(
    db: Database,
    now: datetime,
    limit: int,
    in_hand: dict[str, int] | None = None,
    per_webhook: int = PER_WEBHOOK,
) -> list[Job]:
    """Up to ``limit`` due deliveries of active webhooks (a ping: of any), leased; no more
    than ``per_webhook`` of one webhook with those the caller has ``in_hand``, so one slow
    receiver cannot take every place of a worker."""
    if limit < 1:
        return []
    with db.write() as session:
        return _claim(session, now, limit, in_hand, per_webhook)


def _claim(
    session: Session,
    now: datetime,
    limit: int,
    in_hand: dict[str, int] | None,
    per_webhook: int,
) -> list[Job]:
    taken = dict(in_hand or {})
    stmt = (
        select(Delivery, Webhook.url, Webhook.secret)
        .join(Webhook, Webhook.id == Delivery.webhook_id)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            Webhook.active.is_(True) | (Delivery.event_type == PING),
            Delivery.webhook_id.not_in([h for h, n in taken.items() if n >= per_webhook]),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Delivery, skip_locked=True)
    claimed = session.execute(stmt).all()
    if not claimed:
        return []
    wanted = [delivery.event_id for delivery, _, _ in claimed]
    payloads = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(wanted)))}
    jobs = []
    for delivery, url, secret in claimed:
        if taken.get(delivery.webhook_id, 0) >= per_webhook:
            continue  # left due, for the next claim
        taken[delivery.webhook_id] = taken.get(delivery.webhook_id, 0) + 1
        event = payloads.get(delivery.event_id)
        if event is None:  # older than the retention period: nothing left to send
            delivery.status, delivery.next_attempt_at = "failed", None
            delivery.error = "the event is no longer kept (older than the retention period)"
            delivery.updated_at = now
            continue
        delivery.next_attempt_at = now + LEASE
        event_json = {
            "type": event.type,
            "timestamp": event.created_at,
            "data": orjson.Fragment(event.data),
        }
        body = orjson.dumps(event_json, option=JSON_OPTIONS).decode()
        jobs.append(Job(delivery.id, delivery.webhook_id, url, secret, event.id, event.type, body))
    return jobs


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str | None


def finish(
    db: Database,
    now: datetime,
    job: Job,
    outcome: Outcome,
    delays: tuple[int, ...],
    rng: random.Random | None = None,
) -> str:
    """Record an attempt: done, or the next attempt after the schedule's wait (with
    jitter), or failed for good once the schedule is spent. A webhook whose every
    delivery failed for five days, or for 100 events in a row, is disabled with the
    reason; one success starts the count again."""
    return finish_many(db, now, [(job, outcome)], delays, rng)[0]


def finish_many(
    db: Database,
    now: datetime,
    attempts: list[tuple[Job, Outcome]],
    delays: tuple[int, ...],
    rng: random.Random | None = None,
) -> list[str]:
    """``finish`` for each of ``attempts``, in one transaction (one commit for many
    deliveries: what bounds a worker's rate is commits, not requests)."""
    with db.write() as session:
        return _record(session, now, attempts, delays, rng)


def settle(
    db: Database,
    now: datetime,
    attempts: list[tuple[Job, Outcome]],
    delays: tuple[int, ...],
    limit: int,
    in_hand: dict[str, int] | None = None,
    rng: random.Random | None = None,
    per_webhook: int = PER_WEBHOOK,
) -> tuple[list[str], list[Job]]:
    """``finish_many`` for ``attempts``, then ``claim``, in one transaction: a worker's
    round is one commit (on PostgreSQL each waits for the WAL flush). ``in_hand``: the
    attempts still in the caller's hands, not counting ``attempts``."""
    with db.write() as session:
        finals = _record(session, now, attempts, delays, rng) if attempts else []
        jobs = _claim(session, now, limit, in_hand, per_webhook) if limit >= 1 else []
        return finals, jobs


def _record(
    session: Session,
    now: datetime,
    attempts: list[tuple[Job, Outcome]],
    delays: tuple[int, ...],
    rng: random.Random | None,
) -> list[str]:
    # The webhooks' rows first, locked, in one order by every worker, so two never
    # deadlock: attempts to one webhook finish side by side, and each must count on
    # the failures the one before it wrote (its version would be stale otherwise, and
    # the outcome lost). Then the deliveries: two statements for all the attempts.
    locked = (
        select(Webhook)
        .where(Webhook.id.in_(sorted({job.webhook_id for job, _ in attempts})))
        .order_by(Webhook.id)
        .with_for_update()
    )
    hooks = {hook.id: hook for hook in session.scalars(locked)}
    wanted = [job.delivery_id for job, _ in attempts]
    deliveries = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(wanted)))}
    order = sorted(range(len(attempts)), key=lambda n: attempts[n][0].webhook_id)
    done = {}
    for n in order:
        job, outcome = attempts[n]
        hook, delivery = hooks.get(job.webhook_id), deliveries.get(job.delivery_id)
        done[n] = _finish(session, now, hook, delivery, job, outcome, delays, rng)
    return [done[n] for n in range(len(attempts))]


def _finish(
    session: Session,
    now: datetime,
    hook: Webhook | None,
    delivery: Delivery | None,
    job: Job,
    outcome: Outcome,
    delays: tuple[int, ...],
    rng: random.Random | None,
) -> str:
    if delivery is None or hook is None:
        return "failed"  # the webhook was deleted meanwhile
    delivery.attempt += 1
    delivery.status_code = outcome.status_code
    delivery.duration_ms = outcome.duration_ms
    delivery.error = outcome.error[:500] if outcome.error else None
    delivery.updated_at = now
    if outcome.ok:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        if job.type != PING:
            if hook.failing_since is not None:
                _back(session, now, hook.id)
            hook.failures, hook.failing_since = 0, None
        return "succeeded"
    if delivery.attempt > len(delays):
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        wait = delays[delivery.attempt - 1] * (1 + JITTER * (2 * (rng or random).random() - 1))
        delivery.next_attempt_at = now + timedelta(seconds=wait)
    if job.type == PING:
        return delivery.status if delivery.status == "failed" else "retrying"
    if hook.failing_since is None:
        hook.failing_since = now
    if delivery.attempt == 1:
        hook.failures += 1
    failing_for = now - hook.failing_since
    if hook.active and (hook.failures >= DISABLE_AFTER_EVENTS or failing_for >= DISABLE_AFTER):
        hook.active = False
        hook.disabled_reason = (
            f"disabled {now:%Y-%m-%d %H:%M} UTC: every delivery failed since "
            f"{hook.failing_since:%Y-%m-%d %H:%M} UTC ({hook.failures} events); "
            f"last: {delivery.error or delivery.status_code}"
        )[:500]
    hook.updated_at = now
    return delivery.status if delivery.status == "failed" else "retrying"


def _back(session: Session, now: datetime, webhook_id: str) -> None:
    """The receiver answers again: its deliveries waiting for a later retry are due now,
    not hours from now; those that may be in some worker's hands keep their time."""
    session.execute(
        update(Delivery)
        .where(
            Delivery.webhook_id == webhook_id,
            Delivery.status == "pending",
            Delivery.next_attempt_at > now + IN_HAND,
        )
        .values(next_attempt_at=now)
    )


def release(db: Database, now: datetime, jobs: list[Job]) -> None:
    """Hand unfinished claims back at once (a worker stopping), instead of at lease end."""
    if not jobs:
        return
    with db.write() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_([j.delivery_id for j in jobs]), Delivery.status == "pending")
            .values(next_attempt_at=now)
        )


def expire(db: Database, now: datetime, retention_days: int) -> int:
    """Drop events, and finished deliveries, older than the retention period."""
    cutoff = now - timedelta(days=retention_days)
    with db.write() as session:
        result = session.execute(delete(Event).where(Event.created_at < cutoff))
        gone = cast("CursorResult[Any]", result).rowcount
        session.execute(
            delete(Delivery).where(Delivery.status != "pending", Delivery.updated_at < cutoff)
        )
        return int(gone or 0)


def queue_depth(db: Database) -> int:
    """Deliveries of active webhooks waiting for an attempt."""
    with db.read() as session:
        found = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(Webhook, Webhook.id == Delivery.webhook_id)
            .where(Delivery.status == "pending", Webhook.active.is_(True))
        )
    return int(found or 0)
