"""Workspaces and roles (SPEC §3 "Account and workspace"): create, invite existing users as
member or admin, change roles, remove; and what each persona sees across two workspaces:
members see the workspace's projects and their own time, admins everyone's time, and
anyone outside gets NOT_FOUND."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import add_member, new_entry, new_workspace

SLOT = {"start_at": "2026-11-23T09:00:00Z", "end_at": "2026-11-23T10:00:00Z"}


def roles(p: Persona, team: str) -> dict[str, str]:
    return {m["user_id"]: m["role"] for m in p.ok("GET", f"/v1/workspaces/{team}/members")}


def entry_ids(p: Persona, query: str = "") -> set[str]:
    return {e["id"] for e in p.ok("GET", f"/v1/time-entries{query}")}


def project_ids(p: Persona) -> set[str]:
    return {pr["id"] for pr in p.ok("GET", "/v1/projects")}


def test_the_creator_owns_a_new_workspace(owner: Persona) -> None:
    made = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Study group"})
    assert made["id"].startswith("wsp_")
    assert (made["name"], made["personal"], made["role"]) == ("Study group", False, "owner")
    assert made["owner_id"] == owner.user_id
    listed = owner.ok("GET", "/v1/workspaces")
    assert [w["personal"] for w in listed] == [True, False]  # the personal workspace first
    assert listed[1] == made
    assert owner.ok("GET", f"/v1/workspaces/{made['id']}") == made
    assert roles(owner, made["id"]) == {owner.user_id: "owner"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 5}, "name"),
        ({"name": "Team", "personal": True}, "personal"),
    ],
)
def test_bad_workspace_bodies_are_refused(owner: Persona, body: Any, field: str) -> None:
    assert_error(owner.post("/v1/workspaces", json=body), 400, "VALIDATION_ERROR", field)
    assert len(owner.ok("GET", "/v1/workspaces")) == 1


def test_workspace_names_are_trimmed(owner: Persona) -> None:
    assert owner.ok("POST", "/v1/workspaces", 201, json={"name": "  Lab  "})["name"] == "Lab"


def test_inviting_existing_users_as_member_or_admin(
    owner: Persona, persona_factory: Callable[[], Persona]
) -> None:
    team = new_workspace(owner)
    member, admin = persona_factory(), persona_factory()
    added = add_member(owner, team, member)
    assert (added["user_id"], added["email"], added["role"]) == (
        member.user_id,
        member.email,
        "member",
    )
    # Emails are matched without case or surrounding spaces.
    body = {"email": f"  {admin.email.upper()} ", "role": "admin"}
    assert owner.ok("POST", f"/v1/workspaces/{team}/members", 201, json=body)["role"] == "admin"
    assert roles(owner, team) == {
        owner.user_id: "owner",
        member.user_id: "member",
        admin.user_id: "admin",
    }
    # Both now see the workspace, with their role in it.
    assert {w["id"]: w["role"] for w in member.ok("GET", "/v1/workspaces")}[team] == "member"
    assert admin.ok("GET", f"/v1/workspaces/{team}")["role"] == "admin"
    assert roles(member, team) == roles(owner, team)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "nobody@example.com"}, 400, "email"),
        ({"email": "x"}, 400, "email"),
        ({"role": "member"}, 400, "email"),
        ({"email": "{teammate}", "role": "owner"}, 400, "role"),
        ({"email": "{teammate}", "role": "boss"}, 400, "role"),
        ({"email": "{teammate}", "admin": True}, 400, "admin"),
        ({"email": "{owner}"}, 409, "email"),
    ],
)
def test_bad_invitations_are_refused(
    owner: Persona, teammate: Persona, body: dict[str, Any], status: int, field: str
) -> None:
    team = new_workspace(owner)
    body = {
        k: v.format(teammate=teammate.email, owner=owner.email) if isinstance(v, str) else v
        for k, v in body.items()
    }
    response = owner.post(f"/v1/workspaces/{team}/members", json=body)
    assert_error(response, status, "VALIDATION_ERROR" if status == 400 else "CONFLICT", field)
    assert roles(owner, team) == {owner.user_id: "owner"}


def test_changing_a_role_changes_whose_time_one_sees(
    owner: Persona, persona_factory: Callable[[], Persona]
) -> None:
    team = new_workspace(owner)
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Web", "workspace_id": team})
    alice, bob = persona_factory(), persona_factory()
    add_member(owner, team, alice)
    add_member(owner, team, bob)
    bobs = bob.ok("POST", "/v1/time-entries", 201, json={**SLOT, "project_id": project["id"]})
    assert bobs["workspace_id"] == team
    url = f"/v1/workspaces/{team}/members/{alice.user_id}"

    assert_error(alice.get(f"/v1/time-entries/{bobs['id']}"), 404, "NOT_FOUND")
    promoted = owner.ok("PATCH", url, json={"role": "admin"})
    assert (promoted["user_id"], promoted["role"]) == (alice.user_id, "admin")
    assert alice.ok("GET", f"/v1/time-entries/{bobs['id']}")["user_id"] == bob.user_id
    assert bobs["id"] in entry_ids(alice)
    assert owner.ok("PATCH", url, json={"role": "member"})["role"] == "member"
    assert_error(alice.get(f"/v1/time-entries/{bobs['id']}"), 404, "NOT_FOUND")
    assert bobs["id"] not in entry_ids(alice)


def test_role_changes_that_are_refused(
    owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    team = new_workspace(owner)
    add_member(owner, team, teammate)
    members = f"/v1/workspaces/{team}/members"
    assert_error(
        owner.patch(f"{members}/{owner.user_id}", json={"role": "admin"}), 409, "CONFLICT", "role"
    )
    assert_error(
        owner.patch(f"{members}/{outsider.user_id}", json={"role": "admin"}), 404, "NOT_FOUND"
    )
    for body, field in (({"role": "owner"}, "role"), ({}, "role"), ({"rank": 1}, "rank")):
        response = owner.patch(f"{members}/{teammate.user_id}", json=body)
        assert_error(response, 400, "VALIDATION_ERROR", field)
    # A member cannot promote themselves.
    response = teammate.patch(f"{members}/{teammate.user_id}", json={"role": "admin"})
    assert_error(response, 403, "FORBIDDEN")
    assert roles(owner, team) == {owner.user_id: "owner", teammate.user_id: "member"}


def test_admins_manage_members_but_never_the_owner(
    owner: Persona, persona_factory: Callable[[], Persona]
) -> None:
    team = new_workspace(owner)
    admin, member, newcomer = persona_factory(), persona_factory(), persona_factory()
    add_member(owner, team, admin, "admin")
    add_member(owner, team, member)
    add_member(admin, team, newcomer)
    members = f"/v1/workspaces/{team}/members"
    admin.ok("PATCH", f"{members}/{member.user_id}", json={"role": "admin"})
    admin.ok("PATCH", f"{members}/{member.user_id}", json={"role": "member"})
    admin.ok("DELETE", f"{members}/{newcomer.user_id}")
    assert_error(admin.delete(f"{members}/{owner.user_id}"), 409, "CONFLICT", "user_id")
    assert_error(
        admin.patch(f"{members}/{owner.user_id}", json={"role": "member"}), 409, "CONFLICT", "role"
    )
    assert roles(owner, team) == {
        owner.user_id: "owner",
        admin.user_id: "admin",
        member.user_id: "member",
    }


def test_members_cannot_manage_membership(
    owner: Persona, teammate: Persona, persona_factory: Callable[[], Persona]
) -> None:
    team = new_workspace(owner)
    colleague, stranger = persona_factory(), persona_factory()
    add_member(owner, team, teammate)
    add_member(owner, team, colleague)
    members = f"/v1/workspaces/{team}/members"
    assert_error(teammate.post(members, json={"email": stranger.email}), 403, "FORBIDDEN")
    assert_error(teammate.delete(f"{members}/{colleague.user_id}"), 403, "FORBIDDEN")
    assert_error(
        teammate.patch(f"{members}/{colleague.user_id}", json={"role": "admin"}), 403, "FORBIDDEN"
    )
    assert set(roles(owner, team)) == {owner.user_id, teammate.user_id, colleague.user_id}


def test_a_member_may_leave_and_be_invited_again(owner: Persona, teammate: Persona) -> None:
    team = new_workspace(owner)
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Web", "workspace_id": team})
    add_member(owner, team, teammate)
    teammate.ok("DELETE", f"/v1/workspaces/{team}/members/{teammate.user_id}")
    assert team not in {w["id"] for w in teammate.ok("GET", "/v1/workspaces")}
    assert_error(teammate.get(f"/v1/workspaces/{team}"), 404, "NOT_FOUND")
    assert project["id"] not in project_ids(teammate)
    # The owner cannot leave: the workspace would have nobody to run it.
    response = owner.delete(f"/v1/workspaces/{team}/members/{owner.user_id}")
    assert_error(response, 409, "CONFLICT", "user_id")
    add_member(owner, team, teammate)
    assert project["id"] in project_ids(teammate)


def test_removing_a_member_keeps_their_time_in_the_workspace(
    owner: Persona, teammate: Persona
) -> None:
    team = new_workspace(owner)
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Web", "workspace_id": team})
    add_member(owner, team, teammate)
    tracked = teammate.ok(
        "POST", "/v1/time-entries", 201, json={**SLOT, "project_id": project["id"]}
    )
    owner.ok("DELETE", f"/v1/workspaces/{team}/members/{teammate.user_id}")
    assert_error(
        owner.delete(f"/v1/workspaces/{team}/members/{teammate.user_id}"), 404, "NOT_FOUND"
    )
    assert owner.ok("GET", f"/v1/time-entries/{tracked['id']}")["workspace_id"] == team
    # The person who tracked it still sees their own record, but no longer the project.
    assert teammate.ok("GET", f"/v1/time-entries/{tracked['id']}")["project_id"] == project["id"]
    response = teammate.post("/v1/time-entries", json={**SLOT, "project_id": project["id"]})
    assert_error(response, 400, "VALIDATION_ERROR", "project_id")


def test_a_personal_workspace_takes_no_members_and_is_private(
    owner: Persona, teammate: Persona
) -> None:
    (personal,) = [w for w in owner.ok("GET", "/v1/workspaces") if w["personal"]]
    assert personal["role"] == "owner" and personal["owner_id"] == owner.user_id
    response = owner.post(
        f"/v1/workspaces/{personal['id']}/members", json={"email": teammate.email}
    )
    assert_error(response, 409, "CONFLICT")
    assert_error(teammate.get(f"/v1/workspaces/{personal['id']}"), 404, "NOT_FOUND")


# -- personas across two workspaces ---------------------------------------------------------


@pytest.fixture
def two_teams(owner: Persona, persona_factory: Callable[[], Persona]) -> dict[str, Any]:
    """A: owner, admin, alice, bob; project `web`. B: boss, carol, and alice too;
    project `app`. `nobody` is in neither."""
    admin, alice, bob, boss, carol, nobody = (persona_factory() for _ in range(6))
    a = new_workspace(owner, "A")
    add_member(owner, a, admin, "admin")
    add_member(owner, a, alice)
    add_member(owner, a, bob)
    b = new_workspace(boss, "B")
    add_member(boss, b, carol)
    add_member(boss, b, alice)
    web = owner.ok("POST", "/v1/projects", 201, json={"name": "Web", "workspace_id": a})["id"]
    app = boss.ok("POST", "/v1/projects", 201, json={"name": "App", "workspace_id": b})["id"]
    people = {"owner": owner, "admin": admin, "alice": alice, "bob": bob}
    people |= {"boss": boss, "carol": carol, "nobody": nobody}
    return {"a": a, "b": b, "web": web, "app": app, **people}


def track(p: Persona, project: str) -> str:
    return str(new_entry(p, SLOT["start_at"], SLOT["end_at"], project_id=project)["id"])


def test_members_see_the_projects_of_each_of_their_workspaces(two_teams: dict[str, Any]) -> None:
    t = two_teams
    assert {t["web"], t["app"]} <= project_ids(t["alice"])
    assert t["web"] in project_ids(t["bob"]) and t["app"] not in project_ids(t["bob"])
    assert t["app"] in project_ids(t["carol"]) and t["web"] not in project_ids(t["carol"])
    assert {t["web"], t["app"]}.isdisjoint(project_ids(t["nobody"]))
    assert t["alice"].ok("GET", f"/v1/projects/{t['app']}")["workspace_id"] == t["b"]
    assert_error(t["bob"].get(f"/v1/projects/{t['app']}"), 404, "NOT_FOUND")
    # Seeing a project is not managing it: a member cannot rename it.
    response = t["bob"].patch(f"/v1/projects/{t['web']}", json={"name": "Mine"})
    assert_error(response, 403, "FORBIDDEN")


def test_a_member_cannot_read_another_members_time(two_teams: dict[str, Any]) -> None:
    t = two_teams
    alices, bobs = track(t["alice"], t["web"]), track(t["bob"], t["web"])
    alice: Persona = t["alice"]
    assert entry_ids(alice) == {alices}
    assert entry_ids(alice, f"?project_id={t['web']}") == {alices}
    assert entry_ids(alice, f"?user_id={t['bob'].user_id}") == set()
    url = f"/v1/time-entries/{bobs}"
    assert_error(alice.get(url), 404, "NOT_FOUND")
    assert_error(alice.patch(url, json={"description": "x"}), 404, "NOT_FOUND")
    assert_error(alice.delete(url), 404, "NOT_FOUND")
    assert t["bob"].ok("GET", url)["description"] == ""


def test_admins_see_everyones_time_in_their_workspace_only(two_teams: dict[str, Any]) -> None:
    t = two_teams
    alice_a, bob_a = track(t["alice"], t["web"]), track(t["bob"], t["web"])
    alice_b, carol_b = track(t["alice"], t["app"]), track(t["carol"], t["app"])
    alice_personal = str(t["alice"].ok("POST", "/v1/time-entries", 201, json=SLOT)["id"])
    for manager in (t["owner"], t["admin"]):
        seen = entry_ids(manager)
        assert {alice_a, bob_a} <= seen
        assert seen.isdisjoint({alice_b, carol_b, alice_personal})
        assert entry_ids(manager, f"?user_id={t['alice'].user_id}") == {alice_a}
        assert_error(manager.get(f"/v1/time-entries/{alice_b}"), 404, "NOT_FOUND")
        assert_error(manager.get(f"/v1/time-entries/{alice_personal}"), 404, "NOT_FOUND")
    assert entry_ids(t["boss"]) >= {alice_b, carol_b}
    assert entry_ids(t["boss"]).isdisjoint({alice_a, bob_a, alice_personal})
    assert entry_ids(t["alice"]) == {alice_a, alice_b, alice_personal}


def test_an_admin_sees_but_does_not_edit_a_members_time(two_teams: dict[str, Any]) -> None:
    t = two_teams
    bobs = track(t["bob"], t["web"])
    url = f"/v1/time-entries/{bobs}"
    assert_error(t["admin"].patch(url, json={"description": "x"}), 403, "FORBIDDEN")
    assert_error(t["admin"].delete(url), 403, "FORBIDDEN")
    assert t["bob"].ok("GET", url)["description"] == ""


def test_an_outsider_gets_not_found_for_everything(two_teams: dict[str, Any]) -> None:
    t = two_teams
    alices = track(t["alice"], t["web"])
    a, members = t["a"], f"/v1/workspaces/{t['a']}/members"
    for who in ("nobody", "carol", "boss"):
        p: Persona = t[who]
        for response in (
            p.get(f"/v1/workspaces/{a}"),
            p.get(members),
            p.post(members, json={"email": p.email}),
            p.patch(f"{members}/{t['bob'].user_id}", json={"role": "admin"}),
            p.delete(f"{members}/{t['bob'].user_id}"),
            p.delete(f"{members}/{p.user_id}"),
            p.get(f"/v1/projects/{t['web']}"),
            p.get(f"/v1/time-entries/{alices}"),
            p.patch(f"/v1/time-entries/{alices}", json={"description": "x"}),
            p.delete(f"/v1/time-entries/{alices}"),
            p.post(f"/v1/time-entries/{alices}/submit"),
            p.post(f"/v1/time-entries/{alices}/approve"),
            p.post(f"/v1/time-entries/{alices}/reopen"),
        ):
            assert_error(response, 404, "NOT_FOUND")
        assert alices not in entry_ids(p)
        assert a not in {w["id"] for w in p.ok("GET", "/v1/workspaces")}
        # A reference inside a body is bad input, worded as for a missing project.
        response = p.post("/v1/time-entries", json={**SLOT, "project_id": t["web"]})
        assert_error(response, 400, "VALIDATION_ERROR", "project_id")
    assert set(roles(t["owner"], a)) == {t[n].user_id for n in ("owner", "admin", "alice", "bob")}


def test_unknown_workspaces_and_members_are_not_found(owner: Persona) -> None:
    assert_error(owner.get("/v1/workspaces/wsp_nope"), 404, "NOT_FOUND")
    assert_error(owner.get("/v1/workspaces/wsp_nope/members"), 404, "NOT_FOUND")
    team = new_workspace(owner)
    response = owner.patch(f"/v1/workspaces/{team}/members/usr_nope", json={"role": "admin"})
    assert_error(response, 404, "NOT_FOUND")
    assert_error(owner.delete(f"/v1/workspaces/{team}/members/usr_nope"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("scopes", "method", "path", "status"),
    [
        (["read:projects"], "GET", "", 200),
        (["read:projects"], "POST", "", 403),
        (["read:projects"], "POST", "/{team}/members", 403),
        (["read:projects"], "DELETE", "/{team}/members/{teammate}", 403),
        (["admin"], "GET", "", 403),
        (["admin"], "POST", "/{team}/members", 201),
        (["read:time_entries", "write:time_entries"], "GET", "/{team}/members", 403),
    ],
)
def test_workspace_scopes(
    owner: Persona, teammate: Persona, scopes: list[str], method: str, path: str, status: int
) -> None:
    team = new_workspace(owner)
    limited = owner.as_key(owner.new_key(scopes=scopes))
    url = "/v1/workspaces" + path.format(team=team, teammate=teammate.user_id)
    body: dict[str, Any] | None = None
    if method == "POST":
        body = {"email": teammate.email} if "members" in path else {"name": "Other"}
    response = limited.request(method, url, json=body)
    if status == 403:
        assert_error(response, 403, "FORBIDDEN")
        assert len(owner.ok("GET", "/v1/workspaces")) == 2
        assert roles(owner, team) == {owner.user_id: "owner"}
    else:
        assert response.status_code == status, response.text
