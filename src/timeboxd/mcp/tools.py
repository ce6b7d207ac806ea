"""The MCP tools, resources and prompt (SPEC §4 "MCP server").

Each tool checks the caller's scope, validates its arguments with the request body or
query model of the matching REST route, calls that route's service in one unit of work
and answers the JSON the route's ``data`` holds, which each tool's ``outputSchema``
describes. Arguments are checked before a tool runs: one the tool does not have, a value
of the wrong type and a NUL in any text are refused as the API refuses them. A domain
error (bad input, missing scope, not found, conflict) is a tool error: its text reads
``CODE (field): message`` and its structured content is the API's error object
``{"error": {"code", "message", "field"?}}``. Nothing a caller sends ends the session."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

import anyio.to_thread
import orjson
from mcp.server.context import CallNext, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resources import Resource
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, INVALID_REQUEST, CallToolResult, TextContent
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticError
from sqlalchemy.orm import Session

from timeboxd import __version__
from timeboxd.api import envelope
from timeboxd.api.handlers import validation_to_domain
from timeboxd.api.middleware import NUL_MESSAGE
from timeboxd.errors import DomainError, NotFound, ValidationFailed
from timeboxd.schemas.blocks import (
    AgendaOut,
    BlockChanges,
    BlockCreate,
    BlockFields,
    BlockListQuery,
    BlockOut,
    BlockPatch,
)
from timeboxd.schemas.common import changes_of
from timeboxd.schemas.entries import EntryOut, TimerStart
from timeboxd.schemas.projects import ProjectOut
from timeboxd.schemas.series import SeriesCreate, SeriesOut
from timeboxd.schemas.stats import ProductivityOut, ProductivityParams, StatsOut, StatsParams
from timeboxd.services.catalog import projects
from timeboxd.services.context import Principal
from timeboxd.services.database import Database, UnitOfWork
from timeboxd.services.insights import stats_cache
from timeboxd.services.insights.stats_cache import Store
from timeboxd.services.paging import Page, PageRequest
from timeboxd.services.planning import agenda, blocks, blocks_query, series
from timeboxd.services.tracking import timer

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., CallToolResult])
# A prompt argument is echoed into the prompt's text: a sentence, not a document.
PROMPT_ARGUMENT_MAX = 500
# Who calls, from the transport's request (HTTP: the Starlette request, whose Bearer key
# was admitted and counted before it reached the server; stdio: None, TIMEBOXD_API_KEY).
Caller = Callable[[Any], Principal]
# The transport's request of the MCP request being handled, for the resources, whose
# handlers the SDK gives no Context (see RequestTracker).
current_request: ContextVar[Any] = ContextVar("timeboxd_mcp_request", default=None)

INSTRUCTIONS = """timeboxd plans time in blocks (a date, a start and an end time in the
account's time zone, a topic and optionally a project) and tracks it with a timer.
Dates are YYYY-MM-DD and times HH:MM, both local to the account; instants are ISO 8601
with offset. Start with get_agenda (today's plan) or list_projects (to learn project
ids), then create_block, update_block or complete_block. An error reads
"CODE (field): message": fix the named field and call again."""

DateArg = Annotated[str, Field(description="a local date, YYYY-MM-DD")]
OptDate = Annotated[str | None, Field(description="a local date, YYYY-MM-DD")]
TimeArg = Annotated[str, Field(description="a local wall-clock time, HH:MM (24 h)")]
OptTime = Annotated[str | None, Field(description="a local wall-clock time, HH:MM (24 h)")]
BlockId = Annotated[str, Field(description="a block id (blk_...), from list_blocks or get_agenda")]
ProjectId = Annotated[
    str | None, Field(description="a project id (prj_...) from list_projects, or null")
]


class Tools:
    """The tools of one server, bound to its database, clock, cache and caller."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        store: Store,
        caller: Caller,
    ) -> None:
        self.db, self.clock, self.store, self.caller = db, clock, store, caller

    def run(
        self,
        ctx: Context | None,
        scope: str,
        work: Callable[[UnitOfWork, Principal, datetime], Any],
        *,
        write: bool = False,
    ) -> Any:
        """``work`` in a unit of work as ``ctx``'s caller, who must hold ``scope``: its
        answer as the API writes it; a domain error is raised."""
        request = ctx.request_context.request if ctx is not None else current_request.get()
        principal = self.caller(request)
        principal.require(scope)
        now = self.clock()
        with self.db.unit(write=write) as unit:  # a write commits as it ends
            answer = work(unit, principal, now)
        return orjson.loads(envelope.dumps(answer))

    def call(
        self,
        ctx: Context,
        scope: str,
        work: Callable[[UnitOfWork, Principal, datetime], Any],
        *,
        write: bool = False,
    ) -> CallToolResult:
        """A tool's result: ``run``'s answer, or its domain error as a tool error."""
        try:
            return reply(self.run(ctx, scope, work, write=write))
        except DomainError as exc:
            return failure(exc)


