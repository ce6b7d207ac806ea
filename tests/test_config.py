"""Settings come from TIMEBOXD_* variables and are checked at start: a bad one stops the
command with a message naming it, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from timeboxd.cli import main
from timeboxd.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TIMEBOXD_PORT", "70000", "less than or equal to 65535"),
        ("TIMEBOXD_PORT", "0", "greater than or equal to 1"),
        ("TIMEBOXD_PORT", "http", "valid integer"),
        ("TIMEBOXD_WORKERS", "0", "greater than or equal to 1"),
        ("TIMEBOXD_DATABASE_URL", "mysql://db.example.com/timeboxd", "sqlite"),
        ("TIMEBOXD_DATABASE_URL", "not a url", "not a valid URL"),
        ("TIMEBOXD_DATABASE_URL", "postgresql+asyncpg://u@db.example.com/t", "psycopg"),
        ("TIMEBOXD_DATABASE_URL", "sqlite+aiosqlite:///x.db", "sqlite://"),
        ("TIMEBOXD_REDIS_URL", "http://cache:6379", "redis://"),
        ("TIMEBOXD_PUBLIC_URL", "time.example.com", "https://"),
        ("TIMEBOXD_DEFAULT_TIMEZONE", "Mars/Olympus_Mons", "unknown IANA time zone"),
        ("TIMEBOXD_DEFAULT_TIMEZONE", "+02:00", "unknown IANA time zone"),
        ("TIMEBOXD_RATE_LIMIT_PER_MINUTE", "-5", "greater than or equal to 1"),
        ("TIMEBOXD_LOG_LEVEL", "loud", "info"),
    ],
)
def test_a_bad_setting_stops_serve_with_its_name(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    env = {"TIMEBOXD_DATA_DIR": str(tmp_path), name: value}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Value error" not in result.output
    assert name in result.output and says in result.output, result.output


def test_a_data_dir_that_is_a_file_stops_serve(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")
    env = {"TIMEBOXD_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert "TIMEBOXD_DATA_DIR" in result.output and "not a directory" in result.output


def test_an_unreachable_database_stops_serve_without_a_traceback(tmp_path: Path) -> None:
    env = {
        "TIMEBOXD_DATA_DIR": str(tmp_path),
        # Nothing listens on port 1; the password must not be printed.
        "TIMEBOXD_DATABASE_URL": "postgresql://timeboxd:hunter2@127.0.0.1:1/timeboxd",
    }
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "hunter2" not in result.output
    assert "cannot reach the database" in result.output and "127.0.0.1" in result.output


def test_bad_values_in_a_dot_env_file_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TIMEBOXD_PORT=eighty\nTIMEBOXD_DATA_DIR=.\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "TIMEBOXD_PORT" in str(caught.value)


def test_load_settings_lists_every_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEBOXD_PORT", "99999")
    monkeypatch.setenv("TIMEBOXD_DEFAULT_TIMEZONE", "Nowhere")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "TIMEBOXD_PORT" in message and "TIMEBOXD_DEFAULT_TIMEZONE" in message


def test_good_settings_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIMEBOXD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TIMEBOXD_PORT", "9090")
    monkeypatch.setenv("TIMEBOXD_DATABASE_URL", "postgres://u@db.example.com/t")
    monkeypatch.setenv("TIMEBOXD_PUBLIC_URL", "https://time.example.com/")
    monkeypatch.setenv("TIMEBOXD_LOG_LEVEL", "DEBUG")
    settings = load_settings()
    assert settings.port == 9090
    assert settings.resolved_database_url == "postgresql+psycopg://u@db.example.com/t"
    assert settings.public_url == "https://time.example.com"
    assert settings.log_level == "debug"


def test_the_default_database_is_sqlite_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TIMEBOXD_DATABASE_URL", raising=False)
    monkeypatch.setenv("TIMEBOXD_DATA_DIR", str(tmp_path))
    url = load_settings().resolved_database_url
    assert url == f"sqlite:///{(tmp_path / 'timeboxd.db').resolve()}"
