"""The developer settings, the password change and the admin's users page in a real browser
(Debian's Chromium driven by Playwright) against a real server subprocess: keys made in the
page work on the API until revoked, webhooks made in the page deliver, signed, to a local
receiver, and a deactivated user's key and session stop at once."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError

from tests.conftest import RealServer, serving_for_tests
from tests.receivers import WAIT, Receiver
from tests.test_web_pages import PASSWORD, add_block, log_in, make_user
from timeboxd.db.models import User

LONG = 30_000  # ms: a page on a loaded machine
REFUSED_FORM = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


class Watched:
    """A browser context whose pages record JavaScript errors and dialogs."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.context: BrowserContext = browser.new_context(
            viewport={"width": 1280, "height": 900},
            permissions=["clipboard-read", "clipboard-write"],
        )
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = self.new_page()
        self.base = base

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.set_default_timeout(LONG)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", self._console)
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        return page

    def _console(self, message: Any) -> None:
        # Chromium logs every 4xx answer as a console error: the refused forms these tests
        # post on purpose (400, 403, 409) are not script errors.
        if message.type == "error" and not REFUSED_FORM.match(message.text):
            self.errors.append(message.text)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Browser) -> Iterator[Callable[[str], Watched]]:
    made: list[Watched] = []

    def make(base: str) -> Watched:
        w = Watched(browser, base)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def make_admin(server: Any) -> str:
    email = make_user(server)
    with server.db.write() as s:
        s.query(User).filter_by(email=email).one().is_admin = True
    return email


def api(server: Any, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def generate_key(page: Page, name: str, scopes: list[str], mode: str = "live") -> str:
    page.get_by_label("Key name").fill(name)
    for scope in scopes:
        page.get_by_label(scope, exact=True).check()
    page.get_by_role("radio", name=re.compile(f"^{mode}:")).check()
    page.get_by_role("button", name="Generate key").click()
    field = page.get_by_label("New API key")
    expect(field).to_have_value(re.compile(rf"^tbx_{mode}_"))
    return field.input_value()


def open_developer(page: Page) -> None:
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Developer").click()
    expect(page.get_by_role("heading", name="Developer settings")).to_be_visible()


def test_a_key_from_the_page_calls_the_api_until_revoked(
    real_server: RealServer, watched: Callable[[str], Watched]
) -> None:
    email = make_user(real_server)
    w = watched(real_server.base)
    page = w.page
    log_in(page, real_server.base, email)
    open_developer(page)
    expect(page.get_by_text("No API keys yet.")).to_be_visible()

    key = generate_key(page, "ci runner", ["read:blocks", "write:blocks"])
    expect(page).to_have_url(re.compile(r"/settings/developer$"))  # htmx swapped the section
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key

    with api(real_server, key) as client:
        assert client.get("/v1/agenda").status_code == 200
        assert client.get("/v1/projects").status_code == 403  # not a scope it was given
    row = page.locator("tr.key", has_text="ci runner")
    expect(row).to_contain_text("read:blocks write:blocks")
    expect(row).to_contain_text(key[:12])
    expect(row).to_contain_text("live")

    page.reload()  # shown once: never again
    expect(page.get_by_label("New API key")).to_have_count(0)
    assert key not in page.content()
    expect(row.locator("td").nth(5)).not_to_have_text("—")  # last used: just now

    page.get_by_role("button", name="Revoke ci runner").click()
    expect(row).to_contain_text("Revoked")
    with api(real_server, key) as client:
        refused = client.get("/v1/agenda")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "UNAUTHORIZED"
    assert w.errors == []


def test_a_test_key_from_the_page_sees_no_live_data(
    real_server: RealServer, watched: Callable[[str], Watched]
) -> None:
    email = make_user(real_server)
    page = watched(real_server.base).page
    log_in(page, real_server.base, email)
    add_block(page, "Live work", "09:00", "10:00")
    open_developer(page)
    key = generate_key(page, "sandbox", [], mode="test")
    expect(page.locator("tr.key", has_text="sandbox")).to_contain_text("test")
    with api(real_server, key) as client:
        listed = client.get("/v1/blocks")
    assert listed.status_code == 200
    assert listed.json()["data"] == []


def test_a_key_name_with_markup_renders_as_text(
    real_server: RealServer, watched: Callable[[str], Watched]
) -> None:
    email = make_user(real_server)
    w = watched(real_server.base)
    log_in(w.page, real_server.base, email)
    open_developer(w.page)
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    generate_key(w.page, payload, [])
    expect(w.page.locator("tr.key td.name")).to_have_text([payload])
    w.page.reload()
    expect(w.page.locator("tr.key td.name")).to_have_text([payload])
    assert w.page.locator("#keys img").count() == 0
    assert w.dialogs == [] and w.errors == []


def test_a_webhook_refused_by_the_ssrf_rules_says_why(
    real_server: RealServer, watched: Callable[[str], Watched]
) -> None:
    email = make_user(real_server)
    page = watched(real_server.base).page
    log_in(page, real_server.base, email)
    open_developer(page)
    page.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/hook")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "resolves to a loopback address (127.0.0.1); webhooks deliver to public addresses only"
    )
    expect(page.get_by_label("Endpoint URL")).to_have_value("http://127.0.0.1:9/hook")
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()


