"""/v1/webhooks (SPEC §3 "Events"): CRUD, the secret shown once, rotation, ping and the
delivery log; targets checked at creation; owners, modes and scopes kept apart."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error

HOOK = "https://93.184.215.14/hooks"  # a public address, so no DNS is needed


def new_webhook(p: Persona, **body: Any) -> dict[str, Any]:
    response = p.post("/v1/webhooks", json={"url": HOOK, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["data"]
    created["etag"] = response.headers["ETag"]
    return created


def test_create_shows_the_secret_once_and_reads_never_do(owner: Persona) -> None:
    made = new_webhook(owner, events=["block.*", "timer.started"], description="sync")
    assert made["secret"].startswith("whsec_") and made["id"].startswith("whk_")
    assert made["events"] == ["block.*", "timer.started"] and made["active"] is True
    assert made["disabled_reason"] is None
    read = owner.ok("GET", f"/v1/webhooks/{made['id']}")
    assert "secret" not in read and read["description"] == "sync"
    listed = owner.ok("GET", "/v1/webhooks")
    assert [w["id"] for w in listed] == [made["id"]] and "secret" not in listed[0]
    assert new_webhook(owner)["events"] == ["*"]


def test_rotation_gives_a_new_secret_and_a_new_etag(owner: Persona) -> None:
    made = new_webhook(owner)
    stale = owner.post(f"/v1/webhooks/{made['id']}/rotate-secret", headers={"If-Match": '"x.1"'})
    assert_error(stale, 412, "PRECONDITION_FAILED", "If-Match")
    rotated = owner.post(f"/v1/webhooks/{made['id']}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json()["data"]["secret"] not in (made["secret"], None)
    assert rotated.headers["ETag"] != made["etag"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1:9000/hook"}, "url"),
        ({"url": "http://localhost/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://[::ffff:10.0.0.1]/hook"}, "url"),
        ({"url": "ftp://93.184.215.14/x"}, "url"),
        ({"url": "https://u:p@93.184.215.14/x"}, "url"),
        ({"url": ""}, "url"),
        ({"url": HOOK, "events": []}, "events"),
        ({"url": HOOK, "events": ["block.exploded"]}, "events"),
        ({"url": HOOK, "events": ["block.*,timer.*"]}, "events"),
        ({"url": HOOK, "secret": "whsec_mine"}, "secret"),
    ],
)
def test_bad_targets_and_subscriptions_are_refused(
    owner: Persona, body: dict[str, Any], field: str
) -> None:
    assert_error(owner.post("/v1/webhooks", json=body), 400, "VALIDATION_ERROR", field)
    assert owner.ok("GET", "/v1/webhooks") == []


def test_patch_checks_the_new_url_and_turning_on_clears_the_reason(owner: Persona) -> None:
    made = new_webhook(owner)
    path = f"/v1/webhooks/{made['id']}"
    assert_error(
        owner.patch(path, json={"url": "http://10.1.1.1/"}), 400, "VALIDATION_ERROR", "url"
    )
    assert_error(owner.patch(path, json={"active": None}), 400, "VALIDATION_ERROR", "active")
    off = owner.ok("PATCH", path, json={"active": False, "events": ["tag.*", "tag.*"]})
    assert off["active"] is False and off["events"] == ["tag.*"]
    on = owner.ok("PATCH", path, json={"active": True, "url": "https://93.184.215.15/h"})
    assert on["active"] is True and on["url"] == "https://93.184.215.15/h"
    assert_error(owner.delete(path, headers={"If-Match": made["etag"]}), 412, "PRECONDITION_FAILED")
    assert owner.ok("DELETE", path) is None
    assert_error(owner.get(path), 404, "NOT_FOUND")


def test_ping_queues_a_delivery_in_the_log_and_redeliver_queues_it_again(owner: Persona) -> None:
    made = new_webhook(owner, events=["block.created"])
    queued = owner.ok("POST", f"/v1/webhooks/{made['id']}/ping", 202)
    assert queued["type"] == "webhook.ping" and queued["status"] == "pending"
    assert queued["attempt"] == 0 and queued["next_attempt_at"] is not None
    log = owner.ok("GET", f"/v1/webhooks/{made['id']}/deliveries")
    assert [d["id"] for d in log] == [queued["id"]]
    assert (
        owner.ok("GET", f"/v1/webhooks/{made['id']}/deliveries", params={"status": "failed"}) == []
    )
    bad = owner.get(f"/v1/webhooks/{made['id']}/deliveries", params={"status": "lost"})
    assert_error(bad, 400, "VALIDATION_ERROR", "status")
    again = owner.ok("POST", f"/v1/webhooks/{made['id']}/deliveries/{queued['id']}/redeliver", 202)
    assert again["id"] == queued["id"] and again["status"] == "pending"
    # The ping is no change of a resource: it stays out of the change feed.
    assert owner.ok("GET", "/v1/events") == []


def test_other_accounts_modes_and_scopes_see_nothing(owner: Persona, outsider: Persona) -> None:
    made = new_webhook(owner)
    delivery = owner.ok("POST", f"/v1/webhooks/{made['id']}/ping", 202)["id"]
    sandbox = owner.as_key(owner.new_key(test=True))
    for other in (outsider, sandbox):
        assert other.ok("GET", "/v1/webhooks") == []
        for method, path in (
            ("GET", f"/v1/webhooks/{made['id']}"),
            ("PATCH", f"/v1/webhooks/{made['id']}"),
            ("DELETE", f"/v1/webhooks/{made['id']}"),
            ("POST", f"/v1/webhooks/{made['id']}/rotate-secret"),
            ("POST", f"/v1/webhooks/{made['id']}/ping"),
            ("GET", f"/v1/webhooks/{made['id']}/deliveries"),
            ("POST", f"/v1/webhooks/{made['id']}/deliveries/{delivery}/redeliver"),
        ):
            body = {"json": {"description": "x"}} if method == "PATCH" else {}
            assert_error(other.request(method, path, **body), 404, "NOT_FOUND")
    sandboxed = new_webhook(sandbox)
    assert [w["id"] for w in sandbox.ok("GET", "/v1/webhooks")] == [sandboxed["id"]]
    assert [w["id"] for w in owner.ok("GET", "/v1/webhooks")] == [made["id"]]
    reader = owner.as_key(owner.new_key(scopes=["read:webhooks"]))
    assert len(reader.ok("GET", "/v1/webhooks")) == 1
    assert_error(reader.post("/v1/webhooks", json={"url": HOOK}), 403, "FORBIDDEN")
    blocks_only = owner.as_key(owner.new_key(scopes=["read:blocks", "write:blocks"]))
    assert_error(blocks_only.get("/v1/webhooks"), 403, "FORBIDDEN")


def test_an_operator_may_allow_private_targets(loopback_persona: Persona) -> None:
    private_allowed = loopback_persona
    made = new_webhook(private_allowed, url="http://127.0.0.1:9000/hook")
    assert made["url"] == "http://127.0.0.1:9000/hook"
