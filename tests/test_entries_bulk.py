"""Bulk writes of time entries (SPEC §2 "Bulk writes are all-or-nothing"): create, update
and delete in one transaction; any failing item fails the request, names its index and
field in ``details``, and leaves nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Persona, assert_error
from tests.factories import new_entry


def ids(p: Persona, query: str = "") -> list[str]:
    return [e["id"] for e in p.ok("GET", f"/v1/time-entries{query}")]


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
    mine = new_entry(owner, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", description="keep")
    theirs = new_entry(outsider, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")
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


def test_bulk_create_returns_the_entries_in_request_order_with_derived_fields(
    owner: Persona,
) -> None:
    prj = owner.ok("POST", "/v1/projects", 201, json={"name": "P", "billable": True})
    items = [
        item(0, project_id=prj["id"]),
        item(1, start_at="2026-11-20T09:00:00+01:00", end_at="2026-11-20T09:00:30+01:00"),
    ]
    made = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    assert [e["duration_seconds"] for e in made] == [2700, 30]
    assert [e["billable"] for e in made] == [True, False]
    assert made[1]["start_at"] == "2026-11-20T08:00:00Z"
    assert {e["source"] for e in made} == {"manual"}
    assert sorted(ids(owner)) == sorted(e["id"] for e in made)


def test_bulk_create_refuses_durations_and_reports_every_bad_reference(owner: Persona) -> None:
    items = [
        item(0, project_id="prj_nope"),
        item(1),
        item(2, task_id="tsk_nope"),
        item(3, block_id="blk_nope"),
    ]
    response = owner.post("/v1/time-entries/bulk", json={"time_entries": items})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert [(d["index"], d["field"]) for d in error["details"]] == [
        (0, "project_id"),
        (2, "task_id"),
        (3, "block_id"),
    ]
    assert all(d["message"] for d in error["details"])
    response = owner.post(
        "/v1/time-entries/bulk", json={"time_entries": [item(0), item(1, duration_seconds=9)]}
    )
    error = assert_error(response, 400, "VALIDATION_ERROR", "duration_seconds")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "duration_seconds")]
    assert ids(owner) == []


def test_a_failed_bulk_create_leaves_linked_blocks_untracked(owner: Persona) -> None:
    block = owner.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-23", "start": "09:00", "end": "10:00"}
    )
    items = [item(0, block_id=block["id"]), item(1, end_at="2026-11-01T00:00:00Z")]
    assert_error(
        owner.post("/v1/time-entries/bulk", json={"time_entries": items}), 400, "VALIDATION_ERROR"
    )
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is False


@pytest.mark.parametrize(
    "body",
    [{}, {"time_entries": []}, {"time_entries": "all"}, {"entries": [item(0)]}],
)
def test_bulk_bodies_must_hold_a_list_of_entries(owner: Persona, body: dict[str, Any]) -> None:
    response = owner.post("/v1/time-entries/bulk", json=body)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["field"] in {"time_entries", "entries"}


def test_bulk_update_names_every_failing_item_and_changes_nothing(owner: Persona) -> None:
    made = owner.ok(
        "POST", "/v1/time-entries/bulk", 201, json={"time_entries": [item(n) for n in range(3)]}
    )
    changes = [
        {"id": made[0]["id"], "description": "changed"},
        {"id": made[1]["id"], "end_at": "2026-11-01T00:00:00Z"},
        {"id": made[2]["id"], "project_id": "prj_nope"},
    ]
    response = owner.patch("/v1/time-entries/bulk", json={"time_entries": changes})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert [(d["index"], d["field"]) for d in error["details"]] == [
        (1, "end_at"),
        (2, "project_id"),
    ]
    assert [owner.ok("GET", f"/v1/time-entries/{e['id']}") for e in made] == made


def test_bulk_update_refuses_an_id_twice_and_an_unknown_field(owner: Persona) -> None:
    (one,) = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": [item(0)]})
    twice = [{"id": one["id"], "description": "a"}, {"id": one["id"], "description": "b"}]
    error = assert_error(
        owner.patch("/v1/time-entries/bulk", json={"time_entries": twice}), 400, "VALIDATION_ERROR"
    )
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "id")]
    unknown = [{"id": one["id"], "duration_seconds": 5}]
    response = owner.patch("/v1/time-entries/bulk", json={"time_entries": unknown})
    error = assert_error(response, 400, "VALIDATION_ERROR", "duration_seconds")
    assert [d["index"] for d in error["details"]] == [0]
    missing_id = [{"description": "no id"}]
    response = owner.patch("/v1/time-entries/bulk", json={"time_entries": missing_id})
    assert_error(response, 400, "VALIDATION_ERROR", "id")
    assert owner.ok("GET", f"/v1/time-entries/{one['id']}")["description"] == "item 0"


def test_bulk_writes_refuse_locked_entries_as_a_conflict(owner: Persona) -> None:
    made = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": [item(0), item(1)]})
    owner.ok("POST", f"/v1/time-entries/{made[1]['id']}/submit")
    changes = [{"id": e["id"], "description": "x"} for e in made]
    response = owner.patch("/v1/time-entries/bulk", json={"time_entries": changes})
    error = assert_error(response, 409, "CONFLICT")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "approval_status")]
    response = owner.delete(f"/v1/time-entries/bulk?ids={made[0]['id']},{made[1]['id']}")
    error = assert_error(response, 409, "CONFLICT")
    assert [d["index"] for d in error["details"]] == [1]
    assert sorted(ids(owner)) == sorted(e["id"] for e in made)
    assert owner.ok("GET", f"/v1/time-entries/{made[0]['id']}")["description"] == "item 0"


def test_bulk_delete_returns_the_ids_and_frees_their_blocks(owner: Persona) -> None:
    block = owner.ok(
        "POST", "/v1/blocks", 201, json={"date": "2026-11-23", "start": "09:00", "end": "10:00"}
    )
    made = owner.ok(
        "POST",
        "/v1/time-entries/bulk",
        201,
        json={"time_entries": [item(0, block_id=block["id"]), item(1, block_id=block["id"])]},
    )
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is True
    wanted = [made[1]["id"], made[0]["id"]]
    assert owner.ok("DELETE", f"/v1/time-entries/bulk?ids={','.join(wanted)}") == {
        "deleted": wanted
    }
    assert ids(owner) == []
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is False


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("", 400, "VALIDATION_ERROR"),
        ("?ids=", 400, "VALIDATION_ERROR"),
        ("?ids=,,", 400, "VALIDATION_ERROR"),
    ],
)
def test_bulk_delete_needs_ids(owner: Persona, query: str, status: int, code: str) -> None:
    error = assert_error(owner.delete(f"/v1/time-entries/bulk{query}"), status, code)
    assert error["field"] == "ids"


def test_bulk_delete_refuses_an_id_twice(owner: Persona) -> None:
    (one,) = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": [item(0)]})
    response = owner.delete(f"/v1/time-entries/bulk?ids={one['id']},{one['id']}")
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "ids")]
    assert ids(owner) == [one["id"]]


def test_bulk_needs_the_write_scope(owner: Persona) -> None:
    reader = owner.as_key(owner.new_key(scopes=["read:time_entries"]))
    assert_error(
        reader.post("/v1/time-entries/bulk", json={"time_entries": [item(0)]}), 403, "FORBIDDEN"
    )
    assert ids(owner) == []


def test_a_sandbox_key_cannot_bulk_change_live_entries(owner: Persona) -> None:
    (live,) = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": [item(0)]})
    sandbox = owner.as_key(owner.new_key(test=True))
    changes = [{"id": live["id"], "description": "x"}]
    assert_error(
        sandbox.patch("/v1/time-entries/bulk", json={"time_entries": changes}), 404, "NOT_FOUND"
    )
    assert_error(sandbox.delete(f"/v1/time-entries/bulk?ids={live['id']}"), 404, "NOT_FOUND")
    assert ids(owner) == [live["id"]]


def test_bulk_delete_takes_the_ids_in_a_json_body(owner: Persona) -> None:
    items = [item(n) for n in range(3)]
    made = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    wanted = [made[2]["id"], made[0]["id"]]
    deleted = owner.ok("DELETE", "/v1/time-entries/bulk", json={"ids": wanted})
    assert deleted == {"deleted": wanted}
    assert ids(owner) == [made[1]["id"]]
    both = owner.delete(f"/v1/time-entries/bulk?ids={made[1]['id']}", json={"ids": [made[1]["id"]]})
    assert_error(both, 400, "VALIDATION_ERROR", "ids")
    empty = owner.delete("/v1/time-entries/bulk", json={"ids": []})
    assert_error(empty, 400, "VALIDATION_ERROR", "ids")
    assert ids(owner) == [made[1]["id"]]
