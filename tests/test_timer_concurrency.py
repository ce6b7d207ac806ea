"""Many simultaneous timer starts for one user against a real server (``timeboxd serve``
with two worker processes) on a fresh SQLite file and on PostgreSQL: exactly one timer
is left running, and no request ever gets a 500."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from tests.conftest import RealServer

RACERS = 24


def race(
    server: RealServer,
    headers: dict[str, str],
    bodies: list[dict[str, Any]],
    path: str = "/v1/timer/start",
) -> list[Any]:
    """Send one POST per body, all released at the same moment."""
    barrier = threading.Barrier(len(bodies))
    responses: list[Any] = [None] * len(bodies)

    def run(n: int) -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as http:
            http.get("/v1/me")  # connect first, so the starts go out together
            barrier.wait()
            responses[n] = http.post(path, json=bodies[n])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


def running_entries(server: RealServer, headers: dict[str, str]) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server.base, headers=headers, timeout=60) as http:
        listed = http.get("/v1/time-entries").json()["data"]
        timer = http.get("/v1/timer").json()["data"]
    running = [e for e in listed if e["running"]]
    assert len(running) == 1, running
    assert timer is not None and timer["id"] == running[0]["id"]
    return listed


@pytest.mark.slow
def test_simultaneous_starts_leave_one_running_timer_and_conflict_the_rest(
    real_server: RealServer,
) -> None:
    headers = real_server.new_user()
    responses = race(real_server, headers, [{"description": f"racer {n}"} for n in range(RACERS)])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (RACERS - 1), (statuses, real_server.log.read_text())
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "CONFLICT"
            assert r.json()["error"]["field"] == "stop_running"
    (winner,) = [r.json()["data"] for r in responses if r.status_code == 201]
    listed = running_entries(real_server, headers)
    assert [e["id"] for e in listed] == [winner["id"]]  # the refused starts left no row


@pytest.mark.slow
def test_simultaneous_starts_that_stop_the_running_timer_all_succeed(
    real_server: RealServer,
) -> None:
    headers = real_server.new_user()
    with httpx.Client(base_url=real_server.base, headers=headers, timeout=60) as http:
        assert http.post("/v1/timer/start", json={"description": "first"}).status_code == 201
    bodies = [{"description": f"racer {n}", "stop_running": True} for n in range(RACERS)]
    responses = race(real_server, headers, bodies)

    statuses = [r.status_code for r in responses]
    assert statuses == [201] * RACERS, (statuses, real_server.log.read_text())
    listed = running_entries(real_server, headers)
    assert len(listed) == RACERS + 1  # every start made its entry; all but one are stopped
    assert all(e["end_at"] is not None for e in listed if not e["running"])


@pytest.mark.slow
def test_users_racing_at_once_each_get_their_own_timer(real_server: RealServer) -> None:
    users = [real_server.new_user() for _ in range(4)]
    results: dict[int, list[Any]] = {}

    def run(n: int) -> None:
        results[n] = race(real_server, users[n], [{"description": "go"}] * 6)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, headers in enumerate(users):
        assert sorted(r.status_code for r in results[n]) == [201] + [409] * 5
        running_entries(real_server, headers)


@pytest.mark.slow
def test_simultaneous_stops_stop_once_and_find_nothing_after(real_server: RealServer) -> None:
    headers = real_server.new_user()
    with httpx.Client(base_url=real_server.base, headers=headers, timeout=60) as http:
        started = http.post("/v1/timer/start", json={}).json()["data"]
    responses = race(real_server, headers, [{}] * RACERS, "/v1/timer/stop")

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [404] * (RACERS - 1), (statuses, real_server.log.read_text())
    (stopped,) = [r.json()["data"] for r in responses if r.status_code == 200]
    assert stopped["id"] == started["id"] and stopped["running"] is False
    with httpx.Client(base_url=real_server.base, headers=headers, timeout=60) as http:
        assert http.get("/v1/timer").json()["data"] is None
        again = http.get(f"/v1/time-entries/{started['id']}").json()["data"]
    assert again["end_at"] == stopped["end_at"]  # a later stop did not move the end
