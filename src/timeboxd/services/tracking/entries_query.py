"""The time-entry list: filters over local days, newest first (``GET /v1/time-entries``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from timeboxd.db.models import Workspace, WorkspaceMember
from timeboxd.db.prepared import Decoders, Prepared, decoders
from timeboxd.db.tracking import TimeEntry, entry_tags
from timeboxd.db.types import UTCDateTime
from timeboxd.domain.wallclock import to_utc_lenient, zone
from timeboxd.errors import ValidationFailed
from timeboxd.schemas.entries import EntryOut
from timeboxd.services.accounts.access import MANAGER_ROLES
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, page_of
from timeboxd.services.tracking.report_rows import LONG, overlapping


@dataclass(slots=True)
class EntryFilter:
    date_from: date | None = None
    date_to: date | None = None
    project_id: str | None = None
    task_id: str | None = None
    tag_id: str | None = None
    billable: bool | None = None
    user_id: str | None = None


def local_range(
    day_from: date | None, day_to: date | None, tz_name: str
) -> tuple[datetime | None, datetime | None]:
    """Local calendar days [from, to] as UTC instants [start, end)."""
    start = to_utc_lenient(day_from, time(0), tz_name) if day_from else None
    end = to_utc_lenient(day_to + timedelta(days=1), time(0), tz_name) if day_to else None
    return start, end


# The columns an entry's view reads, in this order in every statement below.
_VIEW = (
    "id",
    "user_id",
    "workspace_id",
    "project_id",
    "task_id",
    "block_id",
    "description",
    "start_at",
    "end_at",
    "duration_seconds",
    "billable",
    "approval_status",
    "approval_comment",
    "reviewed_by",
    "reviewed_at",
    "source",
    "created_at",
    "updated_at",
)
_AT = {name: i for i, name in enumerate(_VIEW)}
_COLUMNS = [cast(Table, TimeEntry.__table__).c[name] for name in _VIEW]
_INSTANT = UTCDateTime()

# The filters a statement compares with a parameter, by EntryFilter attribute.
_PARAM_FILTERS: dict[str, Callable[[Any], Any]] = {
    "project_id": lambda p: TimeEntry.project_id == p,
    "task_id": lambda p: TimeEntry.task_id == p,
    "tag_id": lambda p: TimeEntry.id.in_(
        select(entry_tags.c.entry_id).where(entry_tags.c.tag_id == p)
    ),
}

# Shared workspaces the caller owns or administers (services.accounts.access's
# managed_workspaces, less the personal one, which holds only the caller's own entries).
_MANAGED = Prepared(
    select(WorkspaceMember.workspace_id)
    .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
    .where(
        WorkspaceMember.user_id == bindparam("user_id"),
        # The roles written out: a Prepared statement takes only the parameters it is given.
        or_(*(WorkspaceMember.role == literal_column(f"'{role}'") for role in MANAGER_ROLES)),
        Workspace.personal.is_(False),
        Workspace.livemode == bindparam("livemode"),
    )
    .order_by(WorkspaceMember.workspace_id)
)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a list statement's SQL depends on; the values go in as parameters."""

    own: bool  # the caller's own entries
    managed: int  # how many managed workspaces others' entries are read from (0: none)
    other_user: bool  # others' entries of one person only
    params: tuple[str, ...]
    billable: bool | None
    start: bool
    end: bool


def _parts(shape: _Shape) -> list[Any]:
    visible: list[Any] = []
    if shape.own:
        visible.append(
            and_(
                TimeEntry.user_id == bindparam("user_id"),
                TimeEntry.livemode == bindparam("livemode"),
            )
        )
    if shape.managed:
        others = [
            TimeEntry.workspace_id.in_([bindparam(f"w{n}") for n in range(shape.managed)]),
            TimeEntry.livemode == bindparam("livemode"),
            TimeEntry.user_id != bindparam("user_id"),
        ]
        if shape.other_user:
            others.append(TimeEntry.user_id == bindparam("other_user"))
        visible.append(and_(*others))
    cond: list[Any] = [_PARAM_FILTERS[name](bindparam(name)) for name in shape.params]
    if shape.billable is not None:
        cond.append(TimeEntry.billable.is_(shape.billable))
    start = bindparam("start", type_=_INSTANT) if shape.start else None
    end = bindparam("end", type_=_INSTANT) if shape.end else None
    week_before = bindparam("week_before", type_=_INSTANT)
    return [
        select(*_COLUMNS).where(v, *cond, *part)
        for v in visible
        for part in overlapping(start, end, week_before)
    ]


@functools.lru_cache(maxsize=256)
def _statements(shape: _Shape) -> tuple[Prepared, Select[Any]]:
    """A page of the list (raw driver values, in ``_VIEW`` order) and its count. Built
    once per shape: constructing the union costs more than running it."""
    parts = _parts(shape)
    if len(parts) == 1:
        rows = parts[0].order_by(TimeEntry.start_at.desc(), TimeEntry.id)
    else:
        listed = union_all(*parts).subquery("listed")
        rows = select(*listed.c).order_by(listed.c.start_at.desc(), listed.c.id)
    page = rows.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    count = select(func.count()).select_from(rows.order_by(None).subquery())
    return Prepared(page), count


