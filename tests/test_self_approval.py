"""Reviewing one's own time: refused while the workspace has another owner or admin to do
it, unless the workspace's ``allow_self_approval`` is on; the only owner or admin of a
workspace (a freelancer in their personal workspace) reviews their own time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import add_member, new_entry, new_project, new_workspace


def submitted(p: Persona, project: str | None) -> str:
    entry = new_entry(p, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", project_id=project)
    p.ok("POST", f"/v1/time-entries/{entry['id']}/submit")
    return str(entry["id"])


@pytest.fixture
def agency(owner: Persona, persona_factory: Callable[[], Persona]) -> dict[str, Any]:
    """A workspace of `owner` with a second manager (`admin`) and a `member`."""
    admin, member = persona_factory(), persona_factory()
    wsp = new_workspace(owner, "Agency")
    add_member(owner, wsp, admin, "admin")
    add_member(owner, wsp, member, "member")
    project = new_project(owner, "Web", workspace_id=wsp)["id"]
    return {"id": wsp, "project": project, "owner": owner, "admin": admin, "member": member}


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("who", ["owner", "admin"])
def test_a_manager_does_not_review_their_own_time_when_another_can(
    agency: dict[str, Any], action: str, who: str
) -> None:
    manager: Persona = agency[who]
    entry = submitted(manager, agency["project"])
    url = f"/v1/time-entries/{entry}"
    error = assert_error(manager.post(f"{url}/{action}"), 403, "FORBIDDEN")
    assert "allow_self_approval" in error["message"]
    assert manager.ok("GET", url)["approval_status"] == "submitted"
    # The other manager reviews it.
    other: Persona = agency["admin" if who == "owner" else "owner"]
    reviewed = other.ok("POST", f"{url}/{action}")
    assert reviewed["approval_status"] == ("approved" if action == "approve" else "rejected")
    assert reviewed["reviewed_by"] == other.user_id


def test_a_manager_still_reviews_a_members_time_and_reopens_their_own(
    agency: dict[str, Any],
) -> None:
    admin: Persona = agency["admin"]
    theirs = submitted(agency["member"], agency["project"])
    assert admin.ok("POST", f"/v1/time-entries/{theirs}/approve")["approval_status"] == "approved"
    own = submitted(admin, agency["project"])
    # Withdrawing one's own submission is not reviewing it.
    assert admin.ok("POST", f"/v1/time-entries/{own}/reopen")["approval_status"] == "draft"


def test_the_setting_lets_managers_review_their_own_time(agency: dict[str, Any]) -> None:
    owner: Persona = agency["owner"]
    admin: Persona = agency["admin"]
    wsp = f"/v1/workspaces/{agency['id']}"
    assert owner.ok("GET", wsp)["allow_self_approval"] is False
    # A plain member may not change it; an admin may.
    response = agency["member"].patch(wsp, json={"allow_self_approval": True})
    assert_error(response, 403, "FORBIDDEN")
    changed = admin.ok("PATCH", wsp, json={"allow_self_approval": True})
    assert changed["allow_self_approval"] is True and changed["role"] == "admin"
    assert owner.ok("GET", wsp)["allow_self_approval"] is True
    assert any(w["allow_self_approval"] for w in owner.ok("GET", "/v1/workspaces"))

    entry = submitted(admin, agency["project"])
    approved = admin.ok("POST", f"/v1/time-entries/{entry}/approve")
    assert approved["approval_status"] == "approved" and approved["reviewed_by"] == admin.user_id

    owner.ok("PATCH", wsp, json={"allow_self_approval": False})
    entry = submitted(owner, agency["project"])
    assert_error(owner.post(f"/v1/time-entries/{entry}/approve"), 403, "FORBIDDEN")


def test_the_only_manager_reviews_their_own_time(
    owner: Persona, persona_factory: Callable[[], Persona]
) -> None:
    # A freelancer's personal workspace: nobody else could ever approve it.
    personal = submitted(owner, None)
    assert owner.ok("POST", f"/v1/time-entries/{personal}/approve")["approval_status"] == "approved"
    # A team with one owner and plain members: the owner is the only reviewer there is.
    member = persona_factory()
    wsp = new_workspace(owner, "Studio")
    add_member(owner, wsp, member, "member")
    project = new_project(owner, "Site", workspace_id=wsp)["id"]
    entry = submitted(owner, project)
    assert owner.ok("POST", f"/v1/time-entries/{entry}/reject")["approval_status"] == "rejected"
    # Promoting the member to admin gives the owner's time a second reviewer.
    owner.ok("PATCH", f"/v1/workspaces/{wsp}/members/{member.user_id}", json={"role": "admin"})
    entry = submitted(owner, project)
    assert_error(owner.post(f"/v1/time-entries/{entry}/approve"), 403, "FORBIDDEN")


def test_workspace_patch_validates_and_hides_other_workspaces(
    agency: dict[str, Any], outsider: Persona
) -> None:
    owner: Persona = agency["owner"]
    wsp = f"/v1/workspaces/{agency['id']}"
    for body, field in (
        ({"allow_self_approval": None}, "allow_self_approval"),
        ({"allow_self_approval": "yes"}, "allow_self_approval"),
        ({"name": None}, "name"),
        ({"name": "  "}, "name"),
        ({"owner_id": outsider.user_id}, "owner_id"),
    ):
        assert_error(owner.patch(wsp, json=body), 400, "VALIDATION_ERROR", field)
    renamed = owner.ok("PATCH", wsp, json={"name": " Agency Two "})
    assert renamed["name"] == "Agency Two" and renamed["allow_self_approval"] is False
    assert_error(outsider.patch(wsp, json={"allow_self_approval": True}), 404, "NOT_FOUND")
    created = owner.ok(
        "POST", "/v1/workspaces", 201, json={"name": "X", "allow_self_approval": True}
    )
    assert created["allow_self_approval"] is True
