"""Webhooks delivered by real processes: ``timeboxd serve``'s own worker on the retry
schedule its setting gives, at least once across kill -9 of the server and of a
``timeboxd worker`` in the middle of a delivery, and two workers on PostgreSQL that never
send one delivery at the same time."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook as Verifier

from tests import servers
from tests.conftest import POSTGRES_URL, RealServer, serving_for_tests
from tests.receivers import WAIT, Receiver

LEASE_WAIT = 240.0  # seconds: a dead worker's 60 s lease, and a loaded machine


def until(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def new_block(api: httpx.Client, n: int) -> dict[str, Any]:
    made = api.post(
        "/v1/blocks",
        json={
            "date": "2026-12-03",
            "start": f"{n % 24:02d}:00",
            "end": f"{n % 24:02d}:30",
            "topic": f"#{n}",
        },
    )
    assert made.status_code == 201, made.text
    data: dict[str, Any] = made.json()["data"]
    return data


def deliveries(api: httpx.Client, webhook_id: str) -> list[dict[str, Any]]:
    found = api.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"per_page": 200})
    assert found.status_code == 200, found.text
    data: list[dict[str, Any]] = found.json()["data"]
    return data


def all_succeeded(api: httpx.Client, webhook_id: str, count: int) -> bool:
    log = deliveries(api, webhook_id)
    return len(log) == count and all(d["status"] == "succeeded" for d in log)


def test_serve_retries_on_the_schedule_its_setting_gives(
    backend: str, tmp_path: Path, empty_url: str, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers(statuses=[500, 503, 204])
    with (
        serving_for_tests(
            backend,
            tmp_path,
            workers=1,
            database_url=empty_url,
            worker_in_process="true",
            webhook_allow_private="true",
            webhook_retry_schedule="1,1",
        ) as server,
        httpx.Client(base_url=server.base, headers=server.new_user(), timeout=60) as api,
    ):
        made = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["block.*"]})
        assert made.status_code == 201, made.text
        hook = made.json()["data"]
        block = new_block(api, 9)
        until(lambda: all_succeeded(api, hook["id"], 1), "the third attempt's success")
        entry = deliveries(api, hook["id"])[0]
    assert entry["attempt"] == 3 and entry["status_code"] == 204
    assert [h["webhook-id"] for h, _ in receiver.got] == [entry["event_id"]] * 3
    event = Verifier(hook["secret"]).verify(receiver.got[-1][1], receiver.got[-1][0])
    assert event["type"] == "block.created" and event["data"] == block


@pytest.mark.slow
def test_kill_9_of_the_server_loses_no_event(
    backend: str, tmp_path: Path, empty_url: str, receivers: Callable[..., Receiver]
) -> None:
    """The server (with its worker) dies while one delivery is in flight and right after
    another write was answered 200; the restarted server delivers both."""
    gate = threading.Event()
    receiver = receivers(gate=gate)
    settings = {
        "database_url": empty_url,
        "worker_in_process": "true",
        "webhook_allow_private": "true",
        "webhook_retry_schedule": "1,1",
    }
    try:
        with serving_for_tests(backend, tmp_path, workers=1, **settings) as server:
            headers = server.new_user()
            api = httpx.Client(base_url=server.base, headers=headers, timeout=60)
            made = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["block.*"]})
            assert made.status_code == 201, made.text
            hook = made.json()["data"]
            first = new_block(api, 1)
            until(lambda: receiver.got, "the first delivery in flight")
            renamed = api.patch(f"/v1/blocks/{first['id']}", json={"topic": "renamed"})
            assert renamed.status_code == 200, renamed.text
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(WAIT)
            api.close()
    finally:
        gate.set()  # the held answer goes to a dead connection
    with (
        serving_for_tests(backend, tmp_path, workers=1, **settings) as server,
        httpx.Client(base_url=server.base, headers=headers, timeout=60) as api,
    ):
        until(lambda: all_succeeded(api, hook["id"], 2), "both deliveries", LEASE_WAIT)
        log = deliveries(api, hook["id"])
        feed = api.get("/v1/events").json()["data"]
    verifier = Verifier(hook["secret"])
    got = {h["webhook-id"]: verifier.verify(body, h) for h, body in receiver.got}
    assert sorted(got) == sorted(e["id"] for e in feed) == sorted(d["event_id"] for d in log)
    assert {g["type"] for g in got.values()} == {"block.created", "block.updated"}


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [*servers.CLI, "worker"],
            env=servers.python_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _worker_env(server: RealServer, tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "TIMEBOXD_DATA_DIR": str(tmp_path),
        "TIMEBOXD_WEBHOOK_ALLOW_PRIVATE": "true",
        "TIMEBOXD_WEBHOOK_RETRY_SCHEDULE": "1,1",
        "TIMEBOXD_LOG_LEVEL": "warning",
    }
    env.pop("TIMEBOXD_REDIS_URL", None)
    env["TIMEBOXD_DATABASE_URL"] = server.db.engine.url.render_as_string(hide_password=False)
    return env


@contextmanager
def workers(env: dict[str, str], log: Path, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    started = [_worker(env, log) for _ in range(count)]
    try:
        yield started
    finally:
        for process in started:
            servers.stop_process(process)


@pytest.mark.slow
def test_kill_9_of_a_worker_in_the_middle_of_a_delivery_loses_no_event(
    backend: str, tmp_path: Path, empty_url: str, receivers: Callable[..., Receiver]
) -> None:
    gate = threading.Event()
    receiver = receivers(gate=gate)
    with (
        serving_for_tests(
            backend,
            tmp_path,
            workers=1,
            database_url=empty_url,
            worker_in_process="false",
            webhook_allow_private="true",
        ) as server,
        httpx.Client(base_url=server.base, headers=server.new_user(), timeout=60) as api,
    ):
        env = _worker_env(server, tmp_path)
        made = api.post("/v1/webhooks", json={"url": receiver.url, "events": ["block.*"]})
        assert made.status_code == 201, made.text
        hook = made.json()["data"]
        for n in range(12):
            new_block(api, n)
        try:
            with workers(env, tmp_path / "worker.log", 1) as (doomed,):
                until(lambda: receiver.got, "a delivery in flight")
                doomed.send_signal(signal.SIGKILL)
                doomed.wait(WAIT)
        finally:
            gate.set()
        with workers(env, tmp_path / "worker.log", 1):
            until(lambda: all_succeeded(api, hook["id"], 12), "every delivery", LEASE_WAIT)
        feed = api.get("/v1/events").json()["data"]
    verifier = Verifier(hook["secret"])
    got = {h["webhook-id"] for h, body in receiver.got if verifier.verify(body, h)}
    assert got == {e["id"] for e in feed} and len(got) == 12


class Overlaps:
    """A receiver that takes a moment per request and counts, per ``webhook-id``, requests
    that arrived while another with the same id was still being answered."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.got: Counter[str] = Counter()
        self.overlaps = 0


