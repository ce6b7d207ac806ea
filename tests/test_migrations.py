"""Every migration runs up and down on both databases, from an empty one to one head and
back to nothing."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL
from timeboxd.db import migrate
from timeboxd.db.engine import make_engine


@pytest.fixture
def empty_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own, empty: a new SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'timeboxd.db'}"
        return
    assert POSTGRES_URL
    name = f"timeboxd_migrations_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_up_down_and_up_again(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    first = tables(empty_url)
    assert {"blocks", "time_entries", "stats_block_days", "stats_versions"} <= first
    migrate.downgrade(empty_url, "base")
    assert tables(empty_url) == set()
    migrate.upgrade(empty_url)
    assert tables(empty_url) == first
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert heads == ["0012"]  # one head: the branches meet
