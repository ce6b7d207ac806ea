"""Shared workspaces, roles and approvals (SPEC §3 "Account and workspace", "Time entries"),
with personas across two workspaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import add_member, new_entry, new_workspace


def track(p: Persona, project_id: str, hour: int, **fields: Any) -> dict[str, Any]:
    """Three quarters of an hour on Monday 23 November from ``hour`` o'clock."""
    start, end = f"2026-11-23T{hour:02d}:00:00Z", f"2026-11-23T{hour:02d}:45:00Z"
    return new_entry(p, start, end, project_id=project_id, **fields)


@pytest.fixture
def agency(owner: Persona, persona_factory: Callable[[], Persona]) -> dict[str, Any]:
    """Workspace A: owner, an admin and two members, with a shared project.
    Workspace B: another owner with one member; none of A's people."""
    admin, alice, bob = persona_factory(), persona_factory(), persona_factory()
    a = new_workspace(owner, "Agency A")
    add_member(owner, a, admin, "admin")
    add_member(owner, a, alice)
    add_member(owner, a, bob)
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Website", "workspace_id": a})
    boss_b, carol = persona_factory(), persona_factory()
    b = new_workspace(boss_b, "Agency B")
    add_member(boss_b, b, carol)
    project_b = boss_b.ok("POST", "/v1/projects", 201, json={"name": "App", "workspace_id": b})
    return {
        "a": a,
        "b": b,
        "admin": admin,
        "alice": alice,
        "bob": bob,
        "boss_b": boss_b,
        "carol": carol,
        "project": project["id"],
        "project_b": project_b["id"],
    }


def test_workspace_membership_and_roles(owner: Persona, agency: dict[str, Any]) -> None:
    a = agency["a"]
    members = {m["user_id"]: m["role"] for m in owner.ok("GET", f"/v1/workspaces/{a}/members")}
    assert members[owner.user_id] == "owner"
    assert members[agency["admin"].user_id] == "admin"
    assert members[agency["alice"].user_id] == "member"
    alice: Persona = agency["alice"]
    assert a in {w["id"] for w in alice.ok("GET", "/v1/workspaces")}
    assert agency["project"] in {p["id"] for p in alice.ok("GET", "/v1/projects")}

    # Plain members cannot manage membership; admins can; nobody demotes the owner.
    assert_error(
        alice.patch(f"/v1/workspaces/{a}/members/{agency['bob'].user_id}", json={"role": "admin"}),
        403,
        "FORBIDDEN",
    )
    admin: Persona = agency["admin"]
    admin.ok("PATCH", f"/v1/workspaces/{a}/members/{agency['bob'].user_id}", json={"role": "admin"})
    demote = admin.patch(f"/v1/workspaces/{a}/members/{owner.user_id}", json={"role": "member"})
    assert_error(demote, 409, "CONFLICT", "role")
    assert_error(
        owner.post(f"/v1/workspaces/{a}/members", json={"email": alice.email}), 409, "CONFLICT"
    )
    assert_error(
        owner.post(f"/v1/workspaces/{a}/members", json={"email": "nobody@example.com"}),
        400,
        "VALIDATION_ERROR",
        "email",
    )


def test_removed_members_lose_access_and_keep_nothing_of_the_workspace(
    owner: Persona, agency: dict[str, Any]
) -> None:
    alice: Persona = agency["alice"]
    entry = track(alice, agency["project"], 9)
    owner.ok("DELETE", f"/v1/workspaces/{agency['a']}/members/{alice.user_id}")
    assert agency["project"] not in {p["id"] for p in alice.ok("GET", "/v1/projects")}
    assert_error(alice.get(f"/v1/projects/{agency['project']}"), 404, "NOT_FOUND")
    # Their entry stays in the workspace, where its owner can still see it.
    assert entry["id"] in {e["id"] for e in owner.ok("GET", "/v1/time-entries")}


