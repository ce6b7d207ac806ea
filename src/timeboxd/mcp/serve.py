"""The two transports of the MCP server.

stdio (``timeboxd mcp``) acts as the key in ``TIMEBOXD_API_KEY``: it is authenticated
on every call, so a key revoked or expired while the session is open stops working, and
every call counts against the key's rate limit as a request does.

Streamable HTTP is served at ``/mcp`` of the API app. Every HTTP request is admitted as
an API request is (``api.deps``): the Bearer (or ``X-API-Key``) key is authenticated,
counted against its rate limit (the ``RateLimit-*`` headers are sent) and kept in the
request's state for the tools to act as. The server is stateless (no MCP session is kept
between requests), so any of several app processes behind a load balancer can answer
any request, and answers are plain JSON rather than an event stream."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import anyio
import mcp_types
import orjson
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server as sdk_stdio
from mcp.server.transport_security import TransportSecuritySettings
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from timeboxd.api.deps import Runtime, api_key
from timeboxd.api.middleware import JSON_TYPE
from timeboxd.api.ratelimit import RateLimiter
from timeboxd.errors import (
    MethodNotAllowed,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
)
from timeboxd.mcp.tools import Tools, build
from timeboxd.services.accounts import apikeys
from timeboxd.services.context import Clock, Principal
from timeboxd.services.database import Database
from timeboxd.services.insights.stats_cache import Store

STATE_KEY = "mcp_principal"


def admit(
    db: Database,
    limiter: RateLimiter,
    clock: Clock,
    touch_seconds: int,
    secret: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Principal:
    """The key's principal, counted once against its quota; Unauthorized or RateLimited
    as for any API request. The rate-limit headers are added to ``headers``."""
    with db.connect() as conn:
        principal = apikeys.authenticate(conn, secret, clock(), timedelta(seconds=touch_seconds))
    verdict = limiter.hit(principal.key_id or principal.user_id)
    if headers is not None:
        headers.extend(verdict.headers())
    if not verdict.allowed:
        raise RateLimited(f"rate limit exceeded; retry in {max(1, verdict.reset_seconds)} s")
    return principal


def stdio_server(
    db: Database,
    clock: Clock,
    store: Store,
    limiter: RateLimiter,
    secret: str,
    touch_seconds: int,
) -> MCPServer[Any]:
    """The server ``timeboxd mcp`` runs: every call acts as the key ``secret``."""

    def caller(request: Any) -> Principal:
        return admit(db, limiter, clock, touch_seconds, secret)

    return build(Tools(db, clock, store, caller))


# How long a closed stdin waits for the answers of the calls still running.
DRAIN_SECONDS = 60.0


class Inflight:
    """The requests read from stdin and not answered yet on stdout, by id (``1`` and
    ``"1"`` are two ids)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.idle = anyio.Event()
        self.idle.set()

    def read(self, line: str) -> None:
        try:
            message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        except ValueError:
            return  # the SDK drops it too: no answer will come
        if isinstance(message, mcp_types.JSONRPCRequest):
            self.ids.add(orjson.dumps(message.id).decode())
            if self.idle.is_set():
                self.idle = anyio.Event()
        elif (
            isinstance(message, mcp_types.JSONRPCNotification)
            and message.method == "notifications/cancelled"  # a cancelled call is never answered
        ):
            self.answered((message.params or {}).get("requestId"))

    def written(self, line: str) -> None:
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            return
        if isinstance(message, dict) and ("result" in message or "error" in message):
            self.answered(message.get("id"))

    def answered(self, request_id: Any) -> None:
        self.ids.discard(orjson.dumps(request_id).decode())
        if not self.ids:
            self.idle.set()


async def _draining(lines: AsyncIterator[str], inflight: Inflight) -> AsyncIterator[str]:
    """stdin's lines; at its end, the end is held back until every call read has been
    answered (for up to DRAIN_SECONDS), so that a client that sends and then closes its
    end (``printf ... | timeboxd mcp``) still reads the answers of what was done. The
    SDK would cancel the calls still running and never write their answers."""
    async for line in lines:
        inflight.read(line)
        yield line
    with anyio.move_on_after(DRAIN_SECONDS):
        await inflight.idle.wait()


