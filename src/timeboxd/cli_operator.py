"""The operator commands of ``timeboxd`` (SPEC §4): they work on the configured database."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from timeboxd.config import ConfigError, Settings, load_settings
from timeboxd.errors import DomainError
from timeboxd.schemas.imports import BlockImportOut, EntryImportOut
from timeboxd.services import demo
from timeboxd.services.accounts import apikeys
from timeboxd.services.accounts import users as accounts
from timeboxd.services.context import system_clock
from timeboxd.services.database import Database
from timeboxd.services.imports.common import Upload
from timeboxd.services.imports.detect import FileKind
from timeboxd.services.imports.files import FileOptions, import_file
from timeboxd.services.imports.ics import AllDay

if TYPE_CHECKING:
    from timeboxd.services.events.worker import Worker


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _database(settings: Settings) -> Database:
    db = Database(settings.resolved_database_url)
    try:
        db.upgrade()
    except OperationalError as exc:
        db.dispose()
        where = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise click.ClickException(f"cannot reach the database {where}: {reason}") from None
    return db


def _run(action: Callable[[Database], Any]) -> Any:
    """Open the database, run ``action``, turn domain errors into a clean exit code."""
    db = _database(_settings())
    try:
        return action(db)
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        raise click.ClickException(f"{exc.code}: {exc.message}{where}") from None
    finally:
        db.dispose()


WORKER_HEALTHCHECK_SECONDS = 60
READY_POLL_SECONDS = 0.1


def _announce_when_ready(settings: Settings) -> None:
    """Print "listening" once the server answers ``/ready`` (every worker imports the app
    first, which takes seconds on a busy machine): a script or a person that waits for the
    line can send requests at once. Nothing is printed if the server never gets ready."""
    host = settings.host
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    while True:
        connection = http.client.HTTPConnection(host, settings.port, timeout=5)
        try:
            connection.request("GET", "/ready")
            if connection.getresponse().status == 200:
                break
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(READY_POLL_SECONDS)
    database = settings.resolved_database_url.split(":")[0]
    click.echo(
        f"timeboxd listening on http://{settings.host}:{settings.port} "
        f"({settings.workers} worker(s), database {database})"
    )


@click.group()
def commands() -> None:
    """The operator commands (``timeboxd.cli`` serves them by name)."""


@commands.command()
@click.option("--host", default=None, help="Interface to listen on [default: 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port [default: 8080]")
@click.option("--workers", type=int, default=None, help="Worker processes [default: 1]")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Migrate the database, then serve the API (and deliver webhooks)."""
    settings = _settings()
    overrides = {"TIMEBOXD_HOST": host, "TIMEBOXD_PORT": port, "TIMEBOXD_WORKERS": workers}
    for name, value in overrides.items():
        if value is not None:
            os.environ[name] = str(value)  # worker processes read the same settings
    settings = _settings()
    db = _database(settings)
    metrics_dir = _metrics_dir()
    threading.Thread(target=_announce_when_ready, args=(settings,), daemon=True).start()
    webhooks = _in_process_worker(settings, db) if settings.worker_in_process else None
    try:
        _uvicorn(settings)
    finally:
        if webhooks is not None:
            webhooks.stop()  # attempts in flight finish, within their 15 s
        db.dispose()
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _metrics_dir() -> str:
    """A fresh directory where every process of this server writes its metrics, so that
    whichever worker answers ``/metrics`` sums them all (prometheus_client's multiprocess
    mode). Set before any process makes a metric."""
    path = tempfile.mkdtemp(prefix="timeboxd-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


class _Running:
    def __init__(self, worker: Worker, thread: threading.Thread) -> None:
        self.worker, self.thread = worker, thread

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(timeout=60)


def _in_process_worker(settings: Settings, db: Database) -> _Running:
    """The server's one webhook worker, in the main process (never one per uvicorn
    worker): a thread with an event loop of its own."""
    import anyio

    worker = _webhook_worker(settings, db)
    thread = threading.Thread(target=anyio.run, args=(worker.run,), name="webhooks", daemon=True)
    thread.start()
    return _Running(worker, thread)


def _uvicorn(settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "timeboxd.api.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="timeboxd.api.http:EnvelopeHttpToolsProtocol",
        log_level=settings.log_level,
        access_log=False,
        # X-Forwarded-Proto and -For from these proxies only (docs/web.md "Behind a proxy").
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # A new worker imports the whole app before it can answer the supervisor's health
        # ping; on a busy machine that takes longer than uvicorn's 5 s default, and the
        # supervisor would kill and respawn its workers for as long as the load lasts.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _webhook_worker(settings: Settings, db: Database) -> Worker:
    from timeboxd.services.events.worker import Worker

    return Worker(
        db,
        system_clock,
        delays=settings.retry_delays,
        allow_private=settings.webhook_allow_private,
        retention_days=settings.event_retention_days,
    )


@commands.command()
def worker() -> None:
    """Deliver webhooks (and expire old events) until stopped; run any number of these.

    SIGTERM or Ctrl-C stops claiming: attempts in flight finish (within 15 s) and anything
    claimed but not yet sent is handed back for another worker."""
    import anyio

    settings = _settings()
    db = _database(settings)
    running = _webhook_worker(settings, db)

    def stop(signum: int, frame: Any) -> None:
        running.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo("timeboxd worker delivering webhooks")
    try:
        anyio.run(running.run)
    finally:
        db.dispose()
    click.echo("timeboxd worker stopped")


@commands.command("mcp")
def mcp_command() -> None:
    """Serve the MCP tools over stdio, acting as the key in TIMEBOXD_API_KEY."""
    import anyio

    from timeboxd.api.ratelimit import RateLimiter
    from timeboxd.mcp.serve import admit, run_stdio, stdio_server
    from timeboxd.services.insights.stats_cache import make_store

    secret = os.environ.get("TIMEBOXD_API_KEY", "").strip()
    if not secret:
        raise click.ClickException("set TIMEBOXD_API_KEY to the API key the MCP server acts as")
    settings = _settings()
    db = _database(settings)
    limiter = RateLimiter(
        settings.rate_limit_per_minute, settings.rate_limit_per_second, settings.redis_url
    )
    touch = settings.key_touch_interval_seconds
    try:
        admit(db, limiter, system_clock, touch, secret)  # a bad key fails here, not per call
    except DomainError as exc:
        db.dispose()
        raise click.ClickException(f"TIMEBOXD_API_KEY: {exc.code}: {exc.message}") from None
    store = make_store(settings.redis_url)
    try:
        server = stdio_server(db, system_clock, store, limiter, secret, touch)
        anyio.run(run_stdio, server)
    finally:
        db.dispose()


@commands.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    settings = _settings()
    _database(settings).dispose()
    click.echo("database is up to date")


@db.command("rebuild-rollups")
def db_rebuild_rollups() -> None:
    """Recount the statistics rollups from every block and time entry, in one transaction."""
    from timeboxd.services.insights import stats  # only this command needs it

    def rebuild(db: Database) -> None:
        with db.write() as session:
            stats.rebuild_rollups(session)

    _run(rebuild)
    click.echo("statistics rollups rebuilt")


@commands.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("email")
@click.option("--password", default=None)
@click.option("--name", default="")
@click.option(
    "--timezone", "tz", default=None, help="IANA zone [default: TIMEBOXD_DEFAULT_TIMEZONE]"
)
@click.option("--admin", is_flag=True, help="A server administrator")
def users_create(email: str, password: str | None, name: str, tz: str | None, admin: bool) -> None:
    """Create a user (with a personal workspace)."""
    zone = tz or _settings().default_timezone

    def action(db: Database) -> str:
        with db.write() as s:
            user = accounts.create_user(
                s,
                system_clock(),
                email,
                name=name,
                password=password,
                timezone=zone,
                is_admin=admin,
            )
            return user.id

    click.echo(_run(action))


@commands.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.argument("email")
@click.option("--name", default="")
@click.option("--scope", "scopes", multiple=True, help="Repeat for several [default: *]")
@click.option("--test", is_flag=True, help="A sandbox key (tbx_test_...)")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None)
def keys_create(
    email: str, name: str, scopes: tuple[str, ...], test: bool, expires_in_days: int | None
) -> None:
    """Create an API key; the key alone is the last line of output."""

    def action(db: Database) -> str:
        with db.write() as s:
            user = accounts.find_user_by_email(s, email)
            created = apikeys.create_key(
                s,
                system_clock(),
                user.id,
                name=name,
                scopes=list(scopes) or None,
                livemode=not test,
                expires_in_days=expires_in_days,
            )
            return created.secret

    secret = _run(action)
    click.echo(f"API key for {email} (shown once):")
    click.echo(secret)


@commands.command("demo")
@click.option("--email", default=demo.DEMO_EMAIL, show_default=True)
@click.option(
    "--timezone", "tz", default=None, help="IANA zone [default: TIMEBOXD_DEFAULT_TIMEZONE]"
)
def demo_command(email: str, tz: str | None) -> None:
    """A user with a term of study blocks; prints a new key for that user."""
    zone = tz or _settings().default_timezone

    def action(db: Database) -> tuple[demo.DemoResult, str]:
        from timeboxd.services.accounts import web_sessions as web_auth

        with db.write() as s:
            now = system_clock()
            seeded = demo.seed(s, now, email, zone)
            # A new password at every run, for the web app's login (ends older sessions).
            return seeded, web_auth.set_demo_password(s, email, now)

    result, password = _run(action)
    if result.created:
        click.echo(
            f"demo user {email}: {result.projects} projects, {result.blocks} blocks "
            f"({result.done} done), {result.entries} time entries, time zone {zone}"
        )
    else:
        click.echo(f"demo user {email} already has its data; here is a new key")
    click.echo(f"web login: email {email}, password {password}")
    click.echo(f"API key for {email} (shown once):")
    click.echo(result.secret)


@commands.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--email", required=True, help="The account to import into")
@click.option(
    "--format",
    "kind",
    type=click.Choice(["csv", "ics", "toggl", "clockify"]),
    default=None,
    help="csv: a syllabus of blocks; ics: a calendar; toggl, clockify: time entries "
    "[default: told from the file]",
)
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing")
@click.option("--timezone", "tz", default=None, help="Toggl/Clockify: the zone of the file's times")
@click.option(
    "--from",
    "window_from",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="ICS: first local date [default: 30 days ago]",
)
@click.option(
    "--to",
    "window_to",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="ICS: last local date [default: 365 days ahead]",
)
@click.option(
    "--all-day",
    type=click.Choice(["skip", "import"]),
    default="skip",
    show_default=True,
    help="ICS: what to do with all-day events",
)
def import_command(
    file: Path,
    email: str,
    kind: FileKind | None,
    dry_run: bool,
    tz: str | None,
    window_from: datetime | None,
    window_to: datetime | None,
    all_day: AllDay,
) -> None:
    """Import a syllabus CSV, an iCalendar file, or a Toggl or Clockify CSV export."""
    upload = Upload(file.read_bytes(), file.name)
    options = FileOptions(
        kind,
        dry_run,
        tz,
        window_from.date() if window_from else None,
        window_to.date() if window_to else None,
        all_day,
    )

    def action(db: Database) -> BlockImportOut | EntryImportOut:
        try:
            return import_file(db, system_clock(), email, upload, options)
        except DomainError as exc:
            lines = [f"{exc.code}: {exc.message}"]
            lines += [f"  {d.message}" for d in exc.details[1:]]
            raise click.ClickException("\n".join(lines)) from None

    for line in _import_summary(file.name, _run(action)):
        click.echo(line)


def _import_summary(name: str, result: BlockImportOut | EntryImportOut) -> list[str]:
    made = "would be" if result.dry_run else "were"
    if isinstance(result, BlockImportOut):
        head = (
            f"{name} ({result.format}): {_count(result.created, 'block')} created, "
            f"{result.updated} updated, {result.unchanged} unchanged, {result.deleted} deleted, "
            f"{result.skipped} skipped"
        )
        groups = [("projects", result.projects_created)]
    else:
        head = (
            f"{name} ({result.source}, times in {result.timezone}): "
            f"{_count(result.created, 'time entry', 'time entries')} created, "
            f"{result.unchanged} already imported, {result.skipped} skipped"
        )
        groups = [
            ("projects", result.projects_created),
            ("clients", result.clients_created),
            ("tasks", result.tasks_created),
            ("tags", result.tags_created),
        ]
    lines = [f"dry run: {head} (nothing was written)" if result.dry_run else head]
    lines += [
        f"{label} {made} created: {', '.join(r.name for r in refs)}"
        for label, refs in groups
        if refs
    ]
    lines += [f"skipped {item.message}" for item in result.skipped_items]
    if result.skipped > len(result.skipped_items):
        lines.append(f"... and {result.skipped - len(result.skipped_items)} more skipped")
    return lines


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


@commands.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Copy the database into the new file PATH while the server runs (SQLite: the online
    backup API; PostgreSQL: pg_dump -Fc)."""
    from timeboxd.services import backup  # only these two commands need it

    try:
        done = backup.backup(_settings().resolved_database_url, path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up to {done.path} ({done.kind}, {done.size_bytes} bytes)")


@commands.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Restore the backup PATH into the configured database, which must be empty, and
    migrate it to the current schema."""
    from timeboxd.services import backup

    try:
        done = backup.restore(_settings().resolved_database_url, path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {done.path} ({done.kind}, {done.users} account(s)); schema is current")
