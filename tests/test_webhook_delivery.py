"""Webhook delivery (SPEC §3 "Events") against real receivers on this machine: signed
Standard Webhooks requests, retries on the schedule, a slow receiver that holds up no one
else, leases that bring back what a dead worker held, auto-disable, the SSRF check at
connection time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook as Verifier

from tests.conftest import Persona
from tests.receivers import WAIT, Receiver
from timeboxd.db.events import Event, Webhook
from timeboxd.services.database import Database
from timeboxd.services.events import dispatch
from timeboxd.services.events.dispatch import Outcome
from timeboxd.services.events.worker import Worker
from timeboxd.services.outbox import Change, record


@pytest.fixture
def db(fresh_db: Database) -> Database:
    """Each test's own database: a worker delivers whatever it finds in it."""
    return fresh_db


@pytest.fixture
def user(loopback_persona: Persona) -> Persona:
    return loopback_persona


def hook(p: Persona, url: str, events: list[str] | None = None) -> dict[str, Any]:
    return p.ok("POST", "/v1/webhooks", 201, json={"url": url, "events": events or ["*"]})


def write(db: Database, user_id: str, *changes: Change) -> None:
    with db.write() as session:
        record(session, datetime.now(UTC), True, list(changes), [user_id])


def block(n: int) -> Change:
    return Change("block.created", f"blk_{n}", {"id": f"blk_{n}", "topic": f"#{n}"})