# -- webhooks that deliver: a server with its worker and private targets allowed ------------


@pytest.fixture
def delivering(backend: str, tmp_path: Path, empty_url: str) -> Iterator[RealServer]:
    with serving_for_tests(
        backend,
        tmp_path,
        workers=1,
        database_url=empty_url,
        worker_in_process="true",
        webhook_allow_private="true",
        webhook_retry_schedule="1,1",
    ) as server:
        yield server


def log_rows(page: Page, url: str, wanted: Callable[[list[str]], bool]) -> list[str]:
    """Reload the webhook's page until its delivery log's statuses are as ``wanted``."""
    deadline = time.monotonic() + WAIT
    while True:
        page.goto(url)
        statuses = page.locator("tr.delivery td.status").all_text_contents()
        if wanted(statuses):
            return statuses
        if time.monotonic() > deadline:
            raise AssertionError(f"the delivery log stayed {statuses}")
        time.sleep(0.2)


def received(receiver: Receiver, count: int) -> list[tuple[dict[str, str], bytes]]:
    deadline = time.monotonic() + WAIT
    while len(receiver.got) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"the receiver got {len(receiver.got)} of {count}")
        time.sleep(0.1)
    return receiver.got


def test_a_webhook_from_the_page_delivers_redelivers_rotates_and_disables(
    delivering: RealServer,
    watched: Callable[[str], Watched],
    receivers: Callable[..., Receiver],
) -> None:
    receiver = receivers()
    email = make_user(delivering)
    w = watched(delivering.base)
    page = w.page
    log_in(page, delivering.base, email)
    open_developer(page)
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("my receiver")
    page.get_by_label("block.*", exact=True).check()
    page.get_by_role("button", name="Add webhook").click()
    secret_field = page.get_by_label("Signing secret")
    expect(secret_field).to_have_value(re.compile(r"^whsec_"))
    secret = secret_field.input_value()
    row = page.locator("tr.webhook", has_text=receiver.url)
    expect(row).to_contain_text("block.*")
    expect(row).to_contain_text("active")
    page.reload()
    expect(page.get_by_label("Signing secret")).to_have_count(0)  # shown once

    page.goto(f"{delivering.base}/")
    add_block(page, "Delivered", "09:00", "10:00")
    ((headers, body),) = received(receiver, 1)
    event = Verifier(secret).verify(body, headers)
    assert event["type"] == "block.created" and event["data"]["topic"] == "Delivered"

    page.goto(f"{delivering.base}/settings/developer")
    page.get_by_role("link", name=f"Deliveries of {receiver.url}").click()
    hook_url = page.url
    log_rows(page, hook_url, lambda s: s == ["succeeded"])
    first = page.locator("tr.delivery").first
    expect(first).to_contain_text("block.created")
    expect(first.locator("td.code")).to_have_text("204")
    expect(first.locator("td.attempts")).to_have_text("1")

    page.get_by_role("button", name=re.compile(r"^Redeliver block\.created")).click()
    _, (again_headers, again_body) = received(receiver, 2)
    assert again_headers["webhook-id"] == headers["webhook-id"]  # the same event again
    assert Verifier(secret).verify(again_body, again_headers)["data"]["topic"] == "Delivered"
    log_rows(page, hook_url, lambda s: s == ["succeeded"])

    page.get_by_role("button", name="Rotate secret").click()
    new_field = page.get_by_label("Signing secret")
    expect(new_field).to_have_value(re.compile(r"^whsec_"))
    new_secret = new_field.input_value()
    assert new_secret != secret
    page.get_by_role("button", name="Send a test event").click()
    ping_headers, ping_body = received(receiver, 3)[2]
    assert Verifier(new_secret).verify(ping_body, ping_headers)["type"] == "webhook.ping"
    with pytest.raises(WebhookVerificationError):
        Verifier(secret).verify(ping_body, ping_headers)
    log_rows(page, hook_url, lambda s: s == ["succeeded", "succeeded"])

    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#hook-state")).to_have_text("disabled")
    page.reload()
    expect(page.locator("#hook-state")).to_have_text("disabled")
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#hook-state")).to_have_text("active")
    assert w.errors == []


