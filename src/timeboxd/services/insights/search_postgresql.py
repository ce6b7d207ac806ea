"""Search on PostgreSQL: the newest matches of each kind, from GIN indexes on
``to_tsvector('simple', ...)`` (migration 0005; the expressions and the visibility tokens
are those of db/search_index.py, which PostgreSQL matches to the indexes).

Blocks and time entries are the large tables (hundreds of thousands of rows per account),
so their index also holds who may find each row: a lexeme for the owner (and, for
entries, the workspace) next to the words. The index then answers "this caller's rows with
these words" without visiting anyone else's. For common words even that set is large, so
each of these kinds first looks among the caller's newest rows (a walk down the
``created_at`` index, stopped after ``RECENT_WINDOW`` rows): when those hold enough hits
they are the newest ones and the index is not needed; otherwise the words are rare there
and the index is fast. Projects, tasks and clients are small tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, func, select, text
from sqlalchemy.orm import Session

from timeboxd.db import search_index
from timeboxd.db.models import Project, Workspace, WorkspaceMember
from timeboxd.db.search_index import BLOCK_DOCUMENT, ENTRY_DOCUMENT, POSTGRESQL
from timeboxd.db.tracking import Client, Task
from timeboxd.db.types import UTCDateTime
from timeboxd.services.accounts.access import MANAGER_ROLES, member_workspaces
from timeboxd.services.context import Principal

RECENT_WINDOW = 1000

Ranked = tuple[datetime, str, str]  # created_at, id, kind


def ranked(
    session: Session, principal: Principal, words: list[str], kinds: list[str], n: int
) -> list[tuple[str, str]]:
    """(kind, id) of the newest ``n`` visible matches over ``kinds``."""
    query = " & ".join([*words[:-1], f"{words[-1]}:*"])
    live = principal.livemode
    rows: list[Ranked] = []
    if "block" in kinds:
        rows += _newest(
            session,
            "block",
            "blocks",
            "topic",
            BLOCK_DOCUMENT,
            "user_id = :user AND livemode = :live AND deleted_at IS NULL",
            [POSTGRESQL.token(search_index.BLOCK, principal.user_id, live)],
            query,
            n,
            principal,
        )
    if "entry" in kinds:
        rows += _newest(
            session,
            "entry",
            "time_entries",
            "description",
            ENTRY_DOCUMENT,
            "user_id = :user AND livemode = :live",
            [POSTGRESQL.token(search_index.ENTRY, principal.user_id, live)],
            query,
            n,
            principal,
        )
        # Owners and admins also see the members' entries of their teams: from the index
        # (one's own entries there come twice and are dropped below).
        if teams := _managed_team_workspaces(session, principal):
            tokens = [POSTGRESQL.token(search_index.TEAM_ENTRY, w, live) for w in teams]
            rows += _newest(
                session,
                "entry",
                "time_entries",
                "",
                ENTRY_DOCUMENT,
                None,
                tokens,
                query,
                n,
                principal,
            )
    rows += _catalog(session, principal, query, [k for k in kinds if k in CATALOG], n)
    rows.sort(reverse=True)
    seen: set[str] = set()
    out = []
    for _, ref, kind in rows:
        if ref not in seen:
            seen.add(ref)
            out.append((kind, ref))
    return out[:n]


def _newest(
    session: Session,
    kind: str,
    table: str,
    column: str,
    document: str,
    owner: str | None,
    tokens: Sequence[str],
    query: str,
    n: int,
    principal: Principal,
) -> list[Ranked]:
    params: dict[str, Any] = {
        "q": query,
        "n": n,
        "user": principal.user_id,
        "live": principal.livemode,
    }
    if owner is not None:
        recent = session.execute(
            text(
                f"SELECT created_at, id FROM (SELECT created_at, id, {column} FROM {table}"
                f" WHERE {owner} ORDER BY created_at DESC LIMIT {RECENT_WINDOW}) AS recent"
                f" WHERE to_tsvector('simple', {column}) @@ to_tsquery('simple', :q)"
                " ORDER BY created_at DESC, id DESC LIMIT :n"
            ).columns(created_at=UTCDateTime, id=String),
            params,
        ).all()
        if len(recent) >= n:
            return [(r.created_at, r.id, kind) for r in recent]
    # Ids are letters, digits and '_', so each token is one quoted lexeme of the tsquery.
    params["who"] = " | ".join(f"'{t}'" for t in tokens)
    found = session.execute(
        text(
            f"SELECT created_at, id FROM {table} WHERE {document}"
            " @@ (to_tsquery('simple', :q) && CAST(:who AS tsquery))"
            " ORDER BY created_at DESC, id DESC LIMIT :n"
        ).columns(created_at=UTCDateTime, id=String),
        params,
    ).all()
    return [(r.created_at, r.id, kind) for r in found]


def _managed_team_workspaces(session: Session, principal: Principal) -> list[str]:
    """Workspaces whose members' time the caller sees; a personal workspace holds only
    its owner's entries, which the owner's own lexeme already finds."""
    return list(
        session.scalars(
            select(WorkspaceMember.workspace_id)
            .join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
            .where(
                WorkspaceMember.user_id == principal.user_id,
                WorkspaceMember.role.in_(MANAGER_ROLES),
                Workspace.personal.is_(False),
            )
        )
    )


CATALOG = ("project", "task", "client")


def _catalog(
    session: Session, principal: Principal, query: str, kinds: list[str], n: int
) -> list[Ranked]:
    tsquery = func.to_tsquery("simple", query)
    members = member_workspaces(principal)
    visible_projects = select(Project.id).where(
        Project.workspace_id.in_(members), Project.livemode == principal.livemode
    )
    sources: dict[str, tuple[Any, Any, list[Any]]] = {
        "project": (
            Project,
            Project.name,
            [Project.workspace_id.in_(members), Project.livemode == principal.livemode],
        ),
        "task": (
            Task,
            Task.name + " " + Task.notes,
            [Task.project_id.in_(visible_projects), Task.livemode == principal.livemode],
        ),
        "client": (
            Client,
            Client.name + " " + Client.notes,
            [Client.workspace_id.in_(members), Client.livemode == principal.livemode],
        ),
    }
    out: list[Ranked] = []
    for kind in kinds:
        model, document, where = sources[kind]
        rows = session.execute(
            select(model.created_at, model.id)
            .where(func.to_tsvector("simple", document).op("@@")(tsquery), *where)
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(n)
        )
        out += [(r.created_at, r.id, kind) for r in rows]
    return out
