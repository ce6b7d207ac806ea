"""One version and ETag mechanism for every resource (SPEC §2 "Writes").

Every versioned table has an integer ``version`` column that the ORM raises on each UPDATE
of the row (SQLAlchemy's ``version_id_col``, in each model's ``__mapper_args__``), so a
changed row always gets a new ETag; statements that update many rows at once raise it with
``bump(table)``. A resource's ETag is ``"<id>.<version>"``; ``check`` compares it with
``If-Match`` (``*`` matches any).

``If-Match`` is the last thing a write checks: a request that is wrong for any other
reason (a bad body, a locked entry, an unknown reference) gets that answer, and 412 only
ever says "this would have succeeded on the version you named". So ``check_row`` notes a
mismatch on the row's session and the write goes on; the session refuses to commit while
a mismatch is noted (raising it, so the request's unit of work rolls everything back),
and an error raised by the write meanwhile wins."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from timeboxd.errors import PreconditionFailed

PENDING = "timeboxd_precondition_failed"


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
    """Like ``check``, but for a row about to be written: a mismatch fails the commit of
    the row's session (see the module docstring) rather than the call."""
    try:
        check(etag(row), if_match, what)
    except PreconditionFailed as failed:
        session = object_session(row)
        if session is None:
            raise
        session.info.setdefault(PENDING, failed)


@event.listens_for(Session, "before_commit")
def _refuse_unmatched(session: Session) -> None:
    failed = session.info.pop(PENDING, None)
    if failed is not None:
        raise failed


@event.listens_for(Session, "after_rollback")
def _forget_unmatched(session: Session) -> None:
    session.info.pop(PENDING, None)


def bump(version_column: Any) -> dict[str, Any]:
    """The values an UPDATE statement of many rows sets so their ETags change too."""
    return {"version": version_column + 1}
