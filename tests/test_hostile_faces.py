"""The newest faces used by a hostile caller: the Python client against a server that asks
for absurd waits, answers garbage in a stream or paging meta of the wrong type, or is
given block ids that are paths or sibling routes and keys no header can carry; the CLI
given a bad TIMEBOXD_URL or key; the MCP server over HTTP given arguments no tool has,
text with NUL, booleans for numbers, unknown tools and prompts, a form body, and over
stdio a client that sends its calls and closes stdin. Real servers (``timeboxd serve`` or
``timeboxd mcp`` in a subprocess, or a real HTTP server in a thread that answers what a
broken proxy would)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text

from tests.conftest import RealServer
from tests.test_backup import cli
from tests.test_cli_client import run as run_cli
from tests.test_client_faults import _envelope, http_server
from tests.test_mcp_stdio import new_user, server_env
from timeboxd.client import ApiError, AsyncClient, Client
from timeboxd.services.database import Database

RATE_LIMITED = {"code": "RATE_LIMITED", "message": "slow down"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def rate_limited_calls(retry_after: str) -> tuple[int, BaseException | None, bool]:
    """Call ``agenda`` against a server that always answers 429 with ``retry_after``: how
    many requests it got, what the call raised, and whether it was still waiting after
    30 s (the thread is a daemon, left behind when so)."""
    seen = [0]

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        seen[0] += 1
        return 429, {"retry-after": retry_after}, _envelope(error=RATE_LIMITED)

    raised: list[BaseException] = []
    with http_server(answer) as base:

        def call() -> None:
            try:
                with Client(base, "tbx_live_x", retries=2, backoff=0.01) as tb:
                    tb.agenda()
            except BaseException as exc:
                raised.append(exc)

        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        thread.join(30)
        return seen[0], (raised[0] if raised else None), thread.is_alive()


@pytest.mark.parametrize("value", ["99999999", "inf", "1e400", "nan", "-5"])
def test_an_absurd_retry_after_raises_rate_limited_at_once_or_soon(value: str) -> None:
    requests, raised, hanging = rate_limited_calls(value)
    assert not hanging, f"Retry-After: {value} left the call waiting"
    assert isinstance(raised, ApiError), repr(raised)
    assert raised.code == "RATE_LIMITED"
    assert 1 <= requests <= 3


def test_a_retry_after_date_in_the_past_is_retried_without_waiting() -> None:
    started = time.monotonic()
    requests, raised, hanging = rate_limited_calls("Wed, 21 Oct 2015 07:28:00 GMT")
    assert not hanging
    assert isinstance(raised, ApiError) and raised.code == "RATE_LIMITED"
    assert requests == 3  # the first and two retries
    assert time.monotonic() - started < 30


def test_a_block_id_that_is_a_path_reaches_no_other_route(real_server: RealServer) -> None:
    headers = real_server.new_user()
    key = headers["Authorization"].removeprefix("Bearer ")
    made = httpx.post(f"{real_server.base}/v1/projects", headers=headers, json={"name": "Keep"})
    assert made.status_code == 201, made.text
    project = made.json()["data"]["id"]
    with Client(real_server.base, key, retries=0) as tb:
        for call in (tb.delete_block, tb.complete_block, tb.get_block):
            with pytest.raises(ApiError) as caught:
                call(f"../projects/{project}")
            assert caught.value.code == "NOT_FOUND", caught.value
        with pytest.raises(ApiError) as caught:
            tb.delete_block("..")
        assert caught.value.status == 404
    still = httpx.get(f"{real_server.base}/v1/projects/{project}", headers=headers)
    assert still.status_code == 200, still.text
    assert not still.json()["data"].get("deleted_at")


def mcp_call(server: RealServer, key: str, tool: str, arguments: Any) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {key}"}
    return httpx.post(f"{server.base}/mcp", headers=headers, json=body, timeout=60)


def a_key(server: RealServer) -> str:
    return server.new_user()["Authorization"].removeprefix("Bearer ")


def test_an_mcp_argument_no_tool_has_is_refused_naming_it(real_server: RealServer) -> None:
    key = a_key(real_server)
    made = httpx.post(
        f"{real_server.base}/v1/projects",
        headers={"Authorization": f"Bearer {key}"},
        json={"name": "Algebra"},
    )
    project = made.json()["data"]["id"]
    arguments = {"date": "2026-12-04", "start": "09:00", "end": "10:00", "subject_id": project}
    answer = mcp_call(real_server, key, "create_block", arguments)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["isError"] is True, result
    assert result["structuredContent"]["error"]["field"] == "subject_id"
    assert (
        result["content"][0]["text"]
        == "VALIDATION_ERROR (subject_id): unknown argument 'subject_id'"
    )


def test_a_nul_in_an_mcp_argument_is_a_tool_error(real_server: RealServer) -> None:
    key = a_key(real_server)
    arguments = {"date": "2026-12-04", "start": "09:00", "end": "10:00", "topic": "a\x00b"}
    answer = mcp_call(real_server, key, "create_block", arguments)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["isError"] is True
    assert result["structuredContent"]["error"]["field"] == "topic"
    assert result["content"][0]["text"].startswith("VALIDATION_ERROR (topic): ")


def test_an_envelope_with_data_of_the_wrong_shape_is_invalid_response() -> None:
    body = orjson.dumps({"data": {"date": 5}, "error": None, "meta": {}})
    with (
        http_server(lambda *_: (200, {}, body)) as base,
        Client(base, "k", retries=0) as tb,
        pytest.raises(ApiError) as caught,
    ):
        tb.agenda()
    assert caught.value.code == "INVALID_RESPONSE"


def test_a_get_of_mcp_is_refused_rather_than_held_open(real_server: RealServer) -> None:
    """The endpoint is stateless and answers JSON: a GET (the transport's standalone event
    stream) would otherwise stay open for good, one rate-limit admission each."""
    headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {a_key(real_server)}"}
    with httpx.stream("GET", f"{real_server.base}/mcp", headers=headers, timeout=60) as answer:
        status, kind = answer.status_code, answer.headers.get("content-type", "")
        body = answer.read() if status != 200 else b""
    assert (status, kind) == (405, "application/json"), (status, kind)
    assert orjson.loads(body)["error"]["code"] == "VALIDATION_ERROR"
    assert httpx.get(f"{real_server.base}/mcp", headers=MCP_HEADERS).status_code == 401


def test_a_restore_onto_a_new_machine_creates_its_data_directory(tmp_path: Path) -> None:
    """The disaster case: a backup restored where nothing has run yet, the data directory
    not made; the restore makes it rather than failing with a traceback."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    assert cli(source, "db", "upgrade").returncode == 0
    assert cli(source, "users", "create", "new-machine@example.com").returncode == 0
    path = tmp_path / "nightly.db"
    assert cli(source, "backup", str(path)).returncode == 0

    target = tmp_path / "fresh" / "data" / "timeboxd.db"
    restored = cli(f"sqlite:///{target}", "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert "Traceback" not in restored.stderr
    assert "1 account(s)" in restored.stdout
    assert target.exists()


NDJSON = {"content-type": "application/x-ndjson"}


@pytest.mark.parametrize(
    "line",
    [b"not json", b'{"foo": 1}', b"[1]", b"<html><body>Bad gateway</body></html>"],
    ids=["garbage", "another-shape", "a-list", "a-proxy-page"],
)
def test_a_stream_line_that_is_no_block_is_invalid_response(line: bytes) -> None:
    with (
        http_server(lambda *_: (200, NDJSON, line + b"\n")) as base,
        Client(base, "k", retries=0) as tb,
        pytest.raises(ApiError) as caught,
    ):
        list(tb.iter_blocks())
    assert caught.value.code == "INVALID_RESPONSE"


def test_the_async_stream_reads_a_line_that_is_no_block_as_invalid_response() -> None:
    async def read(base: str) -> None:
        async with AsyncClient(base, "k", retries=0) as tb:
            async for _ in tb.iter_blocks():
                pass

    with (
        http_server(lambda *_: (200, NDJSON, b'{"foo": 1}\n')) as base,
        pytest.raises(ApiError) as caught,
    ):
        asyncio.run(read(base))
    assert caught.value.code == "INVALID_RESPONSE"


@pytest.mark.parametrize("meta", [[1], "x", 5])
def test_a_meta_that_is_no_object_is_read_as_no_meta(meta: Any) -> None:
    failing = orjson.dumps(
        {"data": None, "error": {"code": "NOT_FOUND", "message": "m"}, "meta": meta}
    )
    listing = orjson.dumps({"data": [], "error": None, "meta": meta})
    with http_server(lambda *_: (404, {}, failing)) as base, Client(base, "k", retries=0) as tb:
        with pytest.raises(ApiError) as caught:
            tb.agenda()
        assert caught.value.code == "NOT_FOUND"
    with http_server(lambda *_: (200, {}, listing)) as base, Client(base, "k", retries=0) as tb:
        assert tb.list_blocks() == []


@pytest.mark.parametrize(
    ("call", "meta"),
    [
        ("list_blocks", {"total": "lots", "has_more": False}),
        ("list_projects", {"page": [1]}),
        ("events", {"next": 5, "has_more": False}),
    ],
)
def test_paging_meta_of_the_wrong_type_is_invalid_response(call: str, meta: Any) -> None:
    body = orjson.dumps({"data": [], "error": None, "meta": meta})
    with (
        http_server(lambda *_: (200, {}, body)) as base,
        Client(base, "k", retries=0) as tb,
        pytest.raises(ApiError) as caught,
    ):
        getattr(tb, call)()
    assert caught.value.code == "INVALID_RESPONSE"


def test_an_error_field_of_another_type_is_read_as_text() -> None:
    error = {"code": "VALIDATION_ERROR", "message": "bad", "field": ["items", 0]}
    body = orjson.dumps({"data": None, "error": error, "meta": {"request_id": 7}})
    with (
        http_server(lambda *_: (400, {}, body)) as base,
        Client(base, "k", retries=0) as tb,
        pytest.raises(ApiError) as caught,
    ):
        tb.agenda()
    assert (caught.value.field, caught.value.request_id) == ("['items', 0]", "7")


@pytest.mark.parametrize(
    "block_id", ["", "/", "stream", "bulk", "series", "..", "blk_\ud800"], ids=repr
)
def test_a_block_id_that_names_a_sibling_route_is_not_found(
    real_server: RealServer, block_id: str
) -> None:
    """``stream``, ``bulk`` and ``series`` are routes beside ``/v1/blocks/{id}``, and an
    empty id is the list itself: none of them is a block."""
    key = a_key(real_server)
    with Client(real_server.base, key, retries=0) as tb:
        for call in (tb.get_block, tb.complete_block, tb.delete_block):
            with pytest.raises(ApiError) as caught:
                call(block_id)
            assert (caught.value.code, caught.value.status) == ("NOT_FOUND", 404), caught.value
        with pytest.raises(ApiError) as caught:
            tb.update_block(block_id, topic="moved")
        assert caught.value.code == "NOT_FOUND"


@pytest.mark.parametrize(
    "key", ["tbx_live_\u00e9t\u00e9", "tbx_live_a b", "tbx_live_a\r\nX-Evil: 1"]
)
def test_a_key_no_header_can_carry_is_a_value_error_at_once(key: str) -> None:
    with pytest.raises(ValueError, match="not an API key"):
        Client("http://127.0.0.1:9", key)
    with pytest.raises(ValueError, match="not an API key"):
        AsyncClient("http://127.0.0.1:9", key)


def test_a_url_that_is_not_http_is_not_retried() -> None:
    """Retrying would wait up to 8 s a time, a hundred times, for the same answer."""
    raised: list[BaseException] = []

    def call() -> None:
        try:
            with Client("ftp://127.0.0.1:21", "k", retries=100, backoff=8) as tb:
                tb.agenda()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "an ftp:// URL was retried"
    assert isinstance(raised[0], httpx.UnsupportedProtocol), raised


@pytest.mark.parametrize("url", ["notaurl", "http://[::1", "ftp://127.0.0.1:8080", "http://"])
def test_the_cli_names_a_bad_timeboxd_url(url: str) -> None:
    done = run_cli(url, "tbx_live_x", "agenda")
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("TIMEBOXD_URL is not an http(s) URL"), done.stderr


@pytest.mark.parametrize("key", ["tbx_live_\u00e9t\u00e9", "tbx_live_a\nb"])
def test_the_cli_names_a_key_no_header_can_carry(real_server: RealServer, key: str) -> None:
    done = run_cli(real_server.base, key, "agenda")
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("TIMEBOXD_API_KEY is not an API key"), done.stderr


def test_the_cli_refuses_markdown_with_json(real_server: RealServer) -> None:
    """A script that asks for JSON never gets Markdown to parse."""
    done = run_cli(real_server.base, a_key(real_server), "agenda", "--markdown", "--json")
    assert done.returncode == 2, done
    assert "--markdown and --json" in done.stderr


def test_an_empty_project_name_starts_no_timer(real_server: RealServer) -> None:
    """``--project "$P"`` with P unset must not start an untagged timer."""
    key = a_key(real_server)
    done = run_cli(real_server.base, key, "timer", "start", "--project", "")
    assert done.returncode == 1, done
    assert "NOT_FOUND" in done.stderr
    status = run_cli(real_server.base, key, "timer", "status", "--json")
    assert status.returncode == 0 and orjson.loads(status.stdout) is None, status


def mcp_request(server: RealServer, key: str, method: str, params: Any) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {key}"}
    return httpx.post(f"{server.base}/mcp", headers=headers, json=body, timeout=60)


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"name": "plan_my_month"}, "NOT_FOUND", None),
        (
            {"name": "plan_my_week", "arguments": {"deadline": "Friday"}},
            "VALIDATION_ERROR",
            "deadline",
        ),
        (
            {"name": "plan_my_week", "arguments": {"focus": "exams " * 200_000}},
            "VALIDATION_ERROR",
            "focus",
        ),
    ],
    ids=["unknown-prompt", "unknown-argument", "megabyte-focus"],
)
def test_an_odd_prompt_request_is_invalid_params_naming_it(
    real_server: RealServer, params: dict[str, Any], code: str, field: str | None
) -> None:
    """Not the SDK's error code 0 ("Error rendering prompt") with a traceback logged for
    every request a caller cares to send."""
    answer = mcp_request(real_server, a_key(real_server), "prompts/get", params)
    assert answer.status_code == 200, answer.text
    error = answer.json()["error"]
    assert error["code"] == -32602, error
    assert error["data"]["error"]["code"] == code
    assert error["data"]["error"].get("field") == field
    assert error["message"].startswith(code)
    assert "Traceback" not in real_server.log.read_text()


