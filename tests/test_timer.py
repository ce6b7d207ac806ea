"""The timer (SPEC §3): one running entry per user, enforced by the database, counting up to
now; and many simultaneous starts against a real server leave exactly one running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import POSTGRES_URL, FrozenClock, Persona, assert_error


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


# -- many simultaneous starts against a real server ----------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "timeboxd.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def backends() -> list[Any]:
    params: list[Any] = ["sqlite"]
    params.append(
        pytest.param(
            "postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="no PostgreSQL")
        )
    )
    return params


@pytest.fixture(params=backends())
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {
        **os.environ,
        "TIMEBOXD_DATA_DIR": str(tmp_path),
        "TIMEBOXD_RATE_LIMIT_PER_MINUTE": "100000",
        "TIMEBOXD_RATE_LIMIT_PER_SECOND": "100000",
        "TIMEBOXD_LOG_LEVEL": "warning",
    }
    if request.param == "postgresql":
        assert POSTGRES_URL
        env["TIMEBOXD_DATABASE_URL"] = POSTGRES_URL
    cli(env, "db", "upgrade")
    email = f"racer-{os.getpid()}-{time.monotonic_ns()}@example.com"
    cli(env, "users", "create", email)
    key = cli(env, "keys", "create", email).strip().splitlines()[-1]
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "timeboxd.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"the server did not start:\n{log.read_text()}")
        yield base, {"Authorization": f"Bearer {key}"}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_simultaneous_starts_leave_exactly_one_running_timer(
    served: tuple[str, dict[str, str]],
) -> None:
    base, headers = served
    racers = 24
    barrier = threading.Barrier(racers)
    statuses: list[int] = []
    bodies: list[dict[str, Any]] = []
    lock = threading.Lock()

    def race(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            http.get("/v1/me")  # connect first, so the starts go out together
            barrier.wait()
            response = http.post("/v1/timer/start", json={"description": f"racer {n}"})
            with lock:
                statuses.append(response.status_code)
                bodies.append(response.json())

    threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(statuses) == [201] + [409] * (racers - 1), statuses
    assert all(b["error"]["code"] == "CONFLICT" for b in bodies if b["error"])
    with httpx.Client(base_url=base, headers=headers) as http:
        running = [e for e in http.get("/v1/time-entries").json()["data"] if e["running"]]
        assert len(running) == 1
        assert http.get("/v1/timer").json()["data"]["id"] == running[0]["id"]
