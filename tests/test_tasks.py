"""Tasks through HTTP (SPEC §3): CRUD with ETags, defaults and tags, filters and pages,
the blocks of a task, what deleting or moving a task does, roles, tenants and the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import new_block, new_project, new_task, team_of


def test_task_crud_with_defaults_tags_and_etag(owner: Persona) -> None:
    prj = new_project(owner)
    tags = [owner.ok("POST", "/v1/tags", 201, json={"name": n})["id"] for n in ("a", "b")]
    response = owner.post(
        "/v1/tasks",
        json={
            "project_id": prj["id"],
            "name": " Chapter 2 ",
            "due_date": "2026-12-01",
            "tag_ids": [tags[1], tags[0], tags[1]],
        },
    )
    assert response.status_code == 201
    task = response.json()["data"]
    assert task["id"].startswith("tsk_") and task["name"] == "Chapter 2"
    assert (task["status"], task["priority"], task["notes"]) == ("todo", "normal", "")
    assert task["estimated_minutes"] is None and task["due_date"] == "2026-12-01"
    assert task["tag_ids"] == sorted(tags)  # repeats dropped
    url = f"/v1/tasks/{task['id']}"
    assert owner.get(url).headers["etag"] == response.headers["etag"]
    assert owner.ok("GET", url) == task

    changed = owner.patch(
        url,
        json={"status": "in_progress", "estimated_minutes": 90, "tag_ids": [tags[1]]},
        headers={"If-Match": response.headers["etag"]},
    )
    data = changed.json()["data"]
    assert data["status"] == "in_progress" and data["tag_ids"] == [tags[1]]
    assert data["estimated_minutes"] == 90 and data["due_date"] == "2026-12-01"
    assert data["priority"] == "normal" and data["name"] == "Chapter 2"
    assert changed.headers["etag"] != response.headers["etag"]
    stale = owner.patch(
        url, json={"status": "done"}, headers={"If-Match": response.headers["etag"]}
    )
    assert_error(stale, 412, "PRECONDITION_FAILED", "If-Match")
    assert owner.ok("GET", url)["status"] == "in_progress"

    # PUT replaces every field: what is left out returns to its default.
    replaced = owner.ok("PUT", url, json={"project_id": prj["id"], "name": "Ch. 2"})
    assert replaced["tag_ids"] == [] and replaced["due_date"] is None
    assert replaced["status"] == "todo" and replaced["estimated_minutes"] is None
    # PATCH clears optional fields with null.
    owner.ok("PATCH", url, json={"due_date": "2026-12-24", "estimated_minutes": 30})
    cleared = owner.ok("PATCH", url, json={"due_date": None, "estimated_minutes": None})
    assert cleared["due_date"] is None and cleared["estimated_minutes"] is None

    assert_error(owner.delete(url, headers={"If-Match": '"tsk_x.1"'}), 412, "PRECONDITION_FAILED")
    owner.ok("DELETE", url)
    assert_error(owner.get(url), 404, "NOT_FOUND")
    assert_error(owner.patch(url, json={"name": "x"}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "project_id"),
        ({"project_id": "prj_nope", "name": "x"}, "project_id"),
        ({"name": " "}, "name"),
        ({}, "name"),
        ({"name": "x", "status": "blocked"}, "status"),
        ({"name": "x", "priority": "asap"}, "priority"),
        ({"name": "x", "estimated_minutes": -5}, "estimated_minutes"),
        ({"name": "x", "estimated_minutes": 1.5}, "estimated_minutes"),
        ({"name": "x", "estimated_minutes": True}, "estimated_minutes"),
        ({"name": "x", "estimated_minutes": "90"}, "estimated_minutes"),
        ({"name": "x", "estimated_minutes": 1_000_001}, "estimated_minutes"),
        ({"name": "x", "due_date": "2026-02-30"}, "due_date"),
        ({"name": "x", "due_date": "tomorrow"}, "due_date"),
        ({"name": "x", "tag_ids": ["tag_nope"]}, "tag_ids"),
        ({"name": "x", "tag_ids": "tag_a"}, "tag_ids"),
        ({"name": "x", "tag_ids": [1]}, "tag_ids"),
        ({"name": "x", "tag_ids": [f"tag_{i}" for i in range(51)]}, "tag_ids"),
        ({"name": "x", "assignee": "me"}, "assignee"),
    ],
)
def test_task_validation_names_the_field(owner: Persona, body: Any, field: str) -> None:
    prj = new_project(owner)
    if field != "project_id":
        body = {"project_id": prj["id"], **body}
    response = owner.post("/v1/tasks", json=body)
    error = assert_error(response, 400, "VALIDATION_ERROR", field)
    assert "details" not in error
    assert owner.ok("GET", "/v1/tasks") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"status": None}, "status"),
        ({"priority": None}, "priority"),
        ({"project_id": None}, "project_id"),
        ({"tag_ids": None}, "tag_ids"),
        ({"project_id": "prj_nope"}, "project_id"),
        ({"status": "finished"}, "status"),
    ],
)
def test_task_patch_validation_names_the_field(owner: Persona, body: Any, field: str) -> None:
    task = new_task(owner, new_project(owner)["id"])
    response = owner.patch(f"/v1/tasks/{task['id']}", json=body)
    assert_error(response, 400, "VALIDATION_ERROR", field)
    assert owner.ok("GET", f"/v1/tasks/{task['id']}") == task


def test_task_filters_and_order(owner: Persona) -> None:
    a, b = new_project(owner, "A"), new_project(owner, "B")
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "urgent-tag"})
    t1 = new_task(owner, a["id"], "one", status="done", due_date="2026-12-03")["id"]
    t2 = new_task(
        owner, a["id"], "two", priority="urgent", tag_ids=[tag["id"]], due_date="2026-11-30"
    )["id"]
    t3 = new_task(owner, b["id"], "Three", tag_ids=[tag["id"]])["id"]
    t4 = new_task(owner, b["id"], "four", status="in_progress")["id"]

    def ids(query: str) -> list[str]:
        return [t["id"] for t in owner.ok("GET", f"/v1/tasks{query}")]

    assert ids("") == [t2, t1, t4, t3]  # soonest due first, then undated by name
    assert ids(f"?project_id={a['id']}") == [t2, t1]
    assert ids("?status=done") == [t1]
    assert ids("?status=in_progress") == [t4]
    assert ids("?priority=urgent") == [t2]
    assert ids(f"?tag_id={tag['id']}") == [t2, t3]
    assert ids(f"?tag_id={tag['id']}&project_id={b['id']}") == [t3]
    assert ids(f"?status=todo&project_id={b['id']}") == [t3]
    assert ids("?due_before=2026-12-01") == [t2]
    assert ids("?project_id=prj_unknown") == []
    assert ids("?tag_id=tag_unknown") == []

    page = owner.get("/v1/tasks?per_page=3&page=2").json()
    assert [t["id"] for t in page["data"]] == [t3]
    assert page["meta"]["total"] == 4 and page["meta"]["has_more"] is False
    first = owner.get("/v1/tasks?per_page=3").json()["meta"]
    assert first["page"] == 1 and first["has_more"] is True and first["total"] == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=blocked", "status"),
        ("priority=soon", "priority"),
        ("due_before=2026-13-01", "due_before"),
        ("page=0", "page"),
        ("per_page=1001", "per_page"),
    ],
)
def test_task_list_refuses_bad_filters(owner: Persona, query: str, field: str) -> None:
    assert_error(owner.get(f"/v1/tasks?{query}"), 400, "VALIDATION_ERROR", field)


# -- the blocks of a task ------------------------------------------------------------------


def test_task_blocks_lists_the_blocks_of_one_task(owner: Persona) -> None:
    prj = new_project(owner)
    task = new_task(owner, prj["id"], "Essay")
    other = new_task(owner, prj["id"], "Other")
    later = new_block(owner, "2026-11-26", project_id=prj["id"], task_id=task["id"])
    sooner = new_block(owner, "2026-11-25", project_id=prj["id"], task_id=task["id"])
    new_block(owner, "2026-11-25", "11:00", project_id=prj["id"], task_id=other["id"])
    new_block(owner, "2026-11-25", "13:00")

    response = owner.get(f"/v1/tasks/{task['id']}/blocks")
    assert response.status_code == 200
    body = response.json()
    assert [b["id"] for b in body["data"]] == [sooner["id"], later["id"]]
    # The same shape as GET /v1/blocks.
    listed = owner.ok("GET", f"/v1/blocks?task_id={task['id']}")
    assert body["data"] == listed
    assert body["meta"]["total"] == 2 and body["meta"]["has_more"] is False

    assert [b["id"] for b in owner.ok("GET", f"/v1/tasks/{task['id']}/blocks?date=2026-11-26")] == [
        later["id"]
    ]
    newest = owner.get(f"/v1/tasks/{task['id']}/blocks?order_by=-date&per_page=1").json()
    assert [b["id"] for b in newest["data"]] == [later["id"]]
    assert newest["meta"]["has_more"] is True and newest["meta"]["total"] == 2
    # A task_id in the query does not widen the route to another task.
    assert [
        b["id"] for b in owner.ok("GET", f"/v1/tasks/{task['id']}/blocks?task_id={other['id']}")
    ] == [
        sooner["id"],
        later["id"],
    ]
    assert owner.ok("GET", f"/v1/tasks/{new_task(owner, prj['id'])['id']}/blocks") == []
    assert_error(
        owner.get(f"/v1/tasks/{task['id']}/blocks?date=2026-02-30"), 400, "VALIDATION_ERROR", "date"
    )


def test_task_blocks_of_others_are_not_found(owner: Persona, outsider: Persona) -> None:
    task = new_task(owner, new_project(owner)["id"])
    assert_error(outsider.get(f"/v1/tasks/{task['id']}/blocks"), 404, "NOT_FOUND")
    assert_error(owner.get("/v1/tasks/tsk_nope/blocks"), 404, "NOT_FOUND")
    sandbox = owner.as_key(owner.new_key(test=True))
    assert_error(sandbox.get(f"/v1/tasks/{task['id']}/blocks"), 404, "NOT_FOUND")


def test_each_member_sees_their_own_blocks_of_a_shared_task(
    owner: Persona, teammate: Persona
) -> None:
    team = team_of(owner, teammate)
    prj = new_project(owner, "Team", workspace_id=team)
    task = new_task(owner, prj["id"], "Poster")
    mine = new_block(owner, "2026-11-25", project_id=prj["id"], task_id=task["id"])
    theirs = new_block(teammate, "2026-11-25", "14:00", project_id=prj["id"], task_id=task["id"])
    assert [b["id"] for b in owner.ok("GET", f"/v1/tasks/{task['id']}/blocks")] == [mine["id"]]
    assert [b["id"] for b in teammate.ok("GET", f"/v1/tasks/{task['id']}/blocks")] == [theirs["id"]]


def test_task_blocks_need_the_blocks_scope(owner: Persona) -> None:
    task = new_task(owner, new_project(owner)["id"])
    projects_only = owner.as_key(owner.new_key(scopes=["read:projects"]))
    assert_error(projects_only.get(f"/v1/tasks/{task['id']}/blocks"), 403, "FORBIDDEN")
    blocks_reader = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert blocks_reader.ok("GET", f"/v1/tasks/{task['id']}/blocks") == []


# -- deleting and moving -------------------------------------------------------------------


def test_deleting_a_task_keeps_its_blocks_and_entries(owner: Persona) -> None:
    prj = new_project(owner)
    task = new_task(owner, prj["id"], "Lab")
    made = owner.post(
        "/v1/blocks",
        json={
            "date": "2026-11-25",
            "start": "09:00",
            "end": "10:00",
            "project_id": prj["id"],
            "task_id": task["id"],
        },
    )
    entry = owner.ok(
        "POST",
        "/v1/time-entries",
        201,
        json={
            "project_id": prj["id"],
            "task_id": task["id"],
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:30:00Z",
        },
    )
    owner.ok("DELETE", f"/v1/tasks/{task['id']}")

    kept = owner.get(f"/v1/blocks/{made.json()['data']['id']}")
    assert kept.json()["data"]["task_id"] is None
    assert kept.json()["data"]["project_id"] == prj["id"]
    assert kept.headers["etag"] != made.headers["etag"]  # the block changed
    tracked = owner.ok("GET", f"/v1/time-entries/{entry['id']}")
    assert tracked["task_id"] is None and tracked["duration_seconds"] == 5400
    assert owner.ok("GET", f"/v1/tasks?project_id={prj['id']}") == []


def test_a_task_with_blocks_or_entries_stays_in_its_project(owner: Persona) -> None:
    a, b = new_project(owner, "A"), new_project(owner, "B")
    free = new_task(owner, a["id"], "free")
    moved = owner.ok("PATCH", f"/v1/tasks/{free['id']}", json={"project_id": b["id"]})
    assert moved["project_id"] == b["id"]
    assert owner.ok("GET", f"/v1/tasks?project_id={b['id']}")[0]["id"] == free["id"]

    planned = new_task(owner, a["id"], "planned")
    new_block(owner, "2026-11-25", project_id=a["id"], task_id=planned["id"])
    tracked = new_task(owner, a["id"], "tracked")
    owner.ok(
        "POST",
        "/v1/time-entries",
        201,
        json={
            "project_id": a["id"],
            "task_id": tracked["id"],
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:00:00Z",
        },
    )
    for task in (planned, tracked):
        response = owner.patch(f"/v1/tasks/{task['id']}", json={"project_id": b["id"]})
        assert_error(response, 409, "CONFLICT", "project_id")
        assert owner.ok("GET", f"/v1/tasks/{task['id']}")["project_id"] == a["id"]


def test_a_moved_task_keeps_only_tags_of_its_new_workspace(
    owner: Persona, teammate: Persona
) -> None:
    team = team_of(owner, teammate, role="admin")
    personal_tag = owner.ok("POST", "/v1/tags", 201, json={"name": "mine"})
    team_tag = owner.ok("POST", "/v1/tags", 201, json={"name": "ours", "workspace_id": team})
    task = new_task(owner, new_project(owner)["id"], tag_ids=[personal_tag["id"]])
    shared = new_project(owner, "Shared", workspace_id=team)

    response = owner.patch(f"/v1/tasks/{task['id']}", json={"project_id": shared["id"]})
    assert_error(response, 400, "VALIDATION_ERROR", "tag_ids")
    assert owner.ok("GET", f"/v1/tasks/{task['id']}")["tag_ids"] == [personal_tag["id"]]
    moved = owner.ok(
        "PATCH",
        f"/v1/tasks/{task['id']}",
        json={"project_id": shared["id"], "tag_ids": [team_tag["id"]]},
    )
    assert moved["project_id"] == shared["id"] and moved["tag_ids"] == [team_tag["id"]]
    assert teammate.ok("GET", f"/v1/tasks/{task['id']}")["name"] == "Draft"


# -- roles, tenants, sandbox, scopes --------------------------------------------------------


def test_members_plan_the_tasks_of_shared_projects(owner: Persona, teammate: Persona) -> None:
    team = team_of(owner, teammate)
    prj = new_project(owner, "Team project", workspace_id=team)
    by_owner = new_task(owner, prj["id"], "Outline")
    assert [t["id"] for t in teammate.ok("GET", "/v1/tasks")] == [by_owner["id"]]

    # Tasks are the work itself: any member who sees the project writes them.
    by_member = new_task(teammate, prj["id"], "Slides")
    assert (
        owner.ok("PATCH", f"/v1/tasks/{by_member['id']}", json={"status": "done"})["status"]
        == "done"
    )
    assert (
        teammate.ok(
            "PUT",
            f"/v1/tasks/{by_owner['id']}",
            json={"project_id": prj["id"], "name": "Outline v2"},
        )["name"]
        == "Outline v2"
    )
    teammate.ok("DELETE", f"/v1/tasks/{by_owner['id']}")
    assert [t["id"] for t in owner.ok("GET", "/v1/tasks")] == [by_member["id"]]
    # ...but not the project itself.
    assert_error(teammate.patch(f"/v1/projects/{prj['id']}", json={"name": "x"}), 403, "FORBIDDEN")


def test_a_member_who_leaves_no_longer_sees_the_tasks(owner: Persona, teammate: Persona) -> None:
    team = team_of(owner, teammate)
    task = new_task(owner, new_project(owner, workspace_id=team)["id"])
    owner.ok("DELETE", f"/v1/workspaces/{team}/members/{teammate.user_id}")
    assert_error(teammate.get(f"/v1/tasks/{task['id']}"), 404, "NOT_FOUND")
    assert teammate.ok("GET", "/v1/tasks") == []


def test_outsiders_get_not_found(owner: Persona, outsider: Persona) -> None:
    prj = new_project(owner)
    task = new_task(owner, prj["id"])
    url = f"/v1/tasks/{task['id']}"
    assert_error(outsider.get(url), 404, "NOT_FOUND")
    assert_error(outsider.patch(url, json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(outsider.put(url, json={"project_id": prj["id"], "name": "x"}), 404, "NOT_FOUND")
    assert_error(outsider.delete(url), 404, "NOT_FOUND")
    assert outsider.ok("GET", "/v1/tasks") == []
    assert outsider.ok("GET", f"/v1/tasks?project_id={prj['id']}") == []
    response = outsider.post("/v1/tasks", json={"project_id": prj["id"], "name": "x"})
    assert_error(response, 400, "VALIDATION_ERROR", "project_id")
    # Nor can the owner move a task into a project they cannot see.
    theirs = new_project(outsider, "Theirs")
    response = owner.patch(url, json={"project_id": theirs["id"]})
    assert_error(response, 400, "VALIDATION_ERROR", "project_id")
    assert owner.ok("GET", url) == task


def test_sandbox_and_live_tasks_are_apart(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    live_project = new_project(owner, "Live")
    live = new_task(owner, live_project["id"])
    assert sandbox.ok("GET", "/v1/tasks") == []
    assert_error(sandbox.get(f"/v1/tasks/{live['id']}"), 404, "NOT_FOUND")
    assert_error(sandbox.delete(f"/v1/tasks/{live['id']}"), 404, "NOT_FOUND")
    response = sandbox.post("/v1/tasks", json={"project_id": live_project["id"], "name": "x"})
    assert_error(response, 400, "VALIDATION_ERROR", "project_id")
    test = new_task(sandbox, new_project(sandbox, "Test")["id"])
    assert [t["id"] for t in sandbox.ok("GET", "/v1/tasks")] == [test["id"]]
    assert [t["id"] for t in owner.ok("GET", "/v1/tasks")] == [live["id"]]


def test_scopes(owner: Persona) -> None:
    task = new_task(owner, new_project(owner)["id"])
    reader = owner.as_key(owner.new_key(scopes=["read:projects"]))
    assert reader.ok("GET", f"/v1/tasks/{task['id']}")["id"] == task["id"]
    assert_error(reader.patch(f"/v1/tasks/{task['id']}", json={"name": "x"}), 403, "FORBIDDEN")
    assert_error(reader.delete(f"/v1/tasks/{task['id']}"), 403, "FORBIDDEN")
    blocks_only = owner.as_key(owner.new_key(scopes=["read:blocks", "write:blocks"]))
    assert_error(blocks_only.get("/v1/tasks"), 403, "FORBIDDEN")
    assert_error(
        blocks_only.post("/v1/tasks", json={"project_id": task["project_id"], "name": "x"}),
        403,
        "FORBIDDEN",
    )