@contextmanager
def running(db: Database, **options: Any) -> Iterator[Worker]:
    """A worker in a thread of its own, on the real clock, stopped at the end."""
    settings = {"delays": (1, 1), "allow_private": True, "retention_days": 30, "poll_seconds": 0.05}
    worker = Worker(db, lambda: datetime.now(UTC), **{**settings, **options})
    thread = threading.Thread(target=anyio.run, args=(worker.run,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(WAIT)
        assert not thread.is_alive()


def until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def log(p: Persona, webhook_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = p.ok("GET", f"/v1/webhooks/{webhook_id}/deliveries")
    return found


def first(p: Persona, webhook_id: str) -> dict[str, Any]:
    """The webhook's newest delivery, or {} before there is one."""
    return next(iter(log(p, webhook_id)), {})


def test_events_arrive_signed_with_the_event_as_body(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    made = hook(user, receiver.url, ["block.*"])
    write(db, user.user_id, block(1), Change("tag.created", "tag_1", {"id": "tag_1"}), block(2))
    with running(db):
        until(lambda: len(receiver.got) == 2, "two deliveries")
        done = until(
            lambda: (
                all(d["status"] == "succeeded" for d in log(user, made["id"]))
                and log(user, made["id"])
            ),
            "the log",
        )
    verifier = Verifier(made["secret"])
    # Deliveries go out side by side, in any order (the feed is the ordered view).
    bodies = sorted(
        (verifier.verify(body, headers) for headers, body in receiver.got),
        key=lambda b: str(b["data"]["id"]),
    )
    assert [b["data"] for b in bodies] == [
        {"id": "blk_1", "topic": "#1"},
        {"id": "blk_2", "topic": "#2"},
    ]
    assert {b["type"] for b in bodies} == {"block.created"}
    feed = user.ok("GET", "/v1/events", params={"types": "block.*"})
    assert sorted(h["webhook-id"] for h, _ in receiver.got) == sorted(e["id"] for e in feed)
    by_id = {e["id"]: e for e in feed}
    for headers, body in receiver.got:
        sent = json.loads(body)
        assert sent == {k: by_id[headers["webhook-id"]][k] for k in ("type", "timestamp", "data")}
    assert receiver.got[0][0]["content-type"] == "application/json"
    assert sorted(d["event_id"] for d in done) == sorted(e["id"] for e in feed)
    assert all(d["attempt"] == 1 and d["status_code"] == 204 and d["error"] is None for d in done)


def test_failures_are_retried_on_the_schedule_with_the_same_id(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers(statuses=[500, 503, 200])
    made = hook(user, receiver.url)
    write(db, user.user_id, block(1))
    with running(db, delays=(1, 1, 1)):
        until(lambda: first(user, made["id"]).get("status") == "succeeded", "a success")
    ids = {h["webhook-id"] for h, _ in receiver.got}
    assert len(receiver.got) == 3 and len(ids) == 1
    stamps = [int(h["webhook-timestamp"]) for h, _ in receiver.got]
    assert stamps == sorted(stamps) and stamps[-1] > stamps[0]  # a new signature each time
    entry = first(user, made["id"])
    assert entry["attempt"] == 3 and entry["status_code"] == 200


def test_a_delivery_that_fails_every_attempt_ends_failed_with_the_reason(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers(statuses=[410])
    made = hook(user, receiver.url)
    write(db, user.user_id, block(1))
    with running(db, delays=(1,)):
        entry = until(
            lambda: next((d for d in log(user, made["id"]) if d["status"] == "failed"), None),
            "the failure",
        )
    assert entry["attempt"] == 2 and entry["status_code"] == 410
    assert entry["error"] == "answered 410" and entry["next_attempt_at"] is None
    assert len(receiver.got) == 2


def test_a_slow_receiver_holds_up_no_other_webhook(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    gate = threading.Event()
    slow, fast = receivers(gate=gate), receivers()
    slow_hook, fast_hook = hook(user, slow.url), hook(user, fast.url)
    write(db, user.user_id, *(block(n) for n in range(10)))
    try:
        with running(db, concurrency=8):
            until(lambda: len(fast.got) == 10, "the fast receiver's ten deliveries")
            assert 1 <= len(slow.got) <= 4  # at most four in flight to one webhook
            gate.set()
            until(lambda: len(slow.got) == 10, "the slow receiver's deliveries")
            until(
                lambda: all(d["status"] == "succeeded" for d in log(user, slow_hook["id"])),
                "the slow log",
            )
    finally:
        gate.set()
    assert all(d["status"] == "succeeded" for d in log(user, fast_hook["id"]))


def test_an_attempt_without_an_answer_in_time_fails_and_is_retried(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    gate = threading.Event()
    receiver = receivers(gate=gate)
    made = hook(user, receiver.url)
    write(db, user.user_id, block(1))
    try:
        with running(db, attempt_seconds=0.5, delays=(3600,)):
            entry = until(
                lambda: next((d for d in log(user, made["id"]) if d["attempt"] == 1), None),
                "the first attempt",
            )
    finally:
        gate.set()
    assert entry["status"] == "pending" and entry["error"] == "no answer within 0.5 s"
    assert entry["status_code"] is None


def test_a_claim_held_by_a_dead_worker_comes_back_after_its_lease(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    made = hook(user, receiver.url)
    write(db, user.user_id, block(1))
    now = datetime.now(UTC)
    dispatch.dispatch(db, now)
    held = dispatch.claim(db, now, 10)
    assert [j.webhook_id for j in held] == [made["id"]]
    assert dispatch.claim(db, now, 10) == []  # leased: no other worker takes it
    # The worker that held it is gone; when the lease is over, another one sends it.
    later = now + dispatch.LEASE + timedelta(seconds=1)
    again = dispatch.claim(db, later, 10)
    assert [j.delivery_id for j in again] == [j.delivery_id for j in held]
    dispatch.release(db, datetime.now(UTC), again)  # handed back: due at once
    with running(db):
        until(lambda: receiver.got, "the delivery")


def test_ping_and_redeliver_send_again(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    made = hook(user, receiver.url, ["block.completed"])
    ping = user.ok("POST", f"/v1/webhooks/{made['id']}/ping", 202)
    with running(db):
        until(lambda: receiver.got, "the ping")
        until(lambda: first(user, made["id"]).get("status") == "succeeded", "the log")
        user.ok("POST", f"/v1/webhooks/{made['id']}/deliveries/{ping['id']}/redeliver", 202)
        until(lambda: len(receiver.got) == 2, "the redelivery")
    body = Verifier(made["secret"]).verify(receiver.got[1][1], receiver.got[1][0])
    assert body["type"] == "webhook.ping" and body["data"] == {"id": made["id"], "ping": True}


def test_private_addresses_are_refused_at_connection_time(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    made = hook(user, receiver.url)  # allowed when it was saved
    write(db, user.user_id, block(1))
    with running(db, allow_private=False, delays=(3600,)):
        entry = until(
            lambda: next((d for d in log(user, made["id"]) if d["attempt"]), None), "the attempt"
        )
    assert entry["error"].startswith("refused: 127.0.0.1 resolves to a loopback address")
    assert receiver.got == []


def test_a_webhook_failing_for_days_is_disabled_with_the_reason(
    db: Database, user: Persona
) -> None:
    made = hook(user, "http://127.0.0.1:9/never")
    start = datetime.now(UTC)
    for day in range(6):
        write(db, user.user_id, block(day))
        now = start + timedelta(days=day)
        dispatch.dispatch(db, now)
        for job in dispatch.claim(db, now + timedelta(hours=1), 10):
            dispatch.finish(db, now, job, Outcome(False, None, 3, "refused"), (60,))
    with db.read() as session:
        row = session.get(Webhook, made["id"])
        assert row is not None and row.active is False
        assert (
            row.disabled_reason is not None and "every delivery failed since" in row.disabled_reason
        )
    shown = user.ok("GET", f"/v1/webhooks/{made['id']}")
    assert shown["active"] is False and shown["disabled_reason"] == row.disabled_reason
    on = user.ok("PATCH", f"/v1/webhooks/{made['id']}", json={"active": True})
    assert on["disabled_reason"] is None


def test_the_dispatcher_passes_over_events_no_webhook_takes_and_counts_every_one(
    db: Database, user: Persona
) -> None:
    """Events of an account and mode without a webhook (here the sandbox) are counted, not
    turned into deliveries; the webhook's own, more than one round's worth among them,
    each become exactly one delivery."""
    made = hook(user, "http://127.0.0.1:9/unused")
    with db.write() as session:
        record(session, datetime.now(UTC), False, [block(n) for n in range(700)], [user.user_id])
    write(db, user.user_id, *[block(n) for n in range(dispatch.BATCH + 20)])
    with db.write() as session:
        record(session, datetime.now(UTC), False, [block(n) for n in range(30)], [user.user_id])
    now = datetime.now(UTC)
    counted: dict[str, int] = {}
    while found := dispatch.dispatch(db, now):
        for event_type, n in found.items():
            counted[event_type] = counted.get(event_type, 0) + n
    assert counted == {"block.created": 700 + dispatch.BATCH + 20 + 30}
    with db.read() as session:
        live = set(
            session.scalars(
                select(Event.id).where(Event.user_id == user.user_id, Event.livemode.is_(True))
            )
        )
    jobs = dispatch.claim(db, now, 10_000, per_webhook=10_000)
    assert {j.webhook_id for j in jobs} == {made["id"]}
    assert sorted(j.event_id for j in jobs) == sorted(live)
    assert len(live) == dispatch.BATCH + 20
