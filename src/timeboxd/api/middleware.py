"""Pure ASGI middleware: request ids, version headers, body limits, content type, and the
last-resort handler that keeps every error in the envelope."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from timeboxd import API_VERSION
from timeboxd.api.envelope import failure
from timeboxd.domain.ids import random_base62
from timeboxd.errors import (
    DomainError,
    InternalError,
    PayloadTooLarge,
    UnsupportedVersion,
    ValidationFailed,
)
from timeboxd.services.context import Clock

log = logging.getLogger("timeboxd.api")

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ACCEPTED_VERSION = re.compile(r"^1(\.(x|\d+))?$")
JSON_TYPE = re.compile(r"^application/([\w.+-]+\+)?json\s*(;.*)?$", re.IGNORECASE)


NUL_MESSAGE = "text may not contain NUL (U+0000) characters"


def _check_no_nul(scope: Scope) -> None:
    """No text column can hold U+0000 (PostgreSQL refuses it): refuse it at the door."""
    if "\x00" in scope["path"]:
        raise ValidationFailed(NUL_MESSAGE, field="path")
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        raise ValidationFailed(NUL_MESSAGE, field=_nul_query_field(query))


def _nul_query_field(query: bytes) -> str:
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "")
    return "query"


def _refuse_nul(body: bytes) -> None:
    """Refuse a JSON body with U+0000 in any text, naming the (innermost) field."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return  # the route's own parsing refuses it

    def walk(value: Any, name: str) -> None:
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed(NUL_MESSAGE, field=name)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key, "body")
                walk(item, key)
        elif isinstance(value, list):
            for item in value:
                walk(item, name)

    walk(document, "body")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class PlatformMiddleware:
    """Outermost layer. Everything that leaves the server passes through here."""

    def __init__(
        self, app: ASGIApp, *, clock: Clock, max_body_bytes: int, raw_body_prefixes: tuple[str, ...]
    ) -> None:
        self.app = app
        self.clock = clock
        self.max_body = max_body_bytes
        self.raw_body_prefixes = raw_body_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + random_base62(20)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                # A replayed answer (api.idempotency) carries its first request's id.
                headers.append((b"x-request-id", str(state["request_id"]).encode()))
                headers.append((b"x-api-version", API_VERSION.encode()))
                headers.extend(state.get("extra_headers", ()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            self._check_version(scope)
            _check_no_nul(scope)
            if scope["method"] in BODY_METHODS:
                receive = await self._buffer_body(scope, receive, state)
            await self.app(scope, receive, send_with_headers)
        except DomainError as exc:
            if started:
                raise
            await failure(exc, request_id, self.clock())(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if started:
                raise
            error = InternalError("an unexpected error occurred; it has been logged")
            await failure(error, request_id, self.clock())(scope, receive, send_with_headers)

    def _check_version(self, scope: Scope) -> None:
        wanted = _header(scope, b"x-accept-version")
        if wanted is not None and not ACCEPTED_VERSION.match(wanted.strip()):
            raise UnsupportedVersion(
                f"API version {wanted!r} is not served here; this server speaks 1",
                field="X-Accept-Version",
            )

    async def _buffer_body(self, scope: Scope, receive: Receive, state: dict[str, Any]) -> Receive:
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            raise PayloadTooLarge(f"the body is over the {self.max_body}-byte limit")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise PayloadTooLarge(f"the body is over the {self.max_body}-byte limit")
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        state["body"] = body
        if body and not scope["path"].startswith(self.raw_body_prefixes):
            ctype = _header(scope, b"content-type") or ""
            if not JSON_TYPE.match(ctype):
                raise ValidationFailed(
                    "send the body as JSON with Content-Type: application/json",
                    field="Content-Type",
                )
            if b"\\u0000" in body:  # cheap test first; then find the field, if any
                _refuse_nul(body)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay
