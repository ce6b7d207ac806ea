"""/v1/blocks through HTTP: create, read, change, trash, archive (SPEC §3 Time blocks)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import FrozenClock, Persona, assert_error
from tests.factories import new_block, new_project

BLOCK = {"date": "2026-11-24", "start": "09:00", "end": "10:30", "topic": "Eigenvalues"}


def test_create_returns_block_with_derived_fields(owner: Persona) -> None:
    project = new_project(owner)
    block = new_block(owner, **BLOCK, project_id=project["id"])
    assert block["id"].startswith("blk_")
    assert block["project_name"] == "Linear Algebra"
    assert block["duration_minutes"] == 90
    assert (block["start"], block["end"]) == ("09:00", "10:30")
    assert block["done"] is False and block["completed_at"] is None
    assert block["start_at"] == "2026-11-24T09:00:00Z" or block["start_at"].startswith(
        "2026-11-24T09:00:00"
    )
    assert block["has_time_entry"] is False and block["series_id"] is None


def test_start_at_follows_account_time_zone(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    block = new_block(owner, **BLOCK)
    assert block["start_at"] == "2026-11-24T09:00:00+01:00"
    owner.set_timezone("America/Los_Angeles")
    moved = owner.ok("GET", f"/v1/blocks/{block['id']}")
    assert (moved["date"], moved["start"]) == ("2026-11-24", "09:00")
    assert moved["start_at"] == "2026-11-24T09:00:00-08:00"


def test_get_returns_etag_and_if_match_guards_patch(owner: Persona) -> None:
    block = new_block(owner, **BLOCK)
    response = owner.get(f"/v1/blocks/{block['id']}")
    etag = response.headers["etag"]
    changed = owner.patch(
        f"/v1/blocks/{block['id']}", json={"topic": "A"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    stale = owner.patch(
        f"/v1/blocks/{block['id']}", json={"topic": "B"}, headers={"If-Match": etag}
    )
    assert_error(stale, 412, "PRECONDITION_FAILED")
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["topic"] == "A"


def test_patch_done_sets_and_clears_completed_at(owner: Persona, clock: FrozenClock) -> None:
    block = new_block(owner, **BLOCK)
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    done = owner.ok("PATCH", f"/v1/blocks/{block['id']}", json={"done": True})
    assert done["done"] is True and done["completed_at"] == "2026-11-24T11:00:00Z"
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    again = owner.ok("PATCH", f"/v1/blocks/{block['id']}", json={"done": True})
    assert again["completed_at"] == "2026-11-24T11:00:00Z"
    undone = owner.ok("PATCH", f"/v1/blocks/{block['id']}", json={"done": False})
    assert undone["done"] is False and undone["completed_at"] is None


def test_patch_null_for_done_is_refused_and_changes_nothing(owner: Persona) -> None:
    block = new_block(owner, **BLOCK)
    owner.ok("PATCH", f"/v1/blocks/{block['id']}", json={"done": True})
    for body in ({"done": None}, {"done": None, "topic": "changed"}):
        response = owner.patch(f"/v1/blocks/{block['id']}", json=body)
        assert_error(response, 400, "VALIDATION_ERROR", "done")
    kept = owner.ok("GET", f"/v1/blocks/{block['id']}")
    assert kept["done"] is True and kept["topic"] == block["topic"]


def test_patch_moves_block_and_checks_end_after_start(owner: Persona) -> None:
    block = new_block(owner, **BLOCK)
    moved = owner.ok(
        "PATCH",
        f"/v1/blocks/{block['id']}",
        json={"date": "2026-11-25", "start": "14:00", "end": "15:00"},
    )
    assert (moved["date"], moved["start"], moved["duration_minutes"]) == ("2026-11-25", "14:00", 60)
    bad = owner.patch(f"/v1/blocks/{block['id']}", json={"end": "13:00"})
    assert_error(bad, 400, "VALIDATION_ERROR", "end")
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["end"] == "15:00"


def test_put_replaces_every_field(owner: Persona) -> None:
    project = new_project(owner)
    block = new_block(owner, **BLOCK, project_id=project["id"], done=True)
    replaced = owner.ok(
        "PUT",
        f"/v1/blocks/{block['id']}",
        json={"date": "2026-12-01", "start": "08:00", "end": "08:45"},
    )
    assert replaced["project_id"] is None and replaced["topic"] == ""
    assert replaced["done"] is False and replaced["duration_minutes"] == 45
    missing = owner.put(f"/v1/blocks/{block['id']}", json={"date": "2026-12-01"})
    assert_error(missing, 400, "VALIDATION_ERROR", "start")


def test_end_must_be_after_start(owner: Persona) -> None:
    response = owner.post("/v1/blocks", json={**BLOCK, "end": "09:00"})
    assert_error(response, 400, "VALIDATION_ERROR", "end")


def test_block_in_dst_gap_is_rejected(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    gap = owner.post("/v1/blocks", json={"date": "2026-03-29", "start": "02:15", "end": "04:00"})
    assert_error(gap, 400, "VALIDATION_ERROR", "start")
    across = new_block(owner, "2026-03-29", "01:30", "03:30", topic="Eigenvalues")
    assert across["duration_minutes"] == 60  # the clocks skip an hour


def test_ambiguous_time_takes_first_occurrence(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    block = new_block(owner, "2026-10-25", "02:30", "03:30", topic="Eigenvalues")
    assert block["start_at"] == "2026-10-25T02:30:00+02:00"
    assert block["duration_minutes"] == 120


def test_unknown_project_is_a_validation_error(owner: Persona, outsider: Persona) -> None:
    theirs = new_project(outsider)
    response = owner.post("/v1/blocks", json={**BLOCK, "project_id": theirs["id"]})
    assert_error(response, 400, "VALIDATION_ERROR", "project_id")


def test_delete_is_soft_and_restore_brings_back(owner: Persona) -> None:
    block = new_block(owner, **BLOCK)
    deleted = owner.ok("DELETE", f"/v1/blocks/{block['id']}")
    assert deleted["deleted_at"] is not None
    assert owner.ok("GET", "/v1/blocks?date=2026-11-24") == []
    trash = owner.ok("GET", "/v1/blocks?deleted=true")
    assert [b["id"] for b in trash] == [block["id"]]
    assert_error(owner.patch(f"/v1/blocks/{block['id']}", json={"topic": "x"}), 409, "CONFLICT")
    restored = owner.ok("POST", f"/v1/blocks/{block['id']}/restore")
    assert restored["deleted_at"] is None
    assert [b["id"] for b in owner.ok("GET", "/v1/blocks")] == [block["id"]]


def test_archive_hides_from_list_and_unarchive_returns(owner: Persona) -> None:
    block = new_block(owner, **BLOCK)
    archived = owner.ok("POST", f"/v1/blocks/{block['id']}/archive")
    assert archived["archived_at"] is not None
    assert owner.ok("GET", "/v1/blocks") == []
    assert [b["id"] for b in owner.ok("GET", "/v1/blocks?archived=true")] == [block["id"]]
    owner.ok("POST", f"/v1/blocks/{block['id']}/unarchive")
    assert [b["id"] for b in owner.ok("GET", "/v1/blocks")] == [block["id"]]


def test_unknown_field_is_named(owner: Persona) -> None:
    response = owner.post("/v1/blocks", json={**BLOCK, "colour": "red"})
    assert_error(response, 400, "VALIDATION_ERROR", "colour")
