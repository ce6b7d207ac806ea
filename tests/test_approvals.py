"""Approvals (SPEC §3 "Time entries"): the entry's owner submits, an owner or admin of its
workspace approves or rejects with a comment; submitted and approved entries are locked
(CONFLICT) until reopened; ``GET /v1/time-entry-approvals`` is the admins' queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import FrozenClock, Persona, assert_error
from tests.factories import add_member, new_entry, new_project, new_workspace


@pytest.fixture
def team(owner: Persona, persona_factory: Callable[[], Persona]) -> dict[str, Any]:
    """A workspace run by `owner` with an `admin` and two members, and a shared project."""
    admin, alice, bob = persona_factory(), persona_factory(), persona_factory()
    wsp = new_workspace(owner, "Agency")
    for who, role in ((admin, "admin"), (alice, "member"), (bob, "member")):
        add_member(owner, wsp, who, role)
    project = new_project(owner, "Web", workspace_id=wsp)
    return {
        "id": wsp,
        "project": project["id"],
        "owner": owner,
        "admin": admin,
        "alice": alice,
        "bob": bob,
    }


def track(p: Persona, project: str | None, day: int = 23, **fields: Any) -> str:
    """An hour from 09:00 on ``day`` November: its id."""
    start, end = f"2026-11-{day:02d}T09:00:00Z", f"2026-11-{day:02d}T10:00:00Z"
    return str(new_entry(p, start, end, project_id=project, **fields)["id"])


def queue(p: Persona, query: str = "") -> list[str]:
    return [e["id"] for e in p.ok("GET", f"/v1/time-entry-approvals{query}")]


def test_submit_then_approve_with_a_comment(team: dict[str, Any], clock: FrozenClock) -> None:
    alice: Persona = team["alice"]
    admin: Persona = team["admin"]
    entry = track(alice, team["project"])
    url = f"/v1/time-entries/{entry}"
    response = alice.post(f"{url}/submit")
    assert response.status_code == 200, response.text
    submitted = response.json()["data"]
    assert submitted["approval_status"] == "submitted" and submitted["reviewed_by"] is None
    assert response.headers["etag"] == alice.get(url).headers["etag"]
    assert queue(admin) == [entry]

    clock.set(clock() + timedelta(hours=2))
    approved = admin.ok("POST", f"{url}/approve", json={"comment": "Looks right"})
    assert approved["approval_status"] == "approved"
    assert approved["approval_comment"] == "Looks right"
    assert approved["reviewed_by"] == admin.user_id
    assert approved["reviewed_at"] == "2026-11-24T12:00:00Z"
    assert alice.ok("GET", url) == approved
    assert queue(admin) == []


def test_approve_and_reject_take_no_body_or_a_comment_only(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    owner: Persona = team["owner"]
    first, second = track(alice, team["project"]), track(alice, team["project"], 22)
    for entry in (first, second):
        alice.ok("POST", f"/v1/time-entries/{entry}/submit")
    url = f"/v1/time-entries/{first}"
    for body, field in (
        ({"comment": "x" * 2001}, "comment"),
        ({"comment": 7}, "comment"),
        ({"note": "hi"}, "note"),
        ({"approved": True}, "approved"),
    ):
        assert_error(owner.post(f"{url}/approve", json=body), 400, "VALIDATION_ERROR", field)
        assert_error(owner.post(f"{url}/reject", json=body), 400, "VALIDATION_ERROR", field)
    assert alice.ok("GET", url)["approval_status"] == "submitted"
    plain = owner.client.post(f"{url}/approve", headers=owner.headers)
    assert plain.status_code == 200 and plain.json()["data"]["approval_comment"] is None
    rejected = owner.ok("POST", f"/v1/time-entries/{second}/reject")
    assert rejected["approval_status"] == "rejected" and rejected["reviewed_by"] == owner.user_id


def test_a_rejected_entry_is_fixed_and_submitted_again(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    admin: Persona = team["admin"]
    entry = track(alice, team["project"])
    url = f"/v1/time-entries/{entry}"
    alice.ok("POST", f"{url}/submit")
    rejected = admin.ok("POST", f"{url}/reject", json={"comment": "This was Tuesday"})
    assert (rejected["approval_status"], rejected["approval_comment"]) == (
        "rejected",
        "This was Tuesday",
    )
    assert queue(admin) == []
    # The comment reaches the person who tracked the time.
    assert alice.ok("GET", url)["approval_comment"] == "This was Tuesday"
    moved = {"start_at": "2026-11-24T09:00:00Z", "end_at": "2026-11-24T09:30:00Z"}
    fixed = alice.ok("PATCH", url, json=moved)
    assert (fixed["approval_status"], fixed["duration_seconds"]) == ("rejected", 1800)
    assert alice.ok("POST", f"{url}/submit")["approval_status"] == "submitted"
    assert queue(admin) == [entry]
    assert admin.ok("POST", f"{url}/approve")["approval_status"] == "approved"


def test_submitted_and_approved_entries_are_locked(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    admin: Persona = team["admin"]
    block = alice.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-23", "start": "09:00", "end": "10:00"}
    )
    entry = track(alice, team["project"], block_id=block["id"])
    url = f"/v1/time-entries/{entry}"
    whole = {"start_at": "2026-11-23T09:00:00Z", "end_at": "2026-11-23T09:30:00Z"}
    alice.ok("POST", f"{url}/submit")
    for status in ("submitted", "approved"):
        if status == "approved":
            admin.ok("POST", f"{url}/approve")
        before = alice.get(url)
        assert_error(alice.patch(url, json={"description": "x"}), 409, "CONFLICT")
        assert_error(alice.put(url, json=whole), 409, "CONFLICT", "approval_status")
        assert_error(alice.delete(url), 409, "CONFLICT", "approval_status")
        assert_error(alice.post(f"{url}/submit"), 409, "CONFLICT", "approval_status")
        after = alice.get(url)
        assert after.json()["data"] == before.json()["data"]
        assert after.headers["etag"] == before.headers["etag"]
    assert alice.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is True


def test_only_submitted_entries_are_reviewed(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    admin: Persona = team["admin"]
    entry = track(alice, team["project"])
    url = f"/v1/time-entries/{entry}"
    assert_error(admin.post(f"{url}/approve"), 409, "CONFLICT", "approval_status")
    assert_error(admin.post(f"{url}/reject"), 409, "CONFLICT", "approval_status")
    assert_error(admin.post(f"{url}/reopen"), 409, "CONFLICT", "approval_status")
    alice.ok("POST", f"{url}/submit")
    admin.ok("POST", f"{url}/approve")
    assert_error(admin.post(f"{url}/approve"), 409, "CONFLICT")
    assert_error(admin.post(f"{url}/reject"), 409, "CONFLICT")
    assert alice.ok("GET", url)["approval_status"] == "approved"


def test_members_cannot_approve(team: dict[str, Any]) -> None:
    """Docs: the role check is in the service, so a member approving time they can see (their
    own) is FORBIDDEN, and a colleague's entry, which members cannot see, is NOT_FOUND."""
    alice: Persona = team["alice"]
    bob: Persona = team["bob"]
    own, colleagues = track(alice, team["project"]), track(bob, team["project"])
    for p, entry in ((alice, own), (bob, colleagues)):
        p.ok("POST", f"/v1/time-entries/{entry}/submit")
    for action in ("approve", "reject"):
        assert_error(alice.post(f"/v1/time-entries/{own}/{action}"), 403, "FORBIDDEN")
        assert_error(alice.post(f"/v1/time-entries/{colleagues}/{action}"), 404, "NOT_FOUND")
    assert queue(alice) == [] and queue(bob) == []
    assert alice.ok("GET", f"/v1/time-entries/{own}")["approval_status"] == "submitted"
    assert bob.ok("GET", f"/v1/time-entries/{colleagues}")["approval_status"] == "submitted"


