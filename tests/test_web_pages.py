"""The web app in a real browser (Debian's Chromium driven by Playwright) against a real
server subprocess, and its security rules over plain HTTP."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from timeboxd.db.models import Block, User
from timeboxd.services.accounts import apikeys
from timeboxd.services.accounts import users as accounts
from timeboxd.services.accounts import web_sessions as auth

PASSWORD = "correct horse battery"


def make_user(server: Any, password: str = PASSWORD) -> str:
    email = f"web-{secrets.token_hex(5)}@example.com"
    now = datetime.now(UTC)
    with server.db.write() as s:
        user = accounts.create_user(s, now, email, name="Web")
        auth.set_password(s, user, password, now)
    return email


def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def add_block(page: Page, topic: str, start: str, end: str) -> None:
    page.get_by_label("Topic").fill(topic)
    page.get_by_label("Start", exact=True).fill(start)
    page.get_by_label("End", exact=True).fill(end)
    page.get_by_role("button", name="Add block").click()


def blocks_of(server: Any, email: str) -> list[Block]:
    with server.db.read() as s:
        user = s.query(User).filter_by(email=email).one()
        return list(s.query(Block).filter_by(user_id=user.id, deleted_at=None).all())


def session_client(server: Any, email: str) -> tuple[httpx.Client, str]:
    """Logged in over plain HTTP; returns the client and the page's CSRF token."""
    c = httpx.Client(base_url=server.base, follow_redirects=False)
    r = c.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303, r.text
    page = c.get("/")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return c, found.group(1)


def test_a_day_in_the_browser(real_server: Any, browser: Browser) -> None:
    email = make_user(real_server)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{real_server.base}/")
    expect(page).to_have_url(re.compile(r"/login$"))

    log_in(page, real_server.base, email, "not it")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page).to_have_url(re.compile(r"/login$"))

    log_in(page, real_server.base, email)
    expect(page.get_by_role("heading", name="Add a block")).to_be_visible()
    add_block(page, "Read chapter 3", "09:00", "10:30")
    add_block(page, "Exercises", "08:00", "08:45")
    items = page.locator("ul.blocks li .topic")
    expect(items).to_have_text(["Exercises", "Read chapter 3"])  # in time order
    expect(page.locator("#summary")).to_have_text("0 of 135 min done")

    page.get_by_label("Read chapter 3").check()
    expect(page.locator("#summary")).to_have_text("90 of 135 min done")  # htmx, no reload
    done = {b.topic: b.done for b in blocks_of(real_server, email)}
    assert done == {"Read chapter 3": True, "Exercises": False}
    page.reload()
    expect(page.get_by_label("Read chapter 3")).to_be_checked()

    page.get_by_label("What are you doing?").fill("Reading")
    page.get_by_role("button", name="Start timer").click()
    expect(page.locator("time.elapsed")).to_have_text(re.compile(r"^0:00:0\d$"))
    page.get_by_role("button", name="Stop timer").click()
    expect(page.get_by_role("button", name="Start timer")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(f"{real_server.base}/week")
    expect(page).to_have_url(re.compile(r"/login$"))
    assert errors == []


def test_move_a_block_in_the_week(real_server: Any, browser: Browser) -> None:
    email = make_user(real_server)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, real_server.base, email)
    add_block(page, "Lab report", "14:00", "15:00")
    page.get_by_role("link", name="Week").click()
    page.get_by_text("Move Lab report").click()
    form = page.get_by_role("form", name="Move Lab report")
    (block,) = blocks_of(real_server, email)
    target = block.date + timedelta(days=1)
    form.get_by_label("Date").fill(target.isoformat())
    form.get_by_label("Start").fill("16:00")
    form.get_by_label("End").fill("17:30")
    form.get_by_role("button", name="Move").click()
    (moved,) = blocks_of(real_server, email)
    assert (moved.date, moved.start.isoformat(), moved.end.isoformat()) == (
        target,
        "16:00:00",
        "17:30:00",
    )
    day = page.locator(f'section.day[data-date="{target.isoformat()}"]')
    expect(day.locator(".topic")).to_have_text(["Lab report"])


