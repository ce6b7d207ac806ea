"""Projects (a study planner's subjects): CRUD and archive within the caller's workspaces."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, Integer, Select, Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from timeboxd.db.models import Project, Series, blocks_table
from timeboxd.db.prepared import Prepared, decoders
from timeboxd.db.tracking import Client, Task, TimeEntry
from timeboxd.domain.ids import new_id
from timeboxd.errors import Conflict, NotFound, ValidationFailed
from timeboxd.schemas.common import UNSET, sent
from timeboxd.schemas.projects import ProjectChanges, ProjectCreate, ProjectOut
from timeboxd.services import versioning
from timeboxd.services.accounts.access import require_manager, visible_project
from timeboxd.services.accounts.users import personal_workspace_id
from timeboxd.services.catalog.common import announce, tombstone
from timeboxd.services.context import Principal
from timeboxd.services.paging import Page, PageRequest, page_of

# Entries an approval has locked (as tracking's entries.LOCKED; catalog cannot import it).
LOCKED = ("submitted", "approved")
series_table = cast(Table, Series.__table__)
entries_table = cast(Table, TimeEntry.__table__)


def _view(p: Project) -> ProjectOut:
    return ProjectOut(
        id=p.id,
        workspace_id=p.workspace_id,
        name=p.name,
        color=p.color,
        client_id=p.client_id,
        billable=p.billable,
        # Money as a decimal string: no float rounding on the way to a client.
        hourly_rate=None if p.hourly_rate is None else f"{Decimal(p.hourly_rate):.2f}",
        currency=p.currency,
        budget_minutes=p.budget_minutes,
        archived_at=p.archived_at,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _check_client(
    session: Session, principal: Principal, client_id: object, workspace_id: str
) -> None:
    """A project's client must be a client of the same workspace (and mode)."""
    if client_id is None:
        return
    found = session.scalar(
        select(Client.id).where(
            Client.id == client_id,
            Client.workspace_id == workspace_id,
            Client.livemode == principal.livemode,
        )
    )
    if found is None:
        raise ValidationFailed(f"no client {client_id}", field="client_id")


def _load(session: Session, principal: Principal, project_id: str) -> Project:
    project = session.scalar(
        select(Project).where(Project.id == project_id, visible_project(principal))
    )
    if project is None:
        raise NotFound(f"no project {project_id}")
    return project


def _load_managed(
    session: Session, principal: Principal, project_id: str, if_match: str | None
) -> Project:
    """Members see a workspace's projects; only its owner and admins change them."""
    project = _load(session, principal, project_id)
    require_manager(session, principal, project.workspace_id)
    versioning.check_row(project, if_match, "project")
    return project


def create_project(
    session: Session, principal: Principal, now: datetime, body: ProjectCreate
) -> tuple[ProjectOut, str]:
    workspace_id = body.workspace_id or personal_workspace_id(session, principal.user_id)
    require_manager(session, principal, workspace_id)
    _check_client(session, principal, body.client_id, workspace_id)
    project = Project(
        id=new_id("prj"),
        workspace_id=workspace_id,
        livemode=principal.livemode,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
        name=body.name,
        color=body.color,
        client_id=body.client_id,
        billable=body.billable,
        hourly_rate=body.hourly_rate,
        currency=body.currency,
        budget_minutes=body.budget_minutes,
    )
    session.add(project)
    session.flush()
    return _announced(session, principal, now, "project.created", project)


def get_project(session: Session, principal: Principal, project_id: str) -> tuple[ProjectOut, str]:
    project = _load(session, principal, project_id)
    return _view(project), versioning.etag(project)


# The list's statements are built once, the caller's user and mode as parameters: the rule
# is access.visible_project's, given a principal whose two values are those parameters.
_AS_PARAMS = cast(
    Principal, SimpleNamespace(user_id=bindparam("user_id"), livemode=bindparam("livemode"))
)
_LIST_COLUMNS = (
    Project.id,
    Project.workspace_id,
    Project.name,
    Project.color,
    Project.client_id,
    Project.billable,
    Project.hourly_rate,
    Project.currency,
    Project.budget_minutes,
    Project.archived_at,
    Project.created_at,
    Project.updated_at,
)


