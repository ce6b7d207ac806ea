"""What both clients share: how each method becomes a request, how an answer becomes a
typed result or an ``ApiError``, and when a failed attempt is tried again. ``Client`` and
``AsyncClient`` only send."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import httpx
import orjson
from pydantic import TypeAdapter, ValidationError

from timeboxd.client.errors import ApiError
from timeboxd.client.models import EventPage, Page

T = TypeVar("T")

DEFAULT_URL: Final = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_RETRIES: Final = 4
# Requests that may be sent again after a 5xx or a lost connection: they change nothing, or
# the same change again. A POST joins them because it always carries an Idempotency-Key.
# The longest Retry-After waited for: the per-minute quota asks for at most a minute.
MAX_RETRY_AFTER: Final = 120.0
SAFE_TO_REPEAT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST"})


class Unset:
    """The default of an ``update_*`` argument that was not given (``None`` clears)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter(kind: Any) -> TypeAdapter[Any]:
    """One validator per result shape, built on first use (building one takes milliseconds)."""
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(kind)
    return found


@dataclass(slots=True)
class Call(Generic[T]):
    """One method's request, and how to read its ``data`` and ``meta``."""

    method: str
    path: str
    read: Callable[[Any, dict[str, Any]], T]
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def answer(self, data: Any, meta: dict[str, Any], status: int) -> T:
        """``read``; data of another shape than the method's result (a proxy's, another
        server's) is ``ApiError("INVALID_RESPONSE")``, as an answer without the envelope is."""
        try:
            return self.read(data, meta)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "data"
            raise ApiError(
                "INVALID_RESPONSE",
                f"the answer is not what {self.method} {self.path} returns:"
                f" {where}: {first['msg']}",
                status=status,
                request_id=request_id_of(meta),
            ) from None


def one(kind: type[T]) -> Callable[[Any, dict[str, Any]], T]:
    def read(data: Any, meta: dict[str, Any]) -> T:
        return adapter(kind).validate_python(data)  # type: ignore[no-any-return]

    return read


def maybe(kind: type[T]) -> Callable[[Any, dict[str, Any]], T | None]:
    def read(data: Any, meta: dict[str, Any]) -> T | None:
        return None if data is None else adapter(kind).validate_python(data)

    return read


@dataclass(slots=True)
class ListMeta:
    """The ``meta`` of a list answer, typed as ``Page`` and ``EventPage`` hold it (another
    server's ``"total": "lots"`` is INVALID_RESPONSE, not a string in an ``int``)."""

    total: int | None = None
    page: int | None = None
    per_page: int | None = None
    has_more: bool = False
    next: str | None = None


def list_meta(meta: dict[str, Any]) -> ListMeta:
    fields = ("total", "page", "per_page", "has_more", "next")
    return adapter(ListMeta).validate_python(  # type: ignore[no-any-return]
        {name: meta[name] for name in fields if meta.get(name) is not None}
    )


def page(kind: type[T]) -> Callable[[Any, dict[str, Any]], Page[T]]:
    def read(data: Any, meta: dict[str, Any]) -> Page[T]:
        rows = adapter(list[kind]).validate_python(data)  # type: ignore[valid-type]
        m = list_meta(meta)
        return Page(rows, total=m.total, page=m.page, per_page=m.per_page, has_more=m.has_more)

    return read


def feed(data: Any, meta: dict[str, Any]) -> EventPage:
    from timeboxd.client.models import Event

    events = adapter(list[Event]).validate_python(data)
    m = list_meta(meta)
    return EventPage(events, m.next, m.has_more)


def text(data: Any, meta: dict[str, Any]) -> str:
    return str(data)


def query(**values: Any) -> dict[str, str]:
    """Query parameters from keyword arguments: ``None`` left out, dates ISO, booleans
    ``true``/``false``."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, dt.date | dt.time):
            out[name] = value.isoformat()
        else:
            out[name] = str(value)
    return out


def body(values: Mapping[str, Any], *, drop_none: bool = True) -> dict[str, Any]:
    """A JSON body: ``UNSET`` left out (and ``None`` too when ``drop_none``), dates as
    ``YYYY-MM-DD``, times as ``HH:MM``."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is UNSET or (drop_none and value is None):
            continue
        if isinstance(value, dt.time):
            value = value.strftime("%H:%M")
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[name] = value
    return out


def with_key(headers: dict[str, str], idempotency_key: str | None) -> dict[str, str]:
    """A POST always carries an Idempotency-Key, so that sending it again never makes two."""
    return {**headers, "Idempotency-Key": idempotency_key or f"tbx-{uuid.uuid4().hex}"}


