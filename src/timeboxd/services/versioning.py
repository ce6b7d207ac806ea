"""One version and ETag mechanism for every resource (SPEC §2 "Writes").

Every versioned table has an integer ``version`` column that the ORM raises on each UPDATE
of the row (SQLAlchemy's ``version_id_col``, in each model's ``__mapper_args__``), so a
changed row always gets a new ETag; statements that update many rows at once raise it with
``bump(table)``. A resource's ETag is ``"<id>.<version>"``; ``check`` compares it with
``If-Match`` (``*`` matches any)."""

from __future__ import annotations

from typing import Any, Protocol

from timeboxd.errors import PreconditionFailed


class HasVersion(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def version(self) -> int: ...


def etag_of(resource_id: str, version: int) -> str:
    return f'"{resource_id}.{version}"'


def etag(row: HasVersion) -> str:
    return etag_of(row.id, row.version)


def check(current: str, if_match: str | None, what: str) -> None:
    """Raise 412 when ``If-Match`` is sent and names another version than ``current``."""
    if if_match is not None and if_match not in ("*", current):
        raise PreconditionFailed(f"If-Match does not match the {what}'s ETag", field="If-Match")


def check_row(row: HasVersion, if_match: str | None, what: str) -> None:
    check(etag(row), if_match, what)


def bump(version_column: Any) -> dict[str, Any]:
    """The values an UPDATE statement of many rows sets so their ETags change too."""
    return {"version": version_column + 1}
