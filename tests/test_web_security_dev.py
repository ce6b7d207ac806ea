"""The security rules of the developer, password and admin pages over plain HTTP against a
real server: forms without the session's token or from another origin are refused and
change nothing, another user's ids are not found, only administrators administer, a
deactivated user's credentials all stop, and the session cookie is Secure behind a
trusted TLS proxy only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import RealServer, serving_for_tests
from tests.test_web_pages import PASSWORD, make_user, session_client
from timeboxd.config import ConfigError, load_settings
from timeboxd.db.events import Delivery, Webhook
from timeboxd.db.models import ApiKey, User
from timeboxd.db.web_sessions import WebSession
from timeboxd.domain import keys
from timeboxd.domain.ids import new_id
from timeboxd.services.accounts import apikeys, passwords
from timeboxd.services.context import Principal
from timeboxd.services.events import webhooks
from timeboxd.services.planning import calendar

EVIL = {"origin": "https://evil.example"}


def user_of(server: Any, email: str) -> User:
    with server.db.read() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        s.expunge(user)
        return user


def make_admin(server: Any) -> str:
    email = make_user(server)
    with server.db.write() as s:
        s.scalars(select(User).where(User.email == email)).one().is_admin = True
    return email


def live(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        livemode=True,
        scopes=frozenset({"*"}),
        key_id=None,
        timezone=user.timezone,
        week_start=user.week_start,
    )


def a_key(server: Any, email: str) -> tuple[str, str]:
    """A live key of the user's: (its id, its secret)."""
    with server.db.write() as s:
        made = apikeys.create_key(s, datetime.now(UTC), user_of(server, email).id, name="k")
    return made.key.id, made.secret


def a_webhook(server: Any, email: str) -> tuple[str, str]:
    """A webhook of the user's, with one delivery in its log: (webhook id, delivery id).
    Written straight to the table (no DNS lookup of its host); the test server runs no
    worker, so nothing is ever sent."""
    user = user_of(server, email)
    now = datetime.now(UTC)
    hook_id = new_id("whk")
    with server.db.write() as s:
        s.add(
            Webhook(
                id=hook_id,
                user_id=user.id,
                livemode=True,
                url="https://hooks.example.com/in",
                events="*",
                description="",
                active=True,
                secret="whsec_" + "A" * 44,
                failures=0,
                created_at=now,
                updated_at=now,
            )
        )
        s.flush()
        delivery = webhooks.ping(s, live(user), now, hook_id)
    return hook_id, delivery.id


def counts(server: Any, email: str) -> tuple[int, int, int, str | None]:
    """The user's keys (not revoked), webhooks, deliveries, and password hash."""
    user = user_of(server, email)
    with server.db.read() as s:
        keys = s.scalar(
            select(func.count())
            .select_from(ApiKey)
            .where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
        )
        hooks = s.scalar(
            select(func.count()).select_from(Webhook).where(Webhook.user_id == user.id)
        )
        deliveries = s.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(Webhook, Webhook.id == Delivery.webhook_id)
            .where(Webhook.user_id == user.id)
        )
    return keys or 0, hooks or 0, deliveries or 0, user.password_hash


def test_the_new_forms_refuse_a_post_without_the_token_or_from_another_site(
    real_server: RealServer,
) -> None:
    email = make_user(real_server)
    key_id, _ = a_key(real_server, email)
    hook_id, delivery_id = a_webhook(real_server, email)
    c, csrf = session_client(real_server, email)
    before = counts(real_server, email)
    hook = f"/settings/developer/webhooks/{hook_id}"
    forms: list[tuple[str, dict[str, Any]]] = [
        ("/settings/developer/keys", {"name": "sneaky"}),
        (f"/settings/developer/keys/{key_id}/revoke", {}),
        ("/settings/developer/webhooks", {"url": "https://hooks.example.com/x"}),
        (f"{hook}/rotate", {}),
        (f"{hook}/active", {"active": "false"}),
        (f"{hook}/ping", {}),
        (f"{hook}/deliveries/{delivery_id}/redeliver", {}),
        (
            "/settings/password",
            {
                "current_password": PASSWORD,
                "new_password": "taken over now",
                "confirm_password": "taken over now",
            },
        ),
    ]
    for path, data in forms:
        assert c.post(path, data=data).status_code == 403, path  # no token
        assert c.post(path, data={**data, "csrf": "guessed"}).status_code == 403, path
        assert c.post(path, data={**data, "csrf": csrf}, headers=EVIL).status_code == 403, path
    assert counts(real_server, email) == before
    with real_server.db.read() as s:
        hook_row = s.get(Webhook, hook_id)
        assert hook_row is not None and hook_row.active and hook_row.secret.endswith("A" * 44)