def test_a_topic_with_markup_renders_as_text(real_server: Any, browser: Browser) -> None:
    email = make_user(real_server)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, real_server.base, email)
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    add_block(page, payload, "10:00", "11:00")
    expect(page.locator("ul.blocks .topic")).to_have_text([payload])
    assert page.locator("ul.blocks img").count() == 0
    assert dialogs == []


def test_pages_send_a_strict_content_security_policy(real_server: Any) -> None:
    r = httpx.get(f"{real_server.base}/login")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert "<script>" not in r.text  # no inline script anywhere
    assert re.fullmatch(r"page;dur=\d+\.\d\d", r.headers["server-timing"])
    assert httpx.get(f"{real_server.base}/v1/me").json()["error"]["code"] == "UNAUTHORIZED"


def test_a_cross_site_post_is_refused_and_changes_nothing(real_server: Any) -> None:
    email = make_user(real_server)
    c, csrf = session_client(real_server, email)
    today = date.today().isoformat()
    form = {"csrf": csrf, "date": today, "topic": "Mine", "start": "09:00", "end": "10:00"}
    assert c.post("/blocks", data=form).status_code == 303
    (block,) = blocks_of(real_server, email)
    evil = {"origin": "https://evil.example"}
    r = c.post(f"/blocks/{block.id}/done", data={"csrf": csrf, "done": "on"}, headers=evil)
    assert r.status_code == 403
    r = c.post(f"/blocks/{block.id}/done", data={"done": "on"})  # no token
    assert r.status_code == 403
    r = c.post(f"/blocks/{block.id}/delete", data={"csrf": "guessed"})
    assert r.status_code == 403
    (still,) = blocks_of(real_server, email)
    assert (still.done, still.deleted_at) == (False, None)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_a_date_outside_the_apis_years_shows_today(real_server: Any, day: str) -> None:
    """The pages read dates as the API does (1900 to 2999): beyond them, today's page."""
    c, _ = session_client(real_server, make_user(real_server))
    for path in (f"/?date={day}", f"/week?start={day}"):
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert day not in r.text


@pytest.mark.parametrize(
    ("start", "day", "field"),
    [
        ("10:00:00.123456+05:00", "2026-12-02", "start"),  # not HH:MM
        ("23:59", "9999-12-31", "date"),  # beyond the API's years
        ("9", "2026-12-02", "start"),
    ],
)
def test_a_block_form_is_read_as_the_api_reads_a_block(
    real_server: Any, start: str, day: str, field: str
) -> None:
    email = make_user(real_server)
    c, csrf = session_client(real_server, email)
    form = {"csrf": csrf, "date": day, "topic": "t", "start": start, "end": "23:59"}
    r = c.post("/blocks", data=form)
    assert r.status_code == 400, r.text[:300]
    alert = re.search(r'<p class="error" role="alert">([^<]*)</p>', r.text)
    assert alert and alert.group(1).startswith(f"{field}: "), r.text[:300]
    assert blocks_of(real_server, email) == []


def test_login_gives_a_new_session_id(real_server: Any) -> None:
    email = make_user(real_server)
    c = httpx.Client(base_url=real_server.base, follow_redirects=False)
    c.cookies.set("timeboxd_session", "planted-by-an-attacker")
    r = c.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303
    issued = r.cookies["timeboxd_session"]
    assert issued != "planted-by-an-attacker"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    planted = httpx.get(
        f"{real_server.base}/",
        cookies={"timeboxd_session": "planted-by-an-attacker"},
        follow_redirects=True,
    )
    assert planted.url.path == "/login"
    again = c.post("/login", data={"email": email, "password": PASSWORD})
    assert again.cookies["timeboxd_session"] != issued
    old = httpx.get(
        f"{real_server.base}/", cookies={"timeboxd_session": issued}, follow_redirects=True
    )
    assert old.url.path == "/login"  # the session replaced at the second login is gone


