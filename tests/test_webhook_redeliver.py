"""Redelivering sends a delivery again, but never while a worker may be sending it: one
attempt of a delivery at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import FrozenClock, Persona
from timeboxd.services.database import Database
from timeboxd.services.events import dispatch

HOOK = "https://93.184.215.14/hooks"


def test_redeliver_leaves_an_attempt_in_flight_to_its_worker(
    fresh_db: Database, clock: FrozenClock, loopback_persona: Persona
) -> None:
    # A database of its own: claims take whatever is due in the database.
    db, owner = fresh_db, loopback_persona
    now = datetime.now(UTC)
    clock.set(now)
    made = owner.ok("POST", "/v1/webhooks", 201, json={"url": HOOK})
    ping = owner.ok("POST", f"/v1/webhooks/{made['id']}/ping", 202)
    held = [j for j in dispatch.claim(db, now, 1000) if j.delivery_id == ping["id"]]
    assert held, "the worker holds the ping"
    again = owner.ok("POST", f"/v1/webhooks/{made['id']}/deliveries/{ping['id']}/redeliver", 202)
    assert again["status"] == "pending"
    # No second worker may take it while the first one sends it.
    assert ping["id"] not in {j.delivery_id for j in dispatch.claim(db, now, 1000)}
    dispatch.finish(db, now, held[0], dispatch.Outcome(False, 500, 3, "answered 500"), (3600,))
    failed_once = owner.ok("GET", f"/v1/webhooks/{made['id']}/deliveries")[0]
    assert failed_once["attempt"] == 1 and failed_once["error"] == "answered 500"
    # Waiting for its retry, it is no one's: redeliver makes it due now, attempts afresh.
    again = owner.ok("POST", f"/v1/webhooks/{made['id']}/deliveries/{ping['id']}/redeliver", 202)
    assert again["attempt"] == 0 and again["next_attempt_at"] is not None
    assert ping["id"] in {j.delivery_id for j in dispatch.claim(db, now, 1000)}
    owner.ok("DELETE", f"/v1/webhooks/{made['id']}")