def test_only_the_person_who_tracked_an_entry_submits_it(team: dict[str, Any]) -> None:
    entry = track(team["alice"], team["project"])
    assert_error(team["admin"].post(f"/v1/time-entries/{entry}/submit"), 403, "FORBIDDEN")
    assert_error(team["bob"].post(f"/v1/time-entries/{entry}/submit"), 404, "NOT_FOUND")
    assert queue(team["admin"]) == []


def test_reopen_returns_an_approved_entry_to_draft(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    owner: Persona = team["owner"]
    entry = track(alice, team["project"])
    url = f"/v1/time-entries/{entry}"
    alice.ok("POST", f"{url}/submit")
    team["admin"].ok("POST", f"{url}/approve")
    assert_error(alice.post(f"{url}/reopen"), 403, "FORBIDDEN")
    assert_error(team["bob"].post(f"{url}/reopen"), 404, "NOT_FOUND")
    reopened = owner.ok("POST", f"{url}/reopen")
    assert reopened["approval_status"] == "draft"
    assert alice.ok("PATCH", url, json={"description": "more detail"})["approval_status"] == "draft"
    alice.ok("DELETE", url)
    assert_error(alice.get(url), 404, "NOT_FOUND")


def test_an_owner_withdraws_a_submission_but_not_a_review(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    entry = track(alice, team["project"])
    url = f"/v1/time-entries/{entry}"
    alice.ok("POST", f"{url}/submit")
    assert alice.ok("POST", f"{url}/reopen")["approval_status"] == "draft"
    assert queue(team["admin"]) == []
    alice.ok("POST", f"{url}/submit")
    team["admin"].ok("POST", f"{url}/reject", json={"comment": "no"})
    assert_error(alice.post(f"{url}/reopen"), 403, "FORBIDDEN")


def test_the_queue_lists_submitted_entries_of_managed_workspaces_oldest_first(
    team: dict[str, Any], persona_factory: Callable[[], Persona]
) -> None:
    alice: Persona = team["alice"]
    bob: Persona = team["bob"]
    newer, older = track(alice, team["project"], 23), track(bob, team["project"], 20)
    draft = track(alice, team["project"], 21)
    personal = track(alice, None, 19)
    for p, entry in ((alice, newer), (bob, older), (alice, personal)):
        p.ok("POST", f"/v1/time-entries/{entry}/submit")
    # Another team's admin sees none of it.
    stranger = persona_factory()
    stranger.ok("POST", "/v1/workspaces", 201, json={"name": "Elsewhere"})
    assert queue(stranger) == []
    for manager in (team["owner"], team["admin"]):
        assert queue(manager) == [older, newer]
    assert draft not in queue(team["owner"])
    # Time in one's personal workspace is one's own to review.
    assert queue(alice) == [personal]
    listed = team["admin"].ok("GET", "/v1/time-entry-approvals")
    assert {e["user_id"] for e in listed} == {alice.user_id, bob.user_id}


def test_the_queue_pages_and_counts_every_waiting_entry(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    waiting = [track(alice, team["project"], day) for day in (16, 17, 18, 19, 20)]
    for entry in waiting:
        alice.ok("POST", f"/v1/time-entries/{entry}/submit")
    admin: Persona = team["admin"]
    pages = [admin.get(f"/v1/time-entry-approvals?per_page=2&page={n}").json() for n in (1, 2, 3)]
    assert [[e["id"] for e in p["data"]] for p in pages] == [waiting[:2], waiting[2:4], waiting[4:]]
    assert [p["meta"]["total"] for p in pages] == [5, 5, 5]
    assert [p["meta"]["has_more"] for p in pages] == [True, True, False]
    beyond = admin.get("/v1/time-entry-approvals?per_page=2&page=9").json()
    assert beyond["data"] == [] and beyond["meta"]["total"] == 5
    whole = admin.get("/v1/time-entry-approvals").json()["meta"]
    assert (whole["total"], whole["has_more"]) == (5, False)


def test_if_match_guards_the_review(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    admin: Persona = team["admin"]
    entry = track(alice, team["project"])
    url = f"/v1/time-entries/{entry}"
    seen = alice.post(f"{url}/submit").headers["etag"]
    # The member withdraws, changes the entry and submits again after the admin looked.
    alice.ok("POST", f"{url}/reopen")
    alice.ok("PATCH", url, json={"end_at": "2026-11-23T18:00:00Z"})
    current = alice.post(f"{url}/submit").headers["etag"]
    response = admin.post(f"{url}/approve", headers={"If-Match": seen})
    assert_error(response, 412, "PRECONDITION_FAILED", "If-Match")
    assert_error(
        alice.post(f"{url}/reopen", headers={"If-Match": seen}), 412, "PRECONDITION_FAILED"
    )
    assert alice.ok("GET", url)["approval_status"] == "submitted"
    approved = admin.post(f"{url}/approve", headers={"If-Match": current})
    assert approved.status_code == 200 and approved.headers["etag"] != current


def test_a_demoted_admin_can_no_longer_approve(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    admin: Persona = team["admin"]
    entry = track(alice, team["project"])
    alice.ok("POST", f"/v1/time-entries/{entry}/submit")
    team["owner"].ok(
        "PATCH", f"/v1/workspaces/{team['id']}/members/{admin.user_id}", json={"role": "member"}
    )
    assert queue(admin) == []
    assert_error(admin.post(f"/v1/time-entries/{entry}/approve"), 404, "NOT_FOUND")


def test_a_removed_members_submission_can_still_be_reviewed(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    entry = track(alice, team["project"])
    alice.ok("POST", f"/v1/time-entries/{entry}/submit")
    team["owner"].ok("DELETE", f"/v1/workspaces/{team['id']}/members/{alice.user_id}")
    assert queue(team["admin"]) == [entry]
    team["admin"].ok("POST", f"/v1/time-entries/{entry}/approve")
    assert alice.ok("GET", f"/v1/time-entries/{entry}")["approval_status"] == "approved"


def test_sandbox_submissions_stay_out_of_the_live_queue(team: dict[str, Any]) -> None:
    alice: Persona = team["alice"]
    sandbox = alice.as_key(alice.new_key(test=True))
    entry = track(sandbox, None)
    sandbox.ok("POST", f"/v1/time-entries/{entry}/submit")
    assert queue(alice) == []
    assert queue(sandbox) == [entry]
    assert_error(alice.post(f"/v1/time-entries/{entry}/approve"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("scopes", "action", "status"),
    [
        (["read:time_entries"], "approve", 403),
        (["read:time_entries"], "queue", 200),
        (["write:time_entries"], "queue", 403),
        (["write:time_entries"], "approve", 200),
        (["admin", "read:projects", "write:projects"], "approve", 403),
    ],
)
def test_approval_scopes(team: dict[str, Any], scopes: list[str], action: str, status: int) -> None:
    alice: Persona = team["alice"]
    entry = track(alice, team["project"])
    alice.ok("POST", f"/v1/time-entries/{entry}/submit")
    admin: Persona = team["admin"]
    limited = admin.as_key(admin.new_key(scopes=scopes))
    if action == "queue":
        response = limited.get("/v1/time-entry-approvals")
    else:
        response = limited.post(f"/v1/time-entries/{entry}/approve")
    if status == 403:
        assert_error(response, 403, "FORBIDDEN")
        assert alice.ok("GET", f"/v1/time-entries/{entry}")["approval_status"] == "submitted"
    else:
        assert response.status_code == status, response.text
