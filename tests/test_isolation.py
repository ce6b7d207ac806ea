"""Tenants and modes never see each other's rows: another user's ids are NOT_FOUND on every
route, lists leave them out, and a test key lives in its own sandbox (SPEC §2 Auth, Errors)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import new_block, new_project, new_workspace

BLOCK = {"date": "2026-11-24", "start": "09:00", "end": "10:00", "topic": "Private"}


def block_ids(p: Persona, query: str = "") -> set[str]:
    return {b["id"] for b in p.ok("GET", f"/v1/blocks{query}")}


def streamed_ids(p: Persona, query: str = "") -> set[str]:
    response = p.get(f"/v1/blocks/stream{query}")
    assert response.status_code == 200
    return {json.loads(line)["id"] for line in response.text.splitlines()}


def project_ids(p: Persona, query: str = "") -> set[str]:
    return {x["id"] for x in p.ok("GET", f"/v1/projects{query}")}


BLOCK_CALLS = [
    ("GET", "", None),
    ("PATCH", "", {"topic": "mine now"}),
    ("PUT", "", BLOCK),
    ("DELETE", "", None),
    ("POST", "/restore", None),
    ("POST", "/archive", None),
    ("POST", "/unarchive", None),
]
PROJECT_CALLS = [
    ("GET", "", None),
    ("PATCH", "", {"name": "mine now"}),
    ("PUT", "", {"name": "mine now"}),
    ("DELETE", "", None),
    ("POST", "/archive", None),
    ("POST", "/unarchive", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), BLOCK_CALLS)
def test_another_users_block_is_not_found(
    owner: Persona, outsider: Persona, method: str, suffix: str, body: Any
) -> None:
    theirs = new_block(outsider, **BLOCK)
    url = f"/v1/blocks/{theirs['id']}{suffix}"
    assert_error(owner.request(method, url, json=body), 404, "NOT_FOUND")
    assert_error(owner.request(method, url, json=body, headers={"If-Match": "*"}), 404, "NOT_FOUND")
    assert outsider.ok("GET", f"/v1/blocks/{theirs['id']}") == theirs


@pytest.mark.parametrize(("method", "suffix", "body"), PROJECT_CALLS)
def test_another_users_project_is_not_found(
    owner: Persona, outsider: Persona, method: str, suffix: str, body: Any
) -> None:
    theirs = new_project(outsider, "Private project")
    url = f"/v1/projects/{theirs['id']}{suffix}"
    assert_error(owner.request(method, url, json=body), 404, "NOT_FOUND")
    assert outsider.ok("GET", f"/v1/projects/{theirs['id']}") == theirs


def test_bulk_writes_cannot_reach_another_users_blocks(owner: Persona, outsider: Persona) -> None:
    theirs = new_block(outsider, **BLOCK)
    mine = new_block(owner, **BLOCK)
    patch = {"blocks": [{"id": mine["id"], "topic": "x"}, {"id": theirs["id"], "done": True}]}
    error = assert_error(owner.patch("/v1/blocks/bulk", json=patch), 404, "NOT_FOUND")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "id")]
    delete = owner.delete("/v1/blocks/bulk", params={"ids": f"{mine['id']},{theirs['id']}"})
    assert_error(delete, 404, "NOT_FOUND")
    assert outsider.ok("GET", f"/v1/blocks/{theirs['id']}") == theirs
    assert owner.ok("GET", f"/v1/blocks/{mine['id']}") == mine


def test_another_users_project_cannot_be_referenced(owner: Persona, outsider: Persona) -> None:
    theirs = new_project(outsider, "Private project")
    mine = new_block(owner, **BLOCK)
    moved = owner.patch(f"/v1/blocks/{mine['id']}", json={"project_id": theirs["id"]})
    assert_error(moved, 400, "VALIDATION_ERROR", "project_id")
    bulk = owner.post("/v1/blocks/bulk", json={"blocks": [{**BLOCK, "project_id": theirs["id"]}]})
    assert_error(bulk, 400, "VALIDATION_ERROR", "project_id")
    assert owner.ok("GET", f"/v1/blocks/{mine['id']}")["project_id"] is None


def test_lists_never_show_other_users_rows(
    owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    rows: dict[str, set[str]] = {}
    for name, p in (("owner", owner), ("teammate", teammate), ("outsider", outsider)):
        project = new_project(p, "Private project")
        archived = new_project(p, "Archived")
        p.ok("POST", f"/v1/projects/{archived['id']}/archive")
        live = new_block(p, **BLOCK, project_id=project["id"], done=True)
        stored = new_block(p, **BLOCK)
        p.ok("POST", f"/v1/blocks/{stored['id']}/archive")
        trashed = new_block(p, **BLOCK)
        p.ok("DELETE", f"/v1/blocks/{trashed['id']}")
        rows[name] = {project["id"], archived["id"], live["id"], stored["id"], trashed["id"]}
    for name, p in (("owner", owner), ("teammate", teammate), ("outsider", outsider)):
        seen = (
            block_ids(p)
            | block_ids(p, "?archived=true")
            | block_ids(p, "?deleted=true")
            | block_ids(p, "?done=true&date=2026-11-24")
            | streamed_ids(p)
            | streamed_ids(p, "?archived=true")
            | project_ids(p)
            | project_ids(p, "?archived=true")
        )
        assert seen == rows[name], name
        others = set().union(*(ids for who, ids in rows.items() if who != name))
        for other_project in others:
            if other_project.startswith("prj_"):
                assert block_ids(p, f"?project_id={other_project}") == set()


def test_teammates_share_projects_but_not_blocks(
    owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    team = new_workspace(owner, "Study group")
    owner.ok("POST", f"/v1/workspaces/{team}/members", 201, json={"email": teammate.email})
    shared = new_project(owner, "Shared", workspace_id=team)
    assert teammate.ok("GET", f"/v1/projects/{shared['id']}")["name"] == "Shared"
    assert shared["id"] in project_ids(teammate)
    mine = new_block(owner, **BLOCK, project_id=shared["id"])
    theirs = new_block(teammate, **BLOCK, project_id=shared["id"])
    assert block_ids(owner, f"?project_id={shared['id']}") == {mine["id"]}
    assert block_ids(teammate, f"?project_id={shared['id']}") == {theirs["id"]}
    assert_error(owner.get(f"/v1/blocks/{theirs['id']}"), 404, "NOT_FOUND")
    assert_error(teammate.get(f"/v1/blocks/{mine['id']}"), 404, "NOT_FOUND")
    assert_error(teammate.delete(f"/v1/projects/{shared['id']}"), 403, "FORBIDDEN")
    assert_error(outsider.get(f"/v1/projects/{shared['id']}"), 404, "NOT_FOUND")
    assert shared["id"] not in project_ids(outsider)


def test_test_key_never_sees_live_rows(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    assert sandbox.key.startswith("tbx_test_")
    live_project = new_project(owner, "Private project")
    live_block = new_block(owner, **BLOCK, project_id=live_project["id"])
    assert block_ids(sandbox) == set() and streamed_ids(sandbox) == set()
    assert project_ids(sandbox) == set()
    assert_error(sandbox.get(f"/v1/blocks/{live_block['id']}"), 404, "NOT_FOUND")
    assert_error(sandbox.get(f"/v1/projects/{live_project['id']}"), 404, "NOT_FOUND")
    assert_error(
        sandbox.patch(f"/v1/blocks/{live_block['id']}", json={"done": True}), 404, "NOT_FOUND"
    )
    assert_error(sandbox.delete(f"/v1/projects/{live_project['id']}"), 404, "NOT_FOUND")
    bulk = sandbox.delete("/v1/blocks/bulk", params={"ids": live_block["id"]})
    assert_error(bulk, 404, "NOT_FOUND")
    cross = sandbox.post("/v1/blocks", json={**BLOCK, "project_id": live_project["id"]})
    assert_error(cross, 400, "VALIDATION_ERROR", "project_id")
    assert owner.ok("GET", f"/v1/blocks/{live_block['id']}") == live_block


def test_live_key_never_sees_test_rows(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    test_project = new_project(sandbox, "Sandbox project")
    test_block = new_block(sandbox, **BLOCK, project_id=test_project["id"])
    assert test_block["project_name"] == "Sandbox project"
    assert block_ids(owner) == set() and streamed_ids(owner) == set()
    assert project_ids(owner) == set()
    assert_error(owner.get(f"/v1/blocks/{test_block['id']}"), 404, "NOT_FOUND")
    assert_error(owner.get(f"/v1/projects/{test_project['id']}"), 404, "NOT_FOUND")
    assert_error(owner.post(f"/v1/blocks/{test_block['id']}/archive"), 404, "NOT_FOUND")
    patch = owner.patch(
        "/v1/blocks/bulk", json={"blocks": [{"id": test_block["id"], "topic": "x"}]}
    )
    assert_error(patch, 404, "NOT_FOUND")
    assert block_ids(sandbox) == {test_block["id"]}
    assert project_ids(sandbox) == {test_project["id"]}


def test_sandboxes_of_different_users_are_apart(owner: Persona, outsider: Persona) -> None:
    mine = owner.as_key(owner.new_key(test=True))
    theirs = outsider.as_key(outsider.new_key(test=True))
    block = new_block(theirs, **BLOCK)
    assert block_ids(mine) == set()
    assert_error(mine.get(f"/v1/blocks/{block['id']}"), 404, "NOT_FOUND")
