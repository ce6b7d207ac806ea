"""NDJSON streams that cannot take the server down: a bounded number at once (per key and
per process), each cut when its client stops reading, and each reading the database in
pages on a connection it holds only while it reads (services.planning.blocks_query).

A stream's pages are produced in the thread pool and sent from the event loop; nothing
a stream does blocks the loop, and between two pages it holds neither a thread nor a
database connection, only its slot."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from timeboxd.errors import RateLimited, ServiceUnavailable

log = logging.getLogger("timeboxd.api")

RETRY_AFTER_SECONDS = 5  # what a refused stream is told to wait; slots free as streams end


@dataclass(slots=True)
class StreamSlots:
    """Streams open now, in all and per key, in this process."""

    per_key: int
    total: int
    _open: dict[str, int] = field(default_factory=dict)
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> Slot:
        """A slot for one stream of ``key``, or RATE_LIMITED once the key has ``per_key``
        streams open, or SERVICE_UNAVAILABLE once the process has ``total``."""
        with self._lock:
            if self._open.get(key, 0) >= self.per_key:
                raise RateLimited(
                    f"this key already has {self.per_key} streams open; finish one, or "
                    f"retry in {RETRY_AFTER_SECONDS} s"
                )
            if self._count >= self.total:
                raise ServiceUnavailable(
                    f"the server is serving its {self.total} streams; "
                    f"retry in {RETRY_AFTER_SECONDS} s"
                )
            self._open[key] = self._open.get(key, 0) + 1
            self._count += 1
        return Slot(self, key)

    def _give_back(self, key: str) -> None:
        with self._lock:
            left = self._open[key] - 1
            if left:
                self._open[key] = left
            else:
                del self._open[key]
            self._count -= 1

    @property
    def open(self) -> int:
        return self._count


@dataclass(slots=True)
class Slot:
    slots: StreamSlots
    key: str
    _held: bool = True

    def release(self) -> None:
        """Give the slot back; once, however often called."""
        if self._held:
            self._held = False
            self.slots._give_back(self.key)


def _next_page(pages: Iterator[bytes]) -> bytes | None:
    return next(pages, None)


class NdjsonStream(Response):
    """Sends ``pages`` (chunks of NDJSON lines) as they are read, holding ``slot`` until
    the stream ends, however it ends: finished, its client gone, or its client idle for
    ``idle_timeout`` seconds (it is then cut: the connection is closed mid-body, which a
    client sees as an incomplete response)."""

    media_type = "application/x-ndjson"

    def __init__(self, pages: Iterator[bytes], slot: Slot, idle_timeout: float) -> None:
        super().__init__(media_type=self.media_type)
        del self.headers["content-length"]
        self.pages = pages
        self.slot = slot
        self.idle_timeout = idle_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def gone() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(gone)
                await self._send_pages(send)
                group.cancel_scope.cancel()
        finally:
            self.slot.release()
            # Ends the page reader where it stands (its connection is already back in
            # the pool between pages; this only drops its place).
            close = getattr(self.pages, "close", None)
            if close is not None:
                close()

    async def _send_pages(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        while True:
            # Not cancellable: a stream ended meanwhile waits for its page, so the reader
            # is never closed while it runs.
            page = await run_in_threadpool(_next_page, self.pages)
            more = page is not None
            # The send waits while the client's socket is full: a client that reads
            # nothing for idle_timeout seconds loses the stream.
            with anyio.move_on_after(self.idle_timeout) as waited:
                await send({"type": "http.response.body", "body": page or b"", "more_body": more})
            if waited.cancelled_caught:
                log.warning("a stream was cut: its client read nothing for %g s", self.idle_timeout)
                return  # the response is left incomplete: the server closes the connection
            if not more:
                return
