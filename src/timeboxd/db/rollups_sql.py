"""What each statistics rollup (db/rollups.py) counts, written once as SQL for SQLite and
PostgreSQL: the triggers that keep the rollups and the rebuild that recounts them.

This is the current definition; migration 0012 installs it. Migrations 0006 and 0009 are
the record of what was installed before (the same figures, written out by hand there).
The units are those of domain/stats.py: a quarter hour (``SLOT`` seconds), a UTC day
(``DAY``), a focus session (``FOCUS_SECONDS``).

- A block *counts* when it is neither archived nor deleted; it is *completed* when it
  counts and is done (the heatmap, completion rate and streaks). Its minutes are the whole
  minutes between its instants, in whole epoch seconds.
- *Productive time* is the seconds of stopped time entries ("tracked") and of completed
  blocks without entries ("block": a block tracked with the timer counts once, as its
  entries), cut at every UTC quarter hour (epoch seconds // SLOT) and UTC day (// DAY).
- A *focus session* is a productive span of FOCUS_SECONDS or more, counted in the quarter
  hour it begins in, with the longest per quarter hour.

Every figure is rendered by one function from a relation of rows and a sign: a row
trigger adds its new row and takes away its old one, a PostgreSQL statement trigger adds
the statement's inserted rows (a transition table), and the rebuild adds every row of the
base tables. Only "the longest" cannot be taken away: when a session goes, the longest of
its quarter hour is read again from the base table.

To change a definition: first copy the statements ``create`` returns into a new migration
as the record its downgrade reinstalls, then change them here; the migration's upgrade
calls ``drop`` and ``create`` and then ``rebuild`` (db/rollups_rebuild.py), since the rows
already counted were counted the old way.
"""

from __future__ import annotations

from dataclasses import dataclass

from timeboxd.db.search_index import BULK_INSERTS
from timeboxd.domain.stats import DAY, FOCUS_SECONDS, SLOT

# Columns whose change re-counts a row (an update of anything else leaves the rollups be).
BLOCK_COLUMNS = (
    "user_id",
    "livemode",
    "project_id",
    "date",
    "start_at",
    "end_at",
    "done",
    "has_time_entry",
    "archived_at",
    "deleted_at",
)
ENTRY_COLUMNS = ("user_id", "livemode", "project_id", "start_at", "end_at")
# (the triggers' name, the base table, its counted columns, whether it holds blocks)
BASES = (
    ("blocks", "blocks", BLOCK_COLUMNS, True),
    ("entries", "time_entries", ENTRY_COLUMNS, False),
)


@dataclass(frozen=True, slots=True)
class Grain:
    """A rollup of productive seconds: its table, its time column, the seconds of one unit
    of that column, and whether it is kept per project."""

    table: str
    column: str
    unit: int
    by_project: bool

    @property
    def keys(self) -> str:
        return f"user_id, livemode, {self.column}" + (", project_key" if self.by_project else "")


GRAINS = (
    Grain("stats_slots", "slot", SLOT, False),
    Grain("stats_slot_projects", "slot", SLOT, True),
    Grain("stats_day_projects", "day", DAY, True),
)
TABLES = ("stats_block_days", "stats_block_projects", *(g.table for g in GRAINS))


# -- the definitions, over a row alias ("b." or "new.") -------------------------------------


def counted(r: str) -> str:
    """A block that counts: neither archived nor deleted."""
    return f"{r}archived_at IS NULL AND {r}deleted_at IS NULL"


def done(r: str) -> str:
    """1 for a done block, else 0: summed over counted blocks, the completed ones."""
    return f"CASE WHEN {r}done THEN 1 ELSE 0 END"


def productive_block(r: str) -> str:
    """A completed block without time entries: its span is productive time."""
    return f"{r}done AND NOT {r}has_time_entry AND {counted(r)}"


def stopped(r: str) -> str:
    """A time entry whose timer is stopped (a running one is read live, not rolled up)."""
    return f"{r}end_at IS NOT NULL"


def project_key(r: str) -> str:
    return f"COALESCE({r}project_id, '')"


