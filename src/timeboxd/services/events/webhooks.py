"""Webhooks (SPEC §3 "Events"): endpoints that receive their owner's events, in the mode
of the key that made them; the secret is shown when made and when rotated, never again.

Saving a URL resolves its host (see ``targets``), so these functions block on DNS: the
routes that call them run in a worker thread."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, not_, select, update
from sqlalchemy.orm import Session

from timeboxd.db.events import Delivery, Event, Webhook
from timeboxd.domain.ids import new_id
from timeboxd.errors import NotFound, ValidationFailed
from timeboxd.schemas.webhooks import (
    DeliveryOut,
    WebhookChanges,
    WebhookCreate,
    WebhookOut,
    WebhookWithSecret,
)
from timeboxd.services import versioning
from timeboxd.services.context import Principal
from timeboxd.services.events import signing, targets
from timeboxd.services.events.feed import checked
from timeboxd.services.paging import Page, PageRequest, select_page

PING = "webhook.ping"  # a delivery's test event; never in the change feed
LEASE = timedelta(seconds=60)  # a claim's hold: longer than an attempt may take (15 s)
# A pending delivery due within this from now may be in a worker's hands (a claim moves it
# a lease ahead; the margin is for the clocks of workers on other machines).
IN_HAND = 2 * LEASE


def _view(w: Webhook) -> WebhookOut:
    return WebhookOut(
        id=w.id,
        url=w.url,
        events=w.events.split(),
        description=w.description,
        active=w.active,
        disabled_reason=w.disabled_reason,
        created_at=w.created_at,
        updated_at=w.updated_at,
    )


def _with_secret(w: Webhook) -> WebhookWithSecret:
    view = _view(w)
    return WebhookWithSecret(**{f: getattr(view, f) for f in view.__slots__}, secret=w.secret)


def _events(given: list[str]) -> str:
    """The subscription as stored: each pattern checked, each once, in the order given."""
    return " ".join(dict.fromkeys(checked([g.strip() for g in given], "events")))


def _load(session: Session, principal: Principal, webhook_id: str) -> Webhook:
    webhook = session.scalar(
        select(Webhook).where(
            Webhook.id == webhook_id,
            Webhook.user_id == principal.user_id,
            Webhook.livemode == principal.livemode,
        )
    )
    if webhook is None:
        raise NotFound(f"no webhook {webhook_id}")
    return webhook


def create_webhook(
    session: Session,
    principal: Principal,
    now: datetime,
    body: WebhookCreate,
    *,
    allow_private: bool,
) -> tuple[WebhookWithSecret, str]:
    events = _events(body.events)
    targets.check(body.url, allow_private=allow_private)
    webhook = Webhook(
        id=new_id("whk"),
        user_id=principal.user_id,
        livemode=principal.livemode,
        url=body.url,
        events=events,
        description=body.description,
        active=body.active,
        secret=signing.new_secret(),
        failures=0,
        created_at=now,
        updated_at=now,
    )
    session.add(webhook)
    session.flush()
    return _with_secret(webhook), versioning.etag(webhook)


def get_webhook(session: Session, principal: Principal, webhook_id: str) -> tuple[WebhookOut, str]:
    webhook = _load(session, principal, webhook_id)
    return _view(webhook), versioning.etag(webhook)


def list_webhooks(session: Session, principal: Principal, paging: PageRequest) -> Page[WebhookOut]:
    stmt = (
        select(Webhook)
        .where(Webhook.user_id == principal.user_id, Webhook.livemode == principal.livemode)
        .order_by(Webhook.created_at, Webhook.id)
    )
    return select_page(session, stmt, paging).map(_view)


def update_webhook(
    session: Session,
    principal: Principal,
    now: datetime,
    webhook_id: str,
    changes: WebhookChanges,
    if_match: str | None,
    *,
    allow_private: bool,
) -> tuple[WebhookOut, str]:
    webhook = _load(session, principal, webhook_id)
    versioning.check_row(webhook, if_match, "webhook")
    for name in ("url", "events", "description", "active"):
        if getattr(changes, name) is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)
    if isinstance(changes.url, str):
        targets.check(changes.url, allow_private=allow_private)
        webhook.url = changes.url
    if isinstance(changes.events, list):
        webhook.events = _events(changes.events)
    if isinstance(changes.description, str):
        webhook.description = changes.description
    if isinstance(changes.active, bool):
        webhook.active = changes.active
        if changes.active:  # turned on again by its owner: a fresh start
            webhook.disabled_reason = None
            webhook.failures = 0
            webhook.failing_since = None
    webhook.updated_at = now
    session.flush()
    return _view(webhook), versioning.etag(webhook)


def delete_webhook(
    session: Session, principal: Principal, webhook_id: str, if_match: str | None
) -> None:
    webhook = _load(session, principal, webhook_id)
    versioning.check_row(webhook, if_match, "webhook")
    session.delete(webhook)
    session.flush()


def rotate_secret(
    session: Session, principal: Principal, now: datetime, webhook_id: str, if_match: str | None
) -> tuple[WebhookWithSecret, str]:
    """A new secret signs every delivery from now on, retries of earlier events too."""
    webhook = _load(session, principal, webhook_id)
    versioning.check_row(webhook, if_match, "webhook")
    webhook.secret = signing.new_secret()
    webhook.updated_at = now
    session.flush()
    return _with_secret(webhook), versioning.etag(webhook)


def _delivery_view(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        webhook_id=d.webhook_id,
        event_id=d.event_id,
        type=d.event_type,
        status=d.status,
        attempt=d.attempt,
        status_code=d.status_code,
        duration_ms=d.duration_ms,
        error=d.error,
        next_attempt_at=d.next_attempt_at,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


def ping(session: Session, principal: Principal, now: datetime, webhook_id: str) -> DeliveryOut:
    """A test event for this webhook alone, delivered as any other (signed, retried, in
    its log), whatever it subscribes to and even while it is disabled."""
    webhook = _load(session, principal, webhook_id)
    event = Event(
        id=new_id("evt"),
        user_id=principal.user_id,
        livemode=principal.livemode,
        type=PING,
        resource_id=webhook.id,
        data=f'{{"id":"{webhook.id}","ping":true}}',
        created_at=now,
    )
    delivery = Delivery(
        id=new_id("dlv"),
        webhook_id=webhook.id,
        event_id=event.id,
        event_type=PING,
        status="pending",
        attempt=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add_all([event, delivery])
    session.flush()
    return _delivery_view(delivery)


def list_deliveries(
    session: Session,
    principal: Principal,
    webhook_id: str,
    status: str | None,
    paging: PageRequest,
) -> Page[DeliveryOut]:
    """The webhook's deliveries, newest first."""
    webhook = _load(session, principal, webhook_id)
    stmt = select(Delivery).where(Delivery.webhook_id == webhook.id)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    stmt = stmt.order_by(Delivery.created_at.desc(), Delivery.id.desc())
    return select_page(session, stmt, paging).map(_delivery_view)


def redeliver(
    session: Session, principal: Principal, now: datetime, webhook_id: str, delivery_id: str
) -> DeliveryOut:
    """Send the delivery's event again now, with a fresh count of attempts."""
    webhook = _load(session, principal, webhook_id)
    delivery = session.scalar(
        select(Delivery).where(Delivery.id == delivery_id, Delivery.webhook_id == webhook.id)
    )
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}")
    # One attempt at a time: a delivery some worker may be sending right now is left to
    # it (it is pending, and its retries follow), never handed to a second worker. The
    # condition is in the UPDATE so that a claim committing meanwhile is seen.
    session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery.id,
            not_(
                and_(
                    Delivery.status == "pending",
                    Delivery.next_attempt_at > now,
                    Delivery.next_attempt_at <= now + IN_HAND,
                )
            ),
        )
        .values(status="pending", attempt=0, next_attempt_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(delivery)
    return _delivery_view(delivery)
