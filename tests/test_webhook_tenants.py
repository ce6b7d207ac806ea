"""Three accounts, one shared workspace: the owner, a teammate in the owner's workspace and
an outsider. The change feed and the webhooks of each carry what that account may read:
the teammate gets the shared project's events but never the owner's blocks or entries,
and no webhook receives another account's events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import FrozenClock, Persona, assert_error, new_persona
from tests.factories import new_block, new_entry, new_project, team_of
from tests.receivers import Receiver
from tests.test_webhook_delivery import log, running, until
from timeboxd.services.database import Database


def feed(p: Persona) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = p.ok("GET", "/v1/events", params={"limit": 1000})
    return found


def got(receiver: Receiver) -> list[dict[str, Any]]:
    return [{"id": h["webhook-id"], **json.loads(body)} for h, body in receiver.got]


def test_feeds_and_webhooks_of_three_accounts_keep_to_their_own(
    fresh_db: Database,
    loopback_client: TestClient,
    clock: FrozenClock,
    receivers: Callable[..., Receiver],
) -> None:
    db, client = fresh_db, loopback_client
    owner, teammate, outsider = (new_persona(client, db) for _ in range(3))
    inbox = {p.user_id: receivers() for p in (owner, teammate, outsider)}
    hooks = {
        p.user_id: p.ok("POST", "/v1/webhooks", 201, json={"url": inbox[p.user_id].url})
        for p in (owner, teammate, outsider)
    }
    workspace = team_of(owner, teammate)
    shared = new_project(owner, "Shared", workspace_id=workspace)
    private = new_project(owner, "Private")
    owner_block = new_block(owner, topic="owner's plan")
    owner_entry = new_entry(
        owner, "2026-11-24T08:00:00Z", "2026-11-24T09:00:00Z", project_id=shared["id"]
    )
    owner.ok("PATCH", f"/v1/projects/{shared['id']}", json={"name": "Shared, renamed"})
    mine = new_block(teammate, topic="teammate's plan")
    theirs = new_block(outsider, topic="outsider's plan")

    owned = {owner_block["id"], owner_entry["id"], private["id"]}
    for_teammate = feed(teammate)
    seen = {e["data"]["id"] for e in for_teammate}
    assert shared["id"] in seen and mine["id"] in seen
    assert not seen & (owned | {theirs["id"]})
    renamed = [e for e in for_teammate if e["type"] == "project.updated"]
    assert [e["data"]["name"] for e in renamed] == ["Shared, renamed"]
    assert {e["data"]["id"] for e in feed(outsider)} == {theirs["id"]}
    owners = {e["data"]["id"] for e in feed(owner)}
    assert owned | {shared["id"]} <= owners and not owners & {mine["id"], theirs["id"]}

    # Another account's cursor is no place in one's own feed.
    for p in (teammate, outsider):
        for event in feed(owner):
            if event["data"]["id"] in owned:
                answer = p.get("/v1/events", params={"after": event["id"]})
                assert_error(answer, 410, "CURSOR_EXPIRED")
        for other in (owner, teammate, outsider):
            if other is p:
                continue
            where = f"/v1/webhooks/{hooks[other.user_id]['id']}"
            assert_error(p.get(where), 404, "NOT_FOUND")
            assert_error(p.get(f"{where}/deliveries"), 404, "NOT_FOUND")

    with running(db):
        for p in (owner, teammate, outsider):
            count = len(feed(p))
            until(
                lambda p=p, count=count: (
                    len(got(inbox[p.user_id])) == count
                    and all(d["status"] == "succeeded" for d in log(p, hooks[p.user_id]["id"]))
                ),
                "every delivery",
            )
    for p in (owner, teammate, outsider):
        delivered = got(inbox[p.user_id])
        assert sorted(d["id"] for d in delivered) == sorted(e["id"] for e in feed(p))
        assert {d["type"] for d in delivered} <= {e["type"] for e in feed(p)}
    to_teammate = {d["data"]["id"] for d in got(inbox[teammate.user_id])}
    assert shared["id"] in to_teammate and not to_teammate & (owned | {theirs["id"]})
    assert {d["data"]["id"] for d in got(inbox[outsider.user_id])} == {theirs["id"]}
    for p in (owner, teammate, outsider):
        p.ok("DELETE", f"/v1/webhooks/{hooks[p.user_id]['id']}")