@dataclass(frozen=True, slots=True)
class Dialect:
    """The few spellings in which SQLite and PostgreSQL differ."""

    name: str
    least: str
    greatest: str

    def epoch(self, column: str) -> str:
        """Whole seconds since the epoch of a naive UTC timestamp column."""
        if self.name == "postgresql":
            return f"timeboxd_epoch({column})"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def instant(self, seconds: str) -> str:
        """The naive UTC timestamp of epoch seconds, comparable with a stored instant."""
        if self.name == "postgresql":
            return f"(to_timestamp({seconds}) AT TIME ZONE 'UTC')"
        return f"datetime({seconds}, 'unixepoch')"

    def minutes(self, r: str) -> str:
        return f"(({self.epoch(r + 'end_at')} - {self.epoch(r + 'start_at')}) / 60)"

    def units(self, unit: int) -> tuple[str, str]:
        """(what to join to the spans ``x``, the unit number ``k``) for every unit of
        ``unit`` seconds that a span [x.s, x.e) touches."""
        last = f"(x.e + {unit - 1}) / {unit}"
        if self.name == "postgresql":
            return f" CROSS JOIN LATERAL generate_series(x.s / {unit}, {last} - 1) AS k", "k"
        # SQLite triggers cannot use common table expressions: stats_numbers (0 .. 2**17 - 1,
        # migration 0006) numbers the units; 2**17 quarter hours are 3.7 years.
        return f" JOIN stats_numbers ON n < {last} - x.s / {unit}", f"(x.s / {unit} + n)"


SQLITE = Dialect("sqlite", "MIN", "MAX")
POSTGRESQL = Dialect("postgresql", "LEAST", "GREATEST")
DIALECTS = {d.name: d for d in (SQLITE, POSTGRESQL)}


# -- counting a relation of rows --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rows:
    """Blocks and time entries to add to the rollups (sign 1) or take away (-1): each a
    relation with the base table's columns, or None. ``one`` when a relation holds a
    single row (a row trigger's), which needs no grouping."""

    d: Dialect
    blocks: str | None = None
    entries: str | None = None
    sign: int = 1
    one: bool = False

    def total(self, expression: str, aggregate: str = "sum") -> str:
        value = expression if self.one else f"{aggregate}({expression})"
        return value if self.sign > 0 else f"-({value})"

    def count(self) -> str:
        return self.total("1") if self.one else self.total("*", "count")

    def group(self, columns: str) -> str:
        return "" if self.one else f" GROUP BY {columns}"

    def spans(self) -> str:
        """Productive spans as (user_id, livemode, pkey, s, e, is_block) in epoch seconds."""
        parts = []
        for relation, alias, when, is_block in (
            (self.entries, "w", stopped, 0),
            (self.blocks, "b", productive_block, 1),
        ):
            if relation is not None:
                parts.append(
                    f"SELECT {alias}.user_id AS user_id, {alias}.livemode AS livemode,"
                    f" {project_key(alias + '.')} AS pkey,"
                    f" {self.d.epoch(alias + '.start_at')} AS s,"
                    f" {self.d.epoch(alias + '.end_at')} AS e, {is_block} AS is_block"
                    f" FROM {relation} AS {alias} WHERE {when(alias + '.')}"
                )
        return "(" + " UNION ALL ".join(parts) + ") AS x"

    def statements(self) -> list[str]:
        return self.block_days() + self.productive()

    def block_days(self) -> list[str]:
        return self._block_days() if self.blocks is not None else []

    def productive(self) -> list[str]:
        return [*(self._seconds(grain) for grain in GRAINS), self._focus()]

    def _block_days(self) -> list[str]:
        minutes, is_done = self.d.minutes("b."), done("b.")
        source = f" FROM {self.blocks} AS b WHERE {counted('b.')}"
        return [
            "INSERT INTO stats_block_days (user_id, livemode, date, total, completed,"
            " completed_minutes, scheduled_minutes)"
            f" SELECT b.user_id, b.livemode, b.date, {self.count()}, {self.total(is_done)},"
            f" {self.total(is_done + ' * ' + minutes)}, {self.total(minutes)}{source}"
            + self.group("b.user_id, b.livemode, b.date")
            + " ON CONFLICT (user_id, livemode, date) DO UPDATE SET "
            + _added(
                "stats_block_days", "total", "completed", "completed_minutes", "scheduled_minutes"
            ),
            "INSERT INTO stats_block_projects (user_id, livemode, date, project_key,"
            f" scheduled_minutes) SELECT b.user_id, b.livemode, b.date, {project_key('b.')},"
            f" {self.total(minutes)}{source}"
            + self.group(f"b.user_id, b.livemode, b.date, {project_key('b.')}")
            + " ON CONFLICT (user_id, livemode, date, project_key) DO UPDATE SET"
            f" {_added('stats_block_projects', 'scheduled_minutes')}",
        ]

    def _seconds(self, grain: Grain) -> str:
        """The spans' seconds in every unit of ``grain`` they touch."""
        unit = grain.unit
        join, k = self.d.units(unit)
        piece = f"{self.d.least}(x.e, ({k} + 1) * {unit}) - {self.d.greatest}(x.s, {k} * {unit})"
        picked = f"x.user_id, x.livemode, {k}" + (", x.pkey" if grain.by_project else "")
        tracked = self.total(f"CASE WHEN x.is_block = 0 THEN {piece} ELSE 0 END")
        block = self.total(f"CASE WHEN x.is_block = 1 THEN {piece} ELSE 0 END")
        # "WHERE true": SQLite would read the ON of the upsert as the join's otherwise.
        return (
            f"INSERT INTO {grain.table} ({grain.keys}, tracked_seconds, block_seconds)"
            f" SELECT {picked}, {tracked}, {block} FROM {self.spans()}{join} WHERE true"
            + self.group(picked)
            + f" ON CONFLICT ({grain.keys}) DO UPDATE SET"
            f" {_added(grain.table, 'tracked_seconds', 'block_seconds')}"
        )

    def _focus(self) -> str:
        length = "x.e - x.s"

        def longest(is_block: int) -> str:
            if self.sign < 0:
                return "0"  # taken away: read again from the base table (remove_longest)
            return self.total(f"CASE WHEN x.is_block = {is_block} THEN {length} ELSE 0 END", "max")

        slot = f"x.s / {SLOT}"
        return (
            "INSERT INTO stats_slots (user_id, livemode, slot, focus_count, focus_seconds,"
            f" entry_longest, block_longest) SELECT x.user_id, x.livemode, {slot},"
            f" {self.count()}, {self.total(length)}, {longest(0)}, {longest(1)}"
            f" FROM {self.spans()} WHERE {length} >= {FOCUS_SECONDS}"
            + self.group(f"x.user_id, x.livemode, {slot}")
            + " ON CONFLICT (user_id, livemode, slot) DO UPDATE SET"
            f" {_added('stats_slots', 'focus_count', 'focus_seconds')}, "
            + ", ".join(
                f"{c} = {self.d.greatest}(stats_slots.{c}, excluded.{c})"
                for c in ("entry_longest", "block_longest")
            )
        )


