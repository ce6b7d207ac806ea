"""The one place that turns errors into the envelope (SPEC §2 error table)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from timeboxd.api.envelope import failure
from timeboxd.api.idempotency import Replayed, replayed_response
from timeboxd.errors import (
    Conflict,
    DomainError,
    ErrorItem,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    ValidationFailed,
)

LOCATIONS = {"body", "query", "path", "header", "cookie"}


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in LOCATIONS]
    return parts[-1] if parts else None


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "this field is required"
    if kind == "json_invalid":
        return "the body is not valid JSON"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def validation_to_domain(exc: RequestValidationError) -> ValidationFailed:
    errors = list(exc.errors())
    if not errors:
        return ValidationFailed("invalid request")
    first = errors[0]
    if first.get("type") == "json_invalid":
        return ValidationFailed("the body is not valid JSON")
    details: list[ErrorItem] = []
    # Errors inside a bulk body name the item: body.blocks.<index>.<field>
    for err in errors:
        eloc = tuple(err.get("loc", ()))
        if len(eloc) >= 3 and eloc[0] == "body" and isinstance(eloc[2], int):
            details.append(ErrorItem(eloc[2], _field(eloc[3:]), _message(err)))
    if details:
        return ValidationFailed(
            f"{len(details)} item(s) failed; nothing was written",
            field=details[0].field,
            details=details,
        )
    # An unknown field is named first: it is often a misspelt one that is also "missing".
    first = next((e for e in errors if e.get("type") == "extra_forbidden"), first)
    loc = tuple(first.get("loc", ()))
    field = _field(loc)
    message = _message(first)
    if first.get("type") == "extra_forbidden":
        message = f"unknown field {field!r}"
    elif first.get("type") == "missing" and loc == ("body",):
        message = "a JSON body is required"
    return ValidationFailed(message, field=field)


def _refused(request: Request) -> Response:
    raise HTTPException(status_code=405)


def _is_literal(path_format: str) -> bool:
    return "{" not in path_format


def refuse_shadowed_methods(app: FastAPI) -> None:
    """A path spelled out by a route (``/v1/blocks/bulk``) serves only that route's
    methods. Without this, a method it lacks would fall through to a route with a
    parameter that also matches it (``GET /v1/blocks/{block_id}`` with the id "bulk") and
    answer 404 or 400 instead of 405. Call once every router is included."""
    served: dict[str, set[str]] = {}
    contexts = list(iter_route_contexts(app.routes))
    for context in contexts:
        path_format = getattr(context.route, "path_format", None)
        if path_format is not None and _is_literal(path_format):
            methods = getattr(context.route, "methods", None) or ()
            served.setdefault(path_format, set()).update(methods)
    for path, methods in served.items():
        caught: set[str] = set()
        for context in contexts:
            route = context.route
            path_format = str(getattr(route, "path_format", ""))
            regex = getattr(route, "path_regex", None)
            if not _is_literal(path_format) and regex is not None and regex.match(path):
                caught |= set(getattr(route, "methods", None) or ())
        if extra := caught - methods:
            refusal = Route(path, _refused, methods=sorted(extra), include_in_schema=False)
            app.router.routes.insert(0, refusal)


def _allowed(request: Request) -> str:
    """The methods served at this path: a route that spells the path out (no parameters)
    decides alone, else every route whose template matches it. Each method is its own
    route, so the router's own ``Allow`` names only the first route that matched."""
    path = request.scope["path"]
    literal: set[str] = set()
    matching: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        route = context.route
        regex = getattr(route, "path_regex", None)
        if getattr(route, "endpoint", None) is _refused or regex is None or not regex.match(path):
            continue
        methods = set(getattr(route, "methods", None) or ())
        matching |= methods
        if _is_literal(getattr(route, "path_format", "{")):
            literal |= methods
    return ", ".join(sorted(literal or matching))


def _request_id(request: Request) -> str:
    return str(request.state.request_id)


def _now(request: Request) -> Any:
    return request.app.state.runtime.clock()


def install(app: FastAPI) -> None:
    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return failure(exc, _request_id(request), _now(request))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return failure(validation_to_domain(exc), _request_id(request), _now(request))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        error: DomainError
        if exc.status_code == 404:
            error = NotFound(f"no route {request.method} {request.url.path}")
        elif exc.status_code == 405:
            error = MethodNotAllowed(
                f"{request.method} is not allowed on {request.url.path}", field="method"
            )
            exc.headers = {**(exc.headers or {}), "Allow": _allowed(request)}
        elif exc.status_code == 401:
            error = Unauthorized(str(exc.detail))
        elif exc.status_code == 403:
            error = Forbidden(str(exc.detail))
        elif exc.status_code == 413:
            error = PayloadTooLarge(str(exc.detail))
        elif isinstance(exc.__cause__, UnicodeDecodeError):
            # A JSON body that is not UTF-8: FastAPI's reading of it failed before parsing.
            error = ValidationFailed("the body is not valid JSON")
        else:
            error = ValidationFailed(str(exc.detail))
        headers = dict(exc.headers or {})
        return failure(error, _request_id(request), _now(request), headers=headers or None)

    async def on_stale(request: Request, exc: Exception) -> Response:
        # Two writes to one row at once on PostgreSQL: the one that committed second found
        # the row's version already raised (the ORM's version check), and wrote nothing.
        error = Conflict(
            "the resource was changed by another request at the same time; read it again and retry"
        )
        return failure(error, _request_id(request), _now(request))

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(StaleDataError, on_stale)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Replayed, replayed_response)