def test_a_refused_resource_read_is_no_internal_error(real_server: RealServer) -> None:
    """A key without the scope is the caller's to fix: not -32603, which reads as the
    server's fault (and a client may retry it)."""
    made = httpx.post(
        f"{real_server.base}/v1/api-keys",
        headers=real_server.new_user(),
        json={"name": "reader", "scopes": ["read:blocks"]},
    )
    assert made.status_code == 201, made.text
    key = made.json()["data"]["key"]
    answer = mcp_request(real_server, key, "resources/read", {"uri": "timeboxd://stats/week"})
    error = answer.json()["error"]
    assert error["code"] == -32600, error
    assert error["message"] == "FORBIDDEN: this API key lacks the 'read:stats' scope"
    assert error["data"]["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("tool", "argument"), [("get_productivity", "weeks"), ("list_blocks", "page")]
)
def test_a_boolean_for_a_number_argument_is_refused(
    real_server: RealServer, tool: str, argument: str
) -> None:
    answer = mcp_call(real_server, a_key(real_server), tool, {argument: True})
    result = answer.json()["result"]
    assert result["isError"] is True, result
    assert result["structuredContent"]["error"]["field"] == argument


def test_an_mcp_body_sent_as_a_form_is_the_api_error(real_server: RealServer) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {a_key(real_server)}"}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}'
    answer = httpx.post(f"{real_server.base}/mcp", headers=headers, content=body, timeout=60)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("VALIDATION_ERROR", "Content-Type")
    headers["Content-Type"] = "application/json; charset=utf-8"
    answer = httpx.post(f"{real_server.base}/mcp", headers=headers, content=body, timeout=60)
    assert answer.json()["result"] == {}


