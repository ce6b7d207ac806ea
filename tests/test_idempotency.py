"""``Idempotency-Key`` on POST (SPEC §2, docs/api.md "Writes")."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from tests.conftest import FrozenClock, Persona, assert_error, make_settings
from timeboxd.api.app import create_app
from timeboxd.db.models import IdempotencyRecord
from timeboxd.services import idempotency
from timeboxd.services.catalog import projects
from timeboxd.services.database import Database


def projects_named(p: Persona, name: str) -> list[str]:
    return [x["id"] for x in p.ok("GET", "/v1/projects") if x["name"] == name]


def post_project(p: Persona, key: str, name: str) -> Any:
    return p.post("/v1/projects", json={"name": name}, headers={"Idempotency-Key": key})


def test_a_retry_replays_the_first_response(owner: Persona) -> None:
    first = post_project(owner, "create-physics-1", "Physics")
    again = post_project(owner, "create-physics-1", "Physics")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(projects_named(owner, "Physics")) == 1


def test_the_same_key_with_another_body_is_a_conflict(owner: Persona) -> None:
    assert post_project(owner, "k-2", "Chemistry").status_code == 201
    error = assert_error(post_project(owner, "k-2", "Biology"), 409, "CONFLICT")
    assert "Idempotency-Key" in error["message"] or error.get("field") == "Idempotency-Key"
    assert projects_named(owner, "Biology") == []


def test_keys_belong_to_the_api_key_that_sent_them(owner: Persona, outsider: Persona) -> None:
    second = owner.as_key(owner.new_key())
    post_project(owner, "shared-name", "History")
    post_project(second, "shared-name", "History")
    assert len(projects_named(owner, "History")) == 2
    assert post_project(outsider, "shared-name", "History").status_code == 201
    assert len(projects_named(outsider, "History")) == 1


def test_a_failed_request_can_be_corrected_and_retried(owner: Persona) -> None:
    bad = owner.post(
        "/v1/projects", json={"name": "Art", "colour": "red"}, headers={"Idempotency-Key": "k-3"}
    )
    assert_error(bad, 400, "VALIDATION_ERROR", "colour")
    good = post_project(owner, "k-3", "Art")
    assert good.status_code == 201
    assert "idempotent-replayed" not in good.headers


def test_keys_are_kept_for_a_day(owner: Persona, clock: FrozenClock) -> None:
    first = post_project(owner, "k-4", "Music")
    clock.set(clock() + timedelta(hours=23))
    assert post_project(owner, "k-4", "Music").headers["idempotent-replayed"] == "true"
    clock.set(clock() + timedelta(hours=2))
    later = post_project(owner, "k-4", "Music")
    assert later.status_code == 201
    assert later.json()["data"]["id"] != first.json()["data"]["id"]


def test_the_key_must_be_1_to_255_characters(owner: Persona) -> None:
    response = post_project(owner, "x" * 256, "Latin")
    assert_error(response, 400, "VALIDATION_ERROR", "Idempotency-Key")
    assert projects_named(owner, "Latin") == []


def test_other_methods_ignore_the_header(owner: Persona) -> None:
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Greek"})
    for name in ("Greek I", "Greek II"):
        response = owner.patch(
            f"/v1/projects/{project['id']}", json={"name": name}, headers={"Idempotency-Key": "p"}
        )
        assert response.status_code == 200 and response.json()["data"]["name"] == name


def test_a_replay_carries_the_request_id_of_its_body(owner: Persona) -> None:
    first = post_project(owner, "k-5", "Dutch")
    again = post_project(owner, "k-5", "Dutch")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["meta"]["request_id"] == again.headers["x-request-id"]
    assert again.headers["x-request-id"] == first.headers["x-request-id"]


def test_a_revoked_key_gets_no_replay(owner: Persona) -> None:
    created = owner.ok("POST", "/v1/api-keys", 201, json={"name": "script"})
    script = owner.as_key(created["key"])
    assert post_project(script, "k-6", "Welsh").status_code == 201
    owner.ok("DELETE", f"/v1/api-keys/{created['id']}")
    assert_error(post_project(script, "k-6", "Welsh"), 401, "UNAUTHORIZED")


def test_the_key_is_checked_before_the_idempotency_key(owner: Persona, db: Database) -> None:
    stranger = owner.as_key("tbx_live_" + "Z" * 32)
    assert_error(post_project(stranger, "x" * 300, "Irish"), 401, "UNAUTHORIZED")
    assert_error(post_project(stranger, "k-7", "Irish"), 401, "UNAUTHORIZED")
    reader = owner.as_key(owner.new_key(scopes=["read:projects"]))
    assert_error(post_project(reader, "k-7", "Irish"), 403, "FORBIDDEN")
    with db.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM idempotency_records WHERE key = 'k-7'")
        ).scalar_one()
    assert stored == 0  # refused requests claim nothing


def test_a_request_still_running_makes_a_retry_a_conflict(
    owner: Persona, db: Database, clock: FrozenClock
) -> None:
    body = b'{"name": "Basque"}'
    key_id = next(k["id"] for k in owner.ok("GET", "/v1/api-keys") if k["prefix"] == owner.key[:13])
    # The first request has claimed the key and not answered yet.
    idempotency.begin(db, key_id, "k-8", "first request's fingerprint", clock())
    response = owner.post(
        "/v1/projects",
        content=body,
        headers={"Idempotency-Key": "k-8", "Content-Type": "application/json"},
    )
    assert_error(response, 409, "CONFLICT", "Idempotency-Key")
    assert projects_named(owner, "Basque") == []


def test_replays_count_against_the_rate_limit(
    db: Database, clock: FrozenClock, owner: Persona, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path, rate_limit_per_minute=2), db=db, clock=clock)
    headers = {**owner.headers, "Idempotency-Key": "k-9"}
    with TestClient(app) as client:
        first = client.post("/v1/projects", json={"name": "Czech"}, headers=headers)
        again = client.post("/v1/projects", json={"name": "Czech"}, headers=headers)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["ratelimit-remaining"] == "0"
        refused = client.post("/v1/projects", json={"name": "Czech"}, headers=headers)
    assert first.status_code == 201
    assert_error(refused, 429, "RATE_LIMITED")


def test_a_new_api_keys_secret_is_never_stored_for_a_replay(owner: Persona, db: Database) -> None:
    headers = {"Idempotency-Key": "new-key-1"}
    first = owner.post("/v1/api-keys", json={"name": "ci"}, headers=headers)
    again = owner.post("/v1/api-keys", json={"name": "ci"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    # Shown once: a retry makes another key rather than showing the first one again.
    assert first.json()["data"]["key"] != again.json()["data"]["key"]
    with db.engine.connect() as conn:
        bodies = conn.execute(text("SELECT body FROM idempotency_records")).scalars().all()
    secret = first.json()["data"]["key"].encode()
    assert not any(secret in bytes(b) for b in bodies)


def test_a_claim_left_by_a_crashed_request_expires_after_its_lease(
    owner: Persona, db: Database, clock: FrozenClock
) -> None:
    key_id = next(k["id"] for k in owner.ok("GET", "/v1/api-keys") if k["prefix"] == owner.key[:13])
    # What a request that died before answering leaves behind: its pending claim.
    with db.engine.begin() as conn:
        conn.execute(
            insert(IdempotencyRecord).values(
                owner=key_id,
                key="k-10",
                fingerprint="crashed",
                status_code=0,
                body=b"",
                created_at=clock(),
            )
        )
    assert_error(post_project(owner, "k-10", "Breton"), 409, "CONFLICT", "Idempotency-Key")
    clock.set(clock() + idempotency.LEASE + timedelta(seconds=1))
    retry = post_project(owner, "k-10", "Breton")
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers
    again = post_project(owner, "k-10", "Breton")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == retry.content
    assert len(projects_named(owner, "Breton")) == 1


def test_a_twin_of_a_request_in_flight_is_a_conflict(
    owner: Persona, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    create = projects.create_project

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        started.set()
        assert release.wait(60)
        return create(*args, **kwargs)

    monkeypatch.setattr(projects, "create_project", slow_create)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(post_project, owner, "k-11", "Cornish")
        try:
            assert started.wait(60)
            twin = post_project(owner, "k-11", "Cornish")
        finally:
            release.set()
        answered = first.result(timeout=60)
    assert_error(twin, 409, "CONFLICT", "Idempotency-Key")
    assert answered.status_code == 201
    monkeypatch.setattr(projects, "create_project", create)
    assert post_project(owner, "k-11", "Cornish").headers["idempotent-replayed"] == "true"
    assert len(projects_named(owner, "Cornish")) == 1