def base_headers(api_key: str | None) -> dict[str, str]:
    """The headers of every request; an ``api_key`` no header can carry (a space, a line
    break, a non-ASCII letter: no key has one) is a ``ValueError`` here, not an encoding
    error, or a "connection" error retried, at the first call."""
    headers = {"Accept": "application/json", "X-Accept-Version": "1"}
    if api_key:
        if not (api_key.isascii() and api_key.isprintable()) or " " in api_key:
            raise ValueError(
                "api_key is not an API key: it holds a space, a control character or a"
                " non-ASCII character"
            )
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


# -- answers -----------------------------------------------------------------------------


def envelope(response: httpx.Response) -> tuple[Any, dict[str, Any]]:
    """``(data, meta)`` of an answer, or the ``ApiError`` its ``error`` says (even on 200)."""
    try:
        parsed = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict) or "data" not in parsed:
        raise ApiError(
            "INVALID_RESPONSE",
            f"HTTP {response.status_code} without the API's JSON envelope",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )
    meta = parsed.get("meta")
    if not isinstance(meta, dict):  # absent, or not an object: nothing to read from it
        meta = {}
    error = parsed.get("error")
    if error is not None:
        raise error_of(error, response.status_code, meta)
    return parsed["data"], meta


def error_of(error: Any, status: int, meta: Mapping[str, Any]) -> ApiError:
    if not isinstance(error, dict):
        error = {"code": "INVALID_RESPONSE", "message": str(error)}
    return ApiError(
        str(error.get("code") or "INVALID_RESPONSE"),
        str(error.get("message") or ""),
        status=status,
        field=None if error.get("field") is None else str(error["field"]),
        request_id=request_id_of(meta),
        details=error.get("details"),
    )


def request_id_of(meta: Any) -> str | None:
    found = meta.get("request_id") if isinstance(meta, Mapping) else None
    return None if found is None else str(found)


def stream_line(kind: Any, line: str, status: int) -> Any:
    """One line of an NDJSON stream as ``kind``; a stream cut by the server ends with an
    error object instead, raised as its ``ApiError``; any other line (a proxy's page,
    another shape) is ``ApiError("INVALID_RESPONSE")``."""
    try:
        return adapter(kind).validate_json(line)
    except ValueError:
        pass
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("error"):
        raise error_of(parsed["error"], status, parsed.get("meta") or {})
    raise ApiError(
        "INVALID_RESPONSE",
        f"a line of the stream is not a {getattr(kind, '__name__', 'row')}: {line[:80]!r}",
        status=status,
    )


# -- retries -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retry:
    """When to try again: ``retries`` more attempts at most; after a 429 as long as its
    ``Retry-After`` says; after a 5xx or a lost connection (for requests safe to repeat)
    ``backoff * 2**n`` seconds, at most ``max_backoff``, with full jitter."""

    retries: int = DEFAULT_RETRIES
    backoff: float = 0.5
    max_backoff: float = 8.0
    # A server (or a proxy) that asks for a longer wait is not waited for: its error is
    # raised at once rather than the call hanging for as long as it says.
    max_retry_after: float = MAX_RETRY_AFTER

    def after_answer(self, call: Call[Any], attempt: int, response: httpx.Response) -> float | None:
        if attempt >= self.retries:
            return None
        status = response.status_code
        wait = retry_after(response.headers.get("retry-after"))
        if wait > self.max_retry_after:
            return None
        if status == 429:
            return wait or self.jittered(attempt)
        if status >= 500 and call.method in SAFE_TO_REPEAT:
            return max(wait, self.jittered(attempt))
        return None

    def after_failure(
        self, call: Call[Any], attempt: int, error: httpx.TransportError
    ) -> float | None:
        if attempt >= self.retries or isinstance(error, httpx.UnsupportedProtocol):
            return None  # a URL that is not http(s) fails the same way every time
        # Nothing reached the server when the connection was never made: any request may go.
        if call.method in SAFE_TO_REPEAT or isinstance(error, httpx.ConnectError):
            return self.jittered(attempt)
        return None

    def jittered(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


def retry_after(value: str | None) -> float:
    """Seconds from a ``Retry-After`` header: whole seconds (as the API sends) or an
    HTTP-date; 0 when absent, 1 when it is neither. A value too large for a float, such as
    ``inf``, is infinite, which ``Retry`` refuses to wait."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 1.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