def _added(table: str, *columns: str) -> str:
    # Qualified by the table's name, not an alias: SQLite allows none inside a trigger.
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


def _one_row(r: str, columns: tuple[str, ...]) -> str:
    """A row trigger's row (``new.``, ``OLD.``) as a relation of one row."""
    return "(SELECT " + ", ".join(f"{r}{c} AS {c}" for c in columns) + ")"


Step = tuple[str, list[str]]  # a condition on the row, and the statements that need it


def row_steps(d: Dialect, r: str, is_block: bool, sign: int) -> list[Step]:
    """What adding (1) or taking away (-1) a row trigger's row ``r`` does. Each statement
    filters on its condition itself; PL/pgSQL also skips the statements whose condition the
    row fails, which spares their planning and start-up on every row."""
    if not is_block:
        rows = Rows(d, entries=_one_row(r, ENTRY_COLUMNS), sign=sign, one=True)
        steps = rows.productive() + ([remove_longest(d, r, False)] if sign < 0 else [])
        return [(stopped(r), steps)]
    rows = Rows(d, blocks=_one_row(r, BLOCK_COLUMNS), sign=sign, one=True)
    steps = rows.productive() + ([remove_longest(d, r, True)] if sign < 0 else [])
    return [(counted(r), rows.block_days()), (productive_block(r), steps)]


def remove_longest(d: Dialect, r: str, is_block: bool) -> str:
    """The longest session of the quarter hour a removed session began in, read again
    from the rows that remain (an updated row is already there in its new version, which
    adding it back counts again)."""
    s, e = d.epoch(f"{r}start_at"), d.epoch(f"{r}end_at")
    table, when, column = (
        ("blocks", productive_block, "block_longest")
        if is_block
        else ("time_entries", stopped, "entry_longest")
    )
    length = f"{d.epoch('o.end_at')} - {d.epoch('o.start_at')}"
    lo, hi = d.instant(f"{s} / {SLOT} * {SLOT}"), d.instant(f"({s} / {SLOT} + 1) * {SLOT}")
    again = (
        f"SELECT max({length}) FROM {table} AS o WHERE o.user_id = {r}user_id"
        f" AND o.livemode = {r}livemode AND o.start_at >= {lo} AND o.start_at < {hi}"
        f" AND {when('o.')} AND {length} >= {FOCUS_SECONDS}"
    )
    return (
        f"UPDATE stats_slots SET {column} = COALESCE(({again}), 0)"
        f" WHERE user_id = {r}user_id AND livemode = {r}livemode AND slot = {s} / {SLOT}"
        f" AND {when(r)} AND {e} - {s} >= {FOCUS_SECONDS}"
    )


# -- SQLite: row triggers ---------------------------------------------------------------------


def _body(statements: list[str]) -> str:
    return "".join(f" {s};" for s in statements)