def test_members_see_only_their_own_time_and_admins_see_everyones(
    owner: Persona, agency: dict[str, Any]
) -> None:
    alice: Persona = agency["alice"]
    bob: Persona = agency["bob"]
    admin: Persona = agency["admin"]
    alices = track(alice, agency["project"], 9)
    bobs = track(bob, agency["project"], 10)

    def ids(p: Persona, query: str = "") -> set[str]:
        return {e["id"] for e in p.ok("GET", f"/v1/time-entries{query}")}

    assert ids(alice) == {alices["id"]}
    assert_error(alice.get(f"/v1/time-entries/{bobs['id']}"), 404, "NOT_FOUND")
    assert_error(
        alice.patch(f"/v1/time-entries/{bobs['id']}", json={"description": "x"}), 404, "NOT_FOUND"
    )
    assert {alices["id"], bobs["id"]} <= ids(admin)
    assert {alices["id"], bobs["id"]} <= ids(owner)
    assert ids(admin, f"?user_id={bob.user_id}") == {bobs["id"]}
    assert admin.ok("GET", f"/v1/time-entries/{alices['id']}")["user_id"] == alice.user_id
    # Seeing is not editing: only the person who tracked an entry changes it.
    assert_error(
        admin.patch(f"/v1/time-entries/{alices['id']}", json={"description": "x"}), 403, "FORBIDDEN"
    )
    # user_id is an admin's filter; a member asking for someone else's gets nothing of it.
    assert bobs["id"] not in ids(alice, f"?user_id={bob.user_id}")


def test_outsiders_get_not_found_for_everything(agency: dict[str, Any]) -> None:
    alice: Persona = agency["alice"]
    carol: Persona = agency["carol"]
    boss_b: Persona = agency["boss_b"]
    entry = track(alice, agency["project"], 9)
    for p in (carol, boss_b):
        assert_error(p.get(f"/v1/time-entries/{entry['id']}"), 404, "NOT_FOUND")
        assert_error(p.get(f"/v1/projects/{agency['project']}"), 404, "NOT_FOUND")
        assert_error(p.get(f"/v1/workspaces/{agency['a']}"), 404, "NOT_FOUND")
        assert_error(p.get(f"/v1/workspaces/{agency['a']}/members"), 404, "NOT_FOUND")
        assert_error(p.post(f"/v1/time-entries/{entry['id']}/approve"), 404, "NOT_FOUND")
        assert entry["id"] not in {e["id"] for e in p.ok("GET", "/v1/time-entries")}
        assert entry["id"] not in {e["id"] for e in p.ok("GET", "/v1/time-entry-approvals")}
    assert_error(
        carol.post(
            "/v1/time-entries",
            json={
                "project_id": agency["project"],
                "start_at": "2026-11-23T09:00:00Z",
                "end_at": "2026-11-23T10:00:00Z",
            },
        ),
        400,
        "VALIDATION_ERROR",
        "project_id",
    )


def test_approval_flow_and_locks(owner: Persona, agency: dict[str, Any]) -> None:
    alice: Persona = agency["alice"]
    bob: Persona = agency["bob"]
    admin: Persona = agency["admin"]
    entry = track(alice, agency["project"], 9)
    url = f"/v1/time-entries/{entry['id']}"

    submitted = alice.ok("POST", f"{url}/submit")
    assert submitted["approval_status"] == "submitted"
    assert_error(alice.patch(url, json={"description": "x"}), 409, "CONFLICT")
    queue = admin.ok("GET", "/v1/time-entry-approvals")
    assert entry["id"] in {e["id"] for e in queue}
    assert alice.ok("GET", "/v1/time-entry-approvals") == []

    # Members cannot approve, neither their own time nor a colleague's.
    assert_error(alice.post(f"{url}/approve"), 403, "FORBIDDEN")
    assert_error(bob.post(f"{url}/approve"), 404, "NOT_FOUND")

    approved = admin.ok("POST", f"{url}/approve", json={"comment": "thanks"})
    assert approved["approval_status"] == "approved"
    assert approved["reviewed_by"] == admin.user_id and approved["approval_comment"] == "thanks"
    assert entry["id"] not in {e["id"] for e in admin.ok("GET", "/v1/time-entry-approvals")}
    assert_error(alice.patch(url, json={"description": "x"}), 409, "CONFLICT")
    assert_error(alice.delete(url), 409, "CONFLICT")
    assert_error(alice.post(f"{url}/reopen"), 403, "FORBIDDEN")

    reopened = owner.ok("POST", f"{url}/reopen")
    assert reopened["approval_status"] == "draft"
    assert alice.ok("PATCH", url, json={"description": "fixed"})["description"] == "fixed"


