"""Where a webhook may not deliver, seen from the API and from the receiver's side: every
loopback, private, link-local and unspecified target is refused on ``url`` unless the
operator allows private networks, and a receiver's redirect is never followed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import Persona, assert_error
from tests.receivers import Receiver
from tests.test_webhook_delivery import block, first, hook, running, until, write
from timeboxd.services.database import Database

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.0.0.1/hook",
    "http://10.255.255.254/hook",
    "http://172.16.0.1/hook",
    "http://172.31.255.254/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://2130706433/hook",  # 127.0.0.1 written as one number
    "http://0x7f000001/hook",
    "https://[fd00::1]/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_targets_are_refused_on_url(owner: Persona, url: str) -> None:
    assert_error(owner.post("/v1/webhooks", json={"url": url}), 400, "VALIDATION_ERROR", "url")
    made = owner.ok("POST", "/v1/webhooks", 201, json={"url": "https://93.184.215.14/h"})
    assert_error(
        owner.patch(f"/v1/webhooks/{made['id']}", json={"url": url}), 400, "VALIDATION_ERROR", "url"
    )
    assert [w["url"] for w in owner.ok("GET", "/v1/webhooks")] == ["https://93.184.215.14/h"]


@pytest.fixture
def permissive(loopback_persona: Persona) -> Persona:
    return loopback_persona


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://10.0.0.1/hook"])
def test_an_operator_allowing_private_networks_may_save_them(permissive: Persona, url: str) -> None:
    assert permissive.ok("POST", "/v1/webhooks", 201, json={"url": url})["url"] == url


@pytest.fixture
def redirecting() -> Iterator[tuple[str, list[str]]]:
    """A receiver that answers every delivery with a redirect to the metadata address, and
    the paths it was asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            asked.append(self.path)
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/in")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", asked
    server.shutdown()
    server.server_close()


def test_a_redirect_is_never_followed(
    fresh_db: Database, permissive: Persona, redirecting: tuple[str, list[str]]
) -> None:
    db = fresh_db
    url, asked = redirecting
    made = hook(permissive, url)
    write(db, permissive.user_id, block(1))
    with running(db, delays=(3600,)):
        entry = until(lambda: first(permissive, made["id"]).get("attempt"), "the attempt")
        entry = first(permissive, made["id"])
    assert entry["status"] == "pending" and entry["status_code"] == 302
    assert entry["error"] == "answered 302"
    assert asked == ["/hook"]  # the redirect's target was never asked
    permissive.ok("DELETE", f"/v1/webhooks/{made['id']}")  # its retry is no other test's


def test_a_name_resolving_to_loopback_is_refused_at_connection_time(
    fresh_db: Database, permissive: Persona, receivers: Callable[..., Receiver]
) -> None:
    db = fresh_db
    receiver = receivers()
    made = hook(permissive, receiver.url.replace("127.0.0.1", "localhost"))
    write(db, permissive.user_id, block(1))
    with running(db, allow_private=False, delays=(3600,)):
        until(lambda: first(permissive, made["id"]).get("attempt"), "the attempt")
    entry = first(permissive, made["id"])
    assert entry["error"].startswith("refused: localhost resolves to a loopback address")
    assert entry["status"] == "pending" and receiver.got == []
    assert datetime.fromisoformat(entry["next_attempt_at"]) > datetime.now(UTC)
    permissive.ok("DELETE", f"/v1/webhooks/{made['id']}")
