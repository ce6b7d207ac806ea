"""``AsyncClient``: the same methods as ``Client``, awaitable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, TypeVar

import httpx
import orjson

from timeboxd.client import methods
from timeboxd.client.calls import (
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    UNSET,
    Call,
    Retry,
    Unset,
    base_headers,
    envelope,
    stream_line,
)
from timeboxd.client.errors import ApiError
from timeboxd.client.methods import DateLike, TimeLike
from timeboxd.client.models import (
    Agenda,
    Block,
    EventPage,
    Page,
    Productivity,
    Project,
    Stats,
    TimeEntry,
)

T = TypeVar("T")


class AsyncClient:
    """The timeboxd API for asyncio: ``async with AsyncClient(base_url, api_key) as c``
    (which closes its connections). Every method returns typed results and raises
    ``ApiError`` when the answer carries an error."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 4,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry = Retry(retries=retries, backoff=backoff)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=base_headers(api_key),
            timeout=timeout,
            transport=transport,
        )

    # -- life ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- sending ---------------------------------------------------------------------------

    async def _send(self, call: Call[Any], *, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            try:
                request = self._http.build_request(
                    call.method,
                    call.path,
                    params=call.params or None,
                    content=None if call.body is None else orjson.dumps(call.body),
                    headers=(
                        {**call.headers, "Content-Type": "application/json"}
                        if call.body is not None
                        else call.headers or None
                    ),
                )
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as error:
                delay = self.retry.after_failure(call, attempt, error)
                if delay is None:
                    raise
            else:
                delay = self.retry.after_answer(call, attempt, response)
                if delay is None:
                    return response
                await response.aclose()
            await asyncio.sleep(delay)
            attempt += 1

    async def _run(self, call: Call[T]) -> T:
        response = await self._send(call)
        data, meta = envelope(response)
        return call.answer(data, meta, response.status_code)

    # -- blocks ----------------------------------------------------------------------------

    async def list_blocks(
        self,
        *,
        date: DateLike | None = None,
        date_from: DateLike | None = None,
        date_to: DateLike | None = None,
        project_id: str | None = None,
        task_id: str | None = None,
        series_id: str | None = None,
        done: bool | None = None,
        archived: bool | None = None,
        order_by: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> Page[Block]:
        """Blocks matching the filters (all of them, up to 10,000, unless paged)."""
        return await self._run(
            methods.list_blocks(
                **methods.block_filters(
                    date,
                    date_from,
                    date_to,
                    project_id,
                    task_id,
                    series_id,
                    done,
                    archived,
                    order_by,
                ),
                page=page,
                per_page=per_page,
            )
        )

    async def iter_blocks(
        self,
        *,
        date: DateLike | None = None,
        date_from: DateLike | None = None,
        date_to: DateLike | None = None,
        project_id: str | None = None,
        task_id: str | None = None,
        series_id: str | None = None,
        done: bool | None = None,
        archived: bool | None = None,
        order_by: str | None = None,
    ) -> AsyncIterator[Block]:
        """Every matching block, read from the NDJSON stream one line at a time (constant
        memory, any number of blocks)."""
        filters = methods.block_filters(
            date, date_from, date_to, project_id, task_id, series_id, done, archived, order_by
        )
        call: Call[None] = Call("GET", "/v1/blocks/stream", lambda d, m: None, params=filters)
        response = await self._send(call, stream=True)
        try:
            if response.status_code != 200:
                await response.aread()
                envelope(response)
                raise ApiError(
                    "INVALID_RESPONSE", "the stream did not open", status=response.status_code
                )
            async for line in response.aiter_lines():
                if line:
                    yield stream_line(Block, line, response.status_code)
        finally:
            await response.aclose()

    async def get_block(self, block_id: str) -> Block:
        return await self._run(methods.get_block(block_id))

    async def create_block(
        self,
        *,
        date: DateLike,
        start: TimeLike,
        end: TimeLike,
        topic: str = "",
        project_id: str | None = None,
        task_id: str | None = None,
        done: bool = False,
        idempotency_key: str | None = None,
    ) -> Block:
        """A new block (``idempotency_key``: yours, or one made for this call)."""
        fields = {
            "date": date,
            "start": start,
            "end": end,
            "topic": topic,
            "project_id": project_id,
            "task_id": task_id,
            "done": done,
        }
        return await self._run(methods.create_block(fields, idempotency_key))

    async def update_block(
        self,
        block_id: str,
        *,
        date: DateLike | Unset = UNSET,
        start: TimeLike | Unset = UNSET,
        end: TimeLike | Unset = UNSET,
        topic: str | Unset = UNSET,
        project_id: str | Unset | None = UNSET,
        task_id: str | Unset | None = UNSET,
        done: bool | Unset = UNSET,
        if_match: str | None = None,
    ) -> Block:
        """Change the given fields only (``project_id=None`` clears the project)."""
        changes = methods.changes_of(
            date=date,
            start=start,
            end=end,
            topic=topic,
            project_id=project_id,
            task_id=task_id,
            done=done,
        )
        return await self._run(methods.update_block(block_id, changes, if_match))

    async def complete_block(self, block_id: str) -> Block:
        """Mark a block done (sets ``completed_at``)."""
        return await self._run(methods.update_block(block_id, {"done": True}, None))

    async def delete_block(self, block_id: str, *, if_match: str | None = None) -> Block:
        """Move a block to the trash; returns it as it was deleted."""
        return await self._run(methods.delete_block(block_id, if_match))

    async def agenda(self, date: DateLike | None = None) -> Agenda:
        """One local day's plan (today when no date is given)."""
        return await self._run(methods.agenda(date))

    async def agenda_markdown(self, date: DateLike | None = None) -> str:
        """One local day's plan as a Markdown checklist."""
        call = methods.agenda(date)
        call.params["format"] = "markdown"
        response = await self._send(call)
        if response.status_code == 200 and "markdown" in response.headers.get("content-type", ""):
            return response.text
        envelope(response)
        raise ApiError("INVALID_RESPONSE", "the agenda came back without Markdown", status=200)

    # -- progress --------------------------------------------------------------------------

    async def stats(
        self,
        period: str | None = None,
        *,
        date_from: DateLike | None = None,
        date_to: DateLike | None = None,
    ) -> Stats:
        """``period``: today, week (the server's default), month or all; or a date range."""
        return await self._run(methods.stats(period, date_from, date_to))

    async def productivity(self, weeks: int | None = None) -> Productivity:
        return await self._run(methods.productivity(weeks))

    # -- timer -----------------------------------------------------------------------------

    async def start_timer(
        self,
        *,
        project_id: str | None = None,
        task_id: str | None = None,
        block_id: str | None = None,
        description: str = "",
        billable: bool | None = None,
        tag_ids: list[str] | None = None,
        stop_running: bool = False,
        idempotency_key: str | None = None,
    ) -> TimeEntry:
        fields = {
            "project_id": project_id,
            "task_id": task_id,
            "block_id": block_id,
            "description": description,
            "billable": billable,
            "tag_ids": tag_ids,
            "stop_running": stop_running or None,
        }
        return await self._run(methods.start_timer(fields, idempotency_key))

    async def stop_timer(self, *, idempotency_key: str | None = None) -> TimeEntry:
        return await self._run(methods.stop_timer(idempotency_key))

    async def timer(self) -> TimeEntry | None:
        """The running entry, or ``None`` when no timer runs."""
        return await self._run(methods.timer())

    # -- the rest --------------------------------------------------------------------------

    async def list_projects(self, *, archived: bool | None = None) -> Page[Project]:
        return await self._run(methods.list_projects(archived))

    async def events(
        self,
        after: str | None = None,
        *,
        types: str | list[str] | None = None,
        limit: int | None = None,
    ) -> EventPage:
        """The change feed after the cursor ``after`` (``EventPage.next`` of the last call)."""
        return await self._run(methods.events(after, types, limit))