def parse(model: type[M], **values: Any) -> M:
    """``values`` (the arguments sent, ``None`` for not sent) as ``model``, a route's
    body or query model; a bad value is the API's VALIDATION_ERROR naming the field."""
    sent = {k: v for k, v in values.items() if v is not None}
    try:
        return model.model_validate(sent)
    except PydanticError as exc:
        from fastapi.exceptions import RequestValidationError

        raise validation_to_domain(RequestValidationError(exc.errors())) from None


def reply(data: Any) -> CallToolResult:
    """A tool's answer: ``data`` as structured content, and the same JSON as text for
    clients that show only text. Built here rather than by the SDK from the return
    annotation: the SDK would validate and copy every block against a schema that says
    only "an object", and write the text indented."""
    return CallToolResult(
        content=[TextContent(type="text", text=orjson.dumps(data).decode())],
        structured_content=data,
    )


def failure(exc: DomainError) -> CallToolResult:
    """A tool error: ``CODE (field): message`` as text for a model to read, and the
    API's error object as structured content for a program."""
    error = exc.as_dict()
    named = f" ({error['field']})" if error.get("field") else ""
    return CallToolResult(
        content=[TextContent(type="text", text=f"{error['code']}{named}: {error['message']}")],
        structured_content={"error": error},
        is_error=True,
    )


class Listing(BaseModel, Generic[T]):
    """The shape of a list tool's answer (for its output schema)."""

    items: list[T]
    page: int
    per_page: int
    total: int
    has_more: bool


def schema_of(shape: Any) -> dict[str, Any]:
    """The JSON schema a tool's structured result follows: ``shape``, an API output
    shape, as the API serialises it."""
    return TypeAdapter(shape).json_schema(mode="serialization")


def first_nul(value: Any, name: str) -> str | None:
    """The name of the argument (or key) that holds a NUL in its text, if any."""
    if isinstance(value, str):
        return name if "\x00" in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = first_nul(key, name) or first_nul(item, str(key))
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = first_nul(item, name)
            if found:
                return found
    return None


