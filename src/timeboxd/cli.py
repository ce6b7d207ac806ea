"""The ``timeboxd`` command (SPEC §4). Operator commands work on the configured database."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from timeboxd.config import ConfigError, Settings, load_settings
from timeboxd.errors import DomainError
from timeboxd.services import accounts, apikeys, demo
from timeboxd.services.context import system_clock
from timeboxd.services.database import Database


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _database(settings: Settings) -> Database:
    db = Database(settings.resolved_database_url)
    db.upgrade()
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


@click.group()
@click.version_option(package_name="timeboxd")
def main() -> None:
    """timeboxd: plan time in blocks, track it, see honest progress."""


@main.command()
@click.option("--host", default=None, help="Interface to listen on [default: 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port [default: 8080]")
@click.option("--workers", type=int, default=None, help="Worker processes [default: 1]")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Migrate the database, then serve the API."""
    import uvicorn

    settings = _settings()
    overrides = {"TIMEBOXD_HOST": host, "TIMEBOXD_PORT": port, "TIMEBOXD_WORKERS": workers}
    for name, value in overrides.items():
        if value is not None:
            os.environ[name] = str(value)  # worker processes read the same settings
    settings = _settings()
    _database(settings).dispose()
    click.echo(
        f"timeboxd listening on http://{settings.host}:{settings.port} "
        f"({settings.workers} worker(s), database {settings.resolved_database_url.split(':')[0]})"
    )
    uvicorn.run(
        "timeboxd.api.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        access_log=False,
    )


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    settings = _settings()
    _database(settings).dispose()
    click.echo("database is up to date")


@main.group()
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


@main.group()
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


@main.command("demo")
@click.option("--email", default=demo.DEMO_EMAIL, show_default=True)
@click.option(
    "--timezone", "tz", default=None, help="IANA zone [default: TIMEBOXD_DEFAULT_TIMEZONE]"
)
def demo_command(email: str, tz: str | None) -> None:
    """A user with a term of study blocks; prints a new key for that user."""
    zone = tz or _settings().default_timezone

    def action(db: Database) -> demo.DemoResult:
        with db.write() as s:
            return demo.seed(s, system_clock(), email, zone)

    result = _run(action)
    if result.created:
        click.echo(
            f"demo user {email}: {result.projects} projects, {result.blocks} blocks "
            f"({result.done} done), {result.entries} time entries, time zone {zone}"
        )
    else:
        click.echo(f"demo user {email} already has its data; here is a new key")
    click.echo(f"API key for {email} (shown once):")
    click.echo(result.secret)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
