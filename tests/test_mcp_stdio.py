"""``timeboxd mcp``: the MCP server over stdio, a real subprocess driven by the SDK's own
client, acting as the key in TIMEBOXD_API_KEY on the configured database."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests import servers
from tests.conftest import POSTGRES_URL, new_account
from timeboxd.services.accounts import apikeys
from timeboxd.services.database import Database


def server_env(backend: str, database_url: str, tmp: Path, key: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TIMEBOXD_DATA_DIR": str(tmp),
        "TIMEBOXD_DATABASE_URL": database_url,
        "TIMEBOXD_API_KEY": key,
        "TIMEBOXD_LOG_LEVEL": "warning",
    }
    env.pop("TIMEBOXD_REDIS_URL", None)
    if backend == "postgresql":
        assert POSTGRES_URL
    return servers.python_env(env)


def run(env: dict[str, str], body: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "timeboxd.cli", "mcp"], env=env
    )

    async def main() -> Any:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await asyncio.wait_for(session.initialize(), 60)
            return await body(session)

    return asyncio.run(main())


async def ok(session: ClientSession, tool: str, **args: Any) -> Any:
    result = await session.call_tool(tool, args)
    assert not result.is_error, result.content
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


def new_user(db: Database, scopes: list[str] | None = None, test: bool = False) -> tuple[str, str]:
    user_id, key = new_account(db, f"stdio-{secrets.token_hex(6)}@example.com")
    if scopes is not None or test:
        with db.write() as s:
            key = apikeys.create_key(
                s, datetime.now(UTC), user_id, scopes=scopes, livemode=not test
            ).secret
    return user_id, key


def test_the_tools_over_stdio_act_as_the_key(
    backend: str, database_url: str, db: Database, tmp_path: Path
) -> None:
    _, key = new_user(db)
    _, other_key = new_user(db)
    env = server_env(backend, database_url, tmp_path, key)

    async def mine(s: ClientSession) -> Any:
        tools = {t.name for t in (await s.list_tools()).tools}
        made = await ok(
            s, "create_block", date="2026-08-03", start="14:00", end="15:00", topic="Essay"
        )
        done = await ok(s, "complete_block", block_id=made["id"])
        agenda = await ok(s, "get_agenda", date="2026-08-03")
        bad = await error(s, "update_block", block_id=made["id"], end="13:00")
        timer = await ok(s, "start_timer", description="Essay")
        stopped = await ok(s, "stop_timer")
        stats = await ok(s, "get_stats", period="all")
        resource = await s.read_resource("timeboxd://agenda/today")
        return tools, made, done, agenda, bad, timer, stopped, stats, resource

    tools, made, done, agenda, bad, timer, stopped, stats, resource = run(env, mine)
    assert len(tools) == 12
    assert made["start"] == "14:00" and done["done"] is True
    assert agenda["done_count"] == 1 and agenda["blocks"][0]["id"] == made["id"]
    assert (bad["code"], bad["field"]) == ("VALIDATION_ERROR", "end")
    assert timer["running"] is True and stopped["running"] is False
    assert stats["completed_blocks"] >= 1
    assert "planned_minutes" in json.loads(resource.contents[0].text)

    # Another key's server sees none of it.
    async def theirs(s: ClientSession) -> Any:
        return (
            await ok(s, "list_blocks", date="2026-08-03"),
            await error(s, "delete_block", block_id=made["id"]),
        )

    listed, refused = run(server_env(backend, database_url, tmp_path, other_key), theirs)
    assert listed["items"] == [] and refused["code"] == "NOT_FOUND"


def test_the_keys_scopes_and_sandbox_hold_over_stdio(
    backend: str, database_url: str, db: Database, tmp_path: Path
) -> None:
    user_id, key = new_user(db)
    _, reader = new_user(db, scopes=["read:blocks"])

    async def read_only(s: ClientSession) -> Any:
        return await error(s, "create_block", date="2026-08-04", start="09:00", end="10:00")

    refused = run(server_env(backend, database_url, tmp_path, reader), read_only)
    assert refused["code"] == "FORBIDDEN" and "write:blocks" in refused["message"]

    with db.write() as s:
        sandbox = apikeys.create_key(s, datetime.now(UTC), user_id, livemode=False).secret

    async def in_sandbox(s: ClientSession) -> Any:
        await ok(s, "create_block", date="2026-08-04", start="09:00", end="10:00")
        return await ok(s, "list_blocks", date="2026-08-04")

    async def live(s: ClientSession) -> Any:
        return await ok(s, "list_blocks", date="2026-08-04")

    assert run(server_env(backend, database_url, tmp_path, sandbox), in_sandbox)["total"] == 1
    assert run(server_env(backend, database_url, tmp_path, key), live)["total"] == 0


@pytest.mark.parametrize("key", ["", "tbx_live_" + "0" * 32, "not-a-key"])
def test_a_missing_or_unknown_key_stops_with_a_message(
    backend: str, database_url: str, tmp_path: Path, key: str
) -> None:
    env = server_env(backend, database_url, tmp_path, key)
    done = subprocess.run(
        [sys.executable, "-m", "timeboxd.cli", "mcp"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "TIMEBOXD_API_KEY" in done.stderr
    assert done.stdout == ""  # stdout is the protocol's: nothing else is ever written there