class ArgumentCheck:
    """Server middleware: the arguments of a ``tools/call`` checked against the tool's
    parameters before the SDK sees them, so that what the REST API refuses is refused
    here too, with the API's error: an argument the tool does not have (the SDK's own
    argument model would drop it silently), a value of the wrong type, a NUL in any
    text (which no column can store)."""

    def __init__(self, tools: list[Tool]) -> None:
        self.tools = {tool.name: tool for tool in tools}
        # prompt name -> its arguments' names (filled as the prompts are registered)
        self.prompts: dict[str, set[str]] = {}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
        if ctx.method == "tools/call" and isinstance(ctx.params, Mapping):
            name = ctx.params.get("name")
            tool = self.tools.get(name)  # type: ignore[arg-type]
            arguments = ctx.params.get("arguments") or {}
            if tool is None and isinstance(name, str):
                # As every tool error (the SDK's own reads "Unknown tool: x", no code).
                return failure(NotFound(f"no tool {name!r}; tools/list names them"))
            if tool is not None and isinstance(arguments, Mapping):
                try:
                    self.check(tool, arguments)
                except DomainError as exc:
                    return failure(exc)
        if ctx.method == "prompts/get" and isinstance(ctx.params, Mapping):
            self.check_prompt(ctx.params.get("name"), ctx.params.get("arguments") or {})
        return await call_next(ctx)

    def check_prompt(self, name: Any, arguments: Any) -> None:
        """An unknown prompt or argument is the protocol's invalid-params error naming it
        (the SDK would answer error code 0, "Error rendering prompt", and log a traceback
        for every such request)."""
        if not isinstance(name, str) or not isinstance(arguments, Mapping):
            return  # the SDK refuses these shapes itself (-32602)
        known = self.prompts.get(name)
        if known is None:
            raise protocol_error(
                INVALID_PARAMS, NotFound(f"no prompt {name!r}; prompts/list names them")
            )
        for argument, value in arguments.items():
            if argument not in known:
                refused = ValidationFailed(f"unknown argument {argument!r}", field=str(argument))
                raise protocol_error(INVALID_PARAMS, refused)
            if isinstance(value, str) and len(value) > PROMPT_ARGUMENT_MAX:
                refused = ValidationFailed(
                    f"at most {PROMPT_ARGUMENT_MAX} characters", field=str(argument)
                )
                raise protocol_error(INVALID_PARAMS, refused)

    @staticmethod
    def check(tool: Tool, arguments: Mapping[str, Any]) -> None:
        model = tool.fn_metadata.arg_model
        known = {field.alias or name for name, field in model.model_fields.items()}
        for name in arguments:
            if name not in known:
                raise ValidationFailed(f"unknown argument {name!r}", field=name)
        nul = first_nul(dict(arguments), "arguments")
        if nul is not None:
            raise ValidationFailed(NUL_MESSAGE, field=nul)
        for name, value in arguments.items():
            # Lax mode reads true as 1: a JSON boolean is no number of weeks or page.
            if isinstance(value, bool) and takes_int(model.model_fields[name].annotation):
                raise ValidationFailed("Input should be a valid integer", field=name)
        try:
            model.model_validate(arguments)
        except PydanticError as exc:
            from fastapi.exceptions import RequestValidationError

            raise validation_to_domain(RequestValidationError(exc.errors())) from None


def takes_int(annotation: Any) -> bool:
    """Whether a parameter's type is an integer (``int``, ``int | None``), not a boolean."""
    kinds = set(get_args(annotation)) or {annotation}
    return int in kinds and bool not in kinds


def protocol_error(code: int, exc: DomainError) -> MCPError:
    """A JSON-RPC error for a request refused before (or instead of) a tool: its message
    reads ``CODE (field): message`` as a tool error's text, its data is the API's error
    object."""
    error = exc.as_dict()
    named = f" ({error['field']})" if error.get("field") else ""
    return MCPError(code, f"{error['code']}{named}: {error['message']}", {"error": error})


def listing(page: Page[Any]) -> dict[str, Any]:
    return {
        "items": page.items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "has_more": page.has_more,
    }


def stats_of(store: Store, session: Session, p: Principal, now: datetime, q: Any) -> Any:
    return orjson.Fragment(stats_cache.statistics(store, session, p, now, q).body)