def test_a_webhook_url_with_markup_renders_as_text(
    delivering: RealServer, watched: Callable[[str], Watched]
) -> None:
    email = make_user(delivering)
    w = watched(delivering.base)
    log_in(w.page, delivering.base, email)
    open_developer(w.page)
    payload = 'http://127.0.0.1:9/<script>alert(1)</script>?a="><img src=x onerror=alert(2)>'
    w.page.get_by_label("Endpoint URL").fill(payload)
    w.page.get_by_role("button", name="Add webhook").click()
    expect(w.page.get_by_label("Signing secret")).to_be_visible()
    expect(w.page.locator("tr.webhook td.url")).to_have_text([payload])
    w.page.get_by_role("link", name=re.compile("^Deliveries of")).click()
    expect(w.page.locator("h2.url")).to_have_text(payload)
    assert w.page.locator("img").count() == 0
    assert w.dialogs == [] and w.errors == []


# -- passwords and sessions -----------------------------------------------------------------


def test_a_password_change_ends_the_other_sessions(
    real_server: RealServer, watched: Callable[[str], Watched]
) -> None:
    email = make_user(real_server)
    here, elsewhere = watched(real_server.base), watched(real_server.base)
    log_in(here.page, real_server.base, email)
    log_in(elsewhere.page, real_server.base, email)
    expect(elsewhere.page.get_by_role("heading", name="Add a block")).to_be_visible()

    page = here.page
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a new secret phrase")
    page.get_by_label("New password again").fill("a new secret phrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("the current password is wrong")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a new secret phrase")
    page.get_by_label("New password again").fill("a new phrase, typed wrong")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("the two new passwords differ")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a new secret phrase")
    page.get_by_label("New password again").fill("a new secret phrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_have_text(
        "Password changed. Your other sessions have ended."
    )

    elsewhere.page.reload()
    expect(elsewhere.page).to_have_url(re.compile(r"/login$"))
    page.get_by_role("link", name="Today").click()  # this session stays
    expect(page.get_by_role("heading", name="Add a block")).to_be_visible()
    log_in(elsewhere.page, real_server.base, email)  # the old password is gone
    expect(elsewhere.page.get_by_role("alert")).to_have_text("Wrong email or password.")
    log_in(elsewhere.page, real_server.base, email, "a new secret phrase")
    expect(elsewhere.page.get_by_role("heading", name="Add a block")).to_be_visible()
    assert here.errors == [] and elsewhere.errors == []


# -- administration -------------------------------------------------------------------------


