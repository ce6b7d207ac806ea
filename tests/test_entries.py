"""Time entries through HTTP (SPEC §3 "Time entries"): instants, derived durations, filters
by local day, references, ETags and all-or-nothing bulk writes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error


def entry(p: Persona, start: str, end: str, **fields: Any) -> dict[str, Any]:
    return dict(
        p.ok("POST", "/v1/time-entries", 201, json={"start_at": start, "end_at": end, **fields})
    )


def ids(p: Persona, query: str = "") -> list[str]:
    return [e["id"] for e in p.ok("GET", f"/v1/time-entries{query}")]


def test_instants_with_offsets_are_shown_in_the_account_zone(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    made = entry(owner, "2026-11-23T09:00:00+01:00", "2026-11-23T08:30:00Z", description="Reading")
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
    made = entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:15:30Z")
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
    made = entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", task_id=task["id"])
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
    night = entry(
        owner,
        "2026-11-23T23:00:00+01:00",
        "2026-11-24T01:00:00+01:00",
        project_id=prj["id"],
        tag_ids=[tag["id"]],
        billable=True,
    )
    morning = entry(owner, "2026-11-24T09:00:00+01:00", "2026-11-24T10:00:00+01:00")
    # 23:30 UTC on the 22nd is already the 23rd in Berlin.
    early = entry(owner, "2026-11-22T23:30:00Z", "2026-11-22T23:45:00Z")

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
    first = entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T09:30:00Z", block_id=block["id"])
    second = entry(owner, "2026-11-23T09:30:00Z", "2026-11-23T10:00:00Z", block_id=block["id"])
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is True
    owner.ok("DELETE", f"/v1/time-entries/{first['id']}")
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is True
    owner.ok("DELETE", f"/v1/time-entries/{second['id']}")
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is False


def test_other_users_entries_are_not_found(owner: Persona, outsider: Persona) -> None:
    made = entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")
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
    live = entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")
    test = entry(sandbox, "2026-11-23T11:00:00Z", "2026-11-23T12:00:00Z")
    assert ids(owner) == [live["id"]] and ids(sandbox) == [test["id"]]
    assert_error(sandbox.get(f"/v1/time-entries/{live['id']}"), 404, "NOT_FOUND")


# -- bulk ----------------------------------------------------------------------------------


def item(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "start_at": f"2026-11-2{n % 3}T{8 + n % 10:02d}:00:00Z",
        "end_at": f"2026-11-2{n % 3}T{8 + n % 10:02d}:45:00Z",
        "description": f"item {n}",
        **fields,
    }


def test_bulk_create_update_delete(owner: Persona) -> None:
    made = owner.ok(
        "POST", "/v1/time-entries/bulk", 201, json={"time_entries": [item(n) for n in range(5)]}
    )
    assert [e["description"] for e in made] == [f"item {n}" for n in range(5)]
    changes = [{"id": e["id"], "description": e["description"].upper()} for e in made[:2]]
    updated = owner.ok("PATCH", "/v1/time-entries/bulk", json={"time_entries": changes})
    assert [e["description"] for e in updated] == ["ITEM 0", "ITEM 1"]
    gone = ",".join(e["id"] for e in made[:3])
    owner.ok("DELETE", f"/v1/time-entries/bulk?ids={gone}")
    assert sorted(ids(owner)) == sorted(e["id"] for e in made[3:])


def test_bulk_is_all_or_nothing_and_names_each_failing_item(owner: Persona) -> None:
    items = [item(0), item(1, end_at="2026-11-21T00:00:00Z"), item(2), item(3, colour="red")]
    response = owner.post("/v1/time-entries/bulk", json={"time_entries": items})
    # The body's shape is checked first: the unknown field is reported before the spans.
    error = assert_error(response, 400, "VALIDATION_ERROR", "colour")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(3, "colour")]
    assert ids(owner) == []
    items[3] = item(3)
    response = owner.post("/v1/time-entries/bulk", json={"time_entries": items})
    error = assert_error(response, 400, "VALIDATION_ERROR", "end_at")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "end_at")]
    assert ids(owner) == []


def test_bulk_update_of_a_missing_or_foreign_entry_changes_nothing(
    owner: Persona, outsider: Persona
) -> None:
    mine = entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", description="keep")
    theirs = entry(outsider, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")
    changes = [
        {"id": mine["id"], "description": "changed"},
        {"id": theirs["id"], "description": "x"},
    ]
    response = owner.patch("/v1/time-entries/bulk", json={"time_entries": changes})
    error = assert_error(response, 404, "NOT_FOUND")
    assert [d["index"] for d in error["details"]] == [1]
    assert owner.ok("GET", f"/v1/time-entries/{mine['id']}")["description"] == "keep"
    response = owner.delete(f"/v1/time-entries/bulk?ids={mine['id']},{theirs['id']}")
    assert_error(response, 404, "NOT_FOUND")
    assert ids(owner) == [mine["id"]]