def test_calls_piped_into_stdio_are_all_answered_before_it_exits(
    backend: str, database_url: str, db: Database, tmp_path: Path
) -> None:
    """``printf requests | timeboxd mcp``: stdin ends as soon as the last call is sent.
    Every call is answered before the server exits, a write among them (which the SDK
    would have made, then cancelled before writing its answer)."""
    _, key = new_user(db)
    env = server_env(backend, database_url, tmp_path, key)

    def message(id_: int, method: str, params: dict[str, Any]) -> str:
        return orjson.dumps(
            {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}
        ).decode()

    hello = {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "pipe", "version": "1"},
    }
    series = {
        "date": "2027-03-01",
        "start": "07:00",
        "end": "07:30",
        "rrule": "FREQ=DAILY;COUNT=300",
    }
    lines = [
        message(0, "initialize", hello),
        '{"jsonrpc": "2.0", "method": "notifications/initialized"}',
        "not json at all",
        message(1, "tools/call", {"name": "get_agenda", "arguments": {}}),
        message(
            2, "tools/call", {"name": "plan_series", "arguments": {**series, "topic": "Piped"}}
        ),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "timeboxd.cli", "mcp"],
        env=env,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answers = {answer["id"]: answer for answer in map(orjson.loads, done.stdout.splitlines())}
    assert sorted(answers) == [0, 1, 2], done.stdout
    made = answers[2]["result"]["structuredContent"]
    assert made["id"].startswith("ser_"), made
    with db.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM blocks WHERE series_id = :s"), {"s": made["id"]}
        ).scalar_one()
    assert count == 300


def test_an_unknown_tool_is_a_tool_error_in_the_api_words(real_server: RealServer) -> None:
    answer = mcp_call(real_server, a_key(real_server), "delete_everything", {})
    result = answer.json()["result"]
    assert result["isError"] is True, result
    assert result["structuredContent"]["error"]["code"] == "NOT_FOUND"
    assert result["content"][0]["text"].startswith("NOT_FOUND: no tool 'delete_everything'")
