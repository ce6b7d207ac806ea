"""Time entries through HTTP (SPEC §3 "Time entries"): instants in, UTC stored, shown in the
account's zone; derived durations; filters by local day; references; ETags. Bulk writes are
in test_entries_bulk.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import Persona, assert_error
from tests.factories import new_entry


def ids(p: Persona, query: str = "") -> list[str]:
    return [e["id"] for e in p.ok("GET", f"/v1/time-entries{query}")]


def test_instants_with_offsets_are_shown_in_the_account_zone(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    made = new_entry(
        owner, "2026-11-23T09:00:00+01:00", "2026-11-23T08:30:00Z", description="Reading"
    )
    assert made["id"].startswith("ten_")
    assert made["start_at"] == "2026-11-23T09:00:00+01:00"
    assert made["end_at"] == "2026-11-23T09:30:00+01:00"
    assert made["duration_seconds"] == 1800 and made["running"] is False
    assert made["source"] == "manual" and made["approval_status"] == "draft"
    owner.set_timezone("America/New_York")
    again = owner.ok("GET", f"/v1/time-entries/{made['id']}")
    assert again["start_at"] == "2026-11-23T03:00:00-05:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_at": "2026-11-23T09:00:00", "end_at": "2026-11-23T10:00:00Z"}, "start_at"),
        ({"start_at": "2026-11-23T10:00:00Z", "end_at": "2026-11-23T10:00:00Z"}, "end_at"),
        ({"start_at": "2026-11-23T10:00:00Z", "end_at": "2026-11-23T09:00:00Z"}, "end_at"),
        ({"start_at": "2026-11-01T10:00:00Z", "end_at": "2026-11-23T09:00:00Z"}, "end_at"),
        ({"start_at": "yesterday", "end_at": "2026-11-23T09:00:00Z"}, "start_at"),
        ({"end_at": "2026-11-23T09:00:00Z"}, "start_at"),
        (
            {
                "start_at": "2026-11-23T09:00:00Z",
                "end_at": "2026-11-23T10:00:00Z",
                "duration_seconds": 5,
            },
            "duration_seconds",
        ),
        (
            {
                "start_at": "2026-11-23T09:00:00Z",
                "end_at": "2026-11-23T10:00:00Z",
                "project_id": "prj_nope",
            },
            "project_id",
        ),
        (
            {
                "start_at": "2026-11-23T09:00:00Z",
                "end_at": "2026-11-23T10:00:00Z",
                "tag_ids": ["tag_nope"],
            },
            "tag_ids",
        ),
    ],
)
def test_bad_entries_are_refused_naming_the_field(owner: Persona, body: Any, field: str) -> None:
    assert_error(owner.post("/v1/time-entries", json=body), 400, "VALIDATION_ERROR", field)
    assert ids(owner) == []


def test_duration_is_derived_never_trusted(owner: Persona) -> None:
    made = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:15:30Z")
    assert made["duration_seconds"] == 4530
    moved = owner.ok(
        "PATCH", f"/v1/time-entries/{made['id']}", json={"end_at": "2026-11-23T09:10:00Z"}
    )
    assert moved["duration_seconds"] == 600
    assert_error(
        owner.patch(f"/v1/time-entries/{made['id']}", json={"start_at": "2026-11-23T09:20:00Z"}),
        400,
        "VALIDATION_ERROR",
        "end_at",
    )


def test_billable_defaults_to_the_project_and_task_sets_the_project(owner: Persona) -> None:
    paid = owner.ok("POST", "/v1/projects", 201, json={"name": "Client work", "billable": True})
    task = owner.ok("POST", "/v1/tasks", 201, json={"project_id": paid["id"], "name": "Design"})
    made = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", task_id=task["id"])
    assert made["project_id"] == paid["id"] and made["billable"] is True
    other = owner.ok("POST", "/v1/projects", 201, json={"name": "Other"})
    mismatch = owner.post(
        "/v1/time-entries",
        json={
            "start_at": "2026-11-23T11:00:00Z",
            "end_at": "2026-11-23T12:00:00Z",
            "project_id": other["id"],
            "task_id": task["id"],
        },
    )
    assert_error(mismatch, 400, "VALIDATION_ERROR", "task_id")


def test_filters_use_local_days_and_an_entry_counts_on_every_day_it_touches(
    owner: Persona,
) -> None:
    owner.set_timezone("Europe/Berlin")
    prj = owner.ok("POST", "/v1/projects", 201, json={"name": "P"})
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "late"})
    night = new_entry(
        owner,
        "2026-11-23T23:00:00+01:00",
        "2026-11-24T01:00:00+01:00",
        project_id=prj["id"],
        tag_ids=[tag["id"]],
        billable=True,
    )
    morning = new_entry(owner, "2026-11-24T09:00:00+01:00", "2026-11-24T10:00:00+01:00")
    # 23:30 UTC on the 22nd is already the 23rd in Berlin.
    early = new_entry(owner, "2026-11-22T23:30:00Z", "2026-11-22T23:45:00Z")

    assert ids(owner) == [morning["id"], night["id"], early["id"]]  # newest first
    assert ids(owner, "?date_from=2026-11-23&date_to=2026-11-23") == [night["id"], early["id"]]
    assert ids(owner, "?date_from=2026-11-24") == [morning["id"], night["id"]]
    assert ids(owner, "?date_to=2026-11-22") == []
    assert ids(owner, f"?project_id={prj['id']}") == [night["id"]]
    assert ids(owner, f"?tag_id={tag['id']}") == [night["id"]]
    assert ids(owner, "?billable=true") == [night["id"]]
    assert ids(owner, "?billable=false") == [morning["id"], early["id"]]
    assert_error(
        owner.get("/v1/time-entries?date_from=2026-11-25&date_to=2026-11-24"),
        400,
        "VALIDATION_ERROR",
        "date_to",
    )
    page = owner.get("/v1/time-entries?per_page=2&page=2").json()
    assert [e["id"] for e in page["data"]] == [early["id"]] and page["meta"]["total"] == 3


def test_put_patch_delete_with_etags(owner: Persona) -> None:
    response = owner.post(
        "/v1/time-entries",
        json={"start_at": "2026-11-23T09:00:00Z", "end_at": "2026-11-23T10:00:00Z"},
    )
    made, etag = response.json()["data"], response.headers["etag"]
    url = f"/v1/time-entries/{made['id']}"
    assert owner.get(url).headers["etag"] == etag
    changed = owner.patch(url, json={"description": "Notes"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert_error(
        owner.patch(url, json={"description": "x"}, headers={"If-Match": etag}),
        412,
        "PRECONDITION_FAILED",
    )
    replaced = owner.ok(
        "PUT", url, json={"start_at": "2026-11-23T11:00:00Z", "end_at": "2026-11-23T11:30:00Z"}
    )
    assert replaced["description"] == "" and replaced["duration_seconds"] == 1800
    owner.ok("DELETE", url)
    assert_error(owner.get(url), 404, "NOT_FOUND")


def test_block_link_marks_the_block_tracked_until_its_last_entry_goes(owner: Persona) -> None:
    block = owner.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-23", "start": "09:00", "end": "10:00"}
    )
    assert block["has_time_entry"] is False
    first = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T09:30:00Z", block_id=block["id"])
    second = new_entry(owner, "2026-11-23T09:30:00Z", "2026-11-23T10:00:00Z", block_id=block["id"])
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is True
    owner.ok("DELETE", f"/v1/time-entries/{first['id']}")
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is True
    owner.ok("DELETE", f"/v1/time-entries/{second['id']}")
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is False


def test_other_users_entries_are_not_found(owner: Persona, outsider: Persona) -> None:
    made = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")
    url = f"/v1/time-entries/{made['id']}"
    assert_error(outsider.get(url), 404, "NOT_FOUND")
    assert_error(outsider.patch(url, json={"description": "x"}), 404, "NOT_FOUND")
    assert_error(outsider.delete(url), 404, "NOT_FOUND")
    assert_error(outsider.post(f"{url}/submit"), 404, "NOT_FOUND")
    assert ids(outsider) == []
    block = owner.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-23", "start": "09:00", "end": "10:00"}
    )
    linked = outsider.post(
        "/v1/time-entries",
        json={
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:00:00Z",
            "block_id": block["id"],
        },
    )
    assert_error(linked, 400, "VALIDATION_ERROR", "block_id")


def test_sandbox_entries_stay_in_the_sandbox(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    live = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")
    test = new_entry(sandbox, "2026-11-23T11:00:00Z", "2026-11-23T12:00:00Z")
    assert ids(owner) == [live["id"]] and ids(sandbox) == [test["id"]]
    assert_error(sandbox.get(f"/v1/time-entries/{live['id']}"), 404, "NOT_FOUND")


def test_instants_are_stored_in_utc(owner: Persona) -> None:
    owner.set_timezone("Asia/Kathmandu")
    made = new_entry(owner, "2026-11-23T09:00:00+05:45", "2026-11-23T10:30:00-04:00")
    assert made["start_at"] == "2026-11-23T09:00:00+05:45"
    assert made["end_at"] == "2026-11-23T20:15:00+05:45"
    assert made["duration_seconds"] == 11 * 3600 + 15 * 60
    with owner.db.read() as s:
        row = s.execute(
            text("SELECT start_at, end_at FROM time_entries WHERE id = :id"), {"id": made["id"]}
        ).one()
    stored = [v if isinstance(v, datetime) else datetime.fromisoformat(v) for v in row]
    assert stored == [datetime(2026, 11, 23, 3, 15), datetime(2026, 11, 23, 14, 30)]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01T00:00:00Z", "2026-11-23T10:00:00Z", "start_at"),
        ("2026-11-23T09:00:00+25:00", "2026-11-23T10:00:00Z", "start_at"),
        ("2026-11-23", "2026-11-23T10:00:00Z", "start_at"),
        ("2026-11-23T09:00:00Z", 1764000000, "end_at"),
        ("2026-11-23T09:00:00Z", None, "end_at"),
        ("2026-11-16T09:00:00Z", "2026-11-23T09:00:01Z", "end_at"),
    ],
)
def test_instants_must_be_whole_iso_8601_with_an_offset_and_spans_at_most_a_week(
    owner: Persona, start: Any, end: Any, field: str
) -> None:
    response = owner.post("/v1/time-entries", json={"start_at": start, "end_at": end})
    assert_error(response, 400, "VALIDATION_ERROR", field)


def test_an_entry_may_last_exactly_a_week(owner: Persona) -> None:
    made = new_entry(owner, "2026-11-16T09:00:00Z", "2026-11-23T09:00:00Z")
    assert made["duration_seconds"] == 7 * 86400


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_at": None}, "start_at"),
        ({"end_at": None}, "end_at"),
        ({"end_at": "2026-11-23T08:00:00Z"}, "end_at"),
        ({"duration_seconds": 60}, "duration_seconds"),
        ({"running": True}, "running"),
        ({"description": "x" * 2001}, "description"),
        ({"tag_ids": [f"tag_{n}" for n in range(51)]}, "tag_ids"),
        ({"approval_status": "approved"}, "approval_status"),
    ],
)
def test_bad_patches_are_refused_and_change_nothing(
    owner: Persona, changes: dict[str, Any], field: str
) -> None:
    made = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", description="kept")
    url = f"/v1/time-entries/{made['id']}"
    assert_error(owner.patch(url, json=changes), 400, "VALIDATION_ERROR", field)
    after = owner.get(url)
    assert after.json()["data"] == made
    assert after.headers["etag"] == f'"{made["id"]}.1"'


def test_patch_changes_only_what_it_sends(owner: Persona) -> None:
    prj = owner.ok("POST", "/v1/projects", 201, json={"name": "P", "billable": True})
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "t"})
    made = new_entry(
        owner,
        "2026-11-23T09:00:00Z",
        "2026-11-23T10:00:00Z",
        description="Reading",
        project_id=prj["id"],
        tag_ids=[tag["id"]],
    )
    url = f"/v1/time-entries/{made['id']}"
    later = owner.ok("PATCH", url, json={"start_at": "2026-11-23T09:30:00Z"})
    assert later["duration_seconds"] == 1800
    assert (later["description"], later["project_id"], later["tag_ids"], later["billable"]) == (
        "Reading",
        prj["id"],
        [tag["id"]],
        True,
    )
    untagged = owner.ok("PATCH", url, json={"tag_ids": [], "billable": False})
    assert untagged["tag_ids"] == [] and untagged["billable"] is False
    assert untagged["start_at"] == "2026-11-23T09:30:00Z"
    blank = owner.ok("PATCH", url, json={"description": None, "project_id": None})
    assert blank["description"] == "" and blank["project_id"] is None


def test_null_or_missing_billable_takes_the_projects_default(owner: Persona) -> None:
    prj = owner.ok("POST", "/v1/projects", 201, json={"name": "P", "billable": True})
    made = new_entry(
        owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", project_id=prj["id"], billable=False
    )
    url = f"/v1/time-entries/{made['id']}"
    assert made["billable"] is False
    assert owner.ok("PATCH", url, json={"billable": None})["billable"] is True
    owner.ok("PATCH", url, json={"billable": False})
    replaced = owner.ok(
        "PUT",
        url,
        json={
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:00:00Z",
            "project_id": prj["id"],
        },
    )
    assert replaced["billable"] is True
    # Moving to another project keeps a billable flag that was set.
    other = owner.ok("POST", "/v1/projects", 201, json={"name": "Q"})
    assert owner.ok("PATCH", url, json={"project_id": other["id"]})["billable"] is True


def test_moving_to_another_project_drops_a_task_of_the_old_one(owner: Persona) -> None:
    one = owner.ok("POST", "/v1/projects", 201, json={"name": "One"})
    two = owner.ok("POST", "/v1/projects", 201, json={"name": "Two"})
    task = owner.ok("POST", "/v1/tasks", 201, json={"project_id": one["id"], "name": "T"})
    made = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", task_id=task["id"])
    url = f"/v1/time-entries/{made['id']}"
    moved = owner.ok("PATCH", url, json={"project_id": two["id"]})
    assert (moved["project_id"], moved["task_id"]) == (two["id"], None)
    assert_error(owner.patch(url, json={"task_id": task["id"]}), 400, "VALIDATION_ERROR", "task_id")
    back = owner.ok("PATCH", url, json={"project_id": None, "task_id": task["id"]})
    assert (back["project_id"], back["task_id"]) == (one["id"], task["id"])


def test_tags_must_belong_to_the_entrys_workspace_even_after_a_move(owner: Persona) -> None:
    team = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Team"})["id"]
    shared = owner.ok("POST", "/v1/projects", 201, json={"name": "Shared", "workspace_id": team})
    personal_tag = owner.ok("POST", "/v1/tags", 201, json={"name": "mine"})
    team_tag = owner.ok("POST", "/v1/tags", 201, json={"name": "ours", "workspace_id": team})
    start, end = "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z"
    refused = owner.post(
        "/v1/time-entries",
        json={
            "start_at": start,
            "end_at": end,
            "project_id": shared["id"],
            "tag_ids": [personal_tag["id"]],
        },
    )
    assert_error(refused, 400, "VALIDATION_ERROR", "tag_ids")
    made = new_entry(owner, start, end, tag_ids=[personal_tag["id"]])
    url = f"/v1/time-entries/{made['id']}"
    assert_error(
        owner.patch(url, json={"project_id": shared["id"]}), 400, "VALIDATION_ERROR", "tag_ids"
    )
    assert owner.ok("GET", url)["workspace_id"] == made["workspace_id"]
    moved = owner.ok("PATCH", url, json={"project_id": shared["id"], "tag_ids": [team_tag["id"]]})
    assert moved["workspace_id"] == team and moved["tag_ids"] == [team_tag["id"]]


def test_relinking_an_entry_moves_the_tracked_mark_between_blocks(owner: Persona) -> None:
    slot = {"date": "2026-11-23", "start": "09:00", "end": "10:00"}
    first = owner.ok("POST", "/v1/blocks", 201, json=slot)
    second = owner.ok("POST", "/v1/blocks", 201, json={**slot, "start": "10:00", "end": "11:00"})
    made = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", block_id=first["id"])
    url = f"/v1/time-entries/{made['id']}"
    owner.ok("PATCH", url, json={"block_id": second["id"]})

    def tracked(block: dict[str, Any]) -> bool:
        return bool(owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"])

    assert (tracked(first), tracked(second)) == (False, True)
    owner.ok("PATCH", url, json={"block_id": None})
    assert (tracked(first), tracked(second)) == (False, False)


def test_filter_by_task(owner: Persona) -> None:
    prj = owner.ok("POST", "/v1/projects", 201, json={"name": "P"})
    task = owner.ok("POST", "/v1/tasks", 201, json={"project_id": prj["id"], "name": "T"})
    on_task = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", task_id=task["id"])
    new_entry(owner, "2026-11-23T10:00:00Z", "2026-11-23T11:00:00Z", project_id=prj["id"])
    assert ids(owner, f"?task_id={task['id']}") == [on_task["id"]]
    assert ids(owner, f"?task_id={task['id']}&project_id={prj['id']}") == [on_task["id"]]
    assert ids(owner, "?task_id=tsk_unknown") == []


def test_local_days_follow_daylight_saving_changes(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    # 2026-10-25 is 25 hours long in Berlin: from 22:00 UTC on the 24th to 23:00 UTC.
    before = new_entry(owner, "2026-10-24T21:30:00Z", "2026-10-24T21:50:00Z")  # 23:30 CEST
    first = new_entry(owner, "2026-10-24T22:30:00Z", "2026-10-24T22:50:00Z")  # 00:30 CEST
    last = new_entry(owner, "2026-10-25T22:30:00Z", "2026-10-25T22:50:00Z")  # 23:30 CET
    after = new_entry(owner, "2026-10-25T23:10:00Z", "2026-10-25T23:20:00Z")  # 00:10 CET
    assert ids(owner, "?date_from=2026-10-25&date_to=2026-10-25") == [last["id"], first["id"]]
    assert ids(owner, "?date_to=2026-10-24") == [before["id"]]
    assert ids(owner, "?date_from=2026-10-26") == [after["id"]]
    assert first["start_at"] == "2026-10-25T00:30:00+02:00"
    assert last["start_at"] == "2026-10-25T23:30:00+01:00"


def test_a_running_timer_is_on_every_day_from_its_start(owner: Persona) -> None:
    running = owner.ok("POST", "/v1/timer/start", 201, json={})
    assert ids(owner, "?date_from=2026-11-24&date_to=2026-11-24") == [running["id"]]
    assert ids(owner, "?date_from=2026-11-30") == [running["id"]]
    assert ids(owner, "?date_to=2026-11-23") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-13-01", "date_from"),
        ("date_to=24.11.2026", "date_to"),
        ("billable=perhaps", "billable"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("project_id=" + "p" * 33, "project_id"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(
    owner: Persona, query: str, field: str
) -> None:
    assert_error(owner.get(f"/v1/time-entries?{query}"), 400, "VALIDATION_ERROR", field)


def test_if_match_guards_every_change(owner: Persona) -> None:
    made = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")
    url = f"/v1/time-entries/{made['id']}"
    stale = owner.get(url).headers["etag"]
    owner.ok("PATCH", url, json={"description": "new"}, headers={"If-Match": "*"})
    whole = {"start_at": "2026-11-23T09:00:00Z", "end_at": "2026-11-23T10:00:00Z"}
    assert_error(
        owner.put(url, json=whole, headers={"If-Match": stale}), 412, "PRECONDITION_FAILED"
    )
    assert_error(owner.delete(url, headers={"If-Match": stale}), 412, "PRECONDITION_FAILED")
    assert_error(owner.delete(url, headers={"If-Match": "W/" + stale}), 412, "PRECONDITION_FAILED")
    current = owner.get(url)
    assert current.json()["data"]["description"] == "new"
    owner.ok("DELETE", url, headers={"If-Match": current.headers["etag"]})
    assert ids(owner) == []


@pytest.mark.parametrize(
    ("scopes", "method", "status"),
    [
        (["read:time_entries"], "GET", 200),
        (["read:time_entries"], "POST", 403),
        (["write:time_entries"], "GET", 403),
        (["write:time_entries"], "POST", 201),
        (["read:blocks", "write:blocks", "read:reports"], "GET", 403),
    ],
)
def test_entry_scopes(owner: Persona, scopes: list[str], method: str, status: int) -> None:
    limited = owner.as_key(owner.new_key(scopes=scopes))
    body = {"start_at": "2026-11-23T09:00:00Z", "end_at": "2026-11-23T10:00:00Z"}
    response = limited.request(method, "/v1/time-entries", json=body if method == "POST" else None)
    if status == 403:
        assert_error(response, 403, "FORBIDDEN")
    else:
        assert response.status_code == status, response.text
