"""``/v1/webhooks``: endpoints, their secrets, pings and delivery logs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from timeboxd.api.deps import Ctx, UnitOfWorkRoute, runtime, scoped
from timeboxd.api.query import query
from timeboxd.api.routes.common import IfMatch
from timeboxd.schemas.common import Envelope, ListEnvelope, Paging, changes_of
from timeboxd.schemas.webhooks import (
    DeliveryOut,
    DeliveryQuery,
    WebhookChanges,
    WebhookCreate,
    WebhookOut,
    WebhookPatch,
    WebhookWithSecret,
)
from timeboxd.services.events import webhooks
from timeboxd.services.paging import PageRequest

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/v1/webhooks", tags=["webhooks"])
read = scoped("read:webhooks")
write = scoped("write:webhooks")
# Answers that show the secret are never stored for an Idempotency-Key replay.
write_secret = scoped("write:webhooks", replayable=False)


def _allow_private(request: Request) -> bool:
    return runtime(request).settings.webhook_allow_private


@router.get("", operation_id="listWebhooks", response_model=ListEnvelope[WebhookOut])
async def list_webhooks(ctx: Ctx = read, q: Paging = Depends(query(Paging))) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    return ctx.page(webhooks.list_webhooks(ctx.session, ctx.principal, paging))


@router.post(
    "",
    operation_id="createWebhook",
    status_code=201,
    response_model=Envelope[WebhookWithSecret],
)
def create_webhook(body: WebhookCreate, request: Request, ctx: Ctx = write_secret) -> Response:
    """The answer shows the signing secret, the only time but a rotation. The URL's host
    must resolve to public addresses (unless the server allows private ones)."""
    view, etag = webhooks.create_webhook(
        ctx.session, ctx.principal, ctx.now, body, allow_private=_allow_private(request)
    )
    return ctx.ok(view, status=201, etag=etag)


@router.get("/{webhook_id}", operation_id="getWebhook", response_model=Envelope[WebhookOut])
async def get_webhook(webhook_id: str, ctx: Ctx = read) -> Response:
    view, etag = webhooks.get_webhook(ctx.session, ctx.principal, webhook_id)
    return ctx.ok(view, etag=etag)


@router.patch("/{webhook_id}", operation_id="updateWebhook", response_model=Envelope[WebhookOut])
def update_webhook(
    webhook_id: str,
    body: WebhookPatch,
    request: Request,
    if_match: IfMatch = None,
    ctx: Ctx = write,
) -> Response:
    """``active: true`` turns a disabled webhook on again and clears its reason."""
    view, etag = webhooks.update_webhook(
        ctx.session,
        ctx.principal,
        ctx.now,
        webhook_id,
        changes_of(WebhookChanges, body),
        if_match,
        allow_private=_allow_private(request),
    )
    return ctx.ok(view, etag=etag)


@router.delete("/{webhook_id}", operation_id="deleteWebhook", response_model=Envelope[None])
def delete_webhook(webhook_id: str, if_match: IfMatch = None, ctx: Ctx = write) -> Response:
    webhooks.delete_webhook(ctx.session, ctx.principal, webhook_id, if_match)
    return ctx.ok(None)


@router.post(
    "/{webhook_id}/rotate-secret",
    operation_id="rotateWebhookSecret",
    response_model=Envelope[WebhookWithSecret],
)
def rotate_secret(webhook_id: str, if_match: IfMatch = None, ctx: Ctx = write_secret) -> Response:
    view, etag = webhooks.rotate_secret(ctx.session, ctx.principal, ctx.now, webhook_id, if_match)
    return ctx.ok(view, etag=etag)


@router.post(
    "/{webhook_id}/ping",
    operation_id="pingWebhook",
    status_code=202,
    response_model=Envelope[DeliveryOut],
)
def ping(webhook_id: str, ctx: Ctx = write) -> Response:
    """Queue a signed test event (type ``webhook.ping``) for this webhook; follow it in
    the delivery log."""
    return ctx.ok(webhooks.ping(ctx.session, ctx.principal, ctx.now, webhook_id), status=202)


@router.get(
    "/{webhook_id}/deliveries",
    operation_id="listWebhookDeliveries",
    response_model=ListEnvelope[DeliveryOut],
)
async def list_deliveries(
    webhook_id: str, ctx: Ctx = read, q: DeliveryQuery = Depends(query(DeliveryQuery))
) -> Response:
    paging = PageRequest.parse(q.page, q.per_page)
    found = webhooks.list_deliveries(ctx.session, ctx.principal, webhook_id, q.status, paging)
    return ctx.page(found)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    operation_id="redeliverWebhookDelivery",
    status_code=202,
    response_model=Envelope[DeliveryOut],
)
def redeliver(webhook_id: str, delivery_id: str, ctx: Ctx = write) -> Response:
    found = webhooks.redeliver(ctx.session, ctx.principal, ctx.now, webhook_id, delivery_id)
    return ctx.ok(found, status=202)
