"""The visibility tokens the database stores for each row (SQLite's triggers, PostgreSQL's
index expressions) are the ones db/search_index.py renders in Python for a caller, for
rows of every kind, in both modes, in a personal and a team workspace, deleted or not;
and PostgreSQL's search indexes have the very expressions the queries use."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import Persona
from timeboxd.db import search_index
from timeboxd.services.database import Database

ENTRY = {"start_at": "2026-11-23T09:00:00Z", "end_at": "2026-11-23T10:00:00Z"}
BLOCK = {"date": "2026-11-24", "start": "09:00", "end": "10:00", "topic": "Review"}


def rows_of_every_kind(owner: Persona, teammate: Persona) -> list[tuple[str, str]]:
    """(kind, id) of rows made through the API: in the live and the sandbox mode, in the
    personal workspace and in a team one, a block deleted and one archived."""
    team = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Lab"})["id"]
    owner.ok("POST", f"/v1/workspaces/{team}/members", 201, json={"email": teammate.email})
    sandbox = owner.as_key(owner.new_key(test=True))
    made = []
    projects = {}
    for p, workspace in ((owner, None), (sandbox, None), (owner, team)):
        where = {"workspace_id": workspace} if workspace else {}
        client = p.ok("POST", "/v1/clients", 201, json={"name": "Acme", **where})
        project = p.ok("POST", "/v1/projects", 201, json={"name": "Optics", **where})
        task = p.ok("POST", "/v1/tasks", 201, json={"project_id": project["id"], "name": "Lens"})
        made += [("client", client["id"]), ("project", project["id"]), ("task", task["id"])]
        projects[p.key, workspace] = project["id"]
    for p, project in (
        (owner, projects[owner.key, None]),
        (sandbox, projects[sandbox.key, None]),
        (teammate, projects[owner.key, team]),
    ):
        for body in (ENTRY, {**ENTRY, "project_id": project}):
            made.append(("entry", p.ok("POST", "/v1/time-entries", 201, json=body)["id"]))
        blocks = [p.ok("POST", "/v1/blocks", 201, json=BLOCK)["id"] for _ in range(3)]
        p.ok("DELETE", f"/v1/blocks/{blocks[1]}")
        p.ok("POST", f"/v1/blocks/{blocks[2]}/archive")
        made += [("block", b) for b in blocks]
    return made


OWNERS = {
    "block": "SELECT user_id, livemode, deleted_at IS NULL FROM blocks WHERE id = :id",
    "entry": "SELECT user_id, workspace_id, livemode, true FROM time_entries WHERE id = :id",
    "project": "SELECT workspace_id, livemode, true FROM projects WHERE id = :id",
    "task": "SELECT p.workspace_id, t.livemode, true FROM tasks t"
    " JOIN projects p ON p.id = t.project_id WHERE t.id = :id",
    "client": "SELECT workspace_id, livemode, true FROM clients WHERE id = :id",
}


def owners(db: Database, kind: str, ref: str) -> tuple[tuple[str, ...], bool, bool]:
    """The ids a row's tokens go with, its mode, and whether it may be found at all."""
    with db.read() as session:
        *ids, livemode, found = session.execute(text(OWNERS[kind]), {"id": ref}).one()
    return tuple(ids), bool(livemode), bool(found)


def test_stored_tokens_are_the_ones_python_renders(
    owner: Persona, teammate: Persona, db: Database
) -> None:
    made = rows_of_every_kind(owner, teammate)
    assert len(made) == 24
    for kind, ref in made:
        ids, livemode, found = owners(db, kind, ref)
        with db.read() as session:
            if db.dialect == "sqlite":
                stored = session.execute(
                    text("SELECT scope FROM search_fts WHERE ref_id = :id"), {"id": ref}
                ).scalar_one()
                assert stored == search_index.sqlite_scope(kind, ids, livemode, found), kind
            elif kind in ("block", "entry"):
                table = search_index.SOURCES[kind].table
                tokens = search_index.postgresql_tokens_sql(kind)
                stored = session.execute(
                    text(f"SELECT {tokens} FROM {table} WHERE id = :id"), {"id": ref}
                ).scalar_one()
                assert stored == search_index.postgresql_tokens(kind, ids, livemode, found)


def test_a_row_is_found_by_its_owners_token_and_no_other(
    owner: Persona, teammate: Persona, db: Database
) -> None:
    """The tokens are matched by the index itself: the caller-side token finds the row."""
    made = rows_of_every_kind(owner, teammate)
    for kind, ref in made:
        ids, livemode, found = owners(db, kind, ref)
        source = search_index.SOURCES[kind]
        with db.read() as session:
            for token, owner_id in zip(source.tokens, ids, strict=True):
                for mode in (livemode, not livemode):
                    if db.dialect == "sqlite":
                        word = search_index.SQLITE.token(token, owner_id, mode)
                        hits = session.execute(
                            text("SELECT ref_id FROM search_fts WHERE search_fts MATCH :q"),
                            {"q": f"scope : {word}"},
                        ).scalars()
                    elif kind in ("block", "entry"):
                        word = search_index.POSTGRESQL.token(token, owner_id, mode)
                        document = search_index.INDEXES[f"ix_{source.table}_search"]
                        hits = session.execute(
                            text(
                                f"SELECT id FROM {source.table}"
                                f" WHERE {document} @@ CAST(:q AS tsquery)"
                            ),
                            {"q": f"'{word}'"},
                        ).scalars()
                    else:
                        continue
                    assert (ref in set(hits)) == (found and mode == livemode), (kind, mode)


def test_postgresql_search_indexes_have_the_expressions_of_the_queries(
    backend: str, db: Database
) -> None:
    if backend != "postgresql":
        pytest.skip("expression indexes are PostgreSQL's")
    with db.engine.connect() as conn:
        probe = conn.begin()  # rolled back: the probes only lend their definitions
        for name, document in search_index.INDEXES.items():
            table = name.removeprefix("ix_").removesuffix("_search")
            conn.exec_driver_sql(f"CREATE INDEX probe_{name} ON {table} USING gin ({document})")
            definitions: dict[str, Any] = dict(
                conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN (:a, :b)"),
                    {"a": name, "b": f"probe_{name}"},
                ).all()
            )
            assert definitions[name] == definitions[f"probe_{name}"].replace("probe_", "")
        probe.rollback()
