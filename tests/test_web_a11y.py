"""Accessibility of the web app in a real browser (Debian's Chromium driven by Playwright):
axe-core on every page at desktop and phone width, no sideways scrolling on a phone, and
the main flow done with the keyboard alone, its focus always visible.

axe-core comes from npm (package-lock.json); scripts/build_assets.sh copies it into
tests/vendor, never into the static folder the server serves. The pages' Content-Security-
Policy refuses any inline script, so a ``<script>`` tag holding axe would not run: its source
is evaluated through the browser's devtools protocol instead (``page.evaluate``), which the
page's policy does not govern, and the policy itself stays on.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from timeboxd.db.models import User
from timeboxd.services.accounts import apikeys
from timeboxd.services.accounts import users as accounts
from timeboxd.services.accounts import web_sessions as auth

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PASSWORD = "correct horse battery"
WIDTHS = {"desktop": 1280, "phone": 375}
FAILING_IMPACTS = ("serious", "critical")


@dataclass(frozen=True, slots=True)
class Account:
    email: str
    block_id: str


@dataclass(frozen=True, slots=True)
class Screen:
    """A page in one state: where to go (``{block}`` is a block of the account) and, when
    the state needs more than a visit, what to do there."""

    name: str
    path: str
    # Who looks: "busy" (an admin with projects, blocks and a running timer), "new" (an
    # account with nothing yet) or "nobody" (no session).
    who: str = "busy"
    then: Callable[[Page], None] | None = None
    # A page that another part of the app adds: skipped while it answers 404.
    optional: bool = False
    wait_for: str | None = None


def _wrong_password(page: Page) -> None:
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _bad_setting(page: Page) -> None:
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _open_move_form(page: Page) -> None:
    page.locator(".week summary").first.click()


CHARTS_DRAWN = (
    "() => window.Chart && ['days', 'weekdays', 'hours']"
    ".every(n => window.Chart.getChart('chart-' + n) !== undefined)"
)

# Every page of the web app, in the states a person meets. A new page is one line here.
SCREENS = [
    Screen("login", "/login", who="nobody"),
    Screen("login, wrong password", "/login", who="nobody", then=_wrong_password),
    Screen("today", "/"),
    Screen("today, new account", "/", who="new"),
    Screen("an empty day", "/?date=2031-01-01"),
    Screen("week", "/week"),
    Screen("week, new account", "/week", who="new"),
    Screen("week, move form open", "/week", then=_open_move_form),
    Screen("dashboard", "/dashboard/productivity", wait_for=CHARTS_DRAWN),
    Screen("dashboard, new account", "/dashboard/productivity", who="new", wait_for=CHARTS_DRAWN),
    Screen("settings", "/settings"),
    Screen("settings, saved", "/settings?saved=1"),
    Screen("settings, refused", "/settings", then=_bad_setting),
    Screen("edit", "/blocks/{block}/edit?back=/"),
    Screen("no such block", "/blocks/blk_nothing_here/edit"),
    Screen("developer settings", "/settings/developer", optional=True),
    Screen("admin users", "/admin/users", optional=True),
]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/build_assets.sh")
    return AXE.read_text()


def make_user(server: Any, admin: bool = False) -> str:
    email = f"a11y-{secrets.token_hex(5)}@example.com"
    now = datetime.now(UTC)
    with server.db.write() as s:
        user = accounts.create_user(s, now, email, name="Ada")
        user.is_admin = admin
        auth.set_password(s, user, PASSWORD, now)
    return email


@pytest.fixture(scope="module")
def account(real_server: Any) -> Account:
    """An admin with projects, a day of blocks (one done), done blocks on the days before
    (for the dashboard) and a running timer: every part of every page has something to show."""
    email = make_user(real_server, admin=True)
    with real_server.db.write() as s:
        user = s.query(User).filter_by(email=email).one()
        key = apikeys.create_key(s, datetime.now(UTC), user.id, name="a11y").secret
    api = httpx.Client(base_url=real_server.base, headers={"Authorization": f"Bearer {key}"})
    colours = (("Linear Algebra", "#4F46E5"), ("Chemistry", "#059669"), ("History", "#D97706"))
    ids = [
        api.post("/v1/projects", json={"name": n, "color": c}).json()["data"]["id"]
        for n, c in colours
    ]
    today = datetime.fromisoformat(api.get("/v1/agenda").json()["data"]["date"]).date()
    first = None
    for n, (start, end, topic) in enumerate(
        (
            ("08:30", "10:00", "Eigenvalues"),
            ("10:30", "11:30", "Lab report"),
            ("13:00", "15:00", "Essay outline"),
        )
    ):
        body = {"date": today.isoformat(), "start": start, "end": end, "topic": topic}
        made = api.post("/v1/blocks", json={**body, "project_id": ids[n], "done": n == 0})
        assert made.status_code == 201, made.text
        first = first or made.json()["data"]["id"]
    for back in range(1, 20):
        day = (today - timedelta(days=back)).isoformat()
        past = {"date": day, "start": "09:00", "end": "10:15", "topic": "Review"}
        made = api.post("/v1/blocks", json={**past, "done": True, "project_id": ids[back % 3]})
        assert made.status_code == 201, made.text
    started = api.post("/v1/timer/start", json={"description": "Reading", "project_id": ids[1]})
    assert started.status_code == 201, started.text
    assert first is not None
    return Account(email, first)


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture(scope="module")
def contexts(
    browser: Browser, real_server: Any, account: Account
) -> Iterator[dict[str, BrowserContext]]:
    """A browser context for each kind of visitor, signed in where it has an account."""
    out = {"nobody": browser.new_context()}
    for who, email in (("busy", account.email), ("new", make_user(real_server))):
        out[who] = browser.new_context()
        page = out[who].new_page()
        log_in(page, real_server.base, email)
        page.close()
    yield out
    for context in out.values():
        context.close()


def run_axe(page: Page, source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core did not load"
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
def test_no_serious_accessibility_violation(
    real_server: Any,
    contexts: dict[str, BrowserContext],
    account: Account,
    axe_source: str,
    screen: Screen,
    width: str,
) -> None:
    page = contexts[screen.who].new_page()
    try:
        page.set_viewport_size({"width": WIDTHS[width], "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        response = page.goto(real_server.base + screen.path.format(block=account.block_id))
        assert response is not None
        if screen.optional and response.status == 404:
            pytest.skip(f"{screen.path} is not part of this build")
        if screen.then is not None:
            screen.then(page)
        if screen.wait_for is not None:
            page.wait_for_function(screen.wait_for)
        violations = run_axe(page, axe_source)
        failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        if violations:
            print(f"{screen.name} at {width} width:\n{describe(violations)}")
        assert not failing, f"{screen.name} at {width} width:\n{describe(failing)}"
        if width == "phone":
            scroll, client = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll <= client, (
                f"{screen.name} scrolls sideways at 375 px: {scroll} > {client}"
            )
        assert errors == []
    finally:
        page.close()


def test_the_check_finds_a_planted_violation(
    real_server: Any, contexts: dict[str, BrowserContext], axe_source: str
) -> None:
    """axe-core runs in the page despite its CSP, and sees what it should."""
    page = contexts["nobody"].new_page()
    page.goto(f"{real_server.base}/login")
    assert run_axe(page, axe_source) == []
    page.evaluate(
        """() => {
          const form = document.querySelector('form');
          form.append(document.createElement('input'));
          const low = document.createElement('p');
          low.textContent = 'Faint';
          low.style.color = '#ccc';
          form.append(low);
        }"""
    )
    found = {v["id"]: v["impact"] for v in run_axe(page, axe_source)}
    assert found.get("label") == "critical"
    assert found.get("color-contrast") == "serious"
    page.close()


# -- the keyboard alone --------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // Inside a date or time field, Tab also stops on the field's own picker button, which
  // the browser rings itself (the field is then the active element but not :focus).
  const inner = !el.matches(':focus') && /^(date|time)$/.test(el.type);
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const ring = s.boxShadow && s.boxShadow !== 'none';
  const named = el.labels && el.labels[0] && el.labels[0].textContent;
  const label = el.getAttribute('aria-label') || named || el.textContent || el.tagName;
  return {what: el.tagName.toLowerCase() + ' ' + label.trim().replace(/\\s+/g, ' ').slice(0, 60),
          visible: inner || (el.matches(':focus-visible') && (outline || !!ring))};
}"""


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus, checking at every stop on the way that the
    focus can be seen (an outline of at least 2 px, or a ring)."""
    target.wait_for()
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused is not None, "Tab left the page's controls"
        assert focused["visible"], f"the focus on {focused['what']} cannot be seen"
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{target} is not reachable with Tab")


def type_time(page: Page, hhmm: str) -> None:
    """Type a time into the focused time field the way a person does, digit by digit, and
    AM or PM where the browser shows the field with a 12-hour clock."""
    page.keyboard.type(hhmm.replace(":", ""))
    if page.evaluate("() => document.activeElement.value") == "":
        page.keyboard.type("A" if int(hhmm[:2]) < 12 else "P")


def test_the_main_flow_with_the_keyboard_alone(real_server: Any, browser: Browser) -> None:
    email = make_user(real_server)
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{real_server.base}/login")

    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    tab_to(page, page.get_by_role("button", name="Log in"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add a block")).to_be_visible()

    tab_to(page, page.get_by_label("Topic"))
    page.keyboard.type("Read chapter 3")
    tab_to(page, page.get_by_label("Start", exact=True))
    type_time(page, "09:00")
    tab_to(page, page.get_by_label("End", exact=True))
    type_time(page, "10:30")
    tab_to(page, page.get_by_role("button", name="Add block"))
    page.keyboard.press("Enter")
    expect(page.locator("ul.blocks .topic")).to_have_text(["Read chapter 3"])
    expect(page.locator("ul.blocks .when")).to_have_text(["09:00\N{EN DASH}10:30"])

    box = page.get_by_role("checkbox", name="Read chapter 3")
    tab_to(page, box)
    page.keyboard.press("Space")
    expect(page.locator("#summary")).to_have_text("90 of 90 min done")
    page.reload()
    expect(box).to_be_checked()

    tab_to(page, page.get_by_label("What are you doing?"))
    page.keyboard.type("Reading")
    tab_to(page, page.get_by_role("button", name="Start timer"))
    page.keyboard.press("Enter")
    expect(page.locator("time.elapsed")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Stop timer"))
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Start timer")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Week", exact=True))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/week$"))
    tab_to(page, page.get_by_role("button", name="Log out"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login$"))
    context.close()
