"""/v1/projects through HTTP: CRUD, ETags, archive, validation (SPEC §3 Projects)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import (
    add_member,
    new_block,
    new_client,
    new_entry,
    new_project,
    new_workspace,
)


def personal_workspace(p: Persona) -> str:
    (wsp,) = [w for w in p.ok("GET", "/v1/workspaces") if w["personal"]]
    return str(wsp["id"])


def names(p: Persona, url: str = "/v1/projects") -> list[str]:
    return [x["name"] for x in p.ok("GET", url)]


def test_create_fills_defaults_in_the_personal_workspace(owner: Persona) -> None:
    response = owner.post("/v1/projects", json={"name": "Organic Chemistry"})
    assert response.status_code == 201, response.text
    project = response.json()["data"]
    assert project["id"].startswith("prj_")
    assert project["workspace_id"] == personal_workspace(owner)
    assert project["name"] == "Organic Chemistry"
    assert project["billable"] is False
    for empty in ("color", "client_id", "hourly_rate", "currency", "budget_minutes"):
        assert project[empty] is None, empty
    assert project["archived_at"] is None
    assert project["created_at"] == project["updated_at"]
    assert response.headers["etag"]


def test_create_keeps_every_field_and_rate_is_a_decimal_string(owner: Persona) -> None:
    project = new_project(
        owner,
        "Consulting",
        color="#4F46E5",
        billable=True,
        hourly_rate="45.5",
        currency="EUR",
        budget_minutes=600,
    )
    assert project["color"] == "#4F46E5"
    assert project["billable"] is True
    assert project["hourly_rate"] == "45.50"
    assert project["currency"] == "EUR"
    assert project["budget_minutes"] == 600
    fetched = owner.ok("GET", f"/v1/projects/{project['id']}")
    assert fetched["hourly_rate"] == "45.50"
    numeric = new_project(owner, "Tutoring", hourly_rate=30)
    assert numeric["hourly_rate"] == "30.00"


def test_get_returns_the_project_with_its_etag(owner: Persona) -> None:
    project = new_project(owner)
    response = owner.get(f"/v1/projects/{project['id']}")
    assert response.status_code == 200
    assert response.json()["data"] == project
    assert response.headers["etag"].startswith('"')


def test_get_unknown_project_is_not_found(owner: Persona) -> None:
    assert_error(owner.get("/v1/projects/prj_doesnotexist"), 404, "NOT_FOUND")


def test_list_is_sorted_by_name_regardless_of_case(owner: Persona) -> None:
    for name in ("programming", "Chemistry", "history", "Algebra"):
        new_project(owner, name)
    response = owner.get("/v1/projects")
    body = response.json()
    assert [p["name"] for p in body["data"]] == ["Algebra", "Chemistry", "history", "programming"]
    assert body["meta"]["total"] == 4 and body["meta"]["has_more"] is False


def test_list_shows_each_project_as_get_does(owner: Persona) -> None:
    client = new_client(owner)
    new_project(owner, "Plain")
    new_project(
        owner,
        "Tutoring",
        color="#059669",
        client_id=client["id"],
        billable=True,
        hourly_rate="12345.67",
        currency="EUR",
        budget_minutes=600,
    )
    new_project(owner, "Cheap", hourly_rate="0.1", currency="USD")
    new_project(owner, "Whole", hourly_rate=30)
    gone = new_project(owner, "Gone", hourly_rate="7.05")
    owner.ok("POST", f"/v1/projects/{gone['id']}/archive")
    for url in ("/v1/projects", "/v1/projects?archived=true"):
        listed = owner.ok("GET", url)
        assert listed == [owner.ok("GET", f"/v1/projects/{p['id']}") for p in listed]
    assert [p["hourly_rate"] for p in owner.ok("GET", "/v1/projects")] == [
        "0.10",
        None,
        "12345.67",
        "30.00",
    ]
    (archived,) = owner.ok("GET", "/v1/projects?archived=true")
    assert archived["hourly_rate"] == "7.05" and archived["archived_at"] is not None


def test_list_pages_with_meta(owner: Persona) -> None:
    for name in ("A", "B", "C", "D", "E"):
        new_project(owner, name)
    first = owner.get("/v1/projects?page=1&per_page=2").json()
    assert [p["name"] for p in first["data"]] == ["A", "B"]
    assert {k: first["meta"][k] for k in ("page", "per_page", "total", "has_more")} == {
        "page": 1,
        "per_page": 2,
        "total": 5,
        "has_more": True,
    }
    last = owner.get("/v1/projects?page=3&per_page=2").json()
    assert [p["name"] for p in last["data"]] == ["E"]
    assert (last["meta"]["page"], last["meta"]["total"], last["meta"]["has_more"]) == (3, 5, False)
    beyond = owner.get("/v1/projects?page=4&per_page=2").json()
    assert beyond["data"] == [] and beyond["meta"]["total"] == 5


def test_put_replaces_every_writable_field(owner: Persona) -> None:
    project = new_project(
        owner, color="#059669", billable=True, hourly_rate="20.00", currency="USD"
    )
    replaced = owner.ok("PUT", f"/v1/projects/{project['id']}", json={"name": "Calculus"})
    assert replaced["name"] == "Calculus"
    assert replaced["color"] is None and replaced["billable"] is False
    assert replaced["hourly_rate"] is None and replaced["currency"] is None
    assert replaced["workspace_id"] == project["workspace_id"]
    missing = owner.put(f"/v1/projects/{project['id']}", json={"color": "#000000"})
    assert_error(missing, 400, "VALIDATION_ERROR", "name")


def test_patch_changes_only_what_is_sent(owner: Persona) -> None:
    project = new_project(owner, color="#059669", currency="USD")
    patched = owner.ok(
        "PATCH", f"/v1/projects/{project['id']}", json={"hourly_rate": "12.3", "billable": True}
    )
    assert patched["hourly_rate"] == "12.30" and patched["billable"] is True
    assert (patched["name"], patched["color"], patched["currency"]) == (
        "Linear Algebra",
        "#059669",
        "USD",
    )
    cleared = owner.ok("PATCH", f"/v1/projects/{project['id']}", json={"color": None})
    assert cleared["color"] is None
    assert owner.ok("GET", f"/v1/projects/{project['id']}") == cleared


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_if_match_guards_writes(owner: Persona, method: str) -> None:
    project = new_project(owner)
    url = f"/v1/projects/{project['id']}"
    etag = owner.get(url).headers["etag"]
    changed = owner.request(method, url, json={"name": "First"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != etag
    stale = owner.request(method, url, json={"name": "Second"}, headers={"If-Match": etag})
    assert_error(stale, 412, "PRECONDITION_FAILED")
    assert owner.ok("GET", url)["name"] == "First"
    fresh = owner.request(
        method, url, json={"name": "Third"}, headers={"If-Match": changed.headers["etag"]}
    )
    assert fresh.status_code == 200 and fresh.json()["data"]["name"] == "Third"


def test_stale_if_match_refuses_archive_and_delete(owner: Persona) -> None:
    project = new_project(owner)
    url = f"/v1/projects/{project['id']}"
    etag = owner.get(url).headers["etag"]
    owner.ok("PATCH", url, json={"name": "Renamed"})
    assert_error(
        owner.post(f"{url}/archive", headers={"If-Match": etag}), 412, "PRECONDITION_FAILED"
    )
    assert_error(owner.delete(url, headers={"If-Match": etag}), 412, "PRECONDITION_FAILED")
    assert owner.ok("GET", url)["archived_at"] is None


def test_delete_removes_project_and_keeps_its_blocks(owner: Persona) -> None:
    project = new_project(owner)
    block = owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={"date": "2026-11-24", "start": "09:00", "end": "10:00", "project_id": project["id"]},
    )
    assert owner.ok("DELETE", f"/v1/projects/{project['id']}") is None
    assert_error(owner.get(f"/v1/projects/{project['id']}"), 404, "NOT_FOUND")
    assert_error(owner.delete(f"/v1/projects/{project['id']}"), 404, "NOT_FOUND")
    assert names(owner) == []
    kept = owner.ok("GET", f"/v1/blocks/{block['id']}")
    assert kept["project_id"] is None and kept["project_name"] is None
    assert kept["deleted_at"] is None
    assert [b["id"] for b in owner.ok("GET", "/v1/blocks")] == [block["id"]]


def test_archive_hides_from_list_and_unarchive_shows_again(owner: Persona) -> None:
    kept = new_project(owner, "Algebra")
    project = new_project(owner, "Chemistry")
    archived = owner.ok("POST", f"/v1/projects/{project['id']}/archive")
    assert archived["archived_at"] is not None
    assert names(owner) == ["Algebra"]
    assert names(owner, "/v1/projects?archived=true") == ["Chemistry"]
    assert owner.ok("GET", f"/v1/projects/{project['id']}")["archived_at"] is not None
    again = owner.ok("POST", f"/v1/projects/{project['id']}/archive")
    assert again["archived_at"] == archived["archived_at"]
    unarchived = owner.ok("POST", f"/v1/projects/{project['id']}/unarchive")
    assert unarchived["archived_at"] is None
    assert names(owner) == ["Algebra", "Chemistry"]
    assert names(owner, "/v1/projects?archived=true") == []
    assert kept["archived_at"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({}, "name"),
        ({"name": "X", "color": "red"}, "color"),
        ({"name": "X", "color": "#12345"}, "color"),
        ({"name": "X", "color": "#GGGGGG"}, "color"),
        ({"name": "X", "currency": "eur"}, "currency"),
        ({"name": "X", "currency": "EURO"}, "currency"),
        ({"name": "X", "hourly_rate": "-1"}, "hourly_rate"),
        ({"name": "X", "hourly_rate": -0.01}, "hourly_rate"),
        ({"name": "X", "hourly_rate": "12.345"}, "hourly_rate"),
        ({"name": "X", "hourly_rate": "lots"}, "hourly_rate"),
        ({"name": "X", "budget_minutes": -5}, "budget_minutes"),
        ({"name": "X", "billable": "maybe"}, "billable"),
        ({"name": "X", "colour": "#000000"}, "colour"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    owner: Persona, body: dict[str, Any], field: str
) -> None:
    assert_error(owner.post("/v1/projects", json=body), 400, "VALIDATION_ERROR", field)
    assert names(owner) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"color": "blue"}, "color"),
        ({"currency": "usd"}, "currency"),
        ({"hourly_rate": "-3.00"}, "hourly_rate"),
        ({"workspace_id": "wsp_x"}, "workspace_id"),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(
    owner: Persona, body: dict[str, Any], field: str
) -> None:
    project = new_project(owner, color="#059669", currency="USD", hourly_rate="10")
    url = f"/v1/projects/{project['id']}"
    assert_error(owner.patch(url, json=body), 400, "VALIDATION_ERROR", field)
    assert owner.ok("GET", url) == project


def test_create_in_a_workspace_the_caller_is_not_in_is_refused(
    owner: Persona, outsider: Persona
) -> None:
    theirs = personal_workspace(outsider)
    response = owner.post("/v1/projects", json={"name": "Sneaky", "workspace_id": theirs})
    assert_error(response, 400, "VALIDATION_ERROR", "workspace_id")
    assert names(outsider) == []


def test_a_project_with_submitted_or_approved_entries_cannot_be_deleted(
    owner: Persona, teammate: Persona
) -> None:
    wsp = new_workspace(owner, "Agency")
    add_member(owner, wsp, teammate, "member")
    project = new_project(owner, "Client work", workspace_id=wsp)
    entry = new_entry(
        teammate, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", project_id=project["id"]
    )
    url = f"/v1/time-entries/{entry['id']}"
    teammate.ok("POST", f"{url}/submit")
    for step in ("submitted", "approved"):
        if step == "approved":
            owner.ok("POST", f"{url}/approve")
        before = teammate.get(url)
        error = assert_error(owner.delete(f"/v1/projects/{project['id']}"), 409, "CONFLICT")
        assert "field" not in error and step in error["message"]
        after = teammate.get(url)
        assert after.json()["data"]["project_id"] == project["id"]
        assert after.headers["etag"] == before.headers["etag"]
    owner.ok("GET", f"/v1/projects/{project['id']}")
    owner.ok("POST", f"{url}/reopen")
    owner.ok("DELETE", f"/v1/projects/{project['id']}")
    assert teammate.ok("GET", url)["project_id"] is None


def test_renaming_or_deleting_a_project_changes_the_etags_of_what_shows_it(
    owner: Persona,
) -> None:
    project = new_project(owner, "Physics")
    block = new_block(owner, "2026-11-25", "09:00", project_id=project["id"])
    entry = new_entry(
        owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", project_id=project["id"]
    )
    block_url, entry_url = f"/v1/blocks/{block['id']}", f"/v1/time-entries/{entry['id']}"
    first = owner.get(block_url).headers["etag"]
    entry_first = owner.get(entry_url).headers["etag"]
    owner.ok("PATCH", f"/v1/projects/{project['id']}", json={"name": "Astrophysics"})
    renamed = owner.get(block_url)
    assert renamed.json()["data"]["project_name"] == "Astrophysics"
    assert renamed.headers["etag"] != first
    stale = owner.patch(block_url, json={"topic": "x"}, headers={"If-Match": first})
    assert_error(stale, 412, "PRECONDITION_FAILED", "If-Match")
    # The entry shows the project's id, not its name: a rename leaves it as it was.
    assert owner.get(entry_url).headers["etag"] == entry_first
    owner.ok("PATCH", f"/v1/projects/{project['id']}", json={"color": "#112233"})
    assert owner.get(block_url).headers["etag"] == renamed.headers["etag"]

    owner.ok("DELETE", f"/v1/projects/{project['id']}")
    gone = owner.get(block_url)
    assert gone.json()["data"]["project_id"] is None
    assert gone.json()["data"]["project_name"] is None
    assert gone.headers["etag"] not in (first, renamed.headers["etag"])
    assert owner.get(entry_url).json()["data"]["project_id"] is None
    assert owner.get(entry_url).headers["etag"] != entry_first
