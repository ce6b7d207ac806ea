"""API keys (SPEC §2 Auth): both headers, every way a key is refused, shown once, stored
hashed, scopes, expiry, revocation and last use. Sandbox isolation is in test_isolation.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import FrozenClock, Persona, assert_error
from timeboxd.domain.keys import hash_key


def keys_of(p: Persona) -> list[dict[str, Any]]:
    return list(p.ok("GET", "/v1/api-keys"))


def test_bearer_and_x_api_key_both_work(owner: Persona) -> None:
    client = owner.client
    for headers in (
        {"Authorization": f"Bearer {owner.key}"},
        {"Authorization": f"bearer {owner.key}"},
        {"X-API-Key": owner.key},
    ):
        response = client.get("/v1/me", headers=headers)
        assert response.status_code == 200, (headers, response.text)
        assert response.json()["data"]["email"] == owner.email


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer tbx_live_short"},
        {"Authorization": "Bearer sk_live_0123456789abcdefghijklmnopqrstuv"},
        {"X-API-Key": "tbx_live_" + "A" * 32},  # well formed, never issued
        {"X-API-Key": "tbx_live_" + "!" * 32},
    ],
)
def test_missing_malformed_and_unknown_keys_are_401(owner: Persona, headers: Any) -> None:
    response = owner.client.get("/v1/blocks", headers=headers)
    error = assert_error(response, 401, "UNAUTHORIZED")
    assert owner.key not in str(error)


def test_a_key_is_shown_once_and_stored_hashed(owner: Persona, db: Any) -> None:
    created = owner.ok(
        "POST", "/v1/api-keys", 201, json={"name": "script", "scopes": ["read:blocks"]}
    )
    secret = created["key"]
    assert secret.startswith("tbx_live_") and len(secret) == len("tbx_live_") + 32
    assert created["prefix"] == secret[:13] and created["scopes"] == ["read:blocks"]

    listed = {k["id"]: k for k in keys_of(owner)}
    assert "key" not in listed[created["id"]]
    assert listed[created["id"]]["prefix"] == created["prefix"]
    assert secret not in owner.get("/v1/api-keys").text

    with db.engine.connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": created["id"]})
            .mappings()
            .one()
        )
    assert row["key_hash"] == hash_key(secret)
    assert secret not in {str(v) for v in row.values()}

    reader = owner.as_key(secret)
    assert reader.get("/v1/blocks").status_code == 200


def test_new_key_takes_the_mode_asked_for(owner: Persona) -> None:
    test_key = owner.ok("POST", "/v1/api-keys", 201, json={"mode": "test"})
    assert test_key["key"].startswith("tbx_test_") and test_key["mode"] == "test"
    sandbox = owner.as_key(test_key["key"])
    assert sandbox.ok("POST", "/v1/api-keys", 201, json={})["mode"] == "test"


def test_scopes_limit_what_a_key_does(owner: Persona) -> None:
    reader = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert reader.get("/v1/blocks").status_code == 200
    block = {"date": "2026-11-25", "start": "09:00", "end": "10:00"}
    assert_error(reader.post("/v1/blocks", json=block), 403, "FORBIDDEN")
    assert_error(reader.get("/v1/projects"), 403, "FORBIDDEN")
    assert_error(reader.get("/v1/api-keys"), 403, "FORBIDDEN")
    assert reader.get("/v1/me").status_code == 200  # any valid key reads its own profile


def test_unknown_scopes_are_refused(owner: Persona) -> None:
    response = owner.post("/v1/api-keys", json={"scopes": ["read:everything"]})
    assert_error(response, 400, "VALIDATION_ERROR", "scopes")


def test_a_revoked_key_stops_working_at_once(owner: Persona) -> None:
    created = owner.ok("POST", "/v1/api-keys", 201, json={"name": "old laptop"})
    other = owner.as_key(created["key"])
    assert other.get("/v1/me").status_code == 200
    revoked = owner.ok("DELETE", f"/v1/api-keys/{created['id']}")
    assert revoked["revoked_at"] is not None
    assert_error(other.get("/v1/me"), 401, "UNAUTHORIZED")
    # Revoking again changes nothing; the key stays listed as revoked.
    assert (
        owner.ok("DELETE", f"/v1/api-keys/{created['id']}")["revoked_at"] == revoked["revoked_at"]
    )


def test_another_users_key_cannot_be_revoked(owner: Persona, outsider: Persona) -> None:
    theirs = outsider.ok("POST", "/v1/api-keys", 201, json={})
    assert_error(owner.delete(f"/v1/api-keys/{theirs['id']}"), 404, "NOT_FOUND")
    assert outsider.as_key(theirs["key"]).get("/v1/me").status_code == 200
    assert theirs["id"] not in {k["id"] for k in keys_of(owner)}


def test_an_expired_key_is_refused(owner: Persona, clock: FrozenClock) -> None:
    created = owner.ok("POST", "/v1/api-keys", 201, json={"expires_in_days": 1})
    short = owner.as_key(created["key"])
    assert short.get("/v1/me").status_code == 200
    clock.set(clock() + timedelta(days=1, seconds=1))
    error = assert_error(short.get("/v1/me"), 401, "UNAUTHORIZED")
    assert "expired" in error["message"]


def test_last_used_at_is_recorded_and_throttled(owner: Persona, clock: FrozenClock) -> None:
    created = owner.ok("POST", "/v1/api-keys", 201, json={})
    assert created["last_used_at"] is None
    used = owner.as_key(created["key"])

    def last_used() -> str | None:
        found = [k for k in keys_of(owner) if k["id"] == created["id"]]
        return found[0]["last_used_at"]

    used.get("/v1/me")
    first = last_used()
    assert first is not None
    clock.set(clock() + timedelta(seconds=30))
    used.get("/v1/me")
    assert last_used() == first  # written at most once a minute per key
    clock.set(clock() + timedelta(seconds=61))
    used.get("/v1/me")
    assert last_used() != first


def test_a_test_key_cannot_make_or_touch_live_keys(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    error = assert_error(sandbox.post("/v1/api-keys", json={"mode": "live"}), 403, "FORBIDDEN")
    assert error["field"] == "mode"
    assert {k["mode"] for k in keys_of(sandbox)} == {"test"}
    live_id = next(k["id"] for k in keys_of(owner) if k["prefix"] == owner.key[:13])
    assert_error(sandbox.delete(f"/v1/api-keys/{live_id}"), 404, "NOT_FOUND")
    assert owner.get("/v1/me").status_code == 200
    # A live key manages both kinds: it may make a sandbox key and sees it listed.
    made = owner.ok("POST", "/v1/api-keys", 201, json={"mode": "test"})
    assert made["id"] in {k["id"] for k in keys_of(owner)}
    assert made["id"] in {k["id"] for k in keys_of(sandbox)}


def test_a_key_grants_no_more_than_it_holds(owner: Persona) -> None:
    admin_only = owner.as_key(owner.new_key(scopes=["admin"]))
    for scopes in (["*"], ["admin", "write:blocks"]):
        response = admin_only.post("/v1/api-keys", json={"scopes": scopes})
        assert_error(response, 403, "FORBIDDEN", "scopes")
    # Without scopes, a new key takes those of the key that makes it.
    assert admin_only.ok("POST", "/v1/api-keys", 201, json={})["scopes"] == ["admin"]
    assert owner.ok("POST", "/v1/api-keys", 201, json={})["scopes"] == ["*"]
    narrower = owner.ok("POST", "/v1/api-keys", 201, json={"scopes": ["read:blocks", "admin"]})
    assert narrower["scopes"] == ["admin", "read:blocks"]


def test_every_refused_key_gets_the_same_answer(owner: Persona, clock: FrozenClock) -> None:
    """Revoked, expired, unknown and malformed keys are told apart by nobody: a leaked
    key's answer does not say whether it ever existed."""
    revoked = owner.ok("POST", "/v1/api-keys", 201, json={})
    owner.ok("DELETE", f"/v1/api-keys/{revoked['id']}")
    expiring = owner.ok("POST", "/v1/api-keys", 201, json={"expires_in_days": 1})
    clock.set(clock() + timedelta(days=2))
    refused = {
        "revoked": revoked["key"],
        "expired": expiring["key"],
        "unknown": "tbx_live_" + "A" * 32,
        "malformed": "tbx_live_short",
    }
    messages = {
        why: assert_error(
            owner.client.get("/v1/me", headers={"X-API-Key": key}), 401, "UNAUTHORIZED"
        )["message"]
        for why, key in refused.items()
    }
    assert set(messages.values()) == {"invalid or expired API key"}, messages
