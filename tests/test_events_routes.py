"""Every mutating route of the OpenAPI document makes the events SPEC §3 lists, in the
transaction of its change: each is in the change feed after the call, its ``data`` equal
to what the API answered (a tombstone for a deletion), and a call that fails makes none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Persona, make_admin
from tests.test_sandbox import World, bodies, live_world, path_values, queries

Expect = Callable[[Any], list[str]]


def each(kind: str) -> Expect:
    """One ``kind`` event per resource in the answer (a list, or ``{"imported": ...}``)."""
    return lambda data: [kind] * len(data if isinstance(data, list) else data["deleted"])


def series(kind: str, block_kind: str) -> Expect:
    def expect(data: Any) -> list[str]:
        blocks = data["blocks"] if isinstance(data, dict) and "blocks" in data else data["deleted"]
        return [kind, *[block_kind] * len(blocks)]

    return expect


def fixed(*kinds: str) -> Expect:
    return lambda data: list(kinds)


NONE = fixed()
# (method, path) -> the events it makes, from its answer's data; and what to do first.
EVENTS: dict[tuple[str, str], Expect] = {
    ("PATCH", "/v1/me"): NONE,
    ("POST", "/v1/api-keys"): NONE,
    ("DELETE", "/v1/api-keys/{key_id}"): NONE,
    ("POST", "/v1/workspaces"): NONE,
    ("PATCH", "/v1/workspaces/{workspace_id}"): NONE,
    ("POST", "/v1/workspaces/{workspace_id}/members"): NONE,
    ("PATCH", "/v1/workspaces/{workspace_id}/members/{user_id}"): NONE,
    ("DELETE", "/v1/workspaces/{workspace_id}/members/{user_id}"): NONE,
    ("POST", "/v1/calendar/token"): NONE,
    ("POST", "/v1/webhooks"): NONE,
    ("PATCH", "/v1/webhooks/{webhook_id}"): NONE,
    ("DELETE", "/v1/webhooks/{webhook_id}"): NONE,
    ("POST", "/v1/webhooks/{webhook_id}/rotate-secret"): NONE,
    ("POST", "/v1/webhooks/{webhook_id}/ping"): NONE,
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): NONE,
    ("POST", "/v1/projects"): fixed("project.created"),
    ("PUT", "/v1/projects/{project_id}"): fixed("project.updated"),
    ("PATCH", "/v1/projects/{project_id}"): fixed("project.updated"),
    ("DELETE", "/v1/projects/{project_id}"): fixed("project.deleted"),
    ("POST", "/v1/projects/{project_id}/archive"): fixed("project.updated"),
    ("POST", "/v1/projects/{project_id}/unarchive"): fixed("project.updated"),
    ("POST", "/v1/clients"): fixed("client.created"),
    ("PUT", "/v1/clients/{client_id}"): fixed("client.updated"),
    ("PATCH", "/v1/clients/{client_id}"): fixed("client.updated"),
    ("DELETE", "/v1/clients/{client_id}"): fixed("client.deleted"),
    ("POST", "/v1/clients/{client_id}/contacts"): fixed("contact.created"),
    ("PUT", "/v1/clients/{client_id}/contacts/{contact_id}"): fixed("contact.updated"),
    ("PATCH", "/v1/clients/{client_id}/contacts/{contact_id}"): fixed("contact.updated"),
    ("DELETE", "/v1/clients/{client_id}/contacts/{contact_id}"): fixed("contact.deleted"),
    ("POST", "/v1/tasks"): fixed("task.created"),
    ("PUT", "/v1/tasks/{task_id}"): fixed("task.updated"),
    ("PATCH", "/v1/tasks/{task_id}"): fixed("task.updated"),
    ("DELETE", "/v1/tasks/{task_id}"): fixed("task.deleted"),
    ("POST", "/v1/tags"): fixed("tag.created"),
    ("PUT", "/v1/tags/{tag_id}"): fixed("tag.updated"),
    ("PATCH", "/v1/tags/{tag_id}"): fixed("tag.updated"),
    ("DELETE", "/v1/tags/{tag_id}"): fixed("tag.deleted"),
    ("POST", "/v1/blocks"): fixed("block.created"),
    ("PUT", "/v1/blocks/{block_id}"): fixed("block.updated"),
    ("PATCH", "/v1/blocks/{block_id}"): fixed("block.updated", "block.completed"),
    ("DELETE", "/v1/blocks/{block_id}"): fixed("block.deleted"),
    ("POST", "/v1/blocks/{block_id}/archive"): fixed("block.updated"),
    ("POST", "/v1/blocks/{block_id}/unarchive"): fixed("block.updated"),
    ("POST", "/v1/blocks/{block_id}/restore"): fixed("block.restored"),
    ("POST", "/v1/blocks/bulk"): each("block.created"),
    ("PATCH", "/v1/blocks/bulk"): lambda data: ["block.updated", "block.completed"] * len(data),
    ("DELETE", "/v1/blocks/bulk"): each("block.deleted"),
    ("POST", "/v1/blocks/series"): series("series.created", "block.created"),
    ("PATCH", "/v1/blocks/series/{series_id}"): series("series.updated", "block.updated"),
    ("DELETE", "/v1/blocks/series/{series_id}"): series("series.deleted", "block.deleted"),
    ("POST", "/v1/time-entries"): fixed("time_entry.created"),
    ("PUT", "/v1/time-entries/{entry_id}"): fixed("time_entry.updated"),
    ("PATCH", "/v1/time-entries/{entry_id}"): fixed("time_entry.updated"),
    ("DELETE", "/v1/time-entries/{entry_id}"): fixed("time_entry.deleted"),
    ("POST", "/v1/time-entries/bulk"): each("time_entry.created"),
    ("PATCH", "/v1/time-entries/bulk"): each("time_entry.updated"),
    ("DELETE", "/v1/time-entries/bulk"): each("time_entry.deleted"),
    ("POST", "/v1/time-entries/{entry_id}/submit"): fixed("time_entry.submitted"),
    ("POST", "/v1/time-entries/{entry_id}/approve"): fixed("time_entry.approved"),
    ("POST", "/v1/time-entries/{entry_id}/reject"): fixed("time_entry.rejected"),
    ("POST", "/v1/time-entries/{entry_id}/reopen"): fixed("time_entry.updated"),
    ("POST", "/v1/timer/start"): fixed("timer.started", "time_entry.created"),
    ("POST", "/v1/timer/stop"): fixed("timer.stopped", "time_entry.updated"),
    ("POST", "/v1/leads"): fixed("lead.created"),
    ("PUT", "/v1/leads/{lead_id}"): fixed("lead.updated"),
    ("PATCH", "/v1/leads/{lead_id}"): fixed("lead.updated"),
    ("DELETE", "/v1/leads/{lead_id}"): fixed("lead.deleted"),
    # The sweep's body asks for a deal: the client, its contact and the deal are made too.
    ("POST", "/v1/leads/{lead_id}/convert"): fixed(
        "lead.converted", "client.created", "contact.created", "deal.created"
    ),
    ("POST", "/v1/deals"): fixed("deal.created"),
    ("PUT", "/v1/deals/{deal_id}"): fixed("deal.updated"),
    ("PATCH", "/v1/deals/{deal_id}"): fixed("deal.updated"),
    ("DELETE", "/v1/deals/{deal_id}"): fixed("deal.deleted"),
    ("POST", "/v1/admin/version/dismiss"): NONE,
    ("POST", "/v1/imports/blocks"): lambda data: ["block.created"] * data["created"],
    ("POST", "/v1/imports/time-entries"): lambda data: [
        *(
            f"{kind}.created"
            for kind in ("project", "client", "task", "tag")
            for _ in data[f"{kind}s_created"]
        ),
        *["time_entry.created"] * data["created"],
    ],
}

# What a route needs done first, so that it changes something.
BEFORE: dict[tuple[str, str], Callable[[World], None]] = {
    ("POST", "/v1/blocks/{block_id}/unarchive"): lambda w: w.owner.ok(
        "POST", f"/v1/blocks/{w.ids['block_id']}/archive"
    ),
    ("POST", "/v1/blocks/{block_id}/restore"): lambda w: w.owner.ok(
        "DELETE", f"/v1/blocks/{w.ids['block_id']}"
    ),
    ("POST", "/v1/projects/{project_id}/unarchive"): lambda w: w.owner.ok(
        "POST", f"/v1/projects/{w.ids['project_id']}/archive"
    ),
    ("POST", "/v1/timer/stop"): lambda w: w.owner.ok("POST", "/v1/timer/start", 201),
    # The team's project has submitted time, so it cannot go: delete another one.
    ("DELETE", "/v1/projects/{project_id}"): lambda w: w.ids.update(
        project_id=w.owner.ok("POST", "/v1/projects", 201, json={"name": "Spare"})["id"]
    ),
    ("POST", "/v1/time-entries/{entry_id}/reopen"): lambda w: w.owner.ok(
        "POST", f"/v1/time-entries/{w.ids['entry_id']}/submit"
    ),
    # A client with deals stays: its deal goes first.
    ("DELETE", "/v1/clients/{client_id}"): lambda w: w.owner.ok(
        "DELETE", f"/v1/deals/{w.ids['deal_id']}"
    ),
    ("POST", "/v1/admin/version/dismiss"): lambda w: make_admin(w.owner),
}
# The entry a route acts on: the teammate's submitted one for a review.
SUBMITTED = {"/v1/time-entries/{entry_id}/approve", "/v1/time-entries/{entry_id}/reject"}


def feed(p: Persona, after: str | None) -> list[dict[str, Any]]:
    params = {"limit": 1000, **({"after": after} if after else {})}
    found: list[dict[str, Any]] = p.ok("GET", "/v1/events", params=params)
    return found


def resources(data: Any) -> dict[str, Any]:
    """Every resource in an answer, by id (a series' blocks too)."""
    found: dict[str, Any] = {}
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict) and "id" in item:
            found[item["id"]] = item
            for block in item.get("blocks", []):
                found[block["id"]] = block
    return found


