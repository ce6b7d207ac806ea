"""``Idempotency-Key`` on POST: a retry with the same key and request gets the first response.

The key is claimed by ``scoped`` (api.deps) once the API key is known good, inside its rate
limit and scope, so a refused key never replays or stores anything. ``IdempotencyMiddleware``
then keeps the answer of a claimed request (2xx) or releases the claim (anything else).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from datetime import datetime

import anyio
import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from timeboxd.errors import ValidationFailed
from timeboxd.services import idempotency
from timeboxd.services.database import Database

HEADER = "idempotency-key"


class Replayed(Exception):
    """Raised by ``claim`` to answer with the stored response."""

    def __init__(self, replay: idempotency.Replay) -> None:
        super().__init__("replayed")
        self.replay = replay


def claim(request: Request, db: Database, owner: str, now: datetime, *, store: bool) -> None:
    """Claim the request's ``Idempotency-Key`` for ``owner`` (an API key's id), or raise
    ``Replayed`` with the stored answer, or ``Conflict`` (services.idempotency). Without
    ``store`` the claim only guards against a concurrent twin and is released after."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST":
        return
    if not 1 <= len(key) <= 255:
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 255 characters", field="Idempotency-Key"
        )
    body: bytes = request.scope["state"].get("body", b"")
    digest = hashlib.sha256()
    for part in (request.scope["path"].encode(), request.scope.get("query_string", b""), body):
        digest.update(part + b"\x00")
    replay = idempotency.begin_or_conflict(db, owner, key, digest.hexdigest(), now)
    if replay is not None:
        raise Replayed(replay)
    request.state.idempotency_claim = (owner, key, now, store)


def replayed_response(request: Request, exc: Exception) -> Response:
    """The stored response, byte for byte; its request id is the one in its body, so the
    ``X-Request-Id`` header and ``meta.request_id`` agree."""
    assert isinstance(exc, Replayed)
    with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
        request.state.request_id = str(orjson.loads(exc.replay.body)["meta"]["request_id"])
    return Response(
        exc.replay.body,
        status_code=exc.replay.status_code,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


class IdempotencyMiddleware:
    """Stores the response of a request that claimed a key (see ``claim``)."""

    def __init__(self, app: ASGIApp, *, db: Callable[[], Database]) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _has_key(scope):
            await self.app(scope, receive, send)
            return
        status = 500
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            claimed = scope.get("state", {}).get("idempotency_claim")
            if claimed is not None:
                owner, key, claimed_at, store = claimed
                kept = status if store else 0  # not stored: released like a failure
                # A database write: off the event loop, and finished even when the client
                # has gone (a cancelled request would otherwise leave its claim pending).
                with anyio.CancelScope(shield=True):
                    await run_in_threadpool(
                        idempotency.finish,
                        self.db(),
                        owner,
                        key,
                        claimed_at,
                        kept,
                        b"".join(chunks),
                    )


def _has_key(scope: Scope) -> bool:
    return any(name == HEADER.encode() for name, _ in scope["headers"])
