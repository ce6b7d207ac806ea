"""Many writers at once against a real server: every write either happens and answers 2xx,
or answers an envelope error and leaves nothing; none waits out the database's lock timeout
for a commit queued behind the writers it blocks, and the server keeps answering.

One worker process, so that every writer shares one event loop and one thread pool, and a
key's ``last_used_at`` written on every request, so that authentication wants the write
lock while handlers hold it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import RealServer, assert_error, serving_for_tests

WRITERS = 45  # more than the 40 threads a worker runs handlers on


@pytest.fixture(scope="module")
def busy_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    tmp = tmp_path_factory.mktemp("busy")
    with serving_for_tests(backend, tmp, workers=1, key_touch_interval_seconds="0") as server:
        yield server


def together(
    base: str, headers: dict[str, str], send: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """``send`` from ``WRITERS`` clients released at the same moment; their answers."""
    barrier = threading.Barrier(WRITERS)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            http.get("/health")  # connect first, so the writes go out together
            barrier.wait()
            response = send(http, i)
            with lock:
                answers.append(response)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_parallel_creates_all_succeed_and_all_exist(busy_server: RealServer) -> None:
    """A fresh key, so every request also records the key's first use."""
    base, headers = busy_server.base, busy_server.new_user()

    def create(http: httpx.Client, i: int) -> httpx.Response:
        body = {"date": "2027-03-03", "start": "08:00", "end": "09:00", "topic": f"c{i}"}
        return http.post("/v1/blocks", json=body)

    answers = together(base, headers, create)
    assert sorted(r.status_code for r in answers) == [201] * WRITERS, [
        r.text for r in answers if r.status_code != 201
    ][:3]
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        listed = http.get("/v1/blocks", params={"date": "2027-03-03"}).json()["data"]
    assert sorted(b["topic"] for b in listed) == sorted(f"c{i}" for i in range(WRITERS))


def test_parallel_patches_of_one_row_never_fail_the_server(busy_server: RealServer) -> None:
    """Overlapping writes to one row: each is applied in turn, or (PostgreSQL) refused with
    409 because another changed the row first; never a 500, and the row holds a value one
    of the successful answers showed."""
    base, headers = busy_server.base, busy_server.new_user()

    def patch(http: httpx.Client, i: int) -> httpx.Response:
        return http.patch("/v1/me", json={"daily_goal_minutes": 10 + i})

    answers = together(base, headers, patch)
    ok = [r for r in answers if r.status_code == 200]
    assert ok, [r.text for r in answers][:3]
    for response in answers:
        if response.status_code != 200:
            assert_error(response, 409, "CONFLICT")
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        assert http.get("/ready").status_code == 200
        stored = http.get("/v1/me").json()["data"]["daily_goal_minutes"]
    assert stored in {r.json()["data"]["daily_goal_minutes"] for r in ok}


def test_parallel_timer_starts_make_one_timer(busy_server: RealServer) -> None:
    base, headers = busy_server.base, busy_server.new_user()

    def start(http: httpx.Client, i: int) -> httpx.Response:
        return http.post("/v1/timer/start", json={"description": f"t{i}"})

    answers = together(base, headers, start)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201] + [409] * (WRITERS - 1), busy_server.log.read_text()[-4000:]
    for response in answers:
        if response.status_code == 409:
            assert_error(response, 409, "CONFLICT")


def test_one_accounts_creates_and_completions_on_the_same_days_never_fail(
    busy_server: RealServer,
) -> None:
    """Creates and ``done`` patches of one account on the same few days touch the same
    statistics rows from different triggers; on PostgreSQL they used to deadlock, and one
    answered 500. Every write succeeds, and the day's statistics count every block."""
    base, headers = busy_server.base, busy_server.new_user()
    failures: list[str] = []

    def write(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            for i in range(30):
                day = f"2027-04-0{1 + i % 3}"
                body = {"date": day, "start": "08:00", "end": "09:30", "topic": f"w{n}-{i}"}
                made = http.post("/v1/blocks", json=body)
                if made.status_code != 201:
                    failures.append(made.text)
                elif i % 3 == 0:
                    done = http.patch(
                        f"/v1/blocks/{made.json()['data']['id']}", json={"done": True}
                    )
                    if done.status_code != 200:
                        failures.append(done.text)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        stats = http.get(
            "/v1/stats",
            params={"date_from": "2027-04-01", "date_to": "2027-04-03"},
        ).json()["data"]
    assert (stats["total_blocks"], stats["completed_blocks"]) == (120, 40), stats