def test_another_users_block_is_not_found(real_server: Any) -> None:
    owner, intruder = make_user(real_server), make_user(real_server)
    c, csrf = session_client(real_server, owner)
    today = date.today().isoformat()
    form = {"csrf": csrf, "date": today, "topic": "Private", "start": "09:00", "end": "10:00"}
    c.post("/blocks", data=form)
    (block,) = blocks_of(real_server, owner)
    other, other_csrf = session_client(real_server, intruder)
    for action, data in (
        ("done", {"done": "on"}),
        ("delete", {}),
        ("edit", {"date": today, "start": "11:00", "end": "12:00", "topic": "Mine now"}),
    ):
        r = other.post(f"/blocks/{block.id}/{action}", data={"csrf": other_csrf, **data})
        assert r.status_code == 404, action
        assert f"no block {block.id}" in r.text
    assert other.get(f"/blocks/{block.id}/edit").status_code == 404
    (same,) = blocks_of(real_server, owner)
    assert (same.topic, same.done, same.deleted_at, same.start.isoformat()) == (
        "Private",
        False,
        None,
        "09:00:00",
    )


def test_login_attempts_are_braked(real_server: Any) -> None:
    email = make_user(real_server)
    c = httpx.Client(base_url=real_server.base, follow_redirects=False)
    for _ in range(auth.MAX_FAILURES_PER_ACCOUNT):
        r = c.post("/login", data={"email": email, "password": "guess"})
        assert r.status_code == 401 and "Wrong email or password." in r.text
    r = c.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 429
    assert "Too many failed attempts" in r.text
    assert "timeboxd_session" not in r.cookies


def test_the_dashboard_shows_the_apis_figures(real_server: Any, browser: Browser) -> None:
    email = make_user(real_server)
    now = datetime.now(UTC)
    with real_server.db.write() as s:
        user = s.query(User).filter_by(email=email).one()
        key = apikeys.create_key(s, now, user.id, name="dashboard").secret
    api = httpx.Client(base_url=real_server.base, headers={"Authorization": f"Bearer {key}"})
    today = api.get("/v1/agenda").json()["data"]["date"]
    for start, end in (("08:00", "09:00"), ("10:00", "10:45")):
        body = {"date": today, "start": start, "end": end, "topic": "Study", "done": True}
        assert api.post("/v1/blocks", json=body).status_code == 201
    wanted = api.get("/v1/productivity", params={"weeks": 12}).json()["data"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, real_server.base, email)
    page.get_by_role("link", name="Productivity").click()
    expect(page.get_by_role("heading", name="Productivity")).to_be_visible()
    expect(page.locator("#current-streak")).to_have_text(str(wanted["current_streak"]))
    expect(page.locator("#longest-streak")).to_have_text(str(wanted["longest_streak"]))
    expect(page.locator("#total-minutes")).to_have_text(str(wanted["total_minutes"]))
    expect(page.locator("#focus-sessions")).to_have_text(str(wanted["focus"]["sessions"]))
    assert page.locator(".heat").count() == len(wanted["heatmap"])
    for name in ("days", "weekdays", "hours"):  # Chart.js drew into each canvas
        page.wait_for_function(
            f"() => window.Chart && window.Chart.getChart('chart-{name}') !== undefined"
        )
    assert errors == []


def test_settings_change_the_week(real_server: Any, browser: Browser) -> None:
    email = make_user(real_server)
    page = browser.new_page(viewport={"width": 375, "height": 800})
    log_in(page, real_server.base, email)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("timezone")
    page.get_by_label("Name").fill("Ada")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_label("Week starts on").select_option("sunday")
    page.get_by_label("Daily goal (minutes)").fill("240")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    with real_server.db.read() as s:
        user = s.query(User).filter_by(email=email).one()
        assert (user.name, user.timezone, user.week_start, user.daily_goal_minutes) == (
            "Ada",
            "Europe/Paris",
            "sunday",
            240,
        )
    page.get_by_role("link", name="Week").click()
    expect(page.locator("section.day h2 a").first).to_have_text(re.compile(r"^Sun "))
