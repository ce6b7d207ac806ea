"""What the client does when the answer is not a plain success, against real HTTP servers
in threads: an error in an HTTP 200, 5xx answers retried (and a create retried through a
proxy that lost the first answer makes one block), a connection refused."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import RealServer
from tests.servers import free_port
from timeboxd.client import ApiError, Client

Answer = tuple[int, dict[str, str], bytes]
META = {"request_id": "req_fault", "timestamp": "2026-11-24T10:00:00Z"}


@contextmanager
def http_server(answer: Callable[[str, str, dict[str, str], bytes], Answer]) -> Iterator[str]:
    """A real HTTP server in a thread, answering each request with ``answer(method, path,
    headers, body)``; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, content = answer(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            self.send_response(status)
            for name, value in {"content-type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _envelope(data: Any = None, error: Any = None) -> bytes:
    return orjson.dumps({"data": data, "error": error, "meta": META})


def test_an_error_in_an_http_200_is_raised() -> None:
    error = {"code": "CONFLICT", "message": "a timer is already running", "field": "timer"}
    with (
        http_server(lambda *_: (200, {}, _envelope(error=error))) as url,
        Client(url, "k") as tb,
        pytest.raises(ApiError) as caught,
    ):
        tb.stop_timer()
    got = caught.value
    assert (got.code, got.status, got.message) == ("CONFLICT", 200, "a timer is already running")
    assert (got.field, got.request_id) == ("timer", "req_fault")


def test_a_5xx_is_retried_until_it_succeeds() -> None:
    hits: list[str] = []

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        hits.append(path)
        if len(hits) < 3:
            return 503, {}, _envelope(error={"code": "INTERNAL_ERROR", "message": "busy"})
        return 200, {}, _envelope(data=None)

    with http_server(answer) as url, Client(url, "k", backoff=0.01) as tb:
        assert tb.timer() is None
    assert hits == ["/v1/timer"] * 3


def test_a_5xx_that_lasts_raises_after_the_retries() -> None:
    hits: list[str] = []

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        hits.append(path)
        return 502, {"content-type": "text/html"}, b"<h1>Bad gateway</h1>"

    with (
        http_server(answer) as url,
        Client(url, "k", retries=2, backoff=0.01) as tb,
        pytest.raises(ApiError) as caught,
    ):
        tb.list_projects()
    assert (caught.value.code, caught.value.status) == ("INVALID_RESPONSE", 502)
    assert len(hits) == 3


def test_a_patch_is_not_sent_twice_after_a_5xx() -> None:
    hits: list[str] = []

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        hits.append(method)
        return 500, {}, _envelope(error={"code": "INTERNAL_ERROR", "message": "oops"})

    with (
        http_server(answer) as url,
        Client(url, "k", backoff=0.01) as tb,
        pytest.raises(ApiError) as caught,
    ):
        tb.update_block("blk_x", topic="t")
    assert caught.value.code == "INTERNAL_ERROR" and hits == ["PATCH"]


def test_a_create_whose_answer_was_lost_makes_one_block(real_server: RealServer) -> None:
    """A proxy passes the first POST to the real server and answers 502 instead of the
    server's 201: the client sends it again with the same Idempotency-Key."""
    key = real_server.new_user()["Authorization"]
    keys: list[str] = []

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        passed = {k: v for k, v in headers.items() if k not in {"host", "content-length"}}
        if method == "POST":
            keys.append(headers["idempotency-key"])
        upstream = httpx.request(
            method, real_server.base + path, headers=passed, content=body, timeout=60
        )
        if method == "POST" and len(keys) == 1:
            assert upstream.status_code == 201, upstream.text
            return 502, {}, _envelope(error={"code": "INTERNAL_ERROR", "message": "lost"})
        return upstream.status_code, {}, upstream.content

    today = dt.datetime.now(dt.UTC).date()
    with http_server(answer) as url, Client(url, key.removeprefix("Bearer "), backoff=0.01) as tb:
        block = tb.create_block(date=today, start="07:00", end="08:00", topic="Once")
        assert len(keys) == 2 and keys[0] == keys[1]
        assert [b.id for b in tb.list_blocks(date=today)] == [block.id]


def test_a_refused_connection_is_retried_then_raised() -> None:
    with (
        Client(f"http://127.0.0.1:{free_port()}", "k", retries=2, backoff=0.01) as tb,
        pytest.raises(httpx.ConnectError),
    ):
        tb.list_blocks()


def test_fields_a_newer_server_adds_are_ignored() -> None:
    block = {
        "id": "blk_new",
        "project_id": "prj_1",
        "project_name": "Physics",
        "subject_id": "prj_1",
        "subject_name": "Physics",
        "task_id": None,
        "date": "2026-11-24",
        "start": "09:00",
        "end": "10:00",
        "duration_minutes": 60,
        "topic": "Optics",
        "done": False,
        "completed_at": None,
        "start_at": "2026-11-24T09:00:00Z",
        "end_at": "2026-11-24T10:00:00Z",
        "series_id": None,
        "has_time_entry": False,
        "archived_at": None,
        "deleted_at": None,
        "created_at": "2026-11-24T08:00:00Z",
        "updated_at": "2026-11-24T08:00:00Z",
    }
    with http_server(lambda *_: (200, {}, _envelope(data=block))) as url, Client(url, "k") as tb:
        got = tb.get_block("blk_new")
    assert (got.id, got.date, got.project_name) == ("blk_new", dt.date(2026, 11, 24), "Physics")
