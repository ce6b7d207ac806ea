"""``/v1/me`` and ``/v1/api-keys``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, scoped
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.account import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    MeChanges,
    MeOut,
    MePatch,
)
from timeboxd.schemas.common import Envelope, changes_of
from timeboxd.services.accounts import apikeys
from timeboxd.services.accounts import users as accounts

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1", tags=["account"])
# Any valid key reads its own profile; changing it needs a live key with a write scope
# (checked in the service); keys themselves need `admin`.
me_access = scoped(None)
admin = scoped("admin")
# The new key's secret is shown once: it is never stored for an Idempotency-Key replay.
admin_shows_secret = scoped("admin", replayable=False)


@router.get("/me", operation_id="getMe", response_model=Envelope[MeOut])
async def get_me(ctx: Ctx = me_access) -> Response:
    view, tag = accounts.get_me(ctx.session, ctx.principal, ctx.base_url)
    return ctx.ok(view, etag=tag)


@router.patch("/me", operation_id="updateMe", response_model=Envelope[MeOut])
def update_me(body: MePatch, if_match: IfMatch = None, ctx: Ctx = me_access) -> Response:
    changes = changes_of(MeChanges, body)
    view, tag = accounts.update_me(
        ctx.session, ctx.principal, ctx.now, changes, if_match, ctx.base_url
    )
    return ctx.ok(view, etag=tag)


@router.get("/api-keys", operation_id="listApiKeys", response_model=Envelope[list[ApiKeyOut]])
async def list_api_keys(ctx: Ctx = admin) -> Response:
    return ctx.ok(apikeys.list_keys(ctx.session, ctx.principal))


@router.post(
    "/api-keys",
    operation_id="createApiKey",
    status_code=201,
    response_model=Envelope[ApiKeyCreated],
)
def create_api_key(body: ApiKeyCreate, ctx: Ctx = admin_shows_secret) -> Response:
    return ctx.ok(apikeys.create_for(ctx.session, ctx.principal, ctx.now, body), status=201)


@router.delete(
    "/api-keys/{key_id}", operation_id="revokeApiKey", response_model=Envelope[ApiKeyOut]
)
def revoke_api_key(key_id: str, ctx: Ctx = admin) -> Response:
    return ctx.ok(apikeys.revoke_key(ctx.session, ctx.principal, ctx.now, key_id))
