"""``/settings/developer``: API keys and webhooks; and the password change on ``/settings``.

The pages call the services of ``/v1/api-keys`` and ``/v1/webhooks`` with the visitor's
principal (live mode, every scope), through the API's own input models: a key or a webhook
the API refuses, the page refuses with the same message. Secrets (a new key, a webhook's
signing secret) are shown once, in the answer to the post that made them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from timeboxd.api.deps import runtime
from timeboxd.domain import keys
from timeboxd.errors import DomainError
from timeboxd.schemas.account import ApiKeyCreate
from timeboxd.schemas.webhooks import WebhookChanges, WebhookCreate
from timeboxd.services.accounts import admin, apikeys
from timeboxd.services.accounts import web_sessions as auth
from timeboxd.services.events import webhooks
from timeboxd.services.events.feed import RESOURCES
from timeboxd.services.paging import PageRequest
from timeboxd.web import forms
from timeboxd.web.forms import Problem, Shown
from timeboxd.web.pages import render, validated

router = APIRouter(include_in_schema=False)
BASE = "/settings/developer"
# The webhook form's choices: every event, or every event of one resource.
EVENT_CHOICES = ("*", *(f"{r}.*" for r in RESOURCES))
SCOPE_CHOICES = (keys.ALL, *keys.SCOPES)
DELIVERIES_SHOWN = 50


def _allow_private(request: Request) -> bool:
    return runtime(request).settings.webhook_allow_private


# -- the developer page -----------------------------------------------------------------


def _developer(
    s: Session, who: auth.Visitor, status: int, shown: Shown | None, problem: Problem | None
) -> Response:
    p = who.principal
    return render(
        "developer.html",
        status=status,
        who=who,
        is_admin=admin.is_admin(s, p),
        keys=apikeys.list_keys(s, p),
        webhooks=webhooks.list_webhooks(s, p, PageRequest(1, 1000)).items,
        scopes=SCOPE_CHOICES,
        events=EVENT_CHOICES,
        shown=shown,
        problem=problem,
    )


@router.get(BASE)
def developer_page(request: Request) -> Response:
    return forms.show_page(request, _developer)


@router.post(f"{BASE}/keys")
async def create_key(request: Request) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> Shown:
        body = validated(
            ApiKeyCreate,
            {
                "name": str(form.get("name", "")).strip(),
                "scopes": list(form.getlist("scopes")) or None,
                "mode": str(form.get("mode") or "live"),
                "expires_in_days": forms.whole_number(
                    form.get("expires_in_days"), "expires_in_days"
                ),
            },
        )
        made = apikeys.create_for(s, who.principal, now, body)
        return Shown("key", made.key, made.name or made.prefix)

    return await forms.post(request, "key", act, _developer)


@router.post(BASE + "/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        apikeys.revoke_key(s, who.principal, now, key_id)
        return BASE

    return await forms.post(request, "keys", act, _developer)


@router.post(f"{BASE}/webhooks")
async def create_webhook(request: Request) -> Response:
    allow_private = _allow_private(request)

    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> Shown:
        raw: dict[str, Any] = {
            "url": str(form.get("url", "")).strip(),
            "description": str(form.get("description", "")).strip(),
        }
        if form.getlist("events"):
            raw["events"] = list(form.getlist("events"))
        body = validated(WebhookCreate, raw)
        made, _ = webhooks.create_webhook(s, who.principal, now, body, allow_private=allow_private)
        return Shown("secret", made.secret, made.url, {"webhook_id": made.id})

    return await forms.post(request, "webhook", act, _developer)


# -- one webhook: its delivery log, secret and state ---------------------------------------


def _webhook_page(webhook_id: str) -> forms.PageFn:
    def page(
        s: Session, who: auth.Visitor, status: int, shown: Shown | None, problem: Problem | None
    ) -> Response:
        p = who.principal
        hook, _ = webhooks.get_webhook(s, p, webhook_id)
        log = webhooks.list_deliveries(s, p, webhook_id, None, PageRequest(1, DELIVERIES_SHOWN))
        return render(
            "webhook.html",
            status=status,
            who=who,
            is_admin=admin.is_admin(s, p),
            hook=hook,
            deliveries=log.items,
            total=log.total,
            shown=shown,
            problem=problem,
        )

    return page


def _webhook_path(webhook_id: str) -> str:
    return f"{BASE}/webhooks/{webhook_id}"


@router.get(BASE + "/webhooks/{webhook_id}")
def webhook_page(request: Request, webhook_id: str) -> Response:
    return forms.show_page(request, _webhook_page(webhook_id))


@router.post(BASE + "/webhooks/{webhook_id}/rotate")
async def rotate(request: Request, webhook_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> Shown:
        made, _ = webhooks.rotate_secret(s, who.principal, now, webhook_id, None)
        return Shown("secret", made.secret, made.url, {"webhook_id": made.id})

    return await forms.post(request, "webhook", act, _webhook_page(webhook_id))


@router.post(BASE + "/webhooks/{webhook_id}/active")
async def set_active(request: Request, webhook_id: str) -> Response:
    allow_private = _allow_private(request)

    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        active = str(form.get("active", "")) == "true"
        changes = WebhookChanges(active=active)
        webhooks.update_webhook(
            s, who.principal, now, webhook_id, changes, None, allow_private=allow_private
        )
        return _webhook_path(webhook_id)

    return await forms.post(request, "webhook", act, _webhook_page(webhook_id))


@router.post(BASE + "/webhooks/{webhook_id}/ping")
async def ping(request: Request, webhook_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        webhooks.ping(s, who.principal, now, webhook_id)
        return _webhook_path(webhook_id)

    return await forms.post(request, "deliveries", act, _webhook_page(webhook_id))


@router.post(BASE + "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(request: Request, webhook_id: str, delivery_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        webhooks.redeliver(s, who.principal, now, webhook_id, delivery_id)
        return _webhook_path(webhook_id)

    return await forms.post(request, "deliveries", act, _webhook_page(webhook_id))


# -- the password on /settings --------------------------------------------------------------


def _settings(
    s: Session, who: auth.Visitor, status: int, shown: Shown | None, problem: Problem | None
) -> Response:
    from timeboxd.web.pages import ZONES

    return render(
        "settings.html",
        status=status,
        who=who,
        zones=ZONES,
        saved=False,
        error=None,
        is_admin=admin.is_admin(s, who.principal),
        password_changed=False,
        problem=problem,
    )


@router.post("/settings/password")
async def change_password(request: Request) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str | DomainError:
        refused = auth.change_password(
            s,
            who,
            now,
            request.client.host if request.client else "unknown",
            str(form.get("current_password", "")),
            str(form.get("new_password", "")),
            str(form.get("confirm_password", "")),
        )
        return refused or "/settings?password=changed"

    return await forms.post(request, "password", act, _settings)
