"""``GET /v1/blocks/stream`` under slow clients, against a real server on SQLite and on
PostgreSQL: streams are bounded per key (429) and per server (503), a client that stops
reading is cut after the idle timeout, a slow client holds no database connection and no
open transaction, and ``/health``, ``/ready`` and the block list answer throughout.

The stream reads by keyset pages; its order must be the list's, whatever ``order_by``
asks for and however many rows tie, on both databases (a property test)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import servers
from tests.conftest import FrozenClock, Persona, RealServer, assert_error, serving_for_tests
from tests.factories import new_blocks, new_project
from timeboxd.services.accounts import apikeys
from timeboxd.services.database import Database
from timeboxd.services.planning import blocks_query

PER_KEY = 2
TOTAL = 4
IDLE_SECONDS = 20  # long enough for the refusals below to be sent while the streams stall
# Four pages, 7 MB of NDJSON: more than a stalled socket takes in (the server's kernel
# buffers up to 4 MB for a socket; the client's takes 4 kB).
BLOCKS = 16_000
READERS = 40
DEADLINE = 120.0  # for anything the test waits for: generous, polled
CUT = "a stream was cut"


def _blocks(day: date, count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        on = day + timedelta(days=i // 20)
        minute = 6 * 60 + (i % 20) * 40
        out.append(
            {
                "date": on.isoformat(),
                "start": f"{minute // 60:02d}:{minute % 60:02d}",
                "end": f"{(minute + 30) // 60:02d}:{(minute + 30) % 60:02d}",
                "topic": f"Chapter {i}: exercises and review",
            }
        )
    return out


def _keys_of_one_user(server: RealServer, count: int) -> list[dict[str, str]]:
    """The headers of ``count`` keys of one new user who has BLOCKS blocks."""
    first = server.new_user()
    with httpx.Client(base_url=server.base, headers=first, timeout=DEADLINE) as http:
        user_id = http.get("/v1/me").json()["data"]["id"]
        for start in range(0, BLOCKS, 10_000):
            chunk = _blocks(date(2031, 1, 1) + timedelta(days=start // 20), 10_000)
            made = http.post("/v1/blocks/bulk", json={"blocks": chunk[: BLOCKS - start]})
            assert made.status_code == 201, made.text
    more = []
    for _ in range(count - 1):
        with server.db.write() as s:
            created = apikeys.create_key(s, datetime.now(UTC), user_id, name="stream")
        more.append({"Authorization": f"Bearer {created.secret}"})
    return [first, *more]


class RawStream:
    """A stream request on a socket with a tiny receive buffer that reads the answer's
    head and then nothing more (or all of a short answer): a client that stops reading."""

    def __init__(self, server: RealServer, headers: dict[str, str]) -> None:
        url = httpx.URL(server.base)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(DEADLINE)
        self.sock.connect((url.host, url.port or 80))
        lines = ["GET /v1/blocks/stream HTTP/1.1", f"Host: {url.host}:{url.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = self.sock.recv(1024)
            assert chunk, received
            received += chunk
        head, _, self.rest = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {
            k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)
        }

    def error(self) -> dict[str, Any]:
        """The envelope of a refusal (a short answer, read whole)."""
        length = int(self.headers["content-length"])
        body = self.rest
        while len(body) < length:
            body += self.sock.recv(65536)
        envelope = json.loads(body)
        assert envelope["data"] is None
        assert envelope["meta"]["request_id"] == self.headers["x-request-id"]
        return dict(envelope["error"])

    def read_to_end(self) -> bytes:
        """Everything left until the server closes the connection: its last bytes."""
        tail = self.rest
        while chunk := self.sock.recv(1 << 20):
            tail = tail[-16:] + chunk
        return tail

    def close(self) -> None:
        self.sock.close()


def _stream_lines(server: RealServer, headers: dict[str, str]) -> httpx.Response | int:
    """A whole stream read by a normal client: its line count, or the refusal."""
    with httpx.stream(
        "GET", f"{server.base}/v1/blocks/stream", headers=headers, timeout=DEADLINE
    ) as r:
        if r.status_code != 200:
            r.read()
            return r
        return sum(chunk.count(b"\n") for chunk in r.iter_raw(1 << 16))


def _poll(what: str, check: Any) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {DEADLINE:.0f} s"
        time.sleep(servers.POLL_INTERVAL)


def _idle_in_transaction(server: RealServer) -> int:
    with server.db.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state IN ('idle in transaction', 'idle in transaction (aborted)') "
                "AND pid <> pg_backend_pid()"
            ).scalar()
            or 0
        )


@pytest.fixture(scope="module")
def stream_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with serving_for_tests(
        backend,
        tmp_path_factory.mktemp("streams"),
        workers=1,
        stream_max_per_key=str(PER_KEY),
        stream_max=str(TOTAL),
        stream_idle_timeout_seconds=str(IDLE_SECONDS),
    ) as server:
        yield server


@contextmanager
def _raw_streams() -> Iterator[list[RawStream]]:
    opened: list[RawStream] = []
    try:
        yield opened
    finally:
        for s in opened:
            s.close()


def test_slow_readers_are_bounded_cut_and_hold_no_connection(
    backend: str, stream_server: RealServer
) -> None:
    server = stream_server
    keys = _keys_of_one_user(server, 3)
    a, b, c = keys
    with _raw_streams() as opened:
        for n in range(READERS):
            opened.append(RawStream(server, keys[n % 3]))
        accepted = [s for s in opened if s.status == 200]
        # a, b, c, a fill the server's four slots; then b and c are told the server is
        # full, and a that it has its two streams open.
        assert [s.status for s in opened[:7]] == [200, 200, 200, 200, 503, 503, 429]
        assert len(accepted) == TOTAL
        for n, s in enumerate(opened[TOTAL:], start=TOTAL):
            if keys[n % 3] is a:
                assert s.status == 429
                assert s.error()["code"] == "RATE_LIMITED"
            else:
                assert s.status == 503
                assert s.error()["code"] == "SERVICE_UNAVAILABLE"
            assert int(s.headers["retry-after"]) >= 1

        # While four clients read nothing, the server answers everything else.
        with httpx.Client(base_url=server.base, timeout=DEADLINE) as http:
            assert http.get("/health").status_code == 200
            ready = http.get("/ready")
            assert ready.status_code == 200, ready.text
            listed = http.get("/v1/blocks", params={"per_page": 5}, headers=a)
            assert listed.status_code == 200, listed.text
            assert listed.json()["meta"]["total"] == BLOCKS
            refused = http.get("/v1/blocks/stream", headers=c)
            assert_error(refused, 503, "SERVICE_UNAVAILABLE")
        if backend == "postgresql":
            # The stalled streams sent their pages and hold no transaction open.
            _poll("no idle transaction", lambda: _idle_in_transaction(server) == 0)

        # A client that goes away gives its slot back: b may stream again, in full.
        opened[1].close()
        whole = _poll("b streams again", lambda: _stream_lines(server, b) == BLOCKS or None)
        assert whole

        # The clients that stay but read nothing are cut after the idle timeout (the
        # server says so in its log), their streams left incomplete (no last chunk), and
        # their slots come back.
        still = [s for s in accepted if s is not opened[1]]
        _poll("stalled streams cut", lambda: server.log.read_text().count(CUT) == len(still))
        for s in still:
            assert not s.read_to_end().endswith(b"0\r\n\r\n")
        assert _stream_lines(server, a) == BLOCKS
    if backend == "postgresql":
        _poll("no idle transaction", lambda: _idle_in_transaction(server) == 0)
    with httpx.Client(base_url=server.base, timeout=DEADLINE) as http:
        assert http.get("/health").status_code == 200
        assert http.get("/ready").status_code == 200
    assert "Traceback" not in server.log.read_text()


def test_a_busy_pool_is_answered_503_at_once(
    db: Database, tmp_path: Path, clock: FrozenClock, owner: Persona
) -> None:
    """Every connection taken: a request is told so after the pool timeout, in the
    envelope, instead of waiting for as long as the connections are held."""
    from fastapi.testclient import TestClient

    from tests.conftest import make_settings
    from timeboxd.api.app import create_app

    tiny = Database(db.url, pool_timeout=0.2, pool_size=1)
    app = create_app(make_settings(tmp_path), db=tiny, clock=clock)
    held = [tiny.engine.connect(), tiny.engine.connect()]  # the pool's one, and its overflow
    try:
        with TestClient(app) as http:
            busy = http.get("/v1/blocks", headers=owner.headers)
            assert_error(busy, 503, "SERVICE_UNAVAILABLE")
            assert busy.headers["retry-after"] == "1"
            assert http.get("/health").status_code == 200
            assert http.get("/ready").status_code == 200  # the database itself answers
        for conn in held:
            conn.close()
        with TestClient(app) as http:
            assert http.get("/v1/blocks", headers=owner.headers).status_code == 200
    finally:
        for conn in held:
            conn.close()
        tiny.dispose()


ORDER_TERMS = sorted(blocks_query.ORDERABLE)


@pytest.fixture
def tied_blocks(owner: Persona, clock: FrozenClock) -> Persona:
    """Blocks that tie on every orderable column but the id, some done at different
    times, some not done (completed_at NULL), made at three different instants."""
    project = new_project(owner)
    for n in range(3):
        clock.set(datetime(2026, 11, 24, 10, n, tzinfo=UTC))
        made = new_blocks(
            owner,
            *(
                {
                    "date": f"2026-12-0{1 + i % 2}",
                    "start": "09:00" if i % 3 else "10:00",
                    "end": "11:00",
                    "topic": "same" if i % 2 else f"topic {i % 4}",
                    "project_id": project["id"],
                }
                for i in range(6)
            ),
        )
        for i, block in enumerate(made[:3]):
            clock.set(datetime(2026, 11, 25, 8, i, tzinfo=UTC))
            owner.ok("PATCH", f"/v1/blocks/{block['id']}", json={"done": True})
    return owner


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    terms=st.lists(
        st.tuples(st.sampled_from(ORDER_TERMS), st.booleans()),
        min_size=1,
        max_size=3,
        unique_by=lambda t: t[0],
    ),
    batch=st.integers(min_value=1, max_value=7),
)
def test_the_stream_pages_in_the_lists_order(
    tied_blocks: Persona, db: Database, terms: list[tuple[str, bool]], batch: int
) -> None:
    order_by = ",".join(f"-{name}" if desc else name for name, desc in terms)
    listed = tied_blocks.ok("GET", "/v1/blocks", params={"order_by": order_by})
    with db.connect() as conn:
        principal = apikeys.authenticate(
            conn, tied_blocks.key, datetime.now(UTC), timedelta(days=1)
        )
    f = blocks_query.BlockFilter(order_by=blocks_query.parse_order_by(order_by))
    pages = list(blocks_query.stream_blocks(db, principal, f, batch=batch))
    streamed = [json.loads(line) for page in pages for line in page.splitlines()]
    assert [b["id"] for b in streamed] == [b["id"] for b in listed]
    assert streamed == listed
    assert all(page.count(b"\n") <= batch for page in pages)