def test_rejection_with_a_comment_unlocks_for_a_fix(agency: dict[str, Any]) -> None:
    alice: Persona = agency["alice"]
    admin: Persona = agency["admin"]
    entry = track(alice, agency["project"], 11)
    url = f"/v1/time-entries/{entry['id']}"
    alice.ok("POST", f"{url}/submit")
    rejected = admin.ok("POST", f"{url}/reject", json={"comment": "wrong project"})
    assert rejected["approval_status"] == "rejected"
    assert rejected["approval_comment"] == "wrong project"
    alice.ok("PATCH", url, json={"description": "moved"})
    assert alice.ok("POST", f"{url}/submit")["approval_status"] == "submitted"
    # The owner of an entry may withdraw a submission.
    assert alice.ok("POST", f"{url}/reopen")["approval_status"] == "draft"


def test_admins_of_another_workspace_cannot_review(agency: dict[str, Any]) -> None:
    alice: Persona = agency["alice"]
    boss_b: Persona = agency["boss_b"]
    entry = track(alice, agency["project"], 12)
    alice.ok("POST", f"/v1/time-entries/{entry['id']}/submit")
    assert_error(boss_b.post(f"/v1/time-entries/{entry['id']}/approve"), 404, "NOT_FOUND")
    assert entry["id"] not in {e["id"] for e in boss_b.ok("GET", "/v1/time-entry-approvals")}


def test_personal_workspaces_take_no_members(owner: Persona, teammate: Persona) -> None:
    (personal,) = [w["id"] for w in owner.ok("GET", "/v1/workspaces") if w["personal"]]
    response = owner.post(f"/v1/workspaces/{personal}/members", json={"email": teammate.email})
    assert_error(response, 409, "CONFLICT")


@pytest.mark.parametrize("how", ["removed", "left"])
def test_time_left_behind_in_a_workspace_is_read_only(
    owner: Persona, agency: dict[str, Any], how: str
) -> None:
    """A member who is removed (or leaves) reads their own time there but changes none of
    it: a draft cannot be stretched and sent to the team's approval queue afterwards."""
    alice: Persona = agency["alice"]
    draft = track(alice, agency["project"], 9)
    submitted = track(alice, agency["project"], 10)
    alice.ok("POST", f"/v1/time-entries/{submitted['id']}/submit")
    running = alice.ok("POST", "/v1/timer/start", 201, json={"project_id": agency["project"]})
    remover = alice if how == "left" else owner
    remover.ok("DELETE", f"/v1/workspaces/{agency['a']}/members/{alice.user_id}")

    url = f"/v1/time-entries/{draft['id']}"
    longer = {"end_at": "2026-11-23T20:00:00Z"}
    for response in (
        alice.patch(url, json=longer),
        alice.put(url, json={"start_at": draft["start_at"], **longer}),
        alice.delete(url),
        alice.post(f"{url}/submit"),
        alice.post(f"/v1/time-entries/{submitted['id']}/reopen"),
    ):
        assert_error(response, 409, "CONFLICT", "workspace_id")
    bulk = alice.patch(
        "/v1/time-entries/bulk", json={"time_entries": [{"id": draft["id"], **longer}]}
    )
    error = assert_error(bulk, 409, "CONFLICT")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(0, "workspace_id")]
    assert_error(
        alice.delete("/v1/time-entries/bulk", params={"ids": draft["id"]}), 409, "CONFLICT"
    )

    # A timer left running can still be stopped (it would otherwise run on for good);
    # the stopped entry is then read-only like the rest.
    stopped = alice.ok("POST", "/v1/timer/stop")
    assert stopped["id"] == running["id"] and stopped["running"] is False
    stopped_url = f"/v1/time-entries/{running['id']}"
    assert_error(alice.patch(stopped_url, json=longer), 409, "CONFLICT", "workspace_id")

    assert alice.ok("GET", url) == draft  # their own history stays readable
    assert owner.ok("GET", url) == draft
    queue = {e["id"] for e in owner.ok("GET", "/v1/time-entry-approvals")}
    assert draft["id"] not in queue and submitted["id"] in queue
    # Their personal time is theirs to change as before.
    personal = new_entry(alice, "2026-11-23T12:00:00Z", "2026-11-23T13:00:00Z")
    alice.ok("PATCH", f"/v1/time-entries/{personal['id']}", json=longer)