def _list_statements(archived: bool) -> tuple[Prepared, Select[int]]:
    cond = [
        visible_project(_AS_PARAMS),
        Project.archived_at.is_not(None) if archived else Project.archived_at.is_(None),
    ]
    rows = (
        select(*_LIST_COLUMNS)
        .where(*cond)
        .order_by(func.lower(Project.name), Project.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    return Prepared(rows), select(func.count()).select_from(Project).where(*cond)


_LISTS = {archived: _list_statements(archived) for archived in (False, True)}
_rate_decoders: dict[str, Callable[[Any], Any] | None] = {}


def _rate_decoder(conn: Connection) -> Callable[[Any], Any] | None:
    """The column type's own result processor (SQLite keeps the rate as a float)."""
    name = conn.dialect.name
    if name not in _rate_decoders:
        rate_type = Project.__table__.c.hourly_rate.type
        _rate_decoders[name] = rate_type.result_processor(conn.dialect, None)
    return _rate_decoders[name]


def _row_view(conn: Connection) -> Callable[[Sequence[Any]], ProjectOut]:
    """A project from a raw row of _LIST_COLUMNS, as ``_view`` makes it from the object."""
    instant, rate = decoders(conn).instant, _rate_decoder(conn)

    def make(r: Sequence[Any]) -> ProjectOut:
        hourly_rate = r[6] if rate is None or r[6] is None else rate(r[6])
        return ProjectOut(
            id=r[0],
            workspace_id=r[1],
            name=r[2],
            color=r[3],
            client_id=r[4],
            billable=bool(r[5]),
            hourly_rate=None if hourly_rate is None else f"{Decimal(hourly_rate):.2f}",
            currency=r[7],
            budget_minutes=r[8],
            archived_at=None if r[9] is None else instant(r[9]),
            created_at=instant(r[10]),
            updated_at=instant(r[11]),
        )

    return make


def list_projects(
    conn: Connection, principal: Principal, archived: bool, paging: PageRequest
) -> Page[ProjectOut]:
    """A page of the projects the caller sees. A hot read: one statement built at import,
    raw rows decoded here (the ORM's objects and a statement built per call cost more
    than the query)."""
    rows_stmt, count_stmt = _LISTS[archived]
    params = {"user_id": principal.user_id, "livemode": principal.livemode}
    rows = rows_stmt.all(conn, {**params, "limit": paging.limit + 1, "offset": paging.offset})

    def count() -> int:
        return conn.execute(count_stmt, params).scalar() or 0

    return page_of(rows, paging, count).map(_row_view(conn))


def update_project(
    session: Session,
    principal: Principal,
    now: datetime,
    project_id: str,
    changes: ProjectChanges,
    if_match: str | None,
) -> tuple[ProjectOut, str]:
    project = _load_managed(session, principal, project_id, if_match)
    if changes.name is not UNSET and not changes.name:
        raise ValidationFailed("name cannot be empty", field="name")
    if changes.billable is None:
        raise ValidationFailed("billable cannot be null", field="billable")
    if changes.client_id is not UNSET:
        _check_client(session, principal, changes.client_id, project.workspace_id)
    renamed = changes.name is not UNSET and changes.name != project.name
    for key, value in sent(changes).items():
        setattr(project, key, value)
    if renamed:
        _bump_blocks_showing(session, project.id, now)
    project.updated_at = now
    session.flush()
    return _announced(session, principal, now, "project.updated", project)


def set_archived(
    session: Session,
    principal: Principal,
    now: datetime,
    project_id: str,
    archived: bool,
    if_match: str | None,
) -> tuple[ProjectOut, str]:
    project = _load_managed(session, principal, project_id, if_match)
    if archived != (project.archived_at is not None):
        project.archived_at = now if archived else None
        project.updated_at = now
        session.flush()
        return _announced(session, principal, now, "project.updated", project)
    return _view(project), versioning.etag(project)


def delete_project(
    session: Session, principal: Principal, now: datetime, project_id: str, if_match: str | None
) -> None:
    """Deletes the project; its blocks, series and entries stay, without a project (and
    without its tasks, which go with it). Refused while an entry of it is submitted or
    approved: a locked entry cannot change, and its report would lose the project's rate."""
    project = _load_managed(session, principal, project_id, if_match)
    locked = session.scalar(
        select(TimeEntry.approval_status)
        .where(TimeEntry.project_id == project.id, TimeEntry.approval_status.in_(LOCKED))
        .order_by(TimeEntry.approval_status.desc())  # "submitted" before "approved"
        .limit(1)
    )
    if locked is not None:
        raise Conflict(
            f"the project has {locked} time entries; reopen them before deleting the project"
        )
    tasks = select(Task.id).where(Task.project_id == project.id).scalar_subquery()
    # The database's ON DELETE SET NULL would change these rows without a new version;
    # clearing the references here gives every changed row a new ETag (and the calendar
    # feed a new SEQUENCE and LAST-MODIFIED).
    for table in (blocks_table, series_table, entries_table):
        session.execute(
            update(table)
            .where(or_(table.c.project_id == project.id, table.c.task_id.in_(tasks)))
            .values(
                project_id=None, task_id=None, updated_at=now, **versioning.bump(table.c.version)
            )
            .execution_options(synchronize_session=False)
        )
    session.delete(project)
    session.flush()
    gone = tombstone(project.workspace_id, project.id)
    announce(session, principal, now, "project.deleted", project.id, project.workspace_id, gone)


def _announced(
    session: Session, principal: Principal, now: datetime, type: str, project: Project
) -> tuple[ProjectOut, str]:
    view = _view(project)
    announce(session, principal, now, type, project.id, project.workspace_id, view)
    return view, versioning.etag(project)


def _bump_blocks_showing(session: Session, project_id: str, now: datetime) -> None:
    """Blocks show their project's name: a renamed project changes them."""
    session.execute(
        update(blocks_table)
        .where(blocks_table.c.project_id == project_id)
        .values(updated_at=now, **versioning.bump(blocks_table.c.version))
        .execution_options(synchronize_session=False)
    )
