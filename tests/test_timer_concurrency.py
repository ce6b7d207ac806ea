"""Many simultaneous timer starts for one user against a real server (``timeboxd serve``
with two worker processes) on a fresh SQLite file and on PostgreSQL: exactly one timer
is left running, and no request ever gets a 500."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from timeboxd.services.accounts import apikeys
from timeboxd.services.accounts import users as accounts
from timeboxd.services.database import Database

RACERS = 24


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
    return [
        "sqlite",
        pytest.param(
            "postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="no PostgreSQL")
        ),
    ]


@dataclass
class Server:
    base: str
    db: Database
    log: Path

    def new_user(self) -> dict[str, str]:
        """A fresh user with a live key, written to the server's database."""
        email = f"racer-{os.getpid()}-{time.monotonic_ns()}@example.com"
        with self.db.write() as s:
            user = accounts.create_user(s, datetime.now(UTC), email, name="Racer")
            key = apikeys.create_key(s, datetime.now(UTC), user.id, name="race").secret
        return {"Authorization": f"Bearer {key}"}


@contextmanager
def running_server(backend: str, tmp: Path) -> Iterator[Server]:
    """``timeboxd serve`` with two workers in a subprocess on a free port, against a fresh
    SQLite file in ``tmp`` or the test PostgreSQL database."""
    env = {
        **os.environ,
        "TIMEBOXD_DATA_DIR": str(tmp),
        "TIMEBOXD_RATE_LIMIT_PER_MINUTE": "100000",
        "TIMEBOXD_RATE_LIMIT_PER_SECOND": "100000",
        "TIMEBOXD_LOG_LEVEL": "warning",
    }
    env.pop("TIMEBOXD_DATABASE_URL", None)
    env.pop("TIMEBOXD_REDIS_URL", None)
    url = f"sqlite:///{tmp / 'timeboxd.db'}"
    if backend == "postgresql":
        assert POSTGRES_URL
        env["TIMEBOXD_DATABASE_URL"] = url = POSTGRES_URL
    cli(env, "db", "upgrade")
    db = Database(url)
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "timeboxd.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"the server did not start:\n{log.read_text()}")
        yield Server(base, db, log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        db.dispose()


@pytest.fixture(scope="module", params=backends())
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with running_server(request.param, tmp_path_factory.mktemp("served")) as running:
        yield running


@pytest.fixture(params=backends())
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A real server of its own and one user's headers, for other files' race tests."""
    with running_server(request.param, tmp_path) as running:
        yield running.base, running.new_user()


def race(
    server: Server,
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


def running_entries(server: Server, headers: dict[str, str]) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server.base, headers=headers) as http:
        listed = http.get("/v1/time-entries").json()["data"]
        timer = http.get("/v1/timer").json()["data"]
    running = [e for e in listed if e["running"]]
    assert len(running) == 1, running
    assert timer is not None and timer["id"] == running[0]["id"]
    return listed


@pytest.mark.slow
def test_simultaneous_starts_leave_one_running_timer_and_conflict_the_rest(
    server: Server,
) -> None:
    headers = server.new_user()
    responses = race(server, headers, [{"description": f"racer {n}"} for n in range(RACERS)])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (RACERS - 1), (statuses, server.log.read_text())
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "CONFLICT"
            assert r.json()["error"]["field"] == "stop_running"
    (winner,) = [r.json()["data"] for r in responses if r.status_code == 201]
    listed = running_entries(server, headers)
    assert [e["id"] for e in listed] == [winner["id"]]  # the refused starts left no row


@pytest.mark.slow
def test_simultaneous_starts_that_stop_the_running_timer_all_succeed(server: Server) -> None:
    headers = server.new_user()
    with httpx.Client(base_url=server.base, headers=headers) as http:
        assert http.post("/v1/timer/start", json={"description": "first"}).status_code == 201
    bodies = [{"description": f"racer {n}", "stop_running": True} for n in range(RACERS)]
    responses = race(server, headers, bodies)

    statuses = [r.status_code for r in responses]
    assert statuses == [201] * RACERS, (statuses, server.log.read_text())
    listed = running_entries(server, headers)
    assert len(listed) == RACERS + 1  # every start made its entry; all but one are stopped
    assert all(e["end_at"] is not None for e in listed if not e["running"])


@pytest.mark.slow
def test_users_racing_at_once_each_get_their_own_timer(server: Server) -> None:
    users = [server.new_user() for _ in range(4)]
    results: dict[int, list[Any]] = {}

    def run(n: int) -> None:
        results[n] = race(server, users[n], [{"description": "go"}] * 6)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, headers in enumerate(users):
        assert sorted(r.status_code for r in results[n]) == [201] + [409] * 5
        running_entries(server, headers)


@pytest.mark.slow
def test_simultaneous_stops_stop_once_and_find_nothing_after(server: Server) -> None:
    headers = server.new_user()
    with httpx.Client(base_url=server.base, headers=headers) as http:
        started = http.post("/v1/timer/start", json={}).json()["data"]
    responses = race(server, headers, [{}] * RACERS, "/v1/timer/stop")

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [404] * (RACERS - 1), (statuses, server.log.read_text())
    (stopped,) = [r.json()["data"] for r in responses if r.status_code == 200]
    assert stopped["id"] == started["id"] and stopped["running"] is False
    with httpx.Client(base_url=server.base, headers=headers) as http:
        assert http.get("/v1/timer").json()["data"] is None
        again = http.get(f"/v1/time-entries/{started['id']}").json()["data"]
    assert again["end_at"] == stopped["end_at"]  # a later stop did not move the end
