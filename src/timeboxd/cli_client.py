"""The CLI's client commands (``agenda``, ``done``, ``stats``, ``timer``): they talk to a
running server through ``timeboxd.client``, as ``TIMEBOXD_API_KEY`` at ``TIMEBOXD_URL``.

They print for people, or JSON with ``--json``; an error prints its code and message to
standard error and exits 1 (2 when the key is not set at all)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn

import click
import httpx

from timeboxd.client import DEFAULT_URL, ApiError, Block, Client, Stats, TimeEntry
from timeboxd.client.calls import adapter

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts")


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


@contextmanager
def _client() -> Iterator[Client]:
    url = os.environ.get("TIMEBOXD_URL") or DEFAULT_URL
    key = os.environ.get("TIMEBOXD_API_KEY", "").strip()
    if not key:
        _fail(
            "TIMEBOXD_API_KEY is not set: set it to an API key (make one with "
            "`timeboxd keys create EMAIL`, or on the web app's developer settings page)",
            2,
        )
    if not _is_http_url(url):
        _fail(f"TIMEBOXD_URL is not an http(s) URL: {url!r} (e.g. {DEFAULT_URL})", 2)
    try:
        client = Client(url, key)
    except ValueError:
        _fail(
            "TIMEBOXD_API_KEY is not an API key: it holds a space, a control character or a "
            "non-ASCII character (a key reads tbx_live_... or tbx_test_...)",
            2,
        )
    try:
        with client:
            yield client
    except ApiError as error:
        where = f" (field {error.field})" if error.field else ""
        hint = ""
        if error.code == "UNAUTHORIZED":
            hint = "\nCheck TIMEBOXD_API_KEY: the server does not accept that key."
        elif error.code == "FORBIDDEN":
            hint = "\nThe key in TIMEBOXD_API_KEY lacks the scope this command needs."
        _fail(f"error {error.code}: {error.message}{where}{hint}")
    except httpx.TransportError as error:
        _fail(
            f"error CONNECTION_FAILED: cannot reach the timeboxd server at {url} ({error}); "
            "set TIMEBOXD_URL to where it runs"
        )


def _is_http_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def _print_json(value: Any) -> None:
    click.echo(adapter(type(value)).dump_json(value, indent=2).decode())


def _run(as_json: bool, fetch: Callable[[Client], Any], show: Callable[[Any], list[str]]) -> None:
    with _client() as client:
        value = fetch(client)
    if as_json:
        _print_json(value)
    else:
        click.echo("\n".join(show(value)))


# -- the commands ----------------------------------------------------------------------------


@click.command()
@click.option("--date", "day", default=None, help="YYYY-MM-DD [default: today]")
@click.option("--markdown", is_flag=True, help="A Markdown checklist")
@json_option
def agenda(day: str | None, markdown: bool, as_json: bool) -> None:
    """A day's plan."""
    if markdown and as_json:
        raise click.UsageError("--markdown and --json cannot be combined: choose one")
    if markdown:
        with _client() as client:
            text = client.agenda_markdown(day)
        click.echo(text.rstrip("\n"))
        return
    _run(as_json, lambda c: c.agenda(day), _agenda_lines)


@click.command()
@click.argument("block_id")
@json_option
def done(block_id: str, as_json: bool) -> None:
    """Mark a block done."""
    _run(as_json, lambda c: c.complete_block(block_id), lambda b: [f"done: {_block_line(b)}"])


@click.command()
@click.option(
    "--period",
    type=click.Choice(["today", "week", "month", "all"]),
    default=None,
    help="[default: week]",
)
@json_option
def stats(period: str | None, as_json: bool) -> None:
    """Blocks planned and done, minutes, the streak."""
    _run(as_json, lambda c: c.stats(period), _stats_lines)


@click.group()
def timer() -> None:
    """Start, stop or show the timer."""


@timer.command("start")
@click.option("--project", default=None, help="A project's name or id")
@click.option("--description", default="", help="What you are doing")
@json_option
def timer_start(project: str | None, description: str, as_json: bool) -> None:
    """Start the timer."""

    def start(client: Client) -> TimeEntry:
        project_id = None if project is None else _project_id(client, project)
        return client.start_timer(project_id=project_id, description=description)

    _run(as_json, start, lambda e: [f"started: {_entry_line(e)}"])


@timer.command("stop")
@json_option
def timer_stop(as_json: bool) -> None:
    """Stop the running timer."""
    _run(as_json, lambda c: c.stop_timer(), lambda e: [f"stopped: {_entry_line(e)}"])


@timer.command("status")
@json_option
def timer_status(as_json: bool) -> None:
    """Show the running timer, if any."""
    _run(
        as_json,
        lambda c: c.timer(),
        lambda e: ["no timer running"] if e is None else [f"running: {_entry_line(e)}"],
    )


def register(group: click.Group) -> None:
    for command in (agenda, done, stats, timer):
        group.add_command(command)


# -- for people ------------------------------------------------------------------------------


def _project_id(client: Client, name_or_id: str) -> str:
    if name_or_id.startswith("prj_"):
        return name_or_id
    wanted = name_or_id.casefold()
    found = [p for p in client.list_projects() if p.name.casefold() == wanted]
    if not found:
        raise ApiError("NOT_FOUND", f"no project named {name_or_id!r}", status=404, field="project")
    return found[0].id


def _block_line(block: Block) -> str:
    mark = "[x]" if block.done else "[ ]"
    project = f" ({block.project_name})" if block.project_name else ""
    topic = block.topic or "(no topic)"
    return f"{mark} {block.date} {block.start}-{block.end} {topic}{project}  {block.id}"


def _agenda_lines(day: Any) -> list[str]:
    head = (
        f"{day.date} ({day.timezone}): {day.done_count} of {len(day.blocks)} blocks done, "
        f"{day.done_minutes} of {day.planned_minutes} min"
    )
    if not day.blocks:
        return [head, "nothing planned"]
    return [head, *(_block_line(b).replace(f"{b.date} ", "", 1) for b in day.blocks)]


def _stats_lines(s: Stats) -> list[str]:
    return [
        f"{s.period}: {s.date_from} to {s.date_to}",
        f"blocks: {s.completed_blocks} of {s.total_blocks} done ({s.completion_rate:.0%})",
        f"minutes: {s.total_minutes} done, {s.scheduled_minutes} planned, "
        f"{s.tracked_minutes} tracked",
        f"streak: {s.streak_days} day{'' if s.streak_days == 1 else 's'}",
    ]


def _entry_line(e: TimeEntry) -> str:
    end = e.end_at or datetime.now(UTC)
    minutes = int((end - e.start_at).total_seconds() // 60)
    since = e.start_at.astimezone().strftime("%Y-%m-%d %H:%M")
    what = e.description or "(no description)"
    project = f" [{e.project_id}]" if e.project_id else ""
    return f"{what}{project} since {since}, {minutes} min  {e.id}"
