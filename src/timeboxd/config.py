"""Settings from ``TIMEBOXD_*`` environment variables (and an optional ``.env``).

Built once by the process entry point and passed down; nothing reads the environment at
import time.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DATABASE_DRIVERS = {
    "sqlite",
    "sqlite+pysqlite",
    "postgresql",
    "postgresql+psycopg",
    "postgres",
}


class ConfigError(Exception):
    """A setting has a value the server cannot start with."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TIMEBOXD_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    # The address clients reach this server at (for links such as the calendar feed URL);
    # by default taken from each request's Host header.
    public_url: str | None = None
    # Proxies whose X-Forwarded-Proto and X-Forwarded-For the server believes (addresses or
    # networks, comma-separated; "*" for any; empty for none): behind a TLS proxy the
    # request is then https (the web session cookie is Secure) from the real client.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    default_timezone: str = "UTC"
    rate_limit_per_minute: int = Field(default=100, ge=1)
    rate_limit_per_second: int = Field(default=10, ge=1)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # last_used_at is written at most this often per key, so reads stay reads.
    key_touch_interval_seconds: int = Field(default=60, ge=0)
    # How long a request waits for a free database connection before it is answered 503.
    database_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # NDJSON streams served at once: per API key, and by each server process in all.
    stream_max_per_key: int = Field(default=2, ge=1, le=1000)
    stream_max: int = Field(default=16, ge=1, le=10_000)
    # A stream whose client has taken nothing for this long is cut.
    stream_idle_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    # Events and webhooks (docs/api.md "Events and webhooks").
    event_retention_days: int = Field(default=30, ge=1, le=3650)
    webhook_allow_private: bool = False
    # Seconds between a delivery's attempts: the first retry 5 s after the first failure;
    # daily at the end, so that even with the waits drawn 10% short a delivery is still
    # pending when its webhook is turned off after five days of failures (about six days).
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000,86400,86400,86400,86400,86400"
    worker_in_process: bool = True
    metrics_token: str | None = None
    # Where the admins' version check reads the latest release (the package index's JSON
    # document of timeboxd, or one of the same shape); empty: never look.
    release_feed_url: str | None = "https://pypi.org/pypi/timeboxd/json"

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be an http:// or https:// URL, e.g. https://time.example.com")
        return value.rstrip("/")

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        for part in parts:
            if part == "*":
                continue
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"{part!r} is not an IP address or network; give e.g. 127.0.0.1,10.0.0.0/8 or *"
                ) from None
        return ",".join(parts)

    @field_validator("release_feed_url")
    @classmethod
    def _feed_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if len(value) > 2000 or not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError(
                "must be an http:// or https:// URL (at most 2,000 characters), or empty to "
                "turn the version check off"
            )
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",")]
        if not parts or not all(p.isdigit() and 1 <= int(p) <= 7 * 86400 for p in parts):
            raise ValueError(
                "must be comma-separated whole seconds from 1 to 604800, e.g. 5,300,1800"
            )
        if len(parts) > 50:
            raise ValueError("at most 50 retries")
        return ",".join(parts)

    @property
    def retry_delays(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.webhook_retry_schedule.split(","))

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("database_url", "redis_url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a valid URL: {value!r}") from exc
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_scheme(cls, value: str | None) -> str | None:
        # Only the drivers timeboxd ships with: another one would fail later, at connect.
        if value and make_url(value).drivername not in DATABASE_DRIVERS:
            raise ValueError(
                "must be a sqlite:// or postgresql:// URL (the psycopg driver: "
                "postgresql+psycopg:// or postgres:// are the same)"
            )
        return value

    @field_validator("data_dir")
    @classmethod
    def _a_directory(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{str(value)!r} exists and is not a directory")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Plain postgresql:// means the psycopg 3 driver we ship with.
            if url.startswith(("postgresql://", "postgres://")):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'timeboxd.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning errors into one readable message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "TIMEBOXD_" + "_".join(str(p) for p in err["loc"]).upper()
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
