"""Where webhooks may deliver (services/events/targets.py): public http(s) addresses only,
checked when saved and again on every connection, against the address connected to."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import httpcore
import pytest

from timeboxd.errors import ValidationFailed
from timeboxd.services.events import targets

PUBLIC = "93.184.215.14"


def public(host: str, port: int) -> list[str]:
    return [PUBLIC]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "must start with http:// or https://"),
        ("https:///hook", "has no host"),
        ("https://user:secret@example.com/hook", "user name or password"),
        ("https://example.com:99999/hook", "not a valid URL"),
        ("https://example.com/" + "x" * 2000, "longer than 2000"),
    ],
)
def test_urls_that_are_not_http_targets_are_refused_on_url(url: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        targets.check(url, allow_private=False, resolve=public)
    assert refused.value.field == "url" and message in refused.value.message


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not public"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_hosts_resolving_to_non_public_addresses_are_refused(address: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        targets.check(
            "https://hooks.example/x", allow_private=False, resolve=lambda h, p: [address]
        )
    assert refused.value.field == "url"
    assert f"resolves to a {reason} address ({address})" in refused.value.message
    allowed = targets.check(
        "https://hooks.example/x", allow_private=True, resolve=lambda h, p: [address]
    )
    assert allowed.host == "hooks.example" and allowed.port == 443


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(ValidationFailed):
        targets.check(
            "http://x.example", allow_private=False, resolve=lambda h, p: [PUBLIC, "10.0.0.1"]
        )
    assert (
        targets.check("http://x.example:8080/a", allow_private=False, resolve=public).port == 8080
    )


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        targets.check("https://nothing.invalid/hook", allow_private=False)
    assert refused.value.field == "url" and "does not resolve" in refused.value.message


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _post(url: str, backend: httpcore.AsyncNetworkBackend) -> int:
    async def send() -> int:
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            response = await pool.request("POST", url, content=b"{}")
            return response.status

    return anyio.run(send)


def test_connections_to_private_addresses_are_refused_unless_allowed(receiver: str) -> None:
    with pytest.raises(targets.RefusedAddress, match="loopback"):
        _post(receiver, targets.GuardedBackend(allow_private=False))
    assert _post(receiver, targets.GuardedBackend(allow_private=True)) == 204


def test_a_name_checked_public_that_resolves_private_later_is_refused(receiver: str) -> None:
    # Checked when saved (the name was public then) ...
    assert targets.check(receiver, allow_private=False, resolve=public).host == "localhost"

    # ... and at the connection, where it now resolves to the receiver on loopback.
    async def rebound(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with pytest.raises(targets.RefusedAddress, match=r"resolves to a loopback address \(127"):
        _post(receiver, targets.GuardedBackend(allow_private=False, resolve=rebound))