def test_the_admin_forms_refuse_a_post_without_the_token_or_from_another_site(
    real_server: RealServer,
) -> None:
    admin = make_admin(real_server)
    victim = make_user(real_server)
    victim_id = user_of(real_server, victim).id
    c, csrf = session_client(real_server, admin)
    new = {"email": "made-by-csrf@example.com", "password": "long enough here"}
    for path, data in (
        ("/admin/users", new),
        (f"/admin/users/{victim_id}/deactivate", {}),
        (f"/admin/users/{victim_id}/password", {"password": "attacker chose it"}),
    ):
        assert c.post(path, data=data).status_code == 403, path
        assert c.post(path, data={**data, "csrf": csrf}, headers=EVIL).status_code == 403, path
    with real_server.db.read() as s:
        assert s.scalar(select(User).where(User.email == new["email"])) is None
    after = user_of(real_server, victim)
    assert after.deactivated_at is None
    assert passwords.verify_password(after.password_hash, PASSWORD)


def test_another_users_key_webhook_and_delivery_are_not_found(real_server: RealServer) -> None:
    owner, intruder = make_user(real_server), make_user(real_server)
    key_id, secret = a_key(real_server, owner)
    hook_id, delivery_id = a_webhook(real_server, owner)
    before = counts(real_server, owner)
    other, csrf = session_client(real_server, intruder)
    hook = f"/settings/developer/webhooks/{hook_id}"
    r = other.post(f"/settings/developer/keys/{key_id}/revoke", data={"csrf": csrf})
    assert r.status_code == 404 and f"no API key {key_id}" in r.text
    assert other.get(hook).status_code == 404
    for path, data in (
        (f"{hook}/rotate", {}),
        (f"{hook}/active", {"active": "false"}),
        (f"{hook}/ping", {}),
        (f"{hook}/deliveries/{delivery_id}/redeliver", {}),
    ):
        r = other.post(path, data={"csrf": csrf, **data})
        assert r.status_code == 404, path
        assert f"no webhook {hook_id}" in r.text, path
        assert "whsec_" not in r.text
    # The intruder's own webhook does not reach the owner's delivery either.
    own_hook, _ = a_webhook(real_server, intruder)
    r = other.post(
        f"/settings/developer/webhooks/{own_hook}/deliveries/{delivery_id}/redeliver",
        data={"csrf": csrf},
    )
    assert r.status_code == 404 and f"no delivery {delivery_id}" in r.text
    assert counts(real_server, owner) == before
    with httpx.Client(base_url=real_server.base) as api:
        r = api.get("/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 200  # not revoked by the intruder


def test_only_an_administrator_administers(real_server: RealServer) -> None:
    someone, victim = make_user(real_server), make_user(real_server)
    victim_id = user_of(real_server, victim).id
    c, csrf = session_client(real_server, someone)
    r = c.get("/admin/users")
    assert r.status_code == 403 and "only a server administrator manages users" in r.text
    assert victim not in r.text
    for path, data in (
        ("/admin/users", {"email": "by-a-user@example.com", "password": "long enough here"}),
        (f"/admin/users/{victim_id}/deactivate", {}),
        (f"/admin/users/{victim_id}/password", {"password": "attacker chose it"}),
        (f"/admin/users/{victim_id}/reactivate", {}),
    ):
        assert c.post(path, data={"csrf": csrf, **data}).status_code == 403, path
    after = user_of(real_server, victim)
    assert after.deactivated_at is None
    assert passwords.verify_password(after.password_hash, PASSWORD)
    with real_server.db.read() as s:
        assert s.scalar(select(User).where(User.email == "by-a-user@example.com")) is None


def test_a_deactivated_user_loses_keys_sessions_and_calendar_feed_at_once(
    real_server: RealServer,
) -> None:
    admin, email = make_admin(real_server), make_user(real_server)
    user = user_of(real_server, email)
    _, secret = a_key(real_server, email)
    with real_server.db.write() as s:
        token = calendar.rotate_token(s, live(user), datetime.now(UTC), real_server.base).token
    theirs, _ = session_client(real_server, email)
    api = httpx.Client(base_url=real_server.base, headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/v1/me").status_code == 200
    assert api.get("/v1/calendar.ics", params={"token": token}).status_code == 200
    c, csrf = session_client(real_server, admin)
    r = c.post(f"/admin/users/{user.id}/deactivate", data={"csrf": csrf})
    assert r.status_code == 200 and f"Deactivated {email}" in r.text
    refused = api.get("/v1/me")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHORIZED"
    assert api.get("/v1/calendar.ics", params={"token": token}).status_code == 404
    assert theirs.get("/").headers["location"] == "/login"
    with real_server.db.read() as s:
        left = s.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.user_id == user.id)
        )
    assert left == 0
    again = httpx.post(f"{real_server.base}/login", data={"email": email, "password": PASSWORD})
    assert "This account is deactivated." in again.text and "timeboxd_session" not in again.cookies
    r = c.post(f"/admin/users/{user.id}/reactivate", data={"csrf": csrf})
    assert r.status_code == 200
    assert api.get("/v1/me").status_code == 200
    r = c.post(f"/admin/users/{admin_id(real_server, admin)}/deactivate", data={"csrf": csrf})
    assert r.status_code == 409 and "you cannot deactivate your own account" in r.text


