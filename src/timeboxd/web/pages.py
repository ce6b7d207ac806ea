"""The web app's routes: HTML pages and form posts, mounted at ``/`` beside ``/v1``.

Every page reads and writes through the services the API uses, acting as a
``Principal`` made from the session's user. A form post must carry the session's CSRF
token and, when the browser sends an ``Origin``, come from this server's own origin.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from timeboxd.api.deps import Runtime, runtime
from timeboxd.api.handlers import validation_to_domain
from timeboxd.domain.wallclock import local_today
from timeboxd.errors import DomainError, NotFound
from timeboxd.schemas.account import MeChanges, MePatch
from timeboxd.schemas.blocks import AgendaOut, BlockChanges, BlockCreate, BlockFields, BlockOut
from timeboxd.schemas.common import LocalDate, changes_of
from timeboxd.schemas.entries import TimerStart
from timeboxd.services.accounts import users
from timeboxd.services.accounts import web_sessions as auth
from timeboxd.services.catalog import projects
from timeboxd.services.insights import productivity
from timeboxd.services.paging import PageRequest
from timeboxd.services.planning import agenda, blocks
from timeboxd.services.tracking import timer

HERE = Path(__file__).parent
COOKIE = "timeboxd_session"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# When the page's work began (set before the handler runs): every page answers with a
# ``Server-Timing: page;dur=<ms>`` header, the handler's own time (session, services,
# template), which bench/web.py reads.
_STARTED: ContextVar[float | None] = ContextVar("page_started", default=None)


async def _clock_starts() -> None:
    # async: it runs in the request's own context, which the handler's thread inherits.
    _STARTED.set(time.perf_counter())


router = APIRouter(include_in_schema=False, dependencies=[Depends(_clock_starts)])
# The paths that take HTML form posts (not JSON): api.middleware lets their bodies through.
FORM_PREFIXES = ("/login", "/logout", "/blocks/", "/blocks", "/timer/", "/settings", "/admin/")


class Refused(Exception):
    """A form post that fails the CSRF or Origin check."""


def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    started = _STARTED.get()
    if started is not None:
        response.headers["server-timing"] = f"page;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response


def render(name: str, status: int = 200, **context: Any) -> Response:
    html = templates.get_template(name).render(**context)
    return _headers(HTMLResponse(html, status_code=status))


def redirect(to: str) -> Response:
    return _headers(RedirectResponse(to, status_code=303))


def _to_login() -> Response:
    return redirect("/login")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not every browser sends it on a same-origin post; the token decides
        return True
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin == own


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _checked(request: Request, who: auth.Visitor, form: Any) -> None:
    if not _same_origin(request) or not auth.csrf_ok(who.csrf_token, form.get("csrf")):
        raise Refused


def _refused() -> Response:
    return render("refused.html", status=403)


M = TypeVar("M", bound=BaseModel)
A_DATE: TypeAdapter[dt.date] = TypeAdapter(LocalDate)


def validated(model: type[M], raw: dict[str, Any]) -> M:
    """``raw`` (a form's fields) through an API input model: the API's checks, and its
    error naming the field."""
    try:
        return model.model_validate(raw)
    except PydanticError as exc:
        raise validation_to_domain(RequestValidationError(exc.errors())) from None


def _day(raw: str | None, fallback: dt.date) -> dt.date:
    """A date in a page's address, as the API reads dates (1900 to 2999); ``fallback`` for
    anything else."""
    if not raw:
        return fallback
    try:
        return A_DATE.validate_python(raw)
    except PydanticError:
        return fallback


def _projects(s: Session, who: auth.Visitor) -> list[Any]:
    page = projects.list_projects(s.connection(), who.principal, False, PageRequest(1, 1000))
    return page.items


def _today(s: Session, who: auth.Visitor, now: dt.datetime) -> dt.date:
    return local_today(now, who.user.timezone)


def _today_context(
    s: Session, who: auth.Visitor, now: dt.datetime, day: dt.date | None
) -> dict[str, Any]:
    plan: AgendaOut = agenda.agenda(s.connection(), who.principal, now, day)
    listed = projects.list_projects(s.connection(), who.principal, False, PageRequest(1, 1000))
    colours = {p.id: p.color for p in listed.items}
    running = timer.current(s, who.principal, now)
    return {
        "who": who,
        "plan": plan,
        "projects": listed.items,
        "colours": colours,
        "running": running[0] if running else None,
        "elapsed": int((now - running[0].start_at).total_seconds()) if running else 0,
        "prev": plan.date - dt.timedelta(days=1),
        "next": plan.date + dt.timedelta(days=1),
    }


# -- login --------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    return render("login.html", email="", error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    rt = runtime(request)
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()
    password = str(form.get("password", ""))
    if not _same_origin(request):
        return _refused()
    now = rt.clock()
    with rt.db.write() as s:
        if auth.login_blocked(s, email, _address(request), now):
            return render(
                "login.html",
                status=429,
                email=email,
                error=auth.BLOCKED,
            )
        user = auth.authenticate(s, email, password, now)
        if user is None:
            auth.record_failure(s, email, _address(request), now)
            error = "Wrong email or password."
            token = None
        elif user.deactivated_at is not None:
            error = "This account is deactivated. Ask the server's administrator."
            token = None
        else:
            auth.end_session(s, request.cookies.get(COOKIE))
            token = auth.open_session(s, user, now)
    if token is None:
        return render("login.html", status=401, email=email, error=error)
    response = redirect("/")
    response.set_cookie(
        COOKIE,
        token,
        max_age=auth.SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    rt = runtime(request)
    form = await request.form()
    with rt.db.write() as s:
        who = auth.visitor(s, request.cookies.get(COOKIE), rt.clock())
        if who is None:
            return _to_login()
        try:
            _checked(request, who, form)
        except Refused:
            return _refused()
        auth.end_session(s, request.cookies.get(COOKIE))
    response = redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


# -- today --------------------------------------------------------------------------------


@router.get("/")
def today(request: Request, date: str | None = None) -> Response:
    rt = runtime(request)
    now = rt.clock()
    with rt.db.read() as s:
        who = auth.visitor(s, request.cookies.get(COOKIE), now)
        if who is None:
            return _to_login()
        day = _day(date, _today(s, who, now))
        return render("today.html", **_today_context(s, who, now, day), error=None)


async def _post(request: Request, action: Any) -> Response:
    """Run ``action(session, visitor, form, now)`` for a checked form post; it returns
    where to go next, or a Response. A service error shows on the page it came from."""
    rt: Runtime = runtime(request)
    form = await request.form()
    now = rt.clock()
    back = _back(form)
    try:
        with rt.db.write() as s:
            who = auth.visitor(s, request.cookies.get(COOKIE), now)
            if who is None:
                return _to_login()
            _checked(request, who, form)
            result = action(s, who, form, now)
    except Refused:
        return _refused()
    except DomainError as exc:
        with rt.db.read() as s:
            who = auth.visitor(s, request.cookies.get(COOKIE), now)
            if who is None:
                return _to_login()
            day = _day(str(form.get("date") or form.get("back_date") or ""), _today(s, who, now))
            status = 404 if isinstance(exc, NotFound) else 400
            message = exc.message if exc.field is None else f"{exc.field}: {exc.message}"
            return render(
                "today.html", status=status, **_today_context(s, who, now, day), error=message
            )
    if isinstance(result, Response):
        return result
    return redirect(result or back)


def _back(form: Any) -> str:
    back = str(form.get("back") or "/")
    # Only a path of this site: never an open redirect.
    return back if back.startswith("/") and not back.startswith("//") else "/"


def _fields(form: Any) -> BlockFields:
    """A block form's fields, read as the API reads a block's body."""
    body = validated(
        BlockCreate,
        {
            "date": str(form.get("date", "")),
            "start": str(form.get("start", "")),
            "end": str(form.get("end", "")),
            "topic": str(form.get("topic", "")).strip(),
            "project_id": str(form.get("project_id") or "") or None,
        },
    )
    return BlockFields.of(body)


@router.post("/blocks")
async def add_block(request: Request) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        fields = _fields(form)
        blocks.create_block(s, who.principal, now, fields)
        return f"/?date={fields.date.isoformat()}"

    return await _post(request, act)


@router.post("/blocks/{block_id}/done")
async def toggle_done(request: Request, block_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> Response | str:
        done = form.get("done") in ("on", "true", "1")
        view, _ = blocks.update_block(
            s, who.principal, now, block_id, BlockChanges(done=done), None
        )
        if request.headers.get("hx-request"):
            plan = agenda.agenda(s.connection(), who.principal, now, view.date)
            return render("_block_done.html", block=view, who=who, plan=plan)
        return _back(form)

    return await _post(request, act)


@router.post("/blocks/{block_id}/delete")
async def delete(request: Request, block_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        blocks.delete_block(s, who.principal, now, block_id, None)
        return _back(form)

    return await _post(request, act)


@router.post("/blocks/{block_id}/edit")
async def edit(request: Request, block_id: str) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        fields = _fields(form)
        changes = BlockChanges(date=fields.date, start=fields.start, end=fields.end)
        if "topic" in form:
            changes.topic = fields.topic
        if "project_id" in form:
            changes.project_id = fields.project_id
        blocks.update_block(s, who.principal, now, block_id, changes, None)
        return _back(form)

    return await _post(request, act)


@router.get("/blocks/{block_id}/edit")
def edit_page(request: Request, block_id: str) -> Response:
    rt = runtime(request)
    now = rt.clock()
    with rt.db.read() as s:
        who = auth.visitor(s, request.cookies.get(COOKIE), now)
        if who is None:
            return _to_login()
        try:
            view, _ = blocks.get_block(s, who.principal, block_id)
        except NotFound:
            return render("refused.html", status=404, message="No such block.")
        back = _back(request.query_params)
        return render("edit.html", who=who, block=view, projects=_projects(s, who), back=back)


# -- timer --------------------------------------------------------------------------------


@router.post("/timer/start")
async def timer_start(request: Request) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        project = str(form.get("project_id") or "") or None
        body = TimerStart(
            description=str(form.get("description", ""))[:2000],
            project_id=project,
            block_id=str(form.get("block_id") or "") or None,
            stop_running=True,
        )
        timer.start(s, who.principal, now, body)
        return _back(form)

    return await _post(request, act)


@router.post("/timer/stop")
async def timer_stop(request: Request) -> Response:
    def act(s: Session, who: auth.Visitor, form: Any, now: dt.datetime) -> str:
        timer.stop(s, who.principal, now)
        return _back(form)

    return await _post(request, act)


# -- week ---------------------------------------------------------------------------------


@router.get("/week")
def week(request: Request, start: str | None = None) -> Response:
    rt = runtime(request)
    now = rt.clock()
    with rt.db.read() as s:
        who = auth.visitor(s, request.cookies.get(COOKIE), now)
        if who is None:
            return _to_login()
        today_ = _today(s, who, now)
        first = _day(start, today_)
        first_weekday = 6 if who.user.week_start == "sunday" else 0
        first -= dt.timedelta(days=(first.weekday() - first_weekday) % 7)
        days: list[tuple[dt.date, list[BlockOut], int]] = []
        for i in range(7):
            plan = agenda.agenda(s.connection(), who.principal, now, first + dt.timedelta(days=i))
            days.append((plan.date, plan.blocks, plan.planned_minutes))
        colours = {p.id: p.color for p in _projects(s, who)}
        return render(
            "week.html",
            who=who,
            days=days,
            colours=colours,
            today=today_,
            prev=first - dt.timedelta(days=7),
            next=first + dt.timedelta(days=7),
            back=f"/week?start={quote(first.isoformat())}",
        )


# -- dashboard ----------------------------------------------------------------------------


def _heat_level(minutes: int) -> int:
    return (
        0
        if minutes <= 0
        else 1
        if minutes < 60
        else 2
        if minutes < 120
        else 3
        if minutes < 240
        else 4
    )


@router.get("/dashboard/productivity")
def dashboard(request: Request) -> Response:
    rt = runtime(request)
    now = rt.clock()
    with rt.db.read() as s:
        who = auth.visitor(s, request.cookies.get(COOKIE), now)
        if who is None:
            return _to_login()
        out = productivity.productivity(s, who.principal, now, 12)
        colours = {p.id: p.color for p in _projects(s, who)}
    # The heatmap as weeks (columns) of days, oldest first, each column headed by the month
    # it starts when that changes; the rows are named by the weekdays of the first column.
    days = sorted(out.heatmap.items())
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    starts = [dt.date.fromisoformat(week[0][0]) for week in weeks]
    months = [
        d.strftime("%b") if n == 0 or d.month != starts[n - 1].month else ""
        for n, d in enumerate(starts)
    ]
    weekdays = [dt.date.fromisoformat(d).strftime("%a") for d, _ in days[:7]]
    charts = {
        "days": {
            "labels": [d.date.strftime("%-d %b") for d in out.last_30_days],
            "values": [d.minutes for d in out.last_30_days],
        },
        "weekdays": {
            "labels": [w.weekday[:3].title() for w in out.by_weekday],
            "values": [w.minutes for w in out.by_weekday],
        },
        "hours": {
            "labels": [f"{h.hour:02d}" for h in out.by_hour],
            "values": [h.minutes for h in out.by_hour],
        },
    }
    return render(
        "dashboard.html",
        who=who,
        p=out,
        weeks=list(zip(months, weeks, strict=True)),
        weekdays=weekdays,
        level=_heat_level,
        charts=charts,
        colours=colours,
    )


# -- settings -----------------------------------------------------------------------------

ZONES = sorted(zoneinfo.available_timezones())


def _settings_page(who: auth.Visitor, status: int = 200, **extra: Any) -> Response:
    return render("settings.html", status=status, who=who, zones=ZONES, **extra)


def _profile_changes(form: Any, goal_raw: str) -> MeChanges:
    """The form through the API's own input model (MePatch): the same checks as PATCH /v1/me."""
    from timeboxd.errors import ValidationFailed

    if goal_raw and not goal_raw.isdigit():
        raise ValidationFailed("enter whole minutes", field="daily_goal_minutes")
    raw = {
        "name": str(form.get("name", "")).strip(),
        "timezone": str(form.get("timezone", "")).strip(),
        "week_start": str(form.get("week_start", "")),
        "daily_goal_minutes": int(goal_raw) if goal_raw else None,
    }
    try:
        body = MePatch.model_validate(raw)
    except PydanticError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else None
        raise ValidationFailed(first["msg"], field=field) from None
    return changes_of(MeChanges, body)


@router.get("/settings")
def settings_page(
    request: Request, saved: str | None = None, password: str | None = None
) -> Response:
    from timeboxd.services.accounts import admin

    rt = runtime(request)
    with rt.db.read() as s:
        who = auth.visitor(s, request.cookies.get(COOKIE), rt.clock())
        if who is None:
            return _to_login()
        return _settings_page(
            who,
            saved=saved is not None,
            error=None,
            password_changed=password is not None,
            is_admin=admin.is_admin(s, who.principal),
        )


@router.post("/settings")
async def save_settings(request: Request) -> Response:
    rt = runtime(request)
    form = await request.form()
    now = rt.clock()
    goal_raw = str(form.get("daily_goal_minutes", "")).strip()
    try:
        with rt.db.write() as s:
            who = auth.visitor(s, request.cookies.get(COOKIE), now)
            if who is None:
                return _to_login()
            _checked(request, who, form)
            changes = _profile_changes(form, goal_raw)
            users.update_me(s, who.principal, now, changes, None, str(request.base_url))
    except Refused:
        return _refused()
    except DomainError as exc:
        with rt.db.read() as s:
            who = auth.visitor(s, request.cookies.get(COOKIE), now)
            if who is None:
                return _to_login()
            message = exc.message if exc.field is None else f"{exc.field}: {exc.message}"
            return _settings_page(who, status=400, saved=False, error=message)
    return redirect("/settings?saved=1")


def install(app: FastAPI) -> None:
    """Mount the pages and their static files on the API's app. The templates are compiled
    here, at start-up, so that no visitor's first page pays for it (about 0.1 s)."""
    from timeboxd.web import admin_pages, developer

    for name in templates.list_templates():
        templates.get_template(name)
    app.include_router(router)
    app.include_router(developer.router)
    app.include_router(admin_pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
