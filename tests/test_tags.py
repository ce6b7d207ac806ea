"""Tags through HTTP (SPEC §3): CRUD with ETags, names unique without regard to case,
what deleting a tag does to tasks and entries, roles, tenants and the sandbox."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from tests.conftest import Persona, RealServer, assert_error
from tests.factories import new_tag, team_of


def test_tag_crud_with_etags(owner: Persona) -> None:
    response = owner.post("/v1/tags", json={"name": "exam", "color": "#aa00FF"})
    assert response.status_code == 201
    tag = response.json()["data"]
    assert tag["id"].startswith("tag_") and tag["color"] == "#aa00FF"
    url = f"/v1/tags/{tag['id']}"
    first = response.headers["etag"]
    assert owner.get(url).headers["etag"] == first

    renamed = owner.patch(url, json={"name": "exams"}, headers={"If-Match": first})
    assert renamed.status_code == 200
    assert renamed.json()["data"] == {**tag, "name": "exams", "updated_at": tag["updated_at"]}
    assert_error(
        owner.patch(url, json={"name": "x"}, headers={"If-Match": first}),
        412,
        "PRECONDITION_FAILED",
        "If-Match",
    )
    replaced = owner.ok("PUT", url, json={"name": "Exams"})
    assert replaced["color"] is None  # PUT replaces: no color sent, none kept
    assert_error(owner.delete(url, headers={"If-Match": first}), 412, "PRECONDITION_FAILED")
    owner.ok("DELETE", url, headers={"If-Match": "*"})
    assert_error(owner.get(url), 404, "NOT_FOUND")


def test_tag_names_are_unique_without_case(owner: Persona) -> None:
    exam = new_tag(owner, "Exam", color="#FF0000")
    assert_error(owner.post("/v1/tags", json={"name": "exam"}), 409, "CONFLICT", "name")
    assert_error(owner.post("/v1/tags", json={"name": " EXAM "}), 409, "CONFLICT", "name")
    other = new_tag(owner, "Reading")
    url = f"/v1/tags/{other['id']}"
    assert_error(owner.patch(url, json={"name": "EXAM"}), 409, "CONFLICT", "name")
    assert_error(owner.put(url, json={"name": "exam"}), 409, "CONFLICT", "name")
    renamed = owner.ok("PATCH", f"/v1/tags/{exam['id']}", json={"name": "exam"})
    assert renamed["name"] == "exam" and renamed["color"] == "#FF0000"
    assert [t["name"] for t in owner.ok("GET", "/v1/tags")] == ["exam", "Reading"]
    # Once deleted, the name is free again.
    owner.ok("DELETE", f"/v1/tags/{exam['id']}")
    assert new_tag(owner, "EXAM")["name"] == "EXAM"


def test_tag_list_pages(owner: Persona) -> None:
    for name in ("c", "a", "b"):
        new_tag(owner, name)
    body = owner.get("/v1/tags?page=1&per_page=2").json()
    assert [t["name"] for t in body["data"]] == ["a", "b"]
    assert body["meta"] | {"request_id": None, "timestamp": None} == {
        "request_id": None,
        "timestamp": None,
        "page": 1,
        "per_page": 2,
        "total": 3,
        "has_more": True,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "\t "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "color": "red"}, "color"),
        ({"name": "x", "color": "#12345"}, "color"),
        ({"name": "x", "colour": "#123456"}, "colour"),
        ({"name": "x", "workspace_id": "wsp_nope"}, "workspace_id"),
    ],
)
def test_tag_validation_names_the_field(owner: Persona, body: Any, field: str) -> None:
    assert_error(owner.post("/v1/tags", json=body), 400, "VALIDATION_ERROR", field)


def test_tag_patch_cannot_null_the_name(owner: Persona) -> None:
    tag = new_tag(owner, "x", color="#000000")
    url = f"/v1/tags/{tag['id']}"
    assert_error(owner.patch(url, json={"name": None}), 400, "VALIDATION_ERROR", "name")
    assert owner.ok("PATCH", url, json={"color": None})["color"] is None


def test_deleting_a_tag_takes_it_off_tasks_and_entries(owner: Persona) -> None:
    deep, kept = new_tag(owner, "deep"), new_tag(owner, "kept")
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Thesis"})
    made = owner.post(
        "/v1/tasks",
        json={"project_id": project["id"], "name": "Draft", "tag_ids": [deep["id"], kept["id"]]},
    )
    task = made.json()["data"]
    entry = owner.post(
        "/v1/time-entries",
        json={
            "project_id": project["id"],
            "task_id": task["id"],
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:00:00Z",
            "tag_ids": [deep["id"]],
        },
    )
    owner.ok("DELETE", f"/v1/tags/{deep['id']}")

    task_now = owner.get(f"/v1/tasks/{task['id']}")
    assert task_now.json()["data"]["tag_ids"] == [kept["id"]]
    assert task_now.json()["data"]["name"] == "Draft"
    assert task_now.headers["etag"] != made.headers["etag"]
    entry_now = owner.get(f"/v1/time-entries/{entry.json()['data']['id']}")
    assert entry_now.json()["data"]["tag_ids"] == []
    assert entry_now.json()["data"]["duration_seconds"] == 3600
    assert entry_now.headers["etag"] != entry.headers["etag"]
    assert owner.ok("GET", f"/v1/tasks?tag_id={deep['id']}") == []
    assert [t["id"] for t in owner.ok("GET", "/v1/tags")] == [kept["id"]]


def test_members_use_shared_tags_but_only_managers_change_them(
    owner: Persona, teammate: Persona
) -> None:
    team = team_of(owner, teammate)
    tag = new_tag(owner, "shared", workspace_id=team)
    url = f"/v1/tags/{tag['id']}"
    assert teammate.ok("GET", url)["workspace_id"] == team
    assert [t["id"] for t in teammate.ok("GET", f"/v1/tags?workspace_id={team}")] == [tag["id"]]
    for response in (
        teammate.post("/v1/tags", json={"name": "mine", "workspace_id": team}),
        teammate.patch(url, json={"name": "x"}),
        teammate.put(url, json={"name": "x"}),
        teammate.delete(url),
    ):
        assert_error(response, 403, "FORBIDDEN")
    assert owner.ok("GET", url)["name"] == "shared"

    # ...but a member tags the workspace's tasks with them.
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "P", "workspace_id": team})
    task = teammate.ok(
        "POST",
        "/v1/tasks",
        201,
        json={"project_id": project["id"], "name": "t", "tag_ids": [tag["id"]]},
    )
    assert task["tag_ids"] == [tag["id"]]


def test_admins_manage_shared_tags(owner: Persona, teammate: Persona) -> None:
    team = team_of(owner, teammate, role="admin")
    tag = new_tag(teammate, "by-admin", workspace_id=team)
    owner.ok("PATCH", f"/v1/tags/{tag['id']}", json={"color": "#000000"})
    teammate.ok("DELETE", f"/v1/tags/{tag['id']}")


def test_tags_of_one_workspace_do_not_go_on_another(owner: Persona, teammate: Persona) -> None:
    team = team_of(owner, teammate, role="admin")
    personal = new_tag(owner, "personal")
    shared_project = owner.ok(
        "POST", "/v1/projects", 201, json={"name": "Team", "workspace_id": team}
    )
    response = owner.post(
        "/v1/tasks",
        json={"project_id": shared_project["id"], "name": "t", "tag_ids": [personal["id"]]},
    )
    assert_error(response, 400, "VALIDATION_ERROR", "tag_ids")
    # The same name may live in two workspaces.
    assert new_tag(owner, "personal", workspace_id=team)["workspace_id"] == team


def test_outsiders_get_not_found(owner: Persona, outsider: Persona) -> None:
    tag = new_tag(owner, "private")
    url = f"/v1/tags/{tag['id']}"
    assert_error(outsider.get(url), 404, "NOT_FOUND")
    assert_error(outsider.patch(url, json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(outsider.put(url, json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(outsider.delete(url), 404, "NOT_FOUND")
    assert outsider.ok("GET", "/v1/tags") == []
    assert_error(
        outsider.post("/v1/tags", json={"name": "x", "workspace_id": tag["workspace_id"]}),
        400,
        "VALIDATION_ERROR",
        "workspace_id",
    )
    # Nor can an outsider put someone else's tag on their own task.
    project = outsider.ok("POST", "/v1/projects", 201, json={"name": "Mine"})
    response = outsider.post(
        "/v1/tasks", json={"project_id": project["id"], "name": "t", "tag_ids": [tag["id"]]}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "tag_ids")


def test_sandbox_and_live_tags_are_apart(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    live = new_tag(owner, "Live")
    test = new_tag(sandbox, "Live")  # the same name is fine in the other mode
    assert [t["id"] for t in sandbox.ok("GET", "/v1/tags")] == [test["id"]]
    assert [t["id"] for t in owner.ok("GET", "/v1/tags")] == [live["id"]]
    assert_error(owner.get(f"/v1/tags/{test['id']}"), 404, "NOT_FOUND")
    assert_error(sandbox.delete(f"/v1/tags/{live['id']}"), 404, "NOT_FOUND")
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "P"})
    response = owner.post(
        "/v1/tasks", json={"project_id": project["id"], "name": "t", "tag_ids": [test["id"]]}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "tag_ids")


def test_scopes(owner: Persona) -> None:
    reader = owner.as_key(owner.new_key(scopes=["read:projects"]))
    assert reader.ok("GET", "/v1/tags") == []
    assert_error(reader.post("/v1/tags", json={"name": "x"}), 403, "FORBIDDEN")
    blocks_only = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert_error(blocks_only.get("/v1/tags"), 403, "FORBIDDEN")


@pytest.mark.slow
def test_simultaneous_creates_of_one_name_make_one_tag(
    real_server: RealServer,
) -> None:
    """Against a real server with two workers: the name check and the unique index on the
    lower-cased name together give one tag and a 409 on ``name`` for everyone else, never
    a 500."""
    base, headers = real_server.base, real_server.new_user()
    racers = 16
    barrier = threading.Barrier(racers)
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    # One name in eight spellings: the check and the index both ignore case.
    names = ["race", "Race", "RACE", "rAce", "raCe", "racE", "RAce", "rACe"] * 2

    def race(name: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            http.get("/v1/me")  # connect first, so the creates go out together
            barrier.wait()
            response = http.post("/v1/tags", json={"name": name})
            with lock:
                answers.append(response)

    threads = [threading.Thread(target=race, args=(name,)) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201] + [409] * (racers - 1), statuses
    for response in answers:
        if response.status_code == 409:
            assert_error(response, 409, "CONFLICT", "name")
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        assert [t["name"].lower() for t in http.get("/v1/tags").json()["data"]] == ["race"]
