"""GET /v1/events: the change feed (SPEC §3 "Events"), in commit order from a cursor,
filtered by type and by the key's scopes, per account and mode; and, against many
concurrent writers, a reader following the cursor sees every committed event once."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text

from tests.conftest import Persona, assert_error
from timeboxd.db.events import Event
from timeboxd.services.context import Principal
from timeboxd.services.database import Database
from timeboxd.services.events import feed
from timeboxd.services.outbox import Change, record

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def write(db: Database, user_id: str, *changes: Change, livemode: bool = True) -> None:
    with db.write() as session:
        record(session, NOW, livemode, list(changes), [user_id])


def block(n: int, kind: str = "created") -> Change:
    return Change(f"block.{kind}", f"blk_{n:020d}", {"id": f"blk_{n:020d}", "topic": f"#{n}"})


def events(p: Persona, **params: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    response = p.get("/v1/events", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["data"], body["meta"]


def test_the_feed_pages_from_a_cursor_in_order(owner: Persona, db: Database) -> None:
    write(db, owner.user_id, block(1), block(2), block(1, "updated"))
    write(db, owner.user_id, block(2, "completed"))
    page, meta = events(owner, limit=3)
    assert [(e["type"], e["data"]["id"][-1]) for e in page] == [
        ("block.created", "1"),
        ("block.created", "2"),
        ("block.updated", "1"),
    ]
    assert page[0]["id"].startswith("evt_") and page[0]["timestamp"] == "2026-12-02T09:00:00Z"
    assert page[0]["data"] == {"id": "blk_00000000000000000001", "topic": "#1"}
    assert meta["next"] == page[-1]["id"] and meta["has_more"] is True
    rest, meta = events(owner, after=meta["next"])
    assert [e["type"] for e in rest] == ["block.completed"] and meta["has_more"] is False
    nothing, again = events(owner, after=meta["next"])
    assert nothing == [] and again["next"] == meta["next"] and again["has_more"] is False


def test_types_filter_by_name_and_wildcard(owner: Persona, db: Database) -> None:
    write(
        db,
        owner.user_id,
        block(1),
        Change("project.created", "prj_1", {"id": "prj_1"}),
        Change("timer.started", "ent_1", {"id": "ent_1"}),
        Change.deleted("block.deleted", "blk_1", date="2026-12-02"),
    )
    assert [e["type"] for e in events(owner, types="block.*")[0]] == [
        "block.created",
        "block.deleted",
    ]
    found = events(owner, types="timer.started, project.*")[0]
    assert [e["type"] for e in found] == ["project.created", "timer.started"]
    tombstone = events(owner, types="block.deleted")[0][0]["data"]
    assert tombstone == {"id": "blk_1", "deleted": True, "date": "2026-12-02"}
    assert len(events(owner, types="*")[0]) == 4
    for bad in ("block", "blocks.*", "block.exploded", "*.created", "block.*,nope"):
        assert_error(
            owner.get("/v1/events", params={"types": bad}), 400, "VALIDATION_ERROR", "types"
        )


def test_a_key_sees_only_the_types_its_scopes_read(owner: Persona, db: Database) -> None:
    write(
        db,
        owner.user_id,
        block(1),
        Change("tag.created", "tag_1", {"id": "tag_1"}),
        Change("time_entry.approved", "ent_1", {"id": "ent_1"}),
    )
    projects_only = owner.as_key(owner.new_key(scopes=["read:projects"]))
    assert [e["type"] for e in events(projects_only)[0]] == ["tag.created"]
    assert events(projects_only, types="block.*")[0] == []
    entries = owner.as_key(owner.new_key(scopes=["read:time_entries", "read:blocks"]))
    assert [e["type"] for e in events(entries)[0]] == ["block.created", "time_entry.approved"]


def test_accounts_and_modes_never_see_each_others_events(
    owner: Persona, outsider: Persona, db: Database
) -> None:
    write(db, owner.user_id, block(1))
    write(db, owner.user_id, block(2), livemode=False)
    live = events(owner)[0]
    assert [e["data"]["id"][-1] for e in live] == ["1"]
    sandbox = owner.as_key(owner.new_key(test=True))
    assert [e["data"]["id"][-1] for e in events(sandbox)[0]] == ["2"]
    assert events(outsider)[0] == []
    # Another account's event id is no cursor: the same answer as an expired one.
    response = outsider.get("/v1/events", params={"after": live[0]["id"]})
    assert_error(response, 410, "CURSOR_EXPIRED", "after")
    assert_error(sandbox.get("/v1/events", params={"after": live[0]["id"]}), 410, "CURSOR_EXPIRED")


def test_an_expired_cursor_is_410_and_a_malformed_one_400(owner: Persona, db: Database) -> None:
    write(db, owner.user_id, block(1), block(2))
    first = events(owner)[0][0]["id"]
    with db.write() as session:
        session.query(Event).filter(Event.id == first).delete()
    error = assert_error(owner.get("/v1/events", params={"after": first}), 410, "CURSOR_EXPIRED")
    assert "resynchronise" in error["message"]
    for bad in ("evt_", "blk_00000000000000000000", "x" * 41):
        assert_error(
            owner.get("/v1/events", params={"after": bad}), 400, "VALIDATION_ERROR", "after"
        )
    for limit in ("0", "1001", "x"):
        response = owner.get("/v1/events", params={"limit": limit})
        assert_error(response, 400, "VALIDATION_ERROR", "limit")


def test_a_reader_following_the_cursor_sees_every_committed_event_once(
    db: Database, owner: Persona
) -> None:
    """Writers take their positions in one order and commit in another (some roll back);
    a reader polling the feed meanwhile must neither skip nor repeat an event."""
    principal = Principal(owner.user_id, True, frozenset({"*"}), None, "UTC", "monday")
    committed: list[str] = []
    lock = threading.Lock()
    writing = threading.Event()
    writing.set()
    postgres = db.engine.dialect.name == "postgresql"

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        for n in range(25):
            change = block(seed * 1000 + n)
            try:
                with db.write() as session:
                    if postgres:  # take the transaction id early, the position later
                        session.execute(text("SELECT pg_current_xact_id()"))
                    time.sleep(rng.random() * 0.01)
                    record(session, NOW, True, [change], [owner.user_id])
                    time.sleep(rng.random() * 0.01)
                    if rng.random() < 0.2:
                        raise RuntimeError("rolled back")
                with lock:
                    committed.append(change.resource_id)
            except RuntimeError:
                pass

    seen: list[str] = []

    def reader() -> None:
        after: str | None = None
        while True:
            done = not writing.is_set()  # read once more after the writers stopped
            with db.read() as session:
                page = feed.read(session, principal, after, ["*"], 50)
            seen.extend(orjson.loads(orjson.dumps(e.data))["id"] for e in page.events)
            after = page.next
            if done and not page.has_more:
                return

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8 if postgres else 3)]
    following = threading.Thread(target=reader)
    following.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writing.clear()
    following.join(timeout=120)
    assert not following.is_alive()
    assert len(seen) == len(set(seen)), "an event was handed out twice"
    assert sorted(seen) == sorted(committed), "an event was skipped or a rolled-back one shown"
