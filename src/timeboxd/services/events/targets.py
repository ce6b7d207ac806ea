"""Where a webhook may deliver: ``http(s)`` URLs whose host resolves only to public
addresses, checked when the webhook is saved and again on every connection, against the
very address the connection then uses (a name that resolved to a public address at
creation may resolve to ``127.0.0.1`` a minute later).

An operator who runs receivers on a private network allows them with
``TIMEBOXD_WEBHOOK_ALLOW_PRIVATE=true``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore

from timeboxd.errors import ValidationFailed

MAX_URL = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


def refusal(address: Address) -> str | None:
    """Why a delivery may not go to ``address``, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for reason in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{reason}"):
            return reason.replace("_", "-")
    if not address.is_global:  # shared (100.64/10), documentation and other special ranges
        return "not public"
    return None


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    host: str
    port: int


def parse(url: str) -> Target:
    """The URL's host and port, or a VALIDATION_ERROR on ``url`` saying what is wrong."""
    if len(url) > MAX_URL:
        raise ValidationFailed(f"the URL is longer than {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed(f"not a valid URL ({exc})", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed("the URL must start with http:// or https://", field="url")
    if not parts.hostname:
        raise ValidationFailed("the URL has no host", field="url")
    if port == 0:
        raise ValidationFailed("the URL's port must be from 1 to 65535", field="url")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("the URL must not hold a user name or password", field="url")
    default = 443 if parts.scheme == "https" else 80
    return Target(url, parts.hostname, port or default)


def check(
    url: str, *, allow_private: bool, resolve: Callable[[str, int], list[str]] | None = None
) -> Target:
    """Parse ``url`` and resolve its host now: every address must be public (unless private
    ones are allowed). Blocking (DNS): call it from a worker thread."""
    target = parse(url)
    try:
        addresses = (resolve or resolve_blocking)(target.host, target.port)
    except (OSError, UnicodeError) as exc:  # UnicodeError: a label no DNS name may hold
        raise ValidationFailed(
            f"the host {target.host[:100]!r} does not resolve ({exc})", field="url"
        ) from None
    if not allow_private:
        for address in addresses:
            reason = refusal(ipaddress.ip_address(address))
            if reason:
                raise ValidationFailed(
                    f"the host {target.host!r} resolves to a {reason} address ({address}); "
                    "webhooks deliver to public addresses only",
                    field="url",
                )
    return target


def resolve_blocking(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return _unique(str(info[4][0]) for info in found)


async def resolve_async(host: str, port: int) -> list[str]:
    found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return _unique(str(info[4][0]) for info in found)


def _unique(addresses: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(a.partition("%")[0] for a in addresses))  # no IPv6 zone ids


class RefusedAddress(httpcore.ConnectError):
    """The receiver's host resolved to an address deliveries may not reach."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to checked addresses: resolves the host itself, refuses the connection
    when any address it gets is not public, and connects to the address it checked. TLS
    still names the URL's host (SNI and certificate checks are unchanged)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolve or resolve_async
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host[:100]} does not resolve ({exc})") from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} does not resolve")
        if not self._allow_private:
            for address in addresses:
                reason = refusal(ipaddress.ip_address(address))
                if reason:
                    raise RefusedAddress(f"{host} resolves to a {reason} address ({address})")
        return await self._inner.connect_tcp(
            addresses[0],
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedAddress("webhooks do not deliver to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
