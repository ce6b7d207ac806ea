"""``timeboxd backup PATH`` and ``timeboxd restore PATH`` (SPEC §4 CLI, docs/operations).

A backup is a consistent copy taken while the server keeps writing:

- SQLite: the online backup API copies the database, in one step, inside one read
  transaction: in WAL mode writers go on meanwhile, and the copy holds exactly what was
  committed when the step began. It is written next to PATH and renamed into place once
  ``PRAGMA integrity_check`` passes, so PATH is never a half-written file. The copy is an
  ordinary SQLite database: ``TIMEBOXD_DATABASE_URL=sqlite:///PATH timeboxd serve`` serves it.
- PostgreSQL: ``pg_dump -Fc`` (one snapshot of the whole database), restored with
  ``pg_restore``. The tools are looked for on PATH, then in /usr/lib/postgresql/*/bin.

A restore goes into an empty database only: one holding any account (every row a person
wrote belongs to one) is refused, and nothing is written to it; a new or freshly migrated
database is empty. The backup's schema is then brought up
to the current migration, so an older backup restores into a newer timeboxd. A backup is
restored into the kind of database it was taken from: a SQLite file into SQLite, a
``pg_dump`` archive into PostgreSQL; across the two is refused (there is no converter).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
MIGRATION_TABLE = "alembic_version"
DATA_TABLE = "users"
PG_TOOL_DIRS = "/usr/lib/postgresql/*/bin"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class BackupDone:
    path: Path
    kind: str  # "sqlite" or "pg_dump"
    size_bytes: int


@dataclass(frozen=True, slots=True)
class RestoreDone:
    path: Path
    kind: str
    users: int  # accounts in the restored database


def backup(database_url: str, path: Path) -> BackupDone:
    """Copy the database at ``database_url`` into the new file ``path``."""
    url = make_url(database_url)
    if path.exists():
        raise BackupError(f"{path} already exists; give a new file name")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory")
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_file(url), path)
        kind = "sqlite"
    elif url.get_backend_name() == "postgresql":
        _pg_dump(url, path)
        kind = "pg_dump"
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")
    return BackupDone(path, kind, path.stat().st_size)


def restore(database_url: str, path: Path) -> RestoreDone:
    """Restore the backup ``path`` into the empty database at ``database_url``, then
    migrate it to the current schema."""
    # Imported here: the server never imports Alembic (services/database.py).
    from timeboxd.db import migrate

    url = make_url(database_url)
    kind = backup_kind(path)
    backend = url.get_backend_name()
    wanted = {"sqlite": "sqlite", "pg_dump": "postgresql"}[kind]
    if backend != wanted:
        raise BackupError(
            f"{path} is a {'SQLite' if kind == 'sqlite' else 'PostgreSQL (pg_dump)'} backup "
            f"and the configured database is {backend}: restore it into a {wanted} database "
            "(moving between SQLite and PostgreSQL is not supported)"
        )
    users = count_users(database_url)
    if users:
        raise BackupError(
            f"the configured database already holds data ({users} account(s)); "
            "restore only into an empty database"
        )
    if kind == "sqlite":
        _sqlite_restore(path, _sqlite_file(url))
    else:
        _pg_restore(url, path)
    migrate.upgrade(database_url)
    return RestoreDone(path, kind, count_users(database_url))


def backup_kind(path: Path) -> str:
    """``sqlite`` or ``pg_dump``, from the file's first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "pg_dump"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump -Fc archive")


def count_users(database_url: str) -> int:
    """How many accounts the database holds: 0 for an empty database, migrated or not (a
    missing SQLite file counts as empty and is not created). Every row a person wrote
    belongs to an account; the rows a migration writes (a numbers table, the search
    index's own) belong to none."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not _sqlite_file(url).exists():
        return 0
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if DATA_TABLE not in inspect(conn).get_table_names():
                return 0
            return int(conn.execute(text(f"SELECT count(*) FROM {DATA_TABLE}")).scalar_one())
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise BackupError(f"cannot read the configured database: {reason}") from None
    finally:
        engine.dispose()


# -- SQLite ----------------------------------------------------------------------------------


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the configured SQLite database is in memory: nothing to back up")
    return Path(url.database)


def _check_sqlite(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None
    finally:
        conn.close()
    if result != ["ok"]:
        raise BackupError(f"{path} fails PRAGMA integrity_check: {result[0]}")


def _sqlite_backup(source: Path, path: Path) -> None:
    if not source.exists():
        raise BackupError(f"the database file {source} does not exist")
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(partial)
    try:
        # pages=-1: one step, one read transaction, one snapshot. Stepping in pieces would
        # restart the copy every time the server commits in between.
        src.backup(dst, pages=-1)
        dst.close()
        _check_sqlite(partial)
        os.replace(partial, path)
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite backup failed: {exc}") from None
    finally:
        src.close()
        dst.close()
        partial.unlink(missing_ok=True)


def _sqlite_restore(path: Path, target: Path) -> None:
    _check_sqlite(path)
    # A new machine's data directory may not be there yet: restoring is how it is filled.
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=60)
    try:
        src.backup(dst, pages=-1)
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite restore failed: {exc}") from None
    finally:
        src.close()
        dst.close()


# -- PostgreSQL ------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``: on PATH, else the newest of
    /usr/lib/postgresql/*/bin (where Debian installs them)."""
    found = shutil.which(name)
    if found:
        return found

    def version(p: str) -> tuple[int, ...]:
        part = Path(p).parent.parent.name
        return tuple(int(x) for x in part.split(".") if x.isdigit())

    candidates = sorted(glob.glob(f"{PG_TOOL_DIRS}/{name}"), key=version)
    if candidates:
        return candidates[-1]
    raise BackupError(
        f"{name} was not found on PATH or in {PG_TOOL_DIRS}; install the PostgreSQL "
        "client tools (e.g. apt-get install postgresql-client)"
    )


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection string of ``url`` and the environment of a tool run, which
    carries the password (not the command line, which every local user can read)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: Sequence[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"cannot run {command[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit code {done.returncode}"
        raise BackupError(f"{what} failed: {reason}")


def _pg_dump(url: URL, path: Path) -> None:
    dsn, env = _libpq(url)
    partial = path.with_name(f".{path.name}.partial")
    try:
        _run(
            [
                pg_tool("pg_dump"),
                "-Fc",
                "--no-owner",
                "--no-acl",
                "-f",
                str(partial),
                "--dbname",
                dsn,
            ],
            env,
            "pg_dump",
        )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _pg_restore(url: URL, path: Path) -> None:
    # Imported here: the server never imports Alembic (services/database.py).
    from timeboxd.db import migrate

    tool = pg_tool("pg_restore")
    # An empty database may still hold timeboxd's schema (``serve`` migrates first): it is
    # taken down to nothing, and the archive brings its own schema back.
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            migrated = MIGRATION_TABLE in inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if migrated:
        migrate.downgrade(url.render_as_string(hide_password=False), "base")
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text(f"DROP TABLE IF EXISTS {MIGRATION_TABLE}"))
        finally:
            engine.dispose()
    dsn, env = _libpq(url)
    _run(
        [
            tool,
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            dsn,
            str(path),
        ],
        env,
        "pg_restore",
    )