def admin_id(server: Any, email: str) -> str:
    return user_of(server, email).id


def test_a_wrong_current_password_counts_as_a_failed_login(real_server: RealServer) -> None:
    email = make_user(real_server)
    c, csrf = session_client(real_server, email)
    wrong = {"csrf": csrf, "current_password": "guess", "new_password": "x" * 9}
    wrong["confirm_password"] = wrong["new_password"]
    for _ in range(5):
        r = c.post("/settings/password", data=wrong)
        assert r.status_code == 400 and "the current password is wrong" in r.text
    right = {**wrong, "current_password": PASSWORD}
    r = c.post("/settings/password", data=right)
    assert r.status_code == 400 and "Too many failed attempts" in r.text
    assert passwords.verify_password(user_of(real_server, email).password_hash, PASSWORD)


def test_the_key_is_shown_once_and_never_cached(real_server: RealServer) -> None:
    email = make_user(real_server)
    c, csrf = session_client(real_server, email)
    r = c.post("/settings/developer/keys", data={"csrf": csrf, "name": "once"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    (secret,) = re.findall(r'value="(tbx_live_[0-9A-Za-z]+)"', r.text)
    assert secret not in c.get("/settings/developer").text
    with real_server.db.read() as s:
        user_id = user_of(real_server, email).id
        (stored,) = s.scalars(select(ApiKey).where(ApiKey.user_id == user_id)).all()
    assert stored.key_hash == keys.hash_key(secret) != secret  # only its hash is kept


# -- the session cookie behind a proxy ------------------------------------------------------


def login_cookie(base: str, email: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base}/login", data={"email": email, "password": PASSWORD}, headers=headers)


def test_the_cookie_is_secure_behind_a_trusted_tls_proxy(real_server: RealServer) -> None:
    """The test talks from 127.0.0.1, a trusted proxy by default."""
    email = make_user(real_server)
    host = real_server.base.removeprefix("http://")
    plain = login_cookie(real_server.base, email, {})
    assert plain.status_code == 303 and "secure" not in plain.headers["set-cookie"].lower()
    proxied = login_cookie(
        real_server.base, email, {"x-forwarded-proto": "https", "origin": f"https://{host}"}
    )
    assert proxied.status_code == 303
    assert "; secure" in proxied.headers["set-cookie"].lower()
    # Behind the proxy the page's own origin is https: a post saying http is another site.
    mixed = login_cookie(
        real_server.base, email, {"x-forwarded-proto": "https", "origin": f"http://{host}"}
    )
    assert mixed.status_code == 403


@pytest.fixture
def untrusting(backend: str, tmp_path: Path) -> Iterator[RealServer]:
    with serving_for_tests(backend, tmp_path, workers=1, forwarded_allow_ips="10.9.9.9") as s:
        yield s


def test_forwarded_headers_from_an_untrusted_address_are_ignored(
    untrusting: RealServer,
) -> None:
    email = make_user(untrusting)
    r = login_cookie(untrusting.base, email, {"x-forwarded-proto": "https"})
    assert r.status_code == 303
    assert "secure" not in r.headers["set-cookie"].lower()


def test_webhook_form_input_goes_through_the_apis_checks(real_server: RealServer) -> None:
    email = make_user(real_server)
    c, csrf = session_client(real_server, email)
    for data, said in (
        ({"url": "ftp://example.com/x"}, "the URL must start with http:// or https://"),
        ({"url": "https://example.com/x", "events": "nonsense"}, "is not an event type"),
        ({"url": "https://u:p@example.com/x"}, "must not hold a user name or password"),
        ({"url": "http://10.0.0.1/x"}, "webhooks deliver to public addresses only"),
    ):
        r = c.post("/settings/developer/webhooks", data={"csrf": csrf, **data})
        assert r.status_code == 400, data
        assert said in r.text, (data, r.text[-2000:])
    assert counts(real_server, email)[1] == 0


def test_the_trusted_proxies_setting_takes_addresses_and_networks_only() -> None:
    assert load_settings(forwarded_allow_ips=" 10.0.0.0/8, ::1 ").forwarded_allow_ips == (
        "10.0.0.0/8,::1"
    )
    assert load_settings(forwarded_allow_ips="*").forwarded_allow_ips == "*"
    with pytest.raises(ConfigError, match=re.escape("TIMEBOXD_FORWARDED_ALLOW_IPS: 'proxy.local'")):
        load_settings(forwarded_allow_ips="proxy.local")