def test_every_write_route_has_its_events_listed(app: Any) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}
    }
    assert sorted(routes - EVENTS.keys()) == [], "new write routes: list their events"
    assert sorted(EVENTS.keys() - routes) == [], "gone: remove them"


@pytest.mark.parametrize(("method", "path"), sorted(EVENTS), ids=lambda v: str(v))
def test_a_write_makes_its_events_with_the_answer_as_data(
    method: str, path: str, owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    world = live_world(owner, teammate, outsider)
    where = f"{method} {path}"
    if (method, path) in BEFORE:
        BEFORE[(method, path)](world)
    seen = feed(owner, None)
    cursor = seen[-1]["id"] if seen else None
    values = path_values(world, path)[-1 if path in SUBMITTED else 0]
    body = bodies(world).get(where, {})
    params = None if body else queries(world).get(where)  # bulk deletes: the ids in the body
    response = owner.request(method, path.format(**values), params=params, **body)
    assert response.status_code < 300, response.text
    data = response.json()["data"]
    made = feed(owner, cursor)
    assert sorted(e["type"] for e in made) == sorted(EVENTS[(method, path)](data))
    shown = resources(data)
    for event in made:
        if event["data"].get("deleted"):
            assert set(event["data"]) >= {"id", "deleted"}
        elif event["data"]["id"] in shown:
            assert event["data"] == shown[event["data"]["id"]], event["type"]
        else:
            assert event["type"].endswith("created"), event  # e.g. a project an import made


def test_a_write_that_fails_makes_no_event(owner: Persona) -> None:
    before = feed(owner, None)
    bad = {"blocks": [{"date": "2026-12-01", "start": "09:00", "end": "10:00"}, {"date": "x"}]}
    assert owner.post("/v1/blocks/bulk", json=bad).status_code == 400
    assert owner.post("/v1/projects", json={"name": ""}).status_code == 400
    assert feed(owner, None) == before
