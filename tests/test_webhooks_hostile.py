"""Bad input on the webhook and feed routes gets the envelope with the field at fault,
never a 500; another account's or mode's ids and cursors are unknown."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error

HOOK = "https://93.184.215.14/hooks"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://" + "a" * 300 + ".example/"}, "url"),  # a DNS label is 63 at most
        ({"url": "https://" + ".".join(["a" * 60] * 5) + "/"}, "url"),
        ({"url": "https://93.184.215.14:0/h"}, "url"),
        ({"url": HOOK, "events": [5]}, "events"),
        ({"url": HOOK, "events": [None]}, "events"),
        ({"url": HOOK, "events": [""]}, "events"),
        ({"url": HOOK, "events": ["block." + "x" * 100]}, "events"),
        ({"url": HOOK, "events": ["block.*"] * 51}, "events"),
        ({"url": HOOK, "events": "block.*"}, "events"),
        ({"url": HOOK, "description": "d" * 501}, "description"),
        ({"url": HOOK, "active": None}, "active"),
    ],
)
def test_bad_webhook_bodies_name_their_field(
    owner: Persona, body: dict[str, Any], field: str
) -> None:
    error = assert_error(owner.post("/v1/webhooks", json=body), 400, "VALIDATION_ERROR", field)
    assert "item(s) failed" not in error["message"]
    made = owner.ok("POST", "/v1/webhooks", 201, json={"url": HOOK})
    patched = owner.patch(f"/v1/webhooks/{made['id']}", json=body)
    assert_error(patched, 400, "VALIDATION_ERROR", field)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"types": ",".join(["block.*"] * 500)}, "types"),
        ({"types": "webhook.ping"}, "types"),
        ({"types": "BLOCK.*"}, "types"),
        ({"types": "\x00"}, "types"),
        ({"after": "evt_" + "!" * 20}, "after"),
        ({"after": "x" * 5000}, "after"),
        ({"limit": "1e3"}, "limit"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_feed_queries_name_their_field(
    owner: Persona, params: dict[str, str], field: str
) -> None:
    assert_error(owner.get("/v1/events", params=params), 400, "VALIDATION_ERROR", field)


def test_a_test_key_and_other_accounts_do_not_follow_a_live_cursor(
    owner: Persona, outsider: Persona
) -> None:
    owner.ok("POST", "/v1/tags", 201, json={"name": "live"})
    live = owner.ok("GET", "/v1/events")
    assert live
    sandbox = owner.as_key(owner.new_key(test=True))
    sandbox.ok("POST", "/v1/tags", 201, json={"name": "sandboxed"})
    sandboxed = sandbox.ok("GET", "/v1/events")
    assert [e["data"]["name"] for e in sandboxed] == ["sandboxed"]
    for reader, foreign in ((sandbox, live[-1]), (outsider, live[-1]), (owner, sandboxed[-1])):
        answer = reader.get("/v1/events", params={"after": foreign["id"]})
        assert_error(answer, 410, "CURSOR_EXPIRED", "after")
    webhook = owner.ok("POST", "/v1/webhooks", 201, json={"url": HOOK})
    ping = owner.ok("POST", f"/v1/webhooks/{webhook['id']}/ping", 202)
    theirs = outsider.ok("POST", "/v1/webhooks", 201, json={"url": HOOK})
    # Another account's delivery, through one's own webhook, is no delivery of it.
    other = outsider.post(f"/v1/webhooks/{theirs['id']}/deliveries/{ping['id']}/redeliver")
    assert_error(other, 404, "NOT_FOUND")