@pytest.fixture
def overlaps() -> Iterator[tuple[str, Overlaps]]:
    seen = Overlaps()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["webhook-id"]
            with seen.lock:
                seen.overlaps += seen.in_flight[key] > 0
                seen.in_flight[key] += 1
                seen.got[key] += 1
            threading.Event().wait(0.02)  # a receiver doing a little work
            with seen.lock:
                seen.in_flight[key] -= 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_two_workers_on_postgresql_never_send_one_delivery_at_once(
    backend: str, tmp_path: Path, empty_url: str, overlaps: tuple[str, Overlaps]
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite takes one writer at a time: its workers cannot overlap")
    assert POSTGRES_URL
    url, seen = overlaps
    with (
        serving_for_tests(
            backend,
            tmp_path,
            workers=1,
            database_url=empty_url,
            worker_in_process="false",
            webhook_allow_private="true",
        ) as server,
        httpx.Client(base_url=server.base, headers=server.new_user(), timeout=60) as api,
    ):
        made = api.post("/v1/webhooks", json={"url": url, "events": ["block.*"]})
        assert made.status_code == 201, made.text
        created = api.post(
            "/v1/blocks/bulk",
            json={
                "blocks": [
                    {
                        "date": f"2026-12-{1 + n // 10:02d}",
                        "start": f"{8 + n % 10:02d}:00",
                        "end": f"{8 + n % 10:02d}:30",
                        "topic": f"#{n}",
                    }
                    for n in range(300)
                ]
            },
        )
        assert created.status_code in (200, 201), created.text
        feed_ids: set[str] = set()
        after: str | None = None
        while True:
            page = api.get(
                "/v1/events", params={"limit": 1000, **({"after": after} if after else {})}
            )
            feed_ids |= {e["id"] for e in page.json()["data"]}
            after = page.json()["meta"]["next"]
            if not page.json()["meta"]["has_more"]:
                break
        assert len(feed_ids) == 300
        with workers(_worker_env(server, tmp_path), tmp_path / "worker.log", 2):
            until(lambda: set(seen.got) >= feed_ids, "every event", LEASE_WAIT)
    assert seen.overlaps == 0
    assert set(seen.got) == feed_ids
