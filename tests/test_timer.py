"""The timer (SPEC §3): one running entry per user and mode, counting up to now; started
from a block it links the block. Simultaneous starts against a real server are in
test_timer_concurrency.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import FrozenClock, Persona, assert_error


def test_no_timer_is_data_null(owner: Persona) -> None:
    response = owner.get("/v1/timer")
    assert response.status_code == 200 and response.json()["data"] is None


def test_start_count_up_and_stop(owner: Persona, clock: FrozenClock) -> None:
    started = owner.ok("POST", "/v1/timer/start", 201, json={"description": "Deep work"})
    assert started["running"] is True and started["end_at"] is None
    assert started["source"] == "timer" and started["duration_seconds"] == 0
    clock.set(clock() + timedelta(minutes=25))
    running = owner.ok("GET", "/v1/timer")
    assert running["id"] == started["id"] and running["duration_seconds"] == 1500
    listed = owner.ok("GET", "/v1/time-entries")
    assert listed[0]["id"] == started["id"] and listed[0]["duration_seconds"] == 1500
    clock.set(clock() + timedelta(minutes=5))
    stopped = owner.ok("POST", "/v1/timer/stop")
    assert stopped["running"] is False and stopped["duration_seconds"] == 1800
    assert owner.get("/v1/timer").json()["data"] is None
    assert_error(owner.post("/v1/timer/stop"), 404, "NOT_FOUND")


def test_stop_with_if_match_stops_only_the_timer_the_client_saw(
    owner: Persona, clock: FrozenClock
) -> None:
    first = owner.post("/v1/timer/start", json={"description": "on the phone"})
    seen = first.headers["ETag"]
    assert owner.get("/v1/timer").headers["ETag"] == seen
    clock.set(clock() + timedelta(minutes=10))
    # Meanwhile another device stops it and starts another.
    second = owner.post("/v1/timer/start", json={"description": "laptop", "stop_running": True})
    response = owner.post("/v1/timer/stop", headers={"If-Match": seen})
    assert_error(response, 412, "PRECONDITION_FAILED", "If-Match")
    assert owner.ok("GET", "/v1/timer")["description"] == "laptop"
    stopped = owner.post("/v1/timer/stop", headers={"If-Match": second.headers["ETag"]})
    assert stopped.status_code == 200 and stopped.json()["data"]["running"] is False
    entry = owner.get(f"/v1/time-entries/{stopped.json()['data']['id']}")
    assert stopped.headers["ETag"] == entry.headers["ETag"]


def test_a_second_start_is_a_conflict_unless_asked_to_stop_the_first(
    owner: Persona, clock: FrozenClock
) -> None:
    first = owner.ok("POST", "/v1/timer/start", 201, json={"description": "one"})
    assert_error(owner.post("/v1/timer/start", json={"description": "two"}), 409, "CONFLICT")
    clock.set(clock() + timedelta(minutes=10))
    second = owner.ok(
        "POST", "/v1/timer/start", 201, json={"description": "two", "stop_running": True}
    )
    previous = owner.ok("GET", f"/v1/time-entries/{first['id']}")
    assert previous["running"] is False and previous["duration_seconds"] == 600
    assert owner.ok("GET", "/v1/timer")["id"] == second["id"]


def test_starting_from_a_block_links_it(owner: Persona) -> None:
    prj = owner.ok("POST", "/v1/projects", 201, json={"name": "Maths"})
    block = owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={
            "date": "2026-11-24",
            "start": "10:00",
            "end": "11:00",
            "topic": "Integrals",
            "project_id": prj["id"],
        },
    )
    started = owner.ok("POST", "/v1/timer/start", 201, json={"block_id": block["id"]})
    assert started["block_id"] == block["id"] and started["project_id"] == prj["id"]
    assert started["description"] == "Integrals"
    assert owner.ok("GET", f"/v1/blocks/{block['id']}")["has_time_entry"] is True


def test_timers_are_per_user_and_per_mode(owner: Persona, outsider: Persona) -> None:
    owner.ok("POST", "/v1/timer/start", 201, json={})
    outsider.ok("POST", "/v1/timer/start", 201, json={})
    sandbox = owner.as_key(owner.new_key(test=True))
    assert sandbox.get("/v1/timer").json()["data"] is None
    sandbox.ok("POST", "/v1/timer/start", 201, json={})


def test_a_running_entry_cannot_be_submitted(owner: Persona) -> None:
    running = owner.ok("POST", "/v1/timer/start", 201, json={})
    response = owner.post(f"/v1/time-entries/{running['id']}/submit")
    assert_error(response, 409, "CONFLICT", "end_at")


def test_start_without_a_body_and_stop_at_whole_seconds(owner: Persona, clock: FrozenClock) -> None:
    clock.set(clock() + timedelta(seconds=1, microseconds=700_000))
    response = owner.client.post("/v1/timer/start", headers=owner.headers)
    assert response.status_code == 201, response.text
    started = response.json()["data"]
    assert started["start_at"] == "2026-11-24T10:00:01Z"
    assert started["description"] == "" and started["project_id"] is None
    clock.set(clock() + timedelta(seconds=90, microseconds=600_000))
    stopped = owner.ok("POST", "/v1/timer/stop")
    assert stopped["end_at"] == "2026-11-24T10:01:32Z" and stopped["duration_seconds"] == 91


def test_running_timer_is_shown_in_the_account_zone(owner: Persona) -> None:
    owner.set_timezone("Asia/Kolkata")
    started = owner.ok("POST", "/v1/timer/start", 201, json={})
    assert started["start_at"] == "2026-11-24T15:30:00+05:30"
    assert owner.ok("GET", "/v1/timer")["start_at"] == "2026-11-24T15:30:00+05:30"


def test_a_timer_stopped_within_its_first_second_can_still_be_edited(owner: Persona) -> None:
    started = owner.ok("POST", "/v1/timer/start", 201, json={"description": "oops"})
    stopped = owner.ok("POST", "/v1/timer/stop")
    assert stopped["duration_seconds"] == 0 and stopped["end_at"] == stopped["start_at"]
    url = f"/v1/time-entries/{started['id']}"
    assert owner.ok("PATCH", url, json={"description": "kept"})["description"] == "kept"
    assert owner.ok("POST", f"{url}/submit")["approval_status"] == "submitted"


def test_start_takes_project_task_tags_and_billable(owner: Persona) -> None:
    prj = owner.ok("POST", "/v1/projects", 201, json={"name": "Client", "billable": True})
    task = owner.ok("POST", "/v1/tasks", 201, json={"project_id": prj["id"], "name": "Call"})
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "phone"})
    started = owner.ok(
        "POST", "/v1/timer/start", 201, json={"task_id": task["id"], "tag_ids": [tag["id"]]}
    )
    assert (started["project_id"], started["task_id"]) == (prj["id"], task["id"])
    assert started["tag_ids"] == [tag["id"]] and started["billable"] is True
    owner.ok("POST", "/v1/timer/stop")
    unpaid = owner.ok(
        "POST", "/v1/timer/start", 201, json={"project_id": prj["id"], "billable": False}
    )
    assert unpaid["billable"] is False


def test_block_values_yield_to_the_body(owner: Persona) -> None:
    maths = owner.ok("POST", "/v1/projects", 201, json={"name": "Maths"})
    physics = owner.ok("POST", "/v1/projects", 201, json={"name": "Physics"})
    block = owner.ok(
        "POST",
        "/v1/blocks",
        201,
        json={
            "date": "2026-11-24",
            "start": "10:00",
            "end": "11:00",
            "topic": "Integrals",
            "project_id": maths["id"],
        },
    )
    started = owner.ok(
        "POST",
        "/v1/timer/start",
        201,
        json={"block_id": block["id"], "project_id": physics["id"], "description": "Optics"},
    )
    assert started["block_id"] == block["id"]
    assert (started["project_id"], started["description"]) == (physics["id"], "Optics")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"block_id": "blk_nope"}, "block_id"),
        ({"project_id": "prj_nope"}, "project_id"),
        ({"task_id": "tsk_nope"}, "task_id"),
        ({"tag_ids": ["tag_nope"]}, "tag_ids"),
        ({"start_at": "2026-11-24T09:00:00Z"}, "start_at"),
        ({"duration_seconds": 60}, "duration_seconds"),
        ({"stop_running": "maybe"}, "stop_running"),
        ({"description": 5}, "description"),
    ],
)
def test_bad_starts_are_refused_and_start_nothing(
    owner: Persona, body: dict[str, Any], field: str
) -> None:
    assert_error(owner.post("/v1/timer/start", json=body), 400, "VALIDATION_ERROR", field)
    assert owner.get("/v1/timer").json()["data"] is None
    assert owner.ok("GET", "/v1/time-entries") == []


def test_a_deleted_or_foreign_block_cannot_start_a_timer(owner: Persona, outsider: Persona) -> None:
    slot = {"date": "2026-11-24", "start": "10:00", "end": "11:00"}
    theirs = outsider.ok("POST", "/v1/blocks", 201, json=slot)
    assert_error(
        owner.post("/v1/timer/start", json={"block_id": theirs["id"]}),
        400,
        "VALIDATION_ERROR",
        "block_id",
    )
    binned = owner.ok("POST", "/v1/blocks", 201, json=slot)
    owner.ok("DELETE", f"/v1/blocks/{binned['id']}")
    assert_error(
        owner.post("/v1/timer/start", json={"block_id": binned["id"]}),
        400,
        "VALIDATION_ERROR",
        "block_id",
    )
    assert outsider.ok("GET", f"/v1/blocks/{theirs['id']}")["has_time_entry"] is False


def test_a_refused_start_leaves_the_running_timer_alone(owner: Persona) -> None:
    first = owner.ok("POST", "/v1/timer/start", 201, json={"description": "one"})
    response = owner.post("/v1/timer/start", json={"stop_running": True, "project_id": "prj_no"})
    assert_error(response, 400, "VALIDATION_ERROR", "project_id")
    assert owner.ok("GET", "/v1/timer")["id"] == first["id"]


def test_the_running_entry_can_be_edited_and_stopped_by_setting_its_end(
    owner: Persona, clock: FrozenClock
) -> None:
    started = owner.ok("POST", "/v1/timer/start", 201, json={})
    url = f"/v1/time-entries/{started['id']}"
    moved = owner.ok("PATCH", url, json={"start_at": "2026-11-24T09:30:00Z", "description": "x"})
    assert moved["running"] is True and moved["duration_seconds"] == 1800
    assert_error(
        owner.patch(url, json={"end_at": "2026-11-24T09:00:00Z"}), 400, "VALIDATION_ERROR", "end_at"
    )
    ended = owner.ok("PATCH", url, json={"end_at": "2026-11-24T09:45:00Z"})
    assert ended["running"] is False and ended["duration_seconds"] == 900
    assert owner.get("/v1/timer").json()["data"] is None
    clock.set(clock() + timedelta(minutes=1))
    owner.ok("POST", "/v1/timer/start", 201, json={})


def test_deleting_the_running_entry_stops_the_timer(owner: Persona) -> None:
    started = owner.ok("POST", "/v1/timer/start", 201, json={})
    owner.ok("DELETE", f"/v1/time-entries/{started['id']}")
    assert owner.get("/v1/timer").json()["data"] is None
    owner.ok("POST", "/v1/timer/start", 201, json={})


@pytest.mark.parametrize(
    ("scopes", "method", "url", "status"),
    [
        (["read:time_entries"], "GET", "/v1/timer", 200),
        (["read:time_entries"], "POST", "/v1/timer/start", 403),
        (["read:time_entries"], "POST", "/v1/timer/stop", 403),
        (["write:time_entries"], "GET", "/v1/timer", 403),
        (["read:blocks", "write:blocks"], "POST", "/v1/timer/start", 403),
    ],
)
def test_timer_scopes(
    owner: Persona, scopes: list[str], method: str, url: str, status: int
) -> None:
    limited = owner.as_key(owner.new_key(scopes=scopes))
    response = limited.request(method, url, json={} if method == "POST" else None)
    if status == 403:
        assert_error(response, 403, "FORBIDDEN")
        assert owner.get("/v1/timer").json()["data"] is None
    else:
        assert response.status_code == status
