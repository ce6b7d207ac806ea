"""The MCP server over streamable HTTP at ``/mcp`` of a real ``timeboxd serve``, driven by
the SDK's own client: every tool, the resources and the prompt, the key's scopes, the
sandbox, bad input, other tenants' ids and the admission every API request has (401
without a key, the rate limit counted)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import RealServer, new_account, serving_for_tests
from timeboxd.services.accounts import apikeys

TOOLS = {
    "get_agenda",
    "list_blocks",
    "create_block",
    "update_block",
    "complete_block",
    "delete_block",
    "plan_series",
    "get_stats",
    "get_productivity",
    "start_timer",
    "stop_timer",
    "list_projects",
}


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with serving_for_tests(backend, tmp_path_factory.mktemp("mcp"), workers=1) as served:
        yield served


class Account:
    def __init__(self, server: RealServer) -> None:
        self.server = server
        email = f"mcp-{secrets.token_hex(6)}@example.com"
        self.user_id, self.key = new_account(server.db, email, name="Mcp")

    def new_key(self, scopes: list[str] | None = None, *, test: bool = False) -> str:
        with self.server.db.write() as s:
            made = apikeys.create_key(
                s, datetime.now(UTC), self.user_id, scopes=scopes, livemode=not test
            )
        return made.secret

    def rest(self, method: str, path: str, key: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        response = httpx.request(method, self.server.base + path, headers=headers, **kw)
        assert response.status_code < 300, response.text
        return response.json()["data"]


@asynccontextmanager
async def connect(base: str, key: str) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def run(base: str, key: str, body: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with connect(base, key) as session:
            return await body(session)

    return asyncio.run(main())


async def ok(session: ClientSession, tool: str, **args: Any) -> Any:
    result = await session.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    # The text content says the same as the structured result, for clients that show text.
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    return result.structured_content


async def error(session: ClientSession, tool: str, **args: Any) -> dict[str, Any]:
    """The API error object of a tool error, whose text reads ``CODE (field): message``."""
    result = await session.call_tool(tool, args)
    assert result.is_error, result.structured_content
    assert result.structured_content is not None
    found: dict[str, Any] = result.structured_content["error"]
    named = f" ({found['field']})" if found.get("field") else ""
    text = result.content[0].text  # type: ignore[union-attr]
    assert text == f"{found['code']}{named}: {found['message']}"
    return found


def test_every_tool_is_listed_with_a_schema_and_a_description(server: RealServer) -> None:
    a = Account(server)

    async def body(s: ClientSession) -> Any:
        return (await s.list_tools()).tools

    tools = run(server.base, a.key, body)
    assert {t.name for t in tools} == TOOLS
    for tool in tools:
        assert tool.description and len(tool.description) > 60, tool.name
        assert tool.input_schema["type"] == "object"
        # What a call answers is described too (the SDK's client checks every result
        # of these tests against it).
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
    create = next(t for t in tools if t.name == "create_block")
    assert set(create.input_schema["required"]) == {"date", "start", "end"}
    assert "HH:MM" in create.input_schema["properties"]["start"]["description"]
    assert {"id", "date", "start", "end", "topic", "done"} <= set(create.output_schema["required"])
    listed = next(t for t in tools if t.name == "list_blocks").output_schema
    assert listed is not None and {"items", "total", "has_more"} <= set(listed["properties"])


def test_plan_track_and_review_a_day(server: RealServer) -> None:
    a = Account(server)
    a.rest("PATCH", "/v1/me", json={"timezone": "Europe/Berlin"})
    project = a.rest("POST", "/v1/projects", json={"name": "Maths"})

    async def body(s: ClientSession) -> dict[str, Any]:
        out: dict[str, Any] = {}
        out["projects"] = await ok(s, "list_projects")
        made = await ok(
            s,
            "create_block",
            date="2026-07-01",
            start="09:00",
            end="10:30",
            topic="Algebra",
            project_id=project["id"],
        )
        out["made"] = made
        out["moved"] = await ok(s, "update_block", block_id=made["id"], start="09:30", end="11:00")
        out["done"] = await ok(s, "complete_block", block_id=made["id"])
        out["agenda"] = await ok(s, "get_agenda", date="2026-07-01")
        out["listed"] = await ok(s, "list_blocks", date_from="2026-07-01", date_to="2026-07-31")
        out["series"] = await ok(
            s,
            "plan_series",
            date="2026-07-06",
            start="08:00",
            end="08:30",
            rrule="FREQ=WEEKLY;COUNT=3",
            topic="Review",
        )
        out["after_series"] = await ok(s, "list_blocks", date_from="2026-07-01", per_page=2)
        out["started"] = await ok(s, "start_timer", description="Algebra", block_id=made["id"])
        out["stopped"] = await ok(s, "stop_timer")
        out["stats"] = await ok(s, "get_stats", date_from="2026-07-01", date_to="2026-07-31")
        out["productivity"] = await ok(s, "get_productivity", weeks=4)
        out["deleted"] = await ok(s, "delete_block", block_id=made["id"])
        out["left"] = await ok(s, "list_blocks", date="2026-07-01")
        return out

    out = run(server.base, a.key, body)
    assert [p["name"] for p in out["projects"]["items"]] == ["Maths"]
    made = out["made"]
    # Wall-clock times in the account's zone, as the API writes them.
    assert (made["date"], made["start"], made["end"]) == ("2026-07-01", "09:00", "10:30")
    assert made["start_at"] == "2026-07-01T09:00:00+02:00"
    assert made["duration_minutes"] == 90 and made["project_name"] == "Maths"
    assert (out["moved"]["start"], out["moved"]["end"]) == ("09:30", "11:00")
    assert out["done"]["done"] is True and out["done"]["completed_at"]
    assert out["agenda"]["timezone"] == "Europe/Berlin"
    assert [b["id"] for b in out["agenda"]["blocks"]] == [made["id"]]
    assert out["agenda"]["done_minutes"] == 90
    assert out["listed"]["total"] == 1 and out["listed"]["items"][0]["id"] == made["id"]
    assert out["series"]["rrule"] == "FREQ=WEEKLY;COUNT=3"
    assert out["after_series"]["total"] == 4 and out["after_series"]["has_more"] is True
    assert len(out["after_series"]["items"]) == 2
    assert out["started"]["project_id"] == project["id"]
    assert out["started"]["running"] is True
    assert out["stopped"]["id"] == out["started"]["id"] and out["stopped"]["end_at"]
    assert out["stopped"]["running"] is False
    assert out["stats"]["total_blocks"] == 4 and out["stats"]["completed_blocks"] == 1
    assert "focus" in out["productivity"]
    assert out["deleted"]["deleted_at"]
    assert out["left"]["items"] == []
    # What the tools wrote is what the API sees.
    rest = a.rest("GET", "/v1/blocks", params={"date_from": "2026-07-01"})
    assert len(rest) == 3 and all(b["topic"] == "Review" for b in rest)


def test_resources_and_the_prompt(server: RealServer) -> None:
    a = Account(server)
    today = datetime.now(UTC).date().isoformat()
    a.rest("POST", "/v1/blocks", json={"date": today, "start": "07:00", "end": "07:45"})

    async def body(s: ClientSession) -> Any:
        listed = {str(r.uri) for r in (await s.list_resources()).resources}
        agenda = await s.read_resource("timeboxd://agenda/today")
        stats = await s.read_resource("timeboxd://stats/week")
        prompts = [p.name for p in (await s.list_prompts()).prompts]
        prompt = await s.get_prompt("plan_my_week", {"focus": "exams"})
        return listed, agenda, stats, prompts, prompt

    listed, agenda, stats, prompts, prompt = run(server.base, a.key, body)
    assert listed == {"timeboxd://agenda/today", "timeboxd://stats/week"}
    plan = json.loads(agenda.contents[0].text)
    assert plan["date"] == today and plan["planned_minutes"] == 45
    assert json.loads(stats.contents[0].text)["period"] == "week"
    assert prompts == ["plan_my_week"]
    text = prompt.messages[0].content.text
    assert "exams" in text and "create_block" in text


def test_bad_input_is_a_tool_error_naming_the_field_and_the_session_goes_on(
    server: RealServer,
) -> None:
    a = Account(server)

    async def body(s: ClientSession) -> Any:
        found = [
            await error(s, "create_block", date="2026-02-30", start="09:00", end="10:00"),
            await error(s, "create_block", date="2026-03-01", start="10:00", end="09:00"),
            await error(s, "create_block", date="2026-03-01", start="9 am", end="10:00"),
            await error(s, "list_blocks", per_page=100000),
            await error(s, "get_stats", date_from="yesterday"),
            await error(s, "get_productivity", weeks=0),
            await error(s, "plan_series", date="2026-03-02", start="08:00", end="09:00", rrule="X"),
            await error(s, "stop_timer"),
            await error(s, "update_block", block_id="blk_nope"),
        ]
        # A wrong type and an argument the tool does not have are refused before the
        # tool runs, in the API's words.
        found.append(await error(s, "get_productivity", weeks="many"))
        found.append(await error(s, "list_blocks", dates="2026-03-01"))
        still = await ok(s, "list_blocks")
        return found, still

    found, still = run(server.base, a.key, body)
    fields = [(e["code"], e.get("field")) for e in found]
    assert fields[:7] == [
        ("VALIDATION_ERROR", "date"),
        ("VALIDATION_ERROR", "end"),
        ("VALIDATION_ERROR", "start"),
        ("VALIDATION_ERROR", "per_page"),
        ("VALIDATION_ERROR", "date_from"),
        ("VALIDATION_ERROR", "weeks"),
        ("VALIDATION_ERROR", "rrule"),
    ]
    assert found[7]["code"] == "NOT_FOUND"
    assert found[8]["code"] == "NOT_FOUND"
    assert (found[9]["code"], found[9]["field"]) == ("VALIDATION_ERROR", "weeks")
    assert found[10] == {
        "code": "VALIDATION_ERROR",
        "message": "unknown argument 'dates'",
        "field": "dates",
    }
    assert still["items"] == []


def test_scopes_apply_to_every_tool(server: RealServer) -> None:
    a = Account(server)
    key = a.new_key(["read:blocks"])
    block = a.rest(
        "POST", "/v1/blocks", json={"date": "2026-05-04", "start": "09:00", "end": "10:00"}
    )

    async def body(s: ClientSession) -> Any:
        allowed = await ok(s, "list_blocks", date="2026-05-04")
        refused = {
            "create_block": await error(
                s, "create_block", date="2026-05-04", start="11:00", end="12:00"
            ),
            "complete_block": await error(s, "complete_block", block_id=block["id"]),
            "delete_block": await error(s, "delete_block", block_id=block["id"]),
            "get_stats": await error(s, "get_stats"),
            "start_timer": await error(s, "start_timer"),
            "list_projects": await error(s, "list_projects"),
        }
        resource = None
        try:
            await s.read_resource("timeboxd://stats/week")
        except Exception as exc:  # the SDK raises the server's error
            resource = str(exc)
        return allowed, refused, resource

    allowed, refused, resource = run(server.base, key, body)
    assert allowed["total"] == 1
    scopes = {
        "create_block": "write:blocks",
        "complete_block": "write:blocks",
        "delete_block": "write:blocks",
        "get_stats": "read:stats",
        "start_timer": "write:time_entries",
        "list_projects": "read:projects",
    }
    for tool, scope in scopes.items():
        assert refused[tool]["code"] == "FORBIDDEN", tool
        assert scope in refused[tool]["message"], tool
    assert resource is not None and "read:stats" in resource
    # Nothing was written by the refused calls.
    assert a.rest("GET", f"/v1/blocks/{block['id']}")["done"] is False


def test_another_tenants_ids_are_not_found(server: RealServer) -> None:
    a, b = Account(server), Account(server)
    theirs = b.rest(
        "POST", "/v1/blocks", json={"date": "2026-05-04", "start": "09:00", "end": "10:00"}
    )
    project = b.rest("POST", "/v1/projects", json={"name": "Secret"})

    async def body(s: ClientSession) -> Any:
        return (
            await error(s, "update_block", block_id=theirs["id"], topic="mine now"),
            await error(s, "complete_block", block_id=theirs["id"]),
            await error(s, "delete_block", block_id=theirs["id"]),
            await error(
                s,
                "create_block",
                date="2026-05-04",
                start="09:00",
                end="10:00",
                project_id=project["id"],
            ),
            await ok(s, "list_blocks", date="2026-05-04"),
            await ok(s, "list_projects"),
        )

    *refused, listed, projects = run(server.base, a.key, body)
    assert [e["code"] for e in refused[:3]] == ["NOT_FOUND"] * 3
    # As the API answers a block filed under a project the caller cannot see.
    assert (refused[3]["code"], refused[3]["field"]) == ("VALIDATION_ERROR", "project_id")
    assert listed["items"] == [] and projects["items"] == []
    kept = b.rest("GET", f"/v1/blocks/{theirs['id']}")
    assert kept["topic"] == "" and kept["done"] is False and kept["deleted_at"] is None


def test_a_test_key_works_in_the_sandbox_only(server: RealServer) -> None:
    a = Account(server)
    live = a.rest(
        "POST", "/v1/blocks", json={"date": "2026-05-04", "start": "09:00", "end": "10:00"}
    )
    sandbox_key = a.new_key(test=True)

    async def body(s: ClientSession) -> Any:
        made = await ok(s, "create_block", date="2026-05-04", start="11:00", end="12:00")
        return (
            made,
            await ok(s, "list_blocks", date="2026-05-04"),
            await error(s, "complete_block", block_id=live["id"]),
        )

    made, listed, refused = run(server.base, sandbox_key, body)
    assert [b["id"] for b in listed["items"]] == [made["id"]]
    assert refused["code"] == "NOT_FOUND"
    live_view = a.rest("GET", "/v1/blocks", params={"date": "2026-05-04"})
    assert [b["id"] for b in live_view] == [live["id"]]
    sandbox_view = a.rest("GET", "/v1/blocks", key=sandbox_key, params={"date": "2026-05-04"})
    assert [b["id"] for b in sandbox_view] == [made["id"]]


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def test_every_request_needs_a_valid_key(server: RealServer) -> None:
    url = server.base + "/mcp"
    for headers in (
        {},
        {"Authorization": "Bearer tbx_live_" + "x" * 32},
        {"Authorization": "Basic abc"},
    ):
        response = httpx.post(url, json=INITIALIZE, headers={**ACCEPT, **headers})
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
    a = Account(server)
    response = httpx.post(url, json=INITIALIZE, headers={**ACCEPT, "X-API-Key": a.key})
    assert response.status_code == 200, response.text


def test_each_request_counts_against_the_keys_rate_limit(server: RealServer) -> None:
    a = Account(server)
    url = server.base + "/mcp"
    headers = {**ACCEPT, "Authorization": f"Bearer {a.key}"}
    first = httpx.post(url, json=INITIALIZE, headers=headers)
    rest = httpx.get(server.base + "/v1/me", headers=headers)
    second = httpx.post(url, json=INITIALIZE, headers=headers)
    remaining = [int(r.headers["ratelimit-remaining"]) for r in (first, rest, second)]
    # One quota for the key, whichever face it calls.
    assert remaining[0] - 1 == remaining[1] and remaining[1] - 1 == remaining[2]


def test_over_quota_is_a_429_with_retry_after(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp: Path = tmp_path_factory.mktemp("mcp-quota")
    with serving_for_tests(
        backend, tmp, workers=1, rate_limit_per_minute="3", rate_limit_per_second="3"
    ) as served:
        a = Account(served)
        headers = {**ACCEPT, "Authorization": f"Bearer {a.key}"}
        answers = [
            httpx.post(served.base + "/mcp", json=INITIALIZE, headers=headers) for _ in range(4)
        ]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"]["code"] == "RATE_LIMITED"
    assert int(answers[3].headers["retry-after"]) >= 1
