"""``/admin/users``: the server's users, for its administrators (``users.is_admin``); anyone
else gets a 403 page. The pages call ``services.accounts.admin`` (whose create is the
``users.create_user`` of ``timeboxd users create``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from timeboxd.api.deps import runtime
from timeboxd.services.accounts import admin
from timeboxd.services.accounts import web_sessions as auth
from timeboxd.web import forms
from timeboxd.web.forms import Problem, Shown
from timeboxd.web.pages import render

router = APIRouter(include_in_schema=False)
BASE = "/admin/users"


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


def _users_page(number: int = 1, email: str = "") -> forms.PageFn:
    def page(
        s: Session, who: auth.Visitor, status: int, shown: Shown | None, problem: Problem | None
    ) -> Response:
        found = admin.list_users(s, who.principal, number, email)
        return render(
            "admin_users.html",
            status=status,
            who=who,
            is_admin=True,
            users=found.items,
            page=found,
            problem=problem,
            done=shown.name if shown else None,
            email=email,
        )

    return page


@router.get(BASE)
def users_page(request: Request) -> Response:
    email = request.query_params.get("email", "")
    return forms.show_page(request, _users_page(_page_number(request), email))


@router.post(BASE)
async def create_user(request: Request) -> Response:
    default_zone = runtime(request).settings.default_timezone

    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> Shown:
        made = admin.create_user(
            s,
            who.principal,
            now,
            email=str(form.get("email", "")),
            name=str(form.get("name", "")).strip(),
            password=str(form.get("password", "")),
            timezone=default_zone,
            is_admin=form.get("is_admin") in ("on", "true"),
        )
        return Shown("user", "", f"Created {made.email}.")

    return await forms.post(request, "create", act, _users_page())


@router.post(BASE + "/{user_id}/deactivate")
async def deactivate(request: Request, user_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> Shown:
        done = admin.deactivate(s, who.principal, now, user_id)
        return Shown("user", "", f"Deactivated {done.email}: their keys and sessions stopped.")

    return await forms.post(request, f"user:{user_id}", act, _users_page())


@router.post(BASE + "/{user_id}/reactivate")
async def reactivate(request: Request, user_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> Shown:
        done = admin.reactivate(s, who.principal, now, user_id)
        return Shown("user", "", f"Reactivated {done.email}.")

    return await forms.post(request, f"user:{user_id}", act, _users_page())


@router.post(BASE + "/{user_id}/password")
async def reset_password(request: Request, user_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> Shown:
        done = admin.reset_password(s, who.principal, now, user_id, str(form.get("password", "")))
        return Shown("user", "", f"New password set for {done.email}; their sessions ended.")

    return await forms.post(request, f"user:{user_id}", act, _users_page())