class Live(Resource):
    """A resource read afresh, as its reader, on every read (a tool's work, as JSON)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    tools: Tools
    scope: str
    work: Callable[[UnitOfWork, Principal, datetime], Any]

    async def read(self) -> str:
        answer = functools.partial(self.tools.run, None, self.scope, self.work)
        try:  # to_thread carries current_request along
            result = await anyio.to_thread.run_sync(answer)
        except DomainError as exc:
            # A read refused (no scope, a revoked key, over quota) is the caller's to fix:
            # never the SDK's "internal error" (-32603), which a client may retry.
            raise protocol_error(INVALID_REQUEST, exc) from None
        return orjson.dumps(result).decode()


class RequestTracker:
    """Server middleware: keeps the transport's request of every MCP request in
    ``current_request`` while it is handled."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
        token = current_request.set(ctx.request)
        try:
            return await call_next(ctx)
        finally:
            current_request.reset(token)


def build(tools: Tools) -> MCPServer[Any]:
    """The MCP server of ``tools``: twelve tools, two resources and a prompt."""
    run = tools.call
    made: list[Tool] = []

    def tool(shape: Any) -> Callable[[F], F]:
        """Register a tool whose structured result is ``shape`` (an API output shape).
        The schema is published, not checked on every call: the result is the API's own
        JSON, which the REST tests hold to the same shapes."""

        def register(fn: F) -> F:
            made.append(Tool.from_function(fn, structured_output=False))
            made[-1].fn_metadata.output_schema = schema_of(shape)
            return fn

        return register

    # Every tool is a plain function: the SDK runs it in a pool thread, so the event loop
    # never waits for a pooled connection (as api.deps keeps it for the REST routes).

    @tool(AgendaOut)
    def get_agenda(ctx: Context, date: OptDate = None) -> CallToolResult:
        """The plan of one local day: its blocks in start order, with planned_minutes,
        done_minutes and done_count. Call this first to see what is planned. `date`
        defaults to today in the account's time zone. Needs read:blocks."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            day = parse(BlockListQuery, date=date).date
            return agenda.agenda(u.connection(), p, now, day)

        return run(ctx, "read:blocks", work)

    @tool(Listing[BlockOut])
    def list_blocks(
        ctx: Context,
        date: OptDate = None,
        date_from: OptDate = None,
        date_to: OptDate = None,
        project_id: ProjectId = None,
        done: Annotated[bool | None, Field(description="only done or only open blocks")] = None,
        archived: Annotated[bool, Field(description="list archived blocks instead")] = False,
        order_by: Annotated[
            str | None, Field(description="comma-separated fields, '-' for descending")
        ] = None,
        page: Annotated[int | None, Field(description="page number, from 1")] = None,
        per_page: Annotated[int | None, Field(description="blocks per page, 1-1000")] = None,
    ) -> CallToolResult:
        """The caller's blocks, filtered: one `date`, or a range `date_from`..`date_to`
        (inclusive), a project, done or not. Without page/per_page every match is returned
        (up to 10,000; has_more tells). Answers {items, page, per_page, total, has_more};
        each block has id, date, start, end (HH:MM local), duration_minutes, topic, done,
        project_id and project_name. Needs read:blocks."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            q = parse(
                BlockListQuery,
                date=date,
                date_from=date_from,
                date_to=date_to,
                project_id=project_id,
                done=done,
                archived=archived or None,
                order_by=order_by,
                page=page,
                per_page=per_page,
            )
            paging = PageRequest.parse(q.page, q.per_page)
            f = blocks_query.filter_of(q)
            return listing(blocks_query.list_blocks_json(u.connection(), p, f, paging))

        return run(ctx, "read:blocks", work)

    @tool(BlockOut)
    def create_block(
        ctx: Context,
        date: DateArg,
        start: TimeArg,
        end: TimeArg,
        topic: Annotated[str, Field(description="what the time is for, up to 500 chars")] = "",
        project_id: ProjectId = None,
        done: Annotated[bool, Field(description="already done")] = False,
    ) -> CallToolResult:
        """Plan a block of time on a local date from `start` to `end` (HH:MM, end after
        start, same day), optionally in a project (ids from list_projects). Answers the new
        block. Needs write:blocks."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            body = parse(
                BlockCreate,
                date=date,
                start=start,
                end=end,
                topic=topic,
                project_id=project_id,
                done=done,
            )
            return blocks.create_block(u.session, p, now, BlockFields.of(body))[0]

        return run(ctx, "write:blocks", work, write=True)

    @tool(BlockOut)
    def update_block(
        ctx: Context,
        block_id: BlockId,
        date: OptDate = None,
        start: OptTime = None,
        end: OptTime = None,
        topic: Annotated[str | None, Field(description="new topic")] = None,
        project_id: ProjectId = None,
        done: Annotated[bool | None, Field(description="mark done or not done")] = None,
    ) -> CallToolResult:
        """Change a block: only the fields given change (move it with date/start/end,
        rename it with topic, refile it with project_id). Answers the updated block.
        Needs write:blocks."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            body = parse(
                BlockPatch,
                date=date,
                start=start,
                end=end,
                topic=topic,
                project_id=project_id,
                done=done,
            )
            changes = changes_of(BlockChanges, body)
            return blocks.update_block(u.session, p, now, block_id, changes, None)[0]

        return run(ctx, "write:blocks", work, write=True)

    @tool(BlockOut)
    def complete_block(ctx: Context, block_id: BlockId) -> CallToolResult:
        """Mark a block done (completed_at is set to now). Answers the block.
        Needs write:blocks."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            changes = BlockChanges(done=True)
            return blocks.update_block(u.session, p, now, block_id, changes, None)[0]

        return run(ctx, "write:blocks", work, write=True)

    @tool(BlockOut)
    def delete_block(ctx: Context, block_id: BlockId) -> CallToolResult:
        """Move a block to the trash (it can be restored through the API). Answers the
        deleted block, with deleted_at set. Needs write:blocks."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            return blocks.delete_block(u.session, p, now, block_id, None)[0]

        return run(ctx, "write:blocks", work, write=True)

    @tool(SeriesOut)
    def plan_series(
        ctx: Context,
        date: Annotated[str, Field(description="the first occurrence, YYYY-MM-DD")],
        start: TimeArg,
        end: TimeArg,
        rrule: Annotated[
            str,
            Field(
                description="an RFC 5545 RRULE ending within 1,000 occurrences and two "
                "years, e.g. FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"
            ),
        ],
        topic: Annotated[str, Field(description="what the time is for")] = "",
        project_id: ProjectId = None,
    ) -> CallToolResult:
        """Plan a recurring block: one block per occurrence of `rrule`, from `date`, each
        from `start` to `end` local time. Answers the series with its id and rule.
        Needs write:blocks."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            body = parse(
                SeriesCreate,
                date=date,
                start=start,
                end=end,
                rrule=rrule,
                topic=topic,
                project_id=project_id,
            )
            return series.create_series(u.session, p, now, body)

        return run(ctx, "write:blocks", work, write=True)

    @tool(StatsOut)
    def get_stats(
        ctx: Context,
        period: Annotated[
            Literal["today", "week", "month", "all"] | None,
            Field(description="default week (the account's week); or give a date range"),
        ] = None,
        date_from: OptDate = None,
        date_to: OptDate = None,
    ) -> CallToolResult:
        """Planning statistics of a period of local days: total and completed blocks,
        completion_rate (0-1), streak_days, scheduled and tracked minutes, and a heatmap
        of minutes by date. Needs read:stats."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            q = parse(StatsParams, period=period, date_from=date_from, date_to=date_to)
            return stats_of(tools.store, u.session, p, now, q)

        return run(ctx, "read:stats", work)

    @tool(ProductivityOut)
    def get_productivity(
        ctx: Context,
        weeks: Annotated[int, Field(description="how many weeks back, 1-52")] = 12,
    ) -> CallToolResult:
        """Productivity over the last `weeks` weeks: focus sessions, minutes by project,
        plan versus actual, minutes by day, weekday and hour. Minutes are whole minutes.
        Needs read:stats."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            q = parse(ProductivityParams, weeks=weeks)
            return stats_of(tools.store, u.session, p, now, q)

        return run(ctx, "read:stats", work)

    @tool(EntryOut)
    def start_timer(
        ctx: Context,
        description: Annotated[str, Field(description="what is being done")] = "",
        project_id: ProjectId = None,
        block_id: Annotated[
            str | None, Field(description="the block being worked on; fills project and topic")
        ] = None,
        stop_running: Annotated[
            bool, Field(description="stop a running timer first instead of failing")
        ] = False,
    ) -> CallToolResult:
        """Start tracking time now. Only one timer runs at a time: a running one is a
        CONFLICT unless stop_running is true. Answers the running time entry (start is an
        instant with offset). Needs write:time_entries."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            body = parse(
                TimerStart,
                description=description,
                project_id=project_id,
                block_id=block_id,
                stop_running=stop_running,
            )
            return timer.start(u.session, p, now, body)[0]

        return run(ctx, "write:time_entries", work, write=True)

    @tool(EntryOut)
    def stop_timer(ctx: Context) -> CallToolResult:
        """Stop the running timer. Answers the stopped time entry with its duration in
        seconds; NOT_FOUND when no timer runs. Needs write:time_entries."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            return timer.stop(u.session, p, now, None)[0]

        return run(ctx, "write:time_entries", work, write=True)

    @tool(Listing[ProjectOut])
    def list_projects(
        ctx: Context,
        archived: Annotated[bool, Field(description="list archived projects instead")] = False,
    ) -> CallToolResult:
        """The caller's projects (what a study planner calls subjects) with their ids, to
        pass as project_id to other tools. Answers {items, page, per_page, total,
        has_more}. Needs read:projects."""

        def work(u: UnitOfWork, p: Principal, now: datetime) -> Any:
            paging = PageRequest.parse(None, None)
            return listing(projects.list_projects(u.connection(), p, archived, paging))

        return run(ctx, "read:projects", work)

    check = ArgumentCheck(made)
    server: MCPServer[Any] = MCPServer(
        name="timeboxd",
        instructions=INSTRUCTIONS,
        version=__version__,
        tools=made,
        middleware=[RequestTracker(), check],
        log_level="WARNING",
    )

    def agenda_today(u: UnitOfWork, p: Principal, now: datetime) -> Any:
        return agenda.agenda(u.connection(), p, now, None)

    def stats_week(u: UnitOfWork, p: Principal, now: datetime) -> Any:
        return stats_of(tools.store, u.session, p, now, StatsParams(period="week"))

    server.add_resource(
        Live(
            uri="timeboxd://agenda/today",
            name="agenda_today",
            title="Today's agenda",
            description="Today's plan in the account's time zone, as get_agenda answers it",
            mime_type="application/json",
            tools=tools,
            scope="read:blocks",
            work=agenda_today,
        )
    )
    server.add_resource(
        Live(
            uri="timeboxd://stats/week",
            name="stats_week",
            title="This week's statistics",
            description="The current week's statistics, as get_stats with period week",
            mime_type="application/json",
            tools=tools,
            scope="read:stats",
            work=stats_week,
        )
    )

    @server.prompt(name="plan_my_week", title="Plan my week")
    def plan_my_week(
        focus: Annotated[
            str, Field(description="what matters most this week", max_length=PROMPT_ARGUMENT_MAX)
        ] = "",
    ) -> str:
        """Plan the coming week in time blocks."""
        goal = f" My focus this week: {focus}." if focus else ""
        return (
            "Help me plan my week in timeboxd." + goal + " First read this week's stats "
            "(get_stats) and today's agenda (get_agenda), and list my projects "
            "(list_projects). Then propose time blocks for each remaining day of the week, "
            "balanced across my projects and leaving breaks; ask me before creating them, "
            "then create them with create_block (or plan_series for what repeats)."
        )

    check.prompts["plan_my_week"] = set(inspect.signature(plan_my_week).parameters)
    return server