def test_an_admin_creates_deactivates_reactivates_and_resets_a_user(
    real_server: RealServer, watched: Callable[[str], Watched]
) -> None:
    admin_email = make_admin(real_server)
    boss, member = watched(real_server.base), watched(real_server.base)
    page = boss.page
    log_in(page, real_server.base, admin_email)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()

    email = f"new-{secrets.token_hex(4)}@example.com"
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Name", exact=True).fill("New Person")
    page.get_by_label("Password", exact=True).fill("short")
    page.evaluate("document.getElementById('new-password').removeAttribute('minlength')")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("alert")).to_contain_text("a password has at least 8 characters")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill("their first password")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_have_text(f"Created {email}.")
    row = page.locator("tr.user", has_text=email)
    expect(row.locator("td.state")).to_have_text("active")

    log_in(member.page, real_server.base, email, "their first password")
    open_developer(member.page)
    key = generate_key(member.page, "theirs", [])
    with api(real_server, key) as client:
        assert client.get("/v1/me").json()["data"]["email"] == email

    page.get_by_role("button", name=f"Deactivate {email}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Deactivated {email}")
    expect(row.locator("td.state")).to_have_text(re.compile(r"^deactivated "))
    with api(real_server, key) as client:
        refused = client.get("/v1/me")
    assert refused.status_code == 401
    member.page.reload()
    expect(member.page).to_have_url(re.compile(r"/login$"))
    log_in(member.page, real_server.base, email, "their first password")
    expect(member.page.get_by_role("alert")).to_have_text(
        "This account is deactivated. Ask the server's administrator."
    )

    page.get_by_role("button", name=f"Reactivate {email}").click()
    expect(row.locator("td.state")).to_have_text("active")
    with api(real_server, key) as client:
        assert client.get("/v1/me").status_code == 200  # the key was never revoked

    log_in(member.page, real_server.base, email, "their first password")
    expect(member.page.get_by_role("heading", name="Add a block")).to_be_visible()
    row.get_by_text("Reset password").click()
    row.get_by_label(f"New password for {email}").fill("handed over in person")
    row.get_by_role("button", name=f"Set password of {email}").click()
    expect(page.get_by_role("status")).to_contain_text(f"New password set for {email}")
    member.page.reload()
    expect(member.page).to_have_url(re.compile(r"/login$"))  # the reset ended the session
    log_in(member.page, real_server.base, email, "handed over in person")
    expect(member.page.get_by_role("heading", name="Add a block")).to_be_visible()

    own = page.locator("tr.user", has_text=admin_email)
    expect(own.get_by_role("button", name=re.compile("^(De|Re)activate"))).to_have_count(0)
    assert boss.errors == [] and member.errors == []


def test_a_user_who_is_not_an_admin_cannot_open_the_users_page(
    real_server: RealServer, watched: Callable[[str], Watched]
) -> None:
    email = make_user(real_server)
    page = watched(real_server.base).page
    log_in(page, real_server.base, email)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("link", name="Developer")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    answer = page.goto(f"{real_server.base}/admin/users")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "only a server administrator manages users"
    )
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_the_developer_page_works_without_javascript(
    real_server: RealServer, browser: Browser
) -> None:
    email = make_user(real_server)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(LONG)
        log_in(page, real_server.base, email)
        open_developer(page)
        key = generate_key(page, "no script", ["read:blocks"])
        expect(page).to_have_url(re.compile(r"/settings/developer/keys$"))  # the post's answer
        expect(page.get_by_role("button", name="Copy")).to_be_hidden()  # nothing to run it
        with api(real_server, key) as client:
            assert client.get("/v1/agenda").status_code == 200
        page.get_by_role("button", name="Revoke no script").click()
        expect(page).to_have_url(re.compile(r"/settings/developer$"))  # redirected back
        expect(page.locator("tr.key", has_text="no script")).to_contain_text("Revoked")
        with api(real_server, key) as client:
            assert client.get("/v1/agenda").status_code == 401
    finally:
        context.close()
