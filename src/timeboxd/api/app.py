"""``create_app(settings)``: the only place the API is assembled."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from timeboxd import API_VERSION, __version__
from timeboxd.api import handlers, metrics, release_check
from timeboxd.api.deps import SECURITY_SCHEMES, Runtime
from timeboxd.api.idempotency import IdempotencyMiddleware
from timeboxd.api.metrics import MetricsMiddleware
from timeboxd.api.middleware import PlatformMiddleware
from timeboxd.api.openapi_rules import forbid_nul_in_inputs
from timeboxd.api.query import openapi_parameters
from timeboxd.api.ratelimit import RateLimiter
from timeboxd.api.routes import (
    account,
    admin,
    agenda,
    blocks,
    calendar,
    clients,
    deals,
    entries,
    events,
    imports,
    leads,
    projects,
    reports,
    search,
    series,
    service,
    stats,
    tags,
    tasks,
    timer,
    webhooks,
    workspaces,
)
from timeboxd.api.streams import StreamSlots
from timeboxd.config import Settings, load_settings
from timeboxd.schemas.common import ErrorEnvelope
from timeboxd.services.context import Clock, system_clock
from timeboxd.services.database import Database
from timeboxd.services.insights.stats_cache import make_store
from timeboxd.web import pages as web_pages

ERROR_STATUSES = {
    "400": "Bad input (VALIDATION_ERROR or UNSUPPORTED_VERSION)",
    "401": "Missing, malformed, unknown, expired or revoked key (UNAUTHORIZED)",
    "403": "The key lacks the scope (FORBIDDEN)",
    "404": "No such resource for this caller (NOT_FOUND)",
    "405": "Method not allowed on this route (VALIDATION_ERROR)",
    "409": "CONFLICT",
    "412": "If-Match does not match (PRECONDITION_FAILED)",
    "413": "Body too large (PAYLOAD_TOO_LARGE)",
    "429": "Over quota (RATE_LIMITED); Retry-After is set",
    "500": "INTERNAL_ERROR",
    "503": "The server is at a limit of its own, every database connection or stream slot "
    "busy (SERVICE_UNAVAILABLE); retry shortly",
}
# Bodies the JSON checks at the door leave alone: files, forms, and the MCP transport's
# JSON-RPC messages, whose tools refuse a NUL as a tool error (mcp.tools.ArgumentCheck).
RAW_BODY_PREFIXES = ("/v1/imports/", "/mcp", *web_pages.FORM_PREFIXES)


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    settings = settings or load_settings()
    database = db or Database(
        settings.resolved_database_url, pool_timeout=settings.database_pool_timeout_seconds
    )
    limiter = RateLimiter(
        settings.rate_limit_per_minute, settings.rate_limit_per_second, settings.redis_url
    )
    app = FastAPI(
        title="timeboxd",
        version=__version__,
        summary="Plan time in blocks, track it, and see honest progress.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.runtime = Runtime(
        settings=settings,
        db=database,
        clock=clock,
        limiter=limiter,
        stats_store=make_store(settings.redis_url),
        streams=StreamSlots(settings.stream_max_per_key, settings.stream_max),
    )
    handlers.install(app)
    # The most requested routers first: a request is matched against routers in order.
    for module in (
        series,  # before blocks: /v1/blocks/series must not be read as a block id
        blocks,
        entries,
        timer,
        agenda,
        stats,
        projects,
        tasks,
        clients,
        tags,
        leads,
        deals,
        account,
        workspaces,
        reports,
        search,
        calendar,
        imports,
        events,
        webhooks,
        admin,
        service,
        metrics,
    ):
        app.include_router(module.router)
    web_pages.install(app)  # the web app's HTML pages at /, beside the /v1 API
    handlers.refuse_shadowed_methods(app)
    _mount_mcp(app)
    # Innermost, so the router has put the matched route into the scope it sees.
    app.add_middleware(MetricsMiddleware)
    metrics.count_pool(database)
    app.add_middleware(IdempotencyMiddleware, db=lambda: database)
    app.add_middleware(
        PlatformMiddleware,
        clock=clock,
        max_body_bytes=settings.max_body_bytes,
        raw_body_prefixes=RAW_BODY_PREFIXES,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _mount_mcp(app: FastAPI) -> None:
    """The MCP server's streamable HTTP endpoint at ``/mcp`` (timeboxd.mcp.serve), and
    its session manager running for as long as the app does."""
    from timeboxd.mcp.serve import McpEndpoint

    endpoint = McpEndpoint(app.state.runtime)
    from starlette.routing import Route

    # First: a request is matched against the routes in order, and /mcp shadows none.
    app.router.routes.insert(
        0, Route("/mcp", endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    )
    app.router.lifespan_context = lambda _app: _running(app, endpoint.running())


@asynccontextmanager
async def _running(app: FastAPI, mcp: AbstractAsyncContextManager[None]) -> AsyncIterator[None]:
    """What runs beside the requests while the app serves: the MCP session manager and
    the version check's daily look (api.release_check)."""
    async with mcp, anyio.create_task_group() as tasks:
        tasks.start_soon(release_check.run, app.state.runtime)
        yield
        tasks.cancel_scope.cancel()