def _prepare(
    conn: Connection, principal: Principal, f: EntryFilter
) -> tuple[_Shape, dict[str, Any]] | None:
    """The statement's shape and parameters; None when the caller may see nothing asked
    for (another person's entries, and no team to see them in)."""
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise ValidationFailed("date_to must not be before date_from", field="date_to")
    params: dict[str, Any] = {"user_id": principal.user_id, "livemode": principal.livemode}
    own = f.user_id in (None, principal.user_id)
    managed: list[str] = []
    if f.user_id != principal.user_id:
        managed = [r[0] for r in _MANAGED.all(conn, params)]
    if not own and not managed:
        return None
    params.update((f"w{n}", w) for n, w in enumerate(managed))
    if f.user_id is not None and managed:
        params["other_user"] = f.user_id
    values = {name: getattr(f, name) for name in _PARAM_FILTERS if getattr(f, name) is not None}
    params.update(values)
    # An entry belongs to a range when it overlaps it (a late session that crosses
    # midnight shows up on both days).
    start, end = local_range(f.date_from, f.date_to, principal.timezone)
    if start is not None:
        params["start"] = start
        params["week_before"] = start - timedelta(seconds=LONG)
    if end is not None:
        params["end"] = end
    shape = _Shape(
        own,
        len(managed),
        "other_user" in params,
        tuple(values),
        f.billable,
        start is not None,
        end is not None,
    )
    return shape, params


def _tags(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
    """Each entry's tag ids, sorted (``entries.tags_of``), in one statement sent on the
    driver's cursor: through the ORM, building and running it cost more than the list's
    own query."""
    out: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            cursor.execute(
                f"SELECT entry_id, tag_id FROM {entry_tags.name}"
                f" WHERE entry_id IN ({', '.join([mark] * len(chunk))}) ORDER BY tag_id",
                chunk,
            )
            for entry_id, tag_id in cursor.fetchall():
                out[entry_id].append(tag_id)
    finally:
        cursor.close()
    return out


def _view_maker(
    raw: Decoders, tz_name: str, now: datetime, tags: dict[str, list[str]]
) -> Callable[[Sequence[Any]], EntryOut]:
    """A row of raw driver values as the entry ``entries.view`` shows."""
    tz, instant = zone(tz_name), raw.instant
    # Where each value sits, unpacked once: a lookup by name per value is a sizeable part
    # of a row's cost.
    (
        id_,
        user_id,
        workspace_id,
        project_id,
        task_id,
        block_id,
        description,
        start_at_,
        end_at_,
        duration_,
        billable,
        approval_status,
        approval_comment,
        reviewed_by,
        reviewed_at,
        source,
        created_at,
        updated_at,
    ) = (_AT[name] for name in _VIEW)

    def make(r: Sequence[Any]) -> EntryOut:
        start_at = instant(r[start_at_])
        end_at = r[end_at_] and instant(r[end_at_])
        duration = r[duration_]
        if duration is None:  # running: up to now
            duration = max(0, int(((end_at or now) - start_at).total_seconds()))
        reviewed = r[reviewed_at]
        return EntryOut(
            id=r[id_],
            user_id=r[user_id],
            workspace_id=r[workspace_id],
            project_id=r[project_id],
            task_id=r[task_id],
            block_id=r[block_id],
            description=r[description],
            start_at=start_at.astimezone(tz),
            end_at=end_at.astimezone(tz) if end_at else None,
            duration_seconds=duration,
            running=end_at is None,
            billable=bool(r[billable]),
            tag_ids=tags[r[id_]],
            approval_status=r[approval_status],
            approval_comment=r[approval_comment],
            reviewed_by=r[reviewed_by],
            reviewed_at=instant(reviewed) if reviewed is not None else None,
            source=r[source],
            created_at=instant(r[created_at]),
            updated_at=instant(r[updated_at]),
        )

    return make


def list_entries(
    session: Session, principal: Principal, now: datetime, f: EntryFilter, paging: PageRequest
) -> Page[EntryOut]:
    """A page of the entries ``f`` asks for, newest first: a union of disjoint sets that
    each read one index bounded by the range (report_rows.overlapping), split by what the
    caller may see (their own entries, others' in the teams they manage), run as a
    prepared statement (db/prepared.py) and read as raw rows, as the block list is: the
    ORM's objects and statement building cost several times the query."""
    conn = session.connection()
    prepared = _prepare(conn, principal, f)
    if prepared is None:
        return page_of([], paging, lambda: 0)
    shape, params = prepared
    page_stmt, count_stmt = _statements(shape)
    rows = page_stmt.all(conn, {**params, "limit": paging.limit + 1, "offset": paging.offset})

    def count() -> int:
        return conn.execute(count_stmt, params).scalar() or 0

    page = page_of(rows, paging, count)
    tags = _tags(conn, [r[_AT["id"]] for r in page.items])
    return page.map(_view_maker(decoders(conn), principal.timezone, now, tags))
