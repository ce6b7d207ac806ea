"""What the search index holds for each kind: its text and its visibility tokens, written
once for SQL (SQLite's FTS5 triggers, PostgreSQL's index expressions) and for Python (the
tokens a caller may see, services/insights/search.py and search_postgresql.py).

A visibility token says who may find a row: a letter for the kind of access, the id of
the owner it goes with (the user for blocks and entries, the workspace otherwise) and the
mode. Entries also carry their workspace's token, for the workspace's owner and admins.
A search asks the index for the caller's tokens only, so visibility is part of the index
query, not a filter after it.

This is the current definition; migration 0012 installs SQLite's triggers from it and
leaves PostgreSQL's indexes (migration 0005) as they are, since they hold these very
expressions: PostgreSQL uses an expression index only for a query with the same
expression, so ``BLOCK_DOCUMENT`` and ``ENTRY_DOCUMENT`` must stay as the index has them
(tests/test_search_tokens.py compares them). Migration 0005 is the record of the first
version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Token:
    """A letter and the SQL, over a row ``{r}``, of the id of whoever may find the row."""

    letter: str
    owner: str


BLOCK = Token("b", "{r}user_id")
ENTRY = Token("e", "{r}user_id")
TEAM_ENTRY = Token("f", "{r}workspace_id")  # the entries of a workspace one manages
PROJECT = Token("p", "{r}workspace_id")
TASK = Token("t", "(SELECT workspace_id FROM projects WHERE id = {r}project_id)")
CLIENT = Token("c", "{r}workspace_id")


@dataclass(frozen=True, slots=True)
class Spelling:
    """How one database spells a token. SQLite writes the owner's id in hex: FTS5's
    tokenizer would split an id at its ``_``; PostgreSQL's tokens are whole lexemes."""

    hex_owner: bool
    live: str
    test: str

    def sql(self, token: Token, r: str = "") -> str:
        owner = token.owner.format(r=r)
        owner = f"hex({owner})" if self.hex_owner else owner
        mode = f"CASE WHEN {r}livemode THEN '{self.live}' ELSE '{self.test}' END"
        return f"'{token.letter}' || {owner} || {mode}"

    def token(self, token: Token, owner_id: str, livemode: bool) -> str:
        owner = owner_id.encode().hex().upper() if self.hex_owner else owner_id
        return f"{token.letter}{owner}{self.live if livemode else self.test}"


SQLITE = Spelling(hex_owner=True, live="m1", test="m0")
POSTGRESQL = Spelling(hex_owner=False, live="l", test="t")