def api_routes(app: FastAPI) -> list[Any]:
    """Every API route as served (included routers flattened), each with ``path``,
    ``path_format``, ``methods``, ``dependant`` and ``body_field`` as an APIRoute has; the
    web app's HTML pages (timeboxd.web) are not API routes."""
    return [
        c
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIRoute)
        and not c.original_route.endpoint.__module__.startswith("timeboxd.web")
    ]


def _marked_dependencies(app: FastAPI, mark: str) -> dict[tuple[str, str], Any]:
    """(path, METHOD) → the value of attribute ``mark`` on a dependency the route uses:
    ``required_scope`` (api.deps.scoped) or ``query_model`` (api.query.query)."""
    found: dict[tuple[str, str], Any] = {}
    for route in api_routes(app):
        pending = list(route.dependant.dependencies)
        while pending:
            dep = pending.pop()
            value = getattr(dep.call, mark, None)
            if value is not None:
                for method in route.methods or ():
                    found[(route.path_format, method)] = value
            pending += dep.dependencies
    return found


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the envelope errors and headers every /v1 route can return."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    schema["info"]["x-api-version"] = API_VERSION
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in error_schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components["ErrorEnvelope"] = error_schema
    schema["components"]["securitySchemes"] = SECURITY_SCHEMES
    scopes = _marked_dependencies(app, "required_scope")
    query_models = _marked_dependencies(app, "query_model")
    ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if (model := query_models.get((path, method.upper()))) is not None:
                op.setdefault("parameters", []).extend(openapi_parameters(model))
            scope = scopes.get((path, method.upper()))
            if scope is not None:
                op["security"] = [{"bearer": []}, {"apiKey": []}]
                op["x-required-scope"] = scope
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            for status, text in ERROR_STATUSES.items():
                responses.setdefault(
                    status, {"description": text, "content": {"application/json": {"schema": ref}}}
                )
            if method == "post" and path.startswith("/v1/"):
                op.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "Retry safely: the same key and body replay the "
                        "first response; another body is a 409.",
                    }
                )
    forbid_nul_in_inputs(schema)
    app.openapi_schema = schema
    return schema


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (each worker process builds its own app)."""
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper())
    app = create_app(settings)
    # What is built by now (modules, models, routes: some 150,000 objects) lives as long as
    # the process. Frozen, the collector no longer walks it: a full collection of it
    # stopped the worker for 0.2-0.5 s on a busy machine, the tail of every request then
    # in flight (a list's p99 under 32 connections was seconds while its p50 was 0.1 s).
    gc.collect()
    gc.freeze()
    return app
