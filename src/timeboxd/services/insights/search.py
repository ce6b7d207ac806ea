"""``GET /v1/search``: one query over projects, tasks, clients, block topics and entry
descriptions, within what the caller may see, on the database's full-text index
(SQLite FTS5 kept by triggers, PostgreSQL tsvector with GIN indexes, see
``search_postgresql``). What the index holds for each kind, and the visibility tokens that
say who may find a row, are defined in db/search_index.py.

Words match whole, the last one also as a prefix ("linear alg" finds "Linear algebra");
every word must match; the newest rows come first (every hit holds every word, and what
people look for is mostly recent: this also lets the index stop at the limit instead of
scoring every match). The query is cut into words here, so nothing a user types is read
as the index's own syntax.
"""

from __future__ import annotations

import re

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from timeboxd.db import search_index
from timeboxd.db.models import Block, Project
from timeboxd.db.search_index import SQLITE
from timeboxd.db.tracking import Client, Task, TimeEntry
from timeboxd.domain.keys import grants
from timeboxd.domain.wallclock import zone
from timeboxd.errors import Forbidden, ValidationFailed
from timeboxd.schemas.search import HitOut, SearchParams
from timeboxd.services.accounts.access import managed_workspaces, member_workspaces
from timeboxd.services.context import Principal
from timeboxd.services.insights import search_postgresql
from timeboxd.services.tracking.entries import visible_entry

KINDS = ("project", "task", "client", "block", "entry")
SCOPE_OF_KIND = {
    "block": "read:blocks",
    "entry": "read:time_entries",
    "project": "read:projects",
    "task": "read:projects",
    "client": "read:projects",
}
WORDS = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8


def words_of(q: str) -> list[str]:
    words = [w.lower() for w in WORDS.findall(q)][:MAX_WORDS]
    if not words:
        raise ValidationFailed("give at least one word to search for", field="q")
    return words


def allowed_kinds(principal: Principal, wanted: list[str] | None) -> list[str]:
    """The kinds a key may search: those its read scopes cover, or every kind with
    ``read:reports``, the scope the specification puts search under."""
    every = grants(principal.scopes, "read:reports")
    kinds = [k for k in (wanted or KINDS) if every or grants(principal.scopes, SCOPE_OF_KIND[k])]
    if not kinds:
        raise Forbidden("the key may read none of the kinds asked for")
    return kinds


def search(
    session: Session, principal: Principal, q: str, kinds: list[str], limit: int
) -> list[HitOut]:
    words = words_of(q)
    if session.get_bind().dialect.name == "postgresql":
        ranked = search_postgresql.ranked(session, principal, words, kinds, limit + 10)
    else:
        ranked = _ranked_sqlite(session, principal, words, kinds, limit)
    return _hits(session, principal, ranked)[:limit]


def _sqlite_scopes(session: Session, principal: Principal, kinds: list[str]) -> list[str]:
    """The caller's visibility tokens (db/search_index.py) for ``kinds``."""
    live = principal.livemode
    scopes = []
    if "block" in kinds:
        scopes.append(SQLITE.token(search_index.BLOCK, principal.user_id, live))
    if "entry" in kinds:
        scopes.append(SQLITE.token(search_index.ENTRY, principal.user_id, live))
        managed = session.scalars(managed_workspaces(principal))
        scopes += [SQLITE.token(search_index.TEAM_ENTRY, w, live) for w in managed]
    shared = [
        search_index.SOURCES[k].tokens[0] for k in ("project", "task", "client") if k in kinds
    ]
    if shared:
        for workspace in session.scalars(member_workspaces(principal)):
            scopes += [SQLITE.token(t, workspace, live) for t in shared]
    return scopes


def _ranked_sqlite(
    session: Session, principal: Principal, words: list[str], kinds: list[str], limit: int
) -> list[tuple[str, str]]:
    scopes = _sqlite_scopes(session, principal, kinds)
    terms = " ".join(f'"{w}"' for w in words[:-1])
    match = f'scope : ({" OR ".join(scopes)}) AND body : ({terms} "{words[-1]}"*)'
    rows = session.execute(
        text(
            "SELECT kind, ref_id FROM search_fts WHERE search_fts MATCH :match"
            " ORDER BY rowid DESC LIMIT :n"
        ),
        {"match": match, "n": limit * 2 + 10},
    )
    return [(r.kind, r.ref_id) for r in rows]


def _hits(session: Session, principal: Principal, ranked: list[tuple[str, str]]) -> list[HitOut]:
    """Details for the ranked ids, checked once more against what the caller may see."""
    by_kind: dict[str, list[str]] = {}
    for kind, ref in ranked:
        by_kind.setdefault(kind, []).append(ref)
    found: dict[str, HitOut] = {}
    members = member_workspaces(principal)
    if ids := by_kind.get("block"):
        # Looked up by id alone and checked here: with the owner in the WHERE clause,
        # SQLite prefers the (user_id, livemode, date) index and walks every block the
        # user has (~100 ms at 200,000) instead of the twenty primary-key lookups.
        for b in session.execute(
            select(
                Block.id,
                Block.topic,
                Block.date,
                Block.project_id,
                Block.user_id,
                Block.livemode,
                Block.deleted_at,
            ).where(Block.id.in_(ids))
        ):
            mine = b.user_id == principal.user_id and b.livemode == principal.livemode
            if mine and b.deleted_at is None:
                found[b.id] = HitOut("block", b.id, b.topic, b.date, b.project_id)
    if ids := by_kind.get("entry"):
        tz = zone(principal.timezone)
        for e in session.execute(
            select(
                TimeEntry.id, TimeEntry.description, TimeEntry.start_at, TimeEntry.project_id
            ).where(TimeEntry.id.in_(ids), visible_entry(principal))
        ):
            found[e.id] = HitOut(
                "entry", e.id, e.description, e.start_at.astimezone(tz).date(), e.project_id
            )
    if ids := by_kind.get("project"):
        for p in session.execute(
            select(Project.id, Project.name).where(
                Project.id.in_(ids),
                Project.workspace_id.in_(members),
                Project.livemode == principal.livemode,
            )
        ):
            found[p.id] = HitOut("project", p.id, p.name, None, p.id)
    if ids := by_kind.get("task"):
        for t in session.execute(
            select(Task.id, Task.name, Task.due_date, Task.project_id)
            .join(Project, Project.id == Task.project_id)
            .where(
                Task.id.in_(ids),
                Project.workspace_id.in_(members),
                Task.livemode == principal.livemode,
            )
        ):
            found[t.id] = HitOut("task", t.id, t.name, t.due_date, t.project_id)
    if ids := by_kind.get("client"):
        for c in session.execute(
            select(Client.id, Client.name).where(
                Client.id.in_(ids),
                Client.workspace_id.in_(members),
                Client.livemode == principal.livemode,
            )
        ):
            found[c.id] = HitOut("client", c.id, c.name, None, None)
    return [found[ref] for _, ref in ranked if ref in found]


def kinds_of(param: str | None) -> list[str] | None:
    """The kinds a ``type`` parameter lists (comma-separated); ``None``: every kind."""
    if not param:
        return None
    wanted = [k.strip() for k in param.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in KINDS]
    if unknown or not wanted:
        raise ValidationFailed(f"type is a list of {', '.join(KINDS)}", field="type")
    return wanted


def find(session: Session, principal: Principal, params: SearchParams) -> list[HitOut]:
    """``GET /v1/search``: the kinds asked for that the key may read, then the hits."""
    kinds = allowed_kinds(principal, kinds_of(params.type))
    return search(session, principal, params.q, kinds, params.limit)
