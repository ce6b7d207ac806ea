"""Clients with contacts, tags and tasks through HTTP (SPEC §3 "Projects, clients, tasks,
tags"), with the roles of a shared workspace and the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error


def team_of(owner: Persona, member: Persona, role: str = "member") -> str:
    team = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Study group"})
    owner.ok(
        "POST",
        f"/v1/workspaces/{team['id']}/members",
        201,
        json={"email": member.email, "role": role},
    )
    return str(team["id"])


def project(p: Persona, name: str = "Thesis", **fields: Any) -> dict[str, Any]:
    return dict(p.ok("POST", "/v1/projects", 201, json={"name": name, **fields}))


# -- clients and contacts ------------------------------------------------------------------


def test_client_crud_with_etags(owner: Persona) -> None:
    response = owner.post("/v1/clients", json={"name": "Acme GmbH", "email": "ap@acme.example"})
    assert response.status_code == 201
    client = response.json()["data"]
    assert client["id"].startswith("cli_") and client["notes"] == ""
    etag = response.headers["etag"]
    assert owner.get(f"/v1/clients/{client['id']}").headers["etag"] == etag

    stale = owner.patch(
        f"/v1/clients/{client['id']}", json={"notes": "net 30"}, headers={"If-Match": '"x.1"'}
    )
    assert_error(stale, 412, "PRECONDITION_FAILED", "If-Match")
    changed = owner.patch(
        f"/v1/clients/{client['id']}", json={"notes": "net 30"}, headers={"If-Match": etag}
    )
    assert changed.json()["data"]["notes"] == "net 30"
    assert changed.headers["etag"] != etag

    replaced = owner.ok("PUT", f"/v1/clients/{client['id']}", json={"name": "Acme AG"})
    assert replaced["name"] == "Acme AG" and replaced["email"] is None and replaced["notes"] == ""
    assert [c["name"] for c in owner.ok("GET", "/v1/clients")] == ["Acme AG"]

    owner.ok("DELETE", f"/v1/clients/{client['id']}")
    assert_error(owner.get(f"/v1/clients/{client['id']}"), 404, "NOT_FOUND")


def test_deleting_a_client_keeps_its_projects(owner: Persona) -> None:
    client = owner.ok("POST", "/v1/clients", 201, json={"name": "Initech"})
    billed = project(owner, "Website", client_id=client["id"], billable=True)
    owner.ok("DELETE", f"/v1/clients/{client['id']}")
    assert owner.ok("GET", f"/v1/projects/{billed['id']}")["client_id"] is None


def test_contacts_belong_to_their_client(owner: Persona) -> None:
    client = owner.ok("POST", "/v1/clients", 201, json={"name": "Globex"})
    base = f"/v1/clients/{client['id']}/contacts"
    made = owner.ok(
        "POST", base, 201, json={"name": "Hank", "email": "hank@globex.example", "role": "CEO"}
    )
    assert made["client_id"] == client["id"] and made["phone"] is None
    owner.ok("PATCH", f"{base}/{made['id']}", json={"phone": "+1 (555) 010-0100"})
    assert owner.ok("GET", f"{base}/{made['id']}")["phone"] == "+1 (555) 010-0100"
    assert [c["name"] for c in owner.ok("GET", base)] == ["Hank"]

    other = owner.ok("POST", "/v1/clients", 201, json={"name": "Other"})
    wrong = f"/v1/clients/{other['id']}/contacts/{made['id']}"
    assert_error(owner.get(wrong), 404, "NOT_FOUND")

    bad = owner.post(base, json={"name": "X", "email": "not-an-address"})
    assert_error(bad, 400, "VALIDATION_ERROR", "email")
    assert_error(
        owner.post(base, json={"name": "X", "phone": "call me"}), 400, "VALIDATION_ERROR", "phone"
    )

    owner.ok("DELETE", f"/v1/clients/{client['id']}")  # contacts go with their client
    assert_error(owner.get(f"{base}/{made['id']}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": ""}, "name"), ({"name": "A", "colour": "red"}, "colour")],
)
def test_client_validation_names_the_field(owner: Persona, body: Any, field: str) -> None:
    assert_error(owner.post("/v1/clients", json=body), 400, "VALIDATION_ERROR", field)


# -- tags ----------------------------------------------------------------------------------


def test_tags_are_unique_by_name_without_case(owner: Persona) -> None:
    exam = owner.ok("POST", "/v1/tags", 201, json={"name": "Exam", "color": "#FF0000"})
    assert_error(owner.post("/v1/tags", json={"name": "exam"}), 409, "CONFLICT", "name")
    other = owner.ok("POST", "/v1/tags", 201, json={"name": "Reading"})
    assert_error(
        owner.patch(f"/v1/tags/{other['id']}", json={"name": "EXAM"}), 409, "CONFLICT", "name"
    )
    renamed = owner.ok("PATCH", f"/v1/tags/{exam['id']}", json={"name": "exam"})
    assert renamed["name"] == "exam" and renamed["color"] == "#FF0000"
    assert [t["name"] for t in owner.ok("GET", "/v1/tags")] == ["exam", "Reading"]
    assert_error(
        owner.post("/v1/tags", json={"name": "x", "color": "red"}), 400, "VALIDATION_ERROR", "color"
    )


def test_deleting_a_tag_takes_it_off_tasks_and_entries(owner: Persona) -> None:
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "deep"})
    prj = project(owner)
    task = owner.ok(
        "POST",
        "/v1/tasks",
        201,
        json={"project_id": prj["id"], "name": "Draft", "tag_ids": [tag["id"]]},
    )
    entry = owner.ok(
        "POST",
        "/v1/time-entries",
        201,
        json={
            "project_id": prj["id"],
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:00:00Z",
            "tag_ids": [tag["id"]],
        },
    )
    owner.ok("DELETE", f"/v1/tags/{tag['id']}")
    assert owner.ok("GET", f"/v1/tasks/{task['id']}")["tag_ids"] == []
    assert owner.ok("GET", f"/v1/time-entries/{entry['id']}")["tag_ids"] == []


# -- tasks ---------------------------------------------------------------------------------


def test_task_crud_with_defaults_tags_and_etag(owner: Persona) -> None:
    prj = project(owner)
    tags = [owner.ok("POST", "/v1/tags", 201, json={"name": n})["id"] for n in ("a", "b")]
    response = owner.post(
        "/v1/tasks",
        json={
            "project_id": prj["id"],
            "name": "Chapter 2",
            "due_date": "2026-12-01",
            "tag_ids": tags,
        },
    )
    assert response.status_code == 201
    task = response.json()["data"]
    assert task["id"].startswith("tsk_")
    assert (task["status"], task["priority"], task["notes"]) == ("todo", "normal", "")
    assert task["due_date"] == "2026-12-01" and sorted(task["tag_ids"]) == sorted(tags)

    changed = owner.ok(
        "PATCH",
        f"/v1/tasks/{task['id']}",
        json={"status": "in_progress", "estimated_minutes": 90, "tag_ids": [tags[1]]},
        headers={"If-Match": response.headers["etag"]},
    )
    assert changed["status"] == "in_progress" and changed["tag_ids"] == [tags[1]]
    assert changed["estimated_minutes"] == 90 and changed["due_date"] == "2026-12-01"
    stale = owner.patch(
        f"/v1/tasks/{task['id']}",
        json={"status": "done"},
        headers={"If-Match": response.headers["etag"]},
    )
    assert_error(stale, 412, "PRECONDITION_FAILED")

    replaced = owner.ok(
        "PUT", f"/v1/tasks/{task['id']}", json={"project_id": prj["id"], "name": "Ch. 2"}
    )
    assert (
        replaced["tag_ids"] == [] and replaced["due_date"] is None and replaced["status"] == "todo"
    )
    owner.ok("DELETE", f"/v1/tasks/{task['id']}")
    assert_error(owner.get(f"/v1/tasks/{task['id']}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "project_id"),
        ({"project_id": "prj_nope", "name": "x"}, "project_id"),
        ({"name": "x", "status": "blocked"}, "status"),
        ({"name": "x", "priority": "asap"}, "priority"),
        ({"name": "x", "estimated_minutes": -5}, "estimated_minutes"),
        ({"name": "x", "due_date": "2026-02-30"}, "due_date"),
        ({"name": "x", "tag_ids": ["tag_nope"]}, "tag_ids"),
    ],
)
def test_task_validation_names_the_field(owner: Persona, body: Any, field: str) -> None:
    prj = project(owner)
    body = (
        {"project_id": prj["id"], **body}
        if "project_id" not in body and field != "project_id"
        else body
    )
    assert_error(owner.post("/v1/tasks", json=body), 400, "VALIDATION_ERROR", field)


def test_task_filters(owner: Persona) -> None:
    a, b = project(owner, "A"), project(owner, "B")
    urgent = owner.ok("POST", "/v1/tags", 201, json={"name": "urgent-tag"})

    def make(prj: dict[str, Any], name: str, **fields: Any) -> str:
        return str(
            owner.ok(
                "POST", "/v1/tasks", 201, json={"project_id": prj["id"], "name": name, **fields}
            )["id"]
        )

    t1 = make(a, "one", status="done", due_date="2026-12-03")
    t2 = make(a, "two", priority="urgent", tag_ids=[urgent["id"]], due_date="2026-11-30")
    t3 = make(b, "three")

    def ids(query: str) -> list[str]:
        return [t["id"] for t in owner.ok("GET", f"/v1/tasks{query}")]

    assert ids("") == [t2, t1, t3]  # soonest due first, undated last
    assert ids(f"?project_id={a['id']}") == [t2, t1]
    assert ids("?status=done") == [t1]
    assert ids("?priority=urgent") == [t2]
    assert ids(f"?tag_id={urgent['id']}") == [t2]
    assert ids("?due_before=2026-12-01") == [t2]
    page = owner.get("/v1/tasks?per_page=2&page=2").json()
    assert [t["id"] for t in page["data"]] == [t3] and page["meta"]["total"] == 3
    assert_error(owner.get("/v1/tasks?status=blocked"), 400, "VALIDATION_ERROR", "status")


def test_task_blocks_lists_the_blocks_of_one_task(owner: Persona, outsider: Persona) -> None:
    prj = project(owner)
    task = owner.ok("POST", "/v1/tasks", 201, json={"project_id": prj["id"], "name": "Essay"})
    for day in ("2026-11-26", "2026-11-25"):
        owner.ok(
            "POST",
            "/v1/blocks",
            201,
            json={
                "date": day,
                "start": "09:00",
                "end": "10:00",
                "project_id": prj["id"],
                "task_id": task["id"],
            },
        )
    owner.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-25", "start": "11:00", "end": "12:00"}
    )
    blocks = owner.ok("GET", f"/v1/tasks/{task['id']}/blocks")
    assert [b["date"] for b in blocks] == ["2026-11-25", "2026-11-26"]
    assert {b["task_id"] for b in blocks} == {task["id"]}
    assert len(owner.ok("GET", f"/v1/tasks/{task['id']}/blocks?date=2026-11-26")) == 1
    assert_error(outsider.get(f"/v1/tasks/{task['id']}/blocks"), 404, "NOT_FOUND")
    assert_error(owner.get("/v1/tasks/tsk_nope/blocks"), 404, "NOT_FOUND")


def test_deleting_a_task_keeps_its_blocks(owner: Persona) -> None:
    prj = project(owner)
    task = owner.ok("POST", "/v1/tasks", 201, json={"project_id": prj["id"], "name": "Lab"})
    block = owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={
            "date": "2026-11-25",
            "start": "09:00",
            "end": "10:00",
            "project_id": prj["id"],
            "task_id": task["id"],
        },
    )
    owner.ok("DELETE", f"/v1/tasks/{task['id']}")
    kept = owner.ok("GET", f"/v1/blocks/{block['id']}")
    assert kept["task_id"] is None and kept["project_id"] == prj["id"]


def test_a_task_with_blocks_stays_in_its_project(owner: Persona) -> None:
    a, b = project(owner, "A"), project(owner, "B")
    free = owner.ok("POST", "/v1/tasks", 201, json={"project_id": a["id"], "name": "free"})
    assert (
        owner.ok("PATCH", f"/v1/tasks/{free['id']}", json={"project_id": b["id"]})["project_id"]
        == b["id"]
    )
    used = owner.ok("POST", "/v1/tasks", 201, json={"project_id": a["id"], "name": "used"})
    owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={
            "date": "2026-11-25",
            "start": "09:00",
            "end": "10:00",
            "project_id": a["id"],
            "task_id": used["id"],
        },
    )
    moved = owner.patch(f"/v1/tasks/{used['id']}", json={"project_id": b["id"]})
    assert_error(moved, 409, "CONFLICT", "project_id")


# -- roles, tenants, sandbox ----------------------------------------------------------------


def test_members_see_the_workspace_catalog_and_only_managers_change_clients_and_tags(
    owner: Persona, teammate: Persona
) -> None:
    team = team_of(owner, teammate)
    client = owner.ok("POST", "/v1/clients", 201, json={"name": "Shared", "workspace_id": team})
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "shared", "workspace_id": team})
    prj = project(owner, "Team project", workspace_id=team)

    assert client["id"] in {c["id"] for c in teammate.ok("GET", "/v1/clients")}
    assert tag["id"] in {t["id"] for t in teammate.ok("GET", f"/v1/tags?workspace_id={team}")}
    assert_error(
        teammate.patch(f"/v1/clients/{client['id']}", json={"name": "x"}), 403, "FORBIDDEN"
    )
    assert_error(teammate.delete(f"/v1/tags/{tag['id']}"), 403, "FORBIDDEN")
    assert_error(
        teammate.post("/v1/clients", json={"name": "Mine", "workspace_id": team}), 403, "FORBIDDEN"
    )
    assert_error(
        teammate.post(f"/v1/clients/{client['id']}/contacts", json={"name": "C"}), 403, "FORBIDDEN"
    )

    # Tasks are the work itself: any member who sees the project writes them.
    task = teammate.ok(
        "POST",
        "/v1/tasks",
        201,
        json={"project_id": prj["id"], "name": "Slides", "tag_ids": [tag["id"]]},
    )
    assert owner.ok("PATCH", f"/v1/tasks/{task['id']}", json={"status": "done"})["status"] == "done"
    teammate.ok("DELETE", f"/v1/tasks/{task['id']}")


def test_admins_manage_the_catalog(owner: Persona, teammate: Persona) -> None:
    team = team_of(owner, teammate, role="admin")
    client = teammate.ok(
        "POST", "/v1/clients", 201, json={"name": "By admin", "workspace_id": team}
    )
    owner.ok("PATCH", f"/v1/clients/{client['id']}", json={"notes": "ok"})


def test_outsiders_get_not_found_for_everything(owner: Persona, outsider: Persona) -> None:
    client = owner.ok("POST", "/v1/clients", 201, json={"name": "Private"})
    contact = owner.ok("POST", f"/v1/clients/{client['id']}/contacts", 201, json={"name": "P"})
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "private"})
    task = owner.ok(
        "POST", "/v1/tasks", 201, json={"project_id": project(owner)["id"], "name": "t"}
    )
    urls = [
        f"/v1/clients/{client['id']}",
        f"/v1/clients/{client['id']}/contacts",
        f"/v1/clients/{client['id']}/contacts/{contact['id']}",
        f"/v1/tags/{tag['id']}",
        f"/v1/tasks/{task['id']}",
    ]
    for url in urls:
        assert_error(outsider.get(url), 404, "NOT_FOUND")
        if not url.endswith("/contacts"):
            assert_error(outsider.patch(url, json={"name": "x"}), 404, "NOT_FOUND")
            assert_error(outsider.delete(url), 404, "NOT_FOUND")
    assert outsider.ok("GET", "/v1/clients") == []
    assert outsider.ok("GET", "/v1/tags") == []
    assert outsider.ok("GET", "/v1/tasks") == []
    assert_error(
        outsider.post("/v1/tasks", json={"project_id": task["project_id"], "name": "x"}),
        400,
        "VALIDATION_ERROR",
        "project_id",
    )
    assert_error(
        outsider.post("/v1/tags", json={"name": "x", "workspace_id": client["workspace_id"]}),
        400,
        "VALIDATION_ERROR",
        "workspace_id",
    )


def test_sandbox_and_live_catalogs_are_apart(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    live_client = owner.ok("POST", "/v1/clients", 201, json={"name": "Live"})
    test_tag = sandbox.ok("POST", "/v1/tags", 201, json={"name": "Live"})  # same name is fine
    assert sandbox.ok("GET", "/v1/clients") == []
    assert_error(sandbox.get(f"/v1/clients/{live_client['id']}"), 404, "NOT_FOUND")
    assert owner.ok("GET", "/v1/tags") == []
    assert_error(owner.get(f"/v1/tags/{test_tag['id']}"), 404, "NOT_FOUND")


def test_scopes(owner: Persona) -> None:
    reader = owner.as_key(owner.new_key(scopes=["read:projects"]))
    assert reader.get("/v1/tasks").status_code == 200
    assert_error(reader.post("/v1/tags", json={"name": "x"}), 403, "FORBIDDEN")
    blocks_only = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert_error(blocks_only.get("/v1/clients"), 403, "FORBIDDEN")