def sqlite_create() -> list[str]:
    def body(r: str, is_block: bool, sign: int) -> str:
        return "".join(_body(steps) for _, steps in row_steps(SQLITE, r, is_block, sign))

    out = []
    for name, table, columns, is_block in BASES:
        added, removed = body("new.", is_block, 1), body("old.", is_block, -1)
        # A bulk insert of entries marks its transaction in BULK_INSERTS and counts its rows
        # afterwards in one grouped statement per rollup (db/rollups_bulk.py): SQLite has
        # no statement triggers, and this one, run per row, was most of such an insert.
        when = f" WHEN NOT EXISTS (SELECT 1 FROM {BULK_INSERTS})" if not is_block else ""
        out += [
            f"CREATE TRIGGER stats_rollup_{name}_ai AFTER INSERT ON {table}{when} BEGIN{added} END",
            f"CREATE TRIGGER stats_rollup_{name}_au AFTER UPDATE OF {', '.join(columns)}"
            f" ON {table} BEGIN{removed}{added} END",
            f"CREATE TRIGGER stats_rollup_{name}_ad AFTER DELETE ON {table} BEGIN{removed} END",
        ]
    return out


def sqlite_drop() -> list[str]:
    return [
        f"DROP TRIGGER stats_rollup_{b[0]}_{event}" for b in BASES for event in ("ai", "au", "ad")
    ]


# -- PostgreSQL: statement triggers for inserts, row triggers for the rest ---------------------


# What the functions that count a statement's inserted rows run with. The planner cannot
# know how many units generate_series gives a span (it assumes 1,000), so a 10,000-row
# insert looked like ten million rows to group, and JIT compilation of the four upserts
# took longer than running them (1.4 s of 2.2 s for 10,000 entries).
PG_STATEMENT_SETTINGS = "SET jit = off"


def _pg_function(name: str, body: list[str], settings: str = "") -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql{settings} AS $$ BEGIN"
        f"{_body(body)} RETURN NULL; END $$"
    )


def _pg_steps(r: str, is_block: bool, sign: int) -> list[str]:
    return [
        f"IF {when} THEN{_body(steps)} END IF"
        for when, steps in row_steps(POSTGRESQL, r, is_block, sign)
    ]


def postgresql_create() -> list[str]:
    # A row trigger runs once per row: a bulk insert of 10,000 blocks would upsert the day
    # rollups 20,000 times. Inserts are therefore counted once per statement, over its
    # transition table, in one grouped upsert per rollup; updates and deletes (a column
    # list and a transition table do not go together) row by row.
    out = [
        "CREATE FUNCTION timeboxd_epoch(t timestamp) RETURNS bigint IMMUTABLE LANGUAGE sql"
        " AS $$ SELECT floor(extract(epoch FROM t))::bigint $$"
    ]
    for name, table, columns, is_block in BASES:
        added = _body(_pg_steps("NEW.", is_block, 1))
        changed = [*_pg_steps("OLD.", is_block, -1), f"IF TG_OP = 'UPDATE' THEN{added} END IF"]
        inserted = (
            Rows(POSTGRESQL, blocks="inserted")
            if is_block
            else Rows(POSTGRESQL, entries="inserted")
        )
        out += [
            _pg_function(f"timeboxd_stats_{name}", changed),
            _pg_function(
                f"timeboxd_stats_{name}_inserted",
                inserted.statements(),
                f" {PG_STATEMENT_SETTINGS}",
            ),
            f"CREATE TRIGGER stats_rollup_{name} AFTER DELETE OR UPDATE OF {', '.join(columns)}"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_{name}()",
            f"CREATE TRIGGER stats_rollup_{name}_inserted AFTER INSERT ON {table}"
            " REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT"
            f" EXECUTE FUNCTION timeboxd_stats_{name}_inserted()",
        ]
    return out


def postgresql_drop() -> list[str]:
    out = []
    for name, table, _, _ in BASES:
        out += [
            f"DROP TRIGGER stats_rollup_{name} ON {table}",
            f"DROP TRIGGER stats_rollup_{name}_inserted ON {table}",
            f"DROP FUNCTION timeboxd_stats_{name}()",
            f"DROP FUNCTION timeboxd_stats_{name}_inserted()",
        ]
    return [*out, "DROP FUNCTION timeboxd_epoch(timestamp)"]


def create(dialect: str) -> list[str]:
    """The statements that install the triggers on ``dialect`` ("sqlite", "postgresql")."""
    return postgresql_create() if dialect == "postgresql" else sqlite_create()


def drop(dialect: str) -> list[str]:
    """The statements that remove what ``create`` installs."""
    return postgresql_drop() if dialect == "postgresql" else sqlite_drop()


def recount(dialect: str) -> list[str]:
    """Statements that count every block and time entry into empty rollups."""
    return Rows(DIALECTS[dialect], blocks="blocks", entries="time_entries").statements()