class _Answers:
    """stdout, telling ``inflight`` of each answer once it is flushed."""

    def __init__(self, file: Any, inflight: Inflight) -> None:
        self.file, self.inflight, self.last = file, inflight, ""

    async def write(self, text: str) -> None:
        await self.file.write(text)
        self.last = text

    async def flush(self) -> None:
        await self.file.flush()
        self.inflight.written(self.last)


async def run_stdio(server: MCPServer[Any]) -> None:
    """Serve ``server`` on stdin and stdout until stdin ends and the last call is answered.
    As the SDK does, fd 0 and fd 1 are pointed at the null device and at stderr while
    serving, so that nothing else reads the protocol or writes into it."""
    wire_in = os.fdopen(os.dup(0), "rb", closefd=True)
    wire_out = os.fdopen(os.dup(1), "wb", closefd=True)
    with open(os.devnull, "rb") as null:
        os.dup2(null.fileno(), 0)
    os.dup2(2, 1)
    inflight = Inflight()
    lines = anyio.wrap_file(io.TextIOWrapper(wire_in, encoding="utf-8", errors="replace"))
    out = anyio.wrap_file(io.TextIOWrapper(wire_out, encoding="utf-8"))
    lowlevel = server._lowlevel_server  # what MCPServer.run("stdio") runs, on our streams
    async with sdk_stdio(
        stdin=_draining(lines.__aiter__(), inflight),  # type: ignore[arg-type]
        stdout=_Answers(out, inflight),  # type: ignore[arg-type]
    ) as (read, write):
        await lowlevel.run(read, write, lowlevel.create_initialization_options())


def _http_caller(request: Any) -> Principal:
    principal = getattr(request.state, STATE_KEY, None) if request is not None else None
    if not isinstance(principal, Principal):  # never: McpEndpoint admitted the request
        raise Unauthorized("send an API key as Authorization: Bearer <key>")
    return principal


class McpEndpoint:
    """The ASGI endpoint at ``/mcp``: admit the request, then hand it to the SDK."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.server = build(Tools(rt.db, rt.clock, rt.stats_store, _http_caller))
        self.manager: Any = None  # while the app runs (``running``)

    def _new_manager(self) -> Any:
        """A session manager of its own (one runs only once: each time the app starts,
        e.g. every test client of one app, takes a new one). The SDK's Starlette app is
        built only for it, mounted here behind the API's own admission. Host checks are
        the API's concern (it serves the same hosts as every /v1 route)."""
        self.server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            max_request_body_size=self.rt.settings.max_body_bytes,
        )
        return self.server.session_manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        secret = api_key(request)
        if not secret:
            raise Unauthorized("send an API key as Authorization: Bearer <key> or X-API-Key")
        rt = self.rt
        state: dict[str, Any] = scope.setdefault("state", {})
        headers: list[tuple[bytes, bytes]] = []
        try:
            principal = await run_in_threadpool(
                admit,
                rt.db,
                rt.limiter,
                rt.clock,
                rt.settings.key_touch_interval_seconds,
                secret,
                headers,
            )
        finally:  # sent on the answer, a 429 too (PlatformMiddleware adds them)
            state["extra_headers"] = [*state.get("extra_headers", ()), *headers]
        state[STATE_KEY] = principal
        if scope["method"] == "GET":
            # A GET would open the SDK's standalone event stream, which a stateless server
            # never writes to: held open for good, one admission each. The transport's
            # answer for a server without that stream is 405.
            raise MethodNotAllowed("this server sends no event stream: POST each request")
        content_type = request.headers.get("content-type", "")
        if scope["method"] == "POST" and not JSON_TYPE.match(content_type):
            # As every /v1 body: the transport's own answer is a bare text/plain line.
            raise ValidationFailed(
                "send the body as JSON with Content-Type: application/json",
                field="Content-Type",
            )
        if self.manager is None:  # an app served without its lifespan
            raise ServiceUnavailable("the MCP server is not running; start the app's lifespan")
        await self.manager.handle_request(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The session manager's task group, for as long as the app serves."""
        self.manager = self._new_manager()
        try:
            async with self.manager.run():
                yield
        finally:
            self.manager = None
