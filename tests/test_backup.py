"""``timeboxd backup`` and ``timeboxd restore`` against real servers and real databases.

A server is written to by a few threads while ``timeboxd backup`` runs in a process of its
own; the copy holds every block committed before the backup began (and only blocks that
were committed), its statistics rollups equal a recount, and a server started on it (the
SQLite file itself, or a PostgreSQL database restored from the archive) serves them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from tests import servers
from tests.conftest import empty_database, serving_for_tests
from timeboxd.cli import main
from timeboxd.db import migrate
from timeboxd.db.rollups_rebuild import rebuild
from timeboxd.db.rollups_sql import TABLES
from timeboxd.services import backup
from timeboxd.services.database import Database

WRITERS = 3


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``timeboxd ARGS`` in a process of its own, on ``database_url``."""
    env = {**os.environ, "TIMEBOXD_DATABASE_URL": database_url}
    return subprocess.run(
        [*servers.CLI, *args],
        env=servers.python_env(env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def second_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database: where a PostgreSQL archive is restored."""
    with empty_database(backend, tmp_path, "restored.db") as url:
        yield url


class Writers:
    """Threads creating blocks (and marking every third done) until stopped, each as a user
    of its own; the ids of the blocks whose creation was answered 201."""

    def __init__(self, base: str, headers: list[dict[str, str]]) -> None:
        self.base, self.headers = base, headers
        self.created: list[str] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(len(headers))]

    def run(self, i: int) -> None:
        n = 0
        with httpx.Client(base_url=self.base, headers=self.headers[i], timeout=120) as http:
            while not self.stop.is_set():
                n += 1
                day = f"2027-03-{1 + n % 28:02d}"
                body = {"date": day, "start": "08:00", "end": "09:30", "topic": f"w{i}-{n}"}
                made = http.post("/v1/blocks", json=body)
                if made.status_code != 201:
                    self.failures.append(made.text)
                    continue
                block_id = made.json()["data"]["id"]
                with self.lock:
                    self.created.append(block_id)
                if n % 3 == 0:
                    done = http.patch(f"/v1/blocks/{block_id}", json={"done": True})
                    if done.status_code != 200:
                        self.failures.append(done.text)

    def committed(self) -> set[str]:
        with self.lock:
            return set(self.created)

    def wait_for(self, count: int) -> None:
        while len(self.committed()) < count and not self.failures:
            self.stop.wait(0.05)


def block_ids(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT id FROM blocks")).scalars())
    finally:
        engine.dispose()


def rollups(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    with db.connect() as conn:
        return {t: {tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t}")} for t in TABLES}


def assert_rollups_equal_a_recount(database_url: str) -> None:
    db = Database(database_url)
    try:
        kept = rollups(db)
        assert any(kept.values()), "the copy has no statistics at all"
        with db.write() as session:
            rebuild(session.connection())
        assert rollups(db) == kept
    finally:
        db.dispose()


def migration_of(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def heads() -> set[str]:
    return set(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads())


def listed_total(base: str, headers: dict[str, str]) -> int:
    answer = httpx.get(f"{base}/v1/blocks", headers=headers, params={"per_page": 1}, timeout=60)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["meta"]["total"])


def test_a_backup_taken_under_writes_is_whole_and_serves(
    backend: str, empty_url: str, second_url: str, tmp_path: Path
) -> None:
    path = tmp_path / ("copy.db" if backend == "sqlite" else "copy.dump")
    with serving_for_tests(backend, tmp_path, workers=1, database_url=empty_url) as server:
        headers = [server.new_user() for _ in range(WRITERS)]
        writers = Writers(server.base, headers)
        for t in writers.threads:
            t.start()
        try:
            writers.wait_for(30)
            before = writers.committed()
            made = cli(empty_url, "backup", str(path))
            writers.wait_for(len(writers.committed()) + 10)  # the server kept writing
        finally:
            writers.stop.set()
            for t in writers.threads:
                t.join()
        assert made.returncode == 0, made.stderr
        assert not writers.failures, (writers.failures[:3], server.log.read_text()[-6000:])
        every = writers.committed()
        assert str(path) in made.stdout

    if backend == "sqlite":
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        copy_url = f"sqlite:///{path}"
    else:
        assert path.read_bytes().startswith(b"PGDMP")
        cli(second_url, "db", "upgrade")  # as `serve` leaves it: migrated, empty
        restored = cli(second_url, "restore", str(path))
        assert restored.returncode == 0, restored.stderr
        assert "restored" in restored.stdout
        copy_url = second_url

    in_copy = block_ids(copy_url)
    assert before <= in_copy <= every
    assert len(in_copy) < len(every)  # a snapshot: the writes after it are not in it
    assert migration_of(copy_url) == heads()
    assert_rollups_equal_a_recount(copy_url)

    (tmp_path / "from-copy").mkdir()
    with serving_for_tests(backend, tmp_path / "from-copy", database_url=copy_url) as copy:
        assert sum(listed_total(copy.base, h) for h in headers) == len(in_copy)
        found = [
            httpx.get(f"{copy.base}/v1/blocks/{block_id}", headers=h, timeout=60).status_code
            for block_id in sorted(before)[:5]
            for h in headers
        ]
        assert found.count(200) == 5  # each block found by its owner (others: NOT_FOUND)


def test_a_sqlite_backup_restores_into_a_new_file_and_serves(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    assert cli(source, "db", "upgrade").returncode == 0
    demo = cli(source, "demo")
    assert demo.returncode == 0, demo.stderr
    key = demo.stdout.strip().splitlines()[-1]
    path = tmp_path / "nightly.db"
    assert cli(source, "backup", str(path)).returncode == 0

    target = f"sqlite:///{tmp_path / 'target.db'}"
    assert cli(target, "db", "upgrade").returncode == 0  # migrated and empty is empty
    restored = cli(target, "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert "1 account(s)" in restored.stdout
    assert block_ids(target) == block_ids(source)
    assert migration_of(target) == heads()
    (tmp_path / "served").mkdir()
    with serving_for_tests("sqlite", tmp_path / "served", database_url=target) as served:
        headers = {"Authorization": f"Bearer {key}"}
        assert listed_total(served.base, headers) > 0


def test_a_restore_into_a_database_with_data_is_refused(
    backend: str, empty_url: str, tmp_path: Path
) -> None:
    assert cli(empty_url, "db", "upgrade").returncode == 0
    assert cli(empty_url, "demo").returncode == 0
    path = tmp_path / ("copy.db" if backend == "sqlite" else "copy.dump")
    assert cli(empty_url, "backup", str(path)).returncode == 0
    kept = block_ids(empty_url)

    refused = cli(empty_url, "restore", str(path))
    assert refused.returncode != 0
    assert "already holds data" in refused.stderr
    assert block_ids(empty_url) == kept


def test_a_backup_never_overwrites_a_file(backend: str, empty_url: str, tmp_path: Path) -> None:
    assert cli(empty_url, "db", "upgrade").returncode == 0
    path = tmp_path / "taken"
    path.write_text("yesterday's")
    refused = cli(empty_url, "backup", str(path))
    assert refused.returncode != 0 and "already exists" in refused.stderr
    assert path.read_text() == "yesterday's"


def test_a_restore_across_databases_or_of_another_file_is_refused(
    backend: str, empty_url: str, tmp_path: Path
) -> None:
    other = tmp_path / ("copy.dump" if backend == "sqlite" else "copy.db")
    other.write_bytes(b"PGDMP fake" if backend == "sqlite" else b"SQLite format 3\x00 fake")
    across = cli(empty_url, "restore", str(other))
    assert across.returncode != 0
    assert "not supported" in across.stderr and len(across.stderr.strip().splitlines()) == 1

    stray = tmp_path / "notes.txt"
    stray.write_text("not a backup")
    refused = cli(empty_url, "restore", str(stray))
    assert refused.returncode != 0 and "neither a SQLite database" in refused.stderr


def test_a_missing_pg_dump_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on PATH ...
    monkeypatch.setattr(backup, "PG_TOOL_DIRS", str(tmp_path / "none" / "*"))  # ... nor there
    monkeypatch.setenv("TIMEBOXD_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:1/x")
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "copy.dump")])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "pg_dump was not found" in lines[0]
    assert not (tmp_path / "copy.dump").exists()


def test_a_backup_of_an_older_schema_restores_at_the_current_migration(
    backend: str, empty_url: str, second_url: str, tmp_path: Path
) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    (head,) = script.get_heads()
    older = script.get_revision(head).down_revision
    assert isinstance(older, str)
    migrate.upgrade(empty_url, older)
    path = tmp_path / ("old.db" if backend == "sqlite" else "old.dump")
    assert cli(empty_url, "backup", str(path)).returncode == 0
    assert migration_of(empty_url) == {older}  # a backup changes nothing

    assert cli(second_url, "db", "upgrade").returncode == 0
    restored = cli(second_url, "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert migration_of(second_url) == heads() == {head}