# -- SQLite: an FTS5 table kept by triggers ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """A kind's table, its searchable text (SQL over ``{r}``), the tokens of its rows, the
    condition (if any) for a row to be found at all, and the columns whose change
    re-indexes a row."""

    table: str
    text: str
    tokens: tuple[Token, ...]
    found: str | None
    watched: tuple[str, ...]


SOURCES = {
    "block": Source(
        "blocks", "{r}topic", (BLOCK,), "{r}deleted_at IS NULL", ("topic", "deleted_at")
    ),
    "entry": Source(
        "time_entries", "{r}description", (ENTRY, TEAM_ENTRY), None, ("description", "workspace_id")
    ),
    "project": Source("projects", "{r}name", (PROJECT,), None, ("name",)),
    "task": Source(
        "tasks", "{r}name || ' ' || {r}notes", (TASK,), None, ("name", "notes", "project_id")
    ),
    "client": Source("clients", "{r}name || ' ' || {r}notes", (CLIENT,), None, ("name", "notes")),
}
# A row here (SQLite) while a transaction indexes and counts the time entries it inserts
# itself (db/rollups_bulk.py): their insert triggers stand aside meanwhile.
BULK_INSERTS = "bulk_inserts"
GONE = "gone"  # the scope of a row nobody may find (a deleted block): no caller has it


def sqlite_scope_sql(kind: str, r: str) -> str:
    """The scope column of a row of ``kind``: its tokens, separated by spaces."""
    source = SOURCES[kind]
    scope = " || ' ' || ".join(SQLITE.sql(t, r) for t in source.tokens)
    if source.found is None:
        return scope
    return f"CASE WHEN {source.found.format(r=r)} THEN {scope} ELSE '{GONE}' END"


def sqlite_scope(kind: str, owners: tuple[str, ...], livemode: bool, found: bool = True) -> str:
    """The scope the triggers store for a row of ``kind`` whose tokens' owners are
    ``owners`` (in the order of ``SOURCES[kind].tokens``)."""
    if not found:
        return GONE
    tokens = SOURCES[kind].tokens
    return " ".join(SQLITE.token(t, o, livemode) for t, o in zip(tokens, owners, strict=True))


def _sqlite_triggers(kind: str) -> list[str]:
    source = SOURCES[kind]
    table, text = source.table, source.text.format(r="new.")
    row = "(SELECT id FROM search_rows WHERE ref_id = new.id)"
    insert = (
        "INSERT INTO search_fts(rowid, body, scope, kind, ref_id)"
        f" VALUES ({row}, {text}, {sqlite_scope_sql(kind, 'new.')}, '{kind}', new.id);"
    )
    drop = (
        "DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_rows WHERE ref_id = old.id);"
    )
    changed = " OR ".join(f'old."{c}" IS NOT new."{c}"' for c in source.watched)
    # A bulk insert of entries indexes them itself, in two statements (``sqlite_inserted``,
    # db/rollups_bulk.py): per row, this trigger was half of such an insert.
    when = f" WHEN NOT EXISTS (SELECT 1 FROM {BULK_INSERTS})" if kind == "entry" else ""
    return [
        f"CREATE TRIGGER search_{table}_ai AFTER INSERT ON {table}{when} BEGIN"
        f" INSERT INTO search_rows(ref_id) VALUES (new.id); {insert} END",
        f"CREATE TRIGGER search_{table}_au AFTER UPDATE ON {table} WHEN {changed} BEGIN"
        f" {drop} {insert} END",
        f"CREATE TRIGGER search_{table}_ad AFTER DELETE ON {table} BEGIN"
        f" {drop} DELETE FROM search_rows WHERE ref_id = old.id; END",
    ]


def sqlite_inserted(kind: str, inserted: str) -> list[str]:
    """Index the rows of ``kind`` in ``inserted`` (a relation of its table's columns), as
    the insert trigger does row by row."""
    source = SOURCES[kind]
    return [
        f"INSERT INTO search_rows(ref_id) SELECT i.id FROM {inserted} AS i",
        "INSERT INTO search_fts(rowid, body, scope, kind, ref_id)"
        f" SELECT r.id, {source.text.format(r='i.')}, {sqlite_scope_sql(kind, 'i.')},"
        f" '{kind}', i.id FROM {inserted} AS i JOIN search_rows AS r ON r.ref_id = i.id",
    ]


def sqlite_create() -> list[str]:
    return [statement for kind in SOURCES for statement in _sqlite_triggers(kind)]


def sqlite_drop() -> list[str]:
    return [
        f"DROP TRIGGER search_{source.table}_{event}"
        for source in SOURCES.values()
        for event in ("ai", "au", "ad")
    ]


# -- PostgreSQL: GIN indexes on to_tsvector expressions --------------------------------------
# Blocks and entries, the large tables, also index their tokens as extra lexemes, so the
# index returns only the caller's rows. A deleted block's token gets an "x": nobody's.


def postgresql_tokens_sql(kind: str) -> str:
    """The array of a block's or an entry's tokens, over the table's own columns."""
    tokens = [POSTGRESQL.sql(t) for t in SOURCES[kind].tokens]
    if kind == "block":
        tokens = [f"{t} || CASE WHEN deleted_at IS NULL THEN '' ELSE 'x' END" for t in tokens]
    return f"ARRAY[{', '.join(tokens)}]"


def postgresql_tokens(
    kind: str, owners: tuple[str, ...], livemode: bool, found: bool = True
) -> list[str]:
    """The tokens the index holds for a block or an entry (see ``sqlite_scope``)."""
    tokens = SOURCES[kind].tokens
    out = [POSTGRESQL.token(t, o, livemode) for t, o in zip(tokens, owners, strict=True)]
    return out if found else [t + "x" for t in out]


BLOCK_DOCUMENT = (
    f"(to_tsvector('simple', topic) || array_to_tsvector({postgresql_tokens_sql('block')}))"
)
ENTRY_DOCUMENT = (
    f"(to_tsvector('simple', description) || array_to_tsvector({postgresql_tokens_sql('entry')}))"
)
INDEXES = {"ix_blocks_search": BLOCK_DOCUMENT, "ix_time_entries_search": ENTRY_DOCUMENT}
