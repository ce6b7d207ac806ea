"""What the developer, password and admin pages share: a checked form post run in a worker
thread, typed inputs through the API's own models, and times in the user's zone.

A post runs ``action(session, visitor, form, now)`` in one write transaction, after the
session, the CSRF token and the Origin are checked. The action returns where to go next (a
redirect: the no-JavaScript path) or a ``Shown`` (a secret to show once, rendered from
this answer only), or a ``DomainError`` it returns rather than raises (refused, but what
it wrote is committed: a failed password check is counted). A service error renders the
page the form is on, with the message next to that form and what was typed still in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from timeboxd.api.deps import Runtime, runtime
from timeboxd.domain.wallclock import zone
from timeboxd.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from timeboxd.services.accounts import web_sessions as auth
from timeboxd.web import pages
from timeboxd.web.pages import COOKIE, Refused, redirect, render, templates


@dataclass(slots=True)
class Shown:
    """A secret shown once, on the page this answer renders (never stored, never again)."""

    what: str  # "key" or "secret"
    value: str
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Problem:
    """A refused form: which form (``where``), the message, what was typed."""

    where: str
    message: str
    values: dict[str, Any]


# page(session, visitor, status, shown, problem) -> Response
PageFn = Callable[[Session, auth.Visitor, int, Shown | None, Problem | None], Response]
Action = Callable[[Session, auth.Visitor, Any, dt.datetime], "str | Shown | DomainError"]


def whole_number(raw: object, name: str) -> int | None:
    text = str(raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed("enter a whole number", field=name)
    return int(text)


def message(exc: DomainError) -> str:
    return exc.message if exc.field is None else f"{exc.field}: {exc.message}"


def status_of(exc: DomainError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return 400


def visitor(request: Request, s: Session, now: dt.datetime) -> auth.Visitor | None:
    return auth.visitor(s, request.cookies.get(COOKIE), now)


def show_page(request: Request, page: PageFn, **query: Any) -> Response:
    """A GET of a page: its visitor, or the login page."""
    rt = runtime(request)
    now = rt.clock()
    with rt.db.read() as s:
        who = visitor(request, s, now)
        if who is None:
            return redirect("/login")
        try:
            return page(s, who, 200, None, None)
        except DomainError as exc:
            return render("refused.html", status=status_of(exc), who=who, message=message(exc))


async def post(request: Request, where: str, action: Action, page: PageFn) -> Response:
    form = await request.form()
    return await run_in_threadpool(_run, runtime(request), request, form, where, action, page)


def _run(
    rt: Runtime, request: Request, form: Any, where: str, action: Action, page: PageFn
) -> Response:
    now = rt.clock()
    try:
        with rt.db.write() as s:
            who = visitor(request, s, now)
            if who is None:
                return redirect("/login")
            pages._checked(request, who, form)
            result = action(s, who, form, now)
    except Refused:
        return render("refused.html", status=403)
    except DomainError as exc:
        problem = Problem(where, message(exc), _typed(form))
        return _again(rt, request, now, page, status_of(exc), None, problem)
    if isinstance(result, Shown):
        return _again(rt, request, now, page, 200, result, None)
    if isinstance(result, DomainError):  # refused, with what it wrote kept (committed)
        problem = Problem(where, message(result), _typed(form))
        return _again(rt, request, now, page, status_of(result), None, problem)
    return redirect(result)


def _again(
    rt: Runtime,
    request: Request,
    now: dt.datetime,
    page: PageFn,
    status: int,
    shown: Shown | None,
    problem: Problem | None,
) -> Response:
    with rt.db.read() as s:
        who = visitor(request, s, now)
        if who is None:  # the action ended this very session (a reset of one's own password)
            return redirect("/login")
        try:
            return page(s, who, status, shown, problem)
        except DomainError as exc:  # the page itself is not this visitor's (another's id)
            return render("refused.html", status=status_of(exc), who=who, message=message(exc))


_SECRET_FIELDS = ("password", "current_password", "new_password", "confirm_password", "csrf")


def _typed(form: Any) -> dict[str, Any]:
    """What was typed, to fill the form again: never a password or the token."""
    out: dict[str, Any] = {}
    for name in form:
        if name in _SECRET_FIELDS:
            continue
        values = form.getlist(name)
        out[name] = values if len(values) > 1 or name in ("scopes", "events") else values[0]
    return out


def _local(value: dt.datetime | None, tz: str) -> str:
    """An instant as the user reads it: ``YYYY-MM-DD HH:MM`` in their zone; "—" for none."""
    if value is None:
        return "—"
    return value.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")


templates.filters["local"] = _local
