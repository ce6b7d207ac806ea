"""A receiver that is down for days, on a clock the test moves: the default retry schedule
keeps every delivery pending for longer than a webhook may fail before it is turned off,
and the first delivery that gets through brings the backlog forward, so the receiver gets
every event once it is back."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from standardwebhooks import Webhook as Verifier

from tests.conftest import Persona
from tests.receivers import WAIT, Receiver
from tests.test_webhook_delivery import block, hook, log, until, write
from timeboxd.config import Settings
from timeboxd.services.database import Database
from timeboxd.services.events import dispatch
from timeboxd.services.events.worker import Worker


@pytest.fixture
def db(fresh_db: Database) -> Database:
    """The test's own database: its worker delivers whatever it finds there."""
    return fresh_db


@pytest.fixture
def user(loopback_persona: Persona) -> Persona:
    return loopback_persona


@contextmanager
def worker_on(db: Database, clock: Callable[[], datetime]) -> Iterator[Worker]:
    worker = Worker(
        db,
        clock,
        delays=Settings().retry_delays,  # the default schedule, as shipped
        allow_private=True,
        retention_days=30,
        poll_seconds=0.02,
    )
    thread = threading.Thread(target=anyio.run, args=(worker.run,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(WAIT)
        assert not thread.is_alive()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def settled(p: Persona, webhook_id: str, worker: Worker, now: datetime) -> list[dict[str, Any]]:
    """The log once the worker has done all that is due at ``now``: no attempt in hand and
    every pending delivery waiting for a later retry (not merely leased)."""

    def quiet() -> list[dict[str, Any]] | None:
        entries = log(p, webhook_id)
        for d in entries:
            if d["status"] == "pending":
                due = at(d["next_attempt_at"])
                if due <= now or due == now + dispatch.LEASE:
                    return None
        return None if worker._in_hand else entries

    found: list[dict[str, Any]] = until(quiet, "the worker to settle")
    return found


def test_a_receiver_down_for_days_gets_every_event_once_back(
    db: Database, user: Persona, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers(statuses=[503])
    made = hook(user, receiver.url)
    start = datetime.now(UTC)
    now = [start]
    write(db, user.user_id, block(1), block(2), block(3))
    with worker_on(db, lambda: now[0]) as worker:
        while True:
            entries = settled(user, made["id"], worker, now[0])
            assert len(entries) == 3
            if now[0] - start >= timedelta(days=3):
                break
            waiting = [at(d["next_attempt_at"]) for d in entries if d["status"] == "pending"]
            assert waiting, f"every delivery ended while the receiver was down: {entries}"
            now[0] = min(waiting)
        assert {d["status"] for d in entries} == {"pending"}
        assert all(d["attempt"] >= 8 and d["error"] == "answered 503" for d in entries)
        shown = user.ok("GET", f"/v1/webhooks/{made['id']}")
        assert shown["active"] is True and shown["disabled_reason"] is None
        down = len(receiver.got)
        receiver.statuses[:] = [204]  # back, three days later
        write(db, user.user_id, block(4))
        until(
            lambda: (
                len(log(user, made["id"])) == 4
                and all(d["status"] == "succeeded" for d in log(user, made["id"]))
            ),
            "every event, without waiting for the next scheduled retry",
        )
    # Signed at the worker's time, three days on: checked without the library's check of
    # the timestamp against this machine's clock.
    signer = Verifier(made["secret"])
    back = []
    for headers, body in receiver.got[down:]:
        stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
        assert stamp > start + timedelta(days=2)
        signature = signer.sign(headers["webhook-id"], stamp, body.decode())
        assert signature == headers["webhook-signature"]
        back.append(json.loads(body))
    assert sorted(b["data"]["id"] for b in back) == ["blk_1", "blk_2", "blk_3", "blk_4"]
    assert len(receiver.got) == down + 4
