"""``Idempotency-Key`` on POST (SPEC §2, docs/api.md "Writes")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import FrozenClock, Persona, assert_error


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
