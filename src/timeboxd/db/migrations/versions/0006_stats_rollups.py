"""stats rollups: block totals per local day and productive time per UTC quarter hour

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-25 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Statistics read these instead of a million blocks. Triggers keep them in the same
# transaction as every write to blocks and time entries, whatever wrote it (API, bulk
# routes, imports with core inserts, a zone change re-anchoring blocks, cascades).
#
# stats_block_days: per (account, block date) the counted blocks (neither archived nor
# deleted): how many, how many done, the minutes of the done ones, the minutes of all;
# stats_block_projects: the minutes of all of them per date and project.
#
# Productive time is the seconds of stopped time entries ("tracked") and of done, counted
# blocks without entries ("block"), kept at three grains:
# - stats_slots, per (account, UTC quarter hour = epoch seconds // 900), with the focus
#   sessions (25 minutes or more) that begin in it: count, seconds, longest entry and block.
#   A quarter hour lies within one local hour in every zone in use (offsets are whole
#   quarter hours), so local days and hours come from it in the account's current zone.
# - stats_slot_projects, per quarter hour and project: only read at the two edges of a range;
# - stats_day_projects, per UTC day (epoch seconds // 86400) and project: the whole UTC days
#   inside a range, so a five-year range reads a few thousand rows, not millions.
#
# SQLite triggers cannot use common table expressions: stats_numbers (0 .. 2**17 - 1) spreads
# a row over its quarter hours; 2**17 quarter hours are 3.7 years, far past the 7 days an
# entry may last (a timer left running longer than that counts only its first 3.7 years).

NUMBERS = 2**17
FOCUS = 1500
SLOT = 900
DAY = 86400
# (table, column, seconds per unit, keyed by project)
GRAINS = (
    ("stats_slots", "slot", SLOT, False),
    ("stats_slot_projects", "slot", SLOT, True),
    ("stats_day_projects", "day", DAY, True),
)


def _seconds(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "stats_block_days",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("completed_minutes", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_minutes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "livemode", "date", name="pk_stats_block_days"),
    )
    op.create_table(
        "stats_block_projects",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("project_key", sa.String(32), nullable=False),
        sa.Column("scheduled_minutes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "livemode", "date", "project_key", name="pk_stats_block_projects"
        ),
    )
    op.create_table(
        "stats_slots",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        _seconds("tracked_seconds"),
        _seconds("block_seconds"),
        _seconds("focus_count"),
        _seconds("focus_seconds"),
        _seconds("entry_longest"),
        _seconds("block_longest"),
        sa.PrimaryKeyConstraint("user_id", "livemode", "slot", name="pk_stats_slots"),
    )
    for table, column, _, _ in GRAINS[1:]:
        op.create_table(
            table,
            sa.Column("user_id", sa.String(32), nullable=False),
            sa.Column("livemode", sa.Boolean(), nullable=False),
            sa.Column(column, sa.BigInteger(), nullable=False),
            sa.Column("project_key", sa.String(32), nullable=False),
            _seconds("tracked_seconds"),
            _seconds("block_seconds"),
            sa.PrimaryKeyConstraint(
                "user_id", "livemode", column, "project_key", name=f"pk_{table}"
            ),
        )
    # The longest focus block of a quarter hour is recomputed from its blocks when one goes.
    op.create_index("ix_blocks_owner_start_at", "blocks", ["user_id", "livemode", "start_at"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in postgresql():
            op.execute(statement)
    else:
        op.create_table("stats_numbers", sa.Column("n", sa.Integer(), primary_key=True))
        op.execute(
            "INSERT INTO stats_numbers(n) WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL"
            f" SELECT n + 1 FROM c WHERE n < {NUMBERS - 1}) SELECT n FROM c"
        )
        for statement in sqlite_triggers():
            op.execute(statement)
    backfill(op.get_bind().dialect.name)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER stats_rollup_blocks ON blocks")
        op.execute("DROP TRIGGER stats_rollup_entries ON time_entries")
        op.execute("DROP FUNCTION timeboxd_stats_blocks()")
        op.execute("DROP FUNCTION timeboxd_stats_block_row(blocks, int)")
        op.execute("DROP FUNCTION timeboxd_stats_entries()")
        op.execute(
            "DROP FUNCTION timeboxd_stats_spread(text, boolean, text, bigint, bigint, boolean, int)"
        )
        op.execute(
            "DROP FUNCTION timeboxd_stats_focus(text, boolean, bigint, bigint, boolean, int)"
        )
        op.execute("DROP FUNCTION timeboxd_epoch(timestamp)")
    else:
        for table in ("blocks", "entries"):
            for event in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER stats_rollup_{table}_{event}")
        op.drop_table("stats_numbers")
    op.drop_index("ix_blocks_owner_start_at", table_name="blocks")
    for table, _, _, _ in GRAINS:
        op.drop_table(table)
    op.drop_table("stats_block_projects")
    op.drop_table("stats_block_days")


# -- SQLite --------------------------------------------------------------------------------


def _ts(col: str) -> str:
    return f"CAST(strftime('%s', {col}) AS INTEGER)"


def _block_day(r: str, sign: str) -> str:
    minutes = f"(({_ts(r + '.end_at')} - {_ts(r + '.start_at')}) / 60)"
    done = f"(CASE WHEN {r}.done THEN 1 ELSE 0 END)"
    day = f"user_id = {r}.user_id AND livemode = {r}.livemode AND date = {r}.date"
    counted = f"{r}.archived_at IS NULL AND {r}.deleted_at IS NULL"
    if sign == "+":
        return (
            "INSERT INTO stats_block_days(user_id, livemode, date, total, completed,"
            " completed_minutes, scheduled_minutes)"
            f" SELECT {r}.user_id, {r}.livemode, {r}.date, 1, {done}, {done} * {minutes},"
            f" {minutes} WHERE {counted}"
            " ON CONFLICT(user_id, livemode, date) DO UPDATE SET"
            " total = total + 1, completed = completed + excluded.completed,"
            " completed_minutes = completed_minutes + excluded.completed_minutes,"
            " scheduled_minutes = scheduled_minutes + excluded.scheduled_minutes;"
            "INSERT INTO stats_block_projects(user_id, livemode, date, project_key,"
            f" scheduled_minutes) SELECT {r}.user_id, {r}.livemode, {r}.date,"
            f" COALESCE({r}.project_id, ''), {minutes} WHERE {counted}"
            " ON CONFLICT(user_id, livemode, date, project_key) DO UPDATE SET"
            " scheduled_minutes = scheduled_minutes + excluded.scheduled_minutes;"
        )
    return (
        f"UPDATE stats_block_days SET total = total - 1, completed = completed - {done},"
        f" completed_minutes = completed_minutes - {done} * {minutes},"
        f" scheduled_minutes = scheduled_minutes - {minutes} WHERE {counted} AND {day};"
        f"UPDATE stats_block_projects SET scheduled_minutes = scheduled_minutes - {minutes}"
        f" WHERE {counted} AND {day} AND project_key = COALESCE({r}.project_id, '');"
    )


def _when(r: str, block: bool) -> str:
    if block:
        return (
            f"{r}.done AND NOT {r}.has_time_entry AND {r}.archived_at IS NULL"
            f" AND {r}.deleted_at IS NULL"
        )
    return f"{r}.end_at IS NOT NULL"


def _spread(r: str, sign: str, block: bool) -> str:
    """Add (+) or take away (-) the row's seconds in every unit of every grain it covers."""
    s, e = _ts(f"{r}.start_at"), _ts(f"{r}.end_at")
    value = "block_seconds" if block else "tracked_seconds"
    out = ""
    for table, col, unit, by_project in GRAINS:
        keys = f"user_id, livemode, {col}" + (", project_key" if by_project else "")
        project = f", COALESCE({r}.project_id, '')" if by_project else ""
        if sign == "+":
            k = f"({s} / {unit} + n)"
            piece = f"MIN({e}, ({k} + 1) * {unit}) - MAX({s}, {k} * {unit})"
            out += (
                f"INSERT INTO {table}({keys}, {value})"
                f" SELECT {r}.user_id, {r}.livemode, {k}{project}, {piece} FROM stats_numbers"
                f" WHERE {_when(r, block)} AND n < ({e} + {unit - 1}) / {unit} - {s} / {unit}"
                f" ON CONFLICT({keys}) DO UPDATE SET {value} = {value} + excluded.{value};"
            )
            continue
        piece = f"MIN({e}, ({col} + 1) * {unit}) - MAX({s}, {col} * {unit})"
        same = f" AND project_key = COALESCE({r}.project_id, '')" if by_project else ""
        out += (
            f"UPDATE {table} SET {value} = {value} - ({piece}) WHERE {_when(r, block)}"
            f" AND user_id = {r}.user_id AND livemode = {r}.livemode{same}"
            f" AND {col} >= {s} / {unit} AND {col} < ({e} + {unit - 1}) / {unit};"
        )
    return out


def _focus(r: str, sign: str, block: bool) -> str:
    s, e = _ts(f"{r}.start_at"), _ts(f"{r}.end_at")
    longest = "block_longest" if block else "entry_longest"
    when = f"{_when(r, block)} AND {e} - {s} >= {FOCUS}"
    if sign == "+":
        return (
            f"INSERT INTO stats_slots(user_id, livemode, slot, focus_count, focus_seconds,"
            f" {longest}) SELECT {r}.user_id, {r}.livemode, {s} / {SLOT}, 1, {e} - {s},"
            f" {e} - {s} WHERE {when} ON CONFLICT(user_id, livemode, slot) DO UPDATE SET"
            " focus_count = focus_count + 1,"
            " focus_seconds = focus_seconds + excluded.focus_seconds,"
            f" {longest} = MAX({longest}, excluded.{longest});"
        )
    # The longest that remains: recomputed from the rows of that quarter hour (the table
    # already holds the new version of an updated row, which the add step counts again).
    lo = f"datetime({s} / {SLOT} * {SLOT}, 'unixepoch')"
    hi = f"datetime(({s} / {SLOT} + 1) * {SLOT}, 'unixepoch')"
    length = f"{_ts('t.end_at')} - {_ts('t.start_at')}"
    table = "blocks" if block else "time_entries"
    again = (
        f"(SELECT MAX({length}) FROM {table} t WHERE {_when('t', block)}"
        f" AND t.user_id = {r}.user_id AND t.livemode = {r}.livemode"
        f" AND t.start_at >= {lo} AND t.start_at < {hi} AND {length} >= {FOCUS})"
    )
    return (
        "UPDATE stats_slots SET focus_count = focus_count - 1,"
        f" focus_seconds = focus_seconds - ({e} - {s}), {longest} = COALESCE({again}, 0)"
        f" WHERE {when} AND user_id = {r}.user_id AND livemode = {r}.livemode"
        f" AND slot = {s} / {SLOT};"
    )


def sqlite_triggers() -> list[str]:
    block_cols = (
        "user_id, livemode, project_id, date, start_at, end_at, done, has_time_entry,"
        " archived_at, deleted_at"
    )
    entry_cols = "user_id, livemode, project_id, start_at, end_at"

    def block(r: str, sign: str) -> str:
        return _block_day(r, sign) + _spread(r, sign, True) + _focus(r, sign, True)

    def entry(r: str, sign: str) -> str:
        return _spread(r, sign, False) + _focus(r, sign, False)

    out = []
    for name, table, cols, body in (
        ("blocks", "blocks", block_cols, block),
        ("entries", "time_entries", entry_cols, entry),
    ):
        out += [
            f"CREATE TRIGGER stats_rollup_{name}_ai AFTER INSERT ON {table} BEGIN"
            f" {body('new', '+')} END",
            f"CREATE TRIGGER stats_rollup_{name}_au AFTER UPDATE OF {cols} ON {table} BEGIN"
            f" {body('old', '-')} {body('new', '+')} END",
            f"CREATE TRIGGER stats_rollup_{name}_ad AFTER DELETE ON {table} BEGIN"
            f" {body('old', '-')} END",
        ]
    return out


# -- PostgreSQL ----------------------------------------------------------------------------


def _pg_spread() -> str:
    body = ""
    for table, col, unit, by_project in GRAINS:
        keys = f"user_id, livemode, {col}" + (", project_key" if by_project else "")
        project = ", pkey" if by_project else ""
        piece = f"sign * (LEAST(e, (k + 1) * {unit}) - GREATEST(s, k * {unit}))"
        body += f"""
      INSERT INTO {table} AS t ({keys}, tracked_seconds, block_seconds)
      SELECT uid, live, k{project}, CASE WHEN is_block THEN 0 ELSE {piece} END,
             CASE WHEN is_block THEN {piece} ELSE 0 END
      FROM generate_series(s / {unit}, (e + {unit - 1}) / {unit} - 1) AS k
      ON CONFLICT ({keys}) DO UPDATE SET
        tracked_seconds = t.tracked_seconds + excluded.tracked_seconds,
        block_seconds = t.block_seconds + excluded.block_seconds;"""
    return f"""
    CREATE FUNCTION timeboxd_stats_spread(
        uid text, live boolean, pkey text, s bigint, e bigint, is_block boolean, sign int
    ) RETURNS void LANGUAGE sql AS $${body}
    $$
    """


def postgresql() -> list[str]:
    return [
        """
        CREATE FUNCTION timeboxd_epoch(t timestamp) RETURNS bigint
        IMMUTABLE LANGUAGE sql AS $$ SELECT floor(extract(epoch FROM t))::bigint $$
        """,
        _pg_spread(),
        f"""
        CREATE FUNCTION timeboxd_stats_focus(
            uid text, live boolean, s bigint, e bigint, is_block boolean, sign int
        ) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE lo timestamp; hi timestamp;
        BEGIN
          IF e - s < {FOCUS} THEN RETURN; END IF;
          IF sign > 0 THEN
            INSERT INTO stats_slots AS t (user_id, livemode, slot, focus_count, focus_seconds,
                entry_longest, block_longest)
            VALUES (uid, live, s / {SLOT}, 1, e - s, CASE WHEN is_block THEN 0 ELSE e - s END,
                    CASE WHEN is_block THEN e - s ELSE 0 END)
            ON CONFLICT (user_id, livemode, slot) DO UPDATE SET
              focus_count = t.focus_count + 1,
              focus_seconds = t.focus_seconds + excluded.focus_seconds,
              entry_longest = GREATEST(t.entry_longest, excluded.entry_longest),
              block_longest = GREATEST(t.block_longest, excluded.block_longest);
            RETURN;
          END IF;
          lo := to_timestamp(s / {SLOT} * {SLOT}) AT TIME ZONE 'UTC';
          hi := lo + interval '{SLOT} seconds';
          UPDATE stats_slots SET focus_count = focus_count - 1,
              focus_seconds = focus_seconds - (e - s)
            WHERE user_id = uid AND livemode = live AND slot = s / {SLOT};
          IF is_block THEN
            UPDATE stats_slots SET block_longest = COALESCE((
              SELECT max(timeboxd_epoch(b.end_at) - timeboxd_epoch(b.start_at)) FROM blocks b
              WHERE b.user_id = uid AND b.livemode = live
                AND b.start_at >= lo AND b.start_at < hi AND b.done AND NOT b.has_time_entry
                AND b.archived_at IS NULL AND b.deleted_at IS NULL
                AND timeboxd_epoch(b.end_at) - timeboxd_epoch(b.start_at) >= {FOCUS}), 0)
              WHERE user_id = uid AND livemode = live AND slot = s / {SLOT};
          ELSE
            UPDATE stats_slots SET entry_longest = COALESCE((
              SELECT max(timeboxd_epoch(x.end_at) - timeboxd_epoch(x.start_at))
              FROM time_entries x
              WHERE x.user_id = uid AND x.livemode = live
                AND x.start_at >= lo AND x.start_at < hi AND x.end_at IS NOT NULL
                AND timeboxd_epoch(x.end_at) - timeboxd_epoch(x.start_at) >= {FOCUS}), 0)
              WHERE user_id = uid AND livemode = live AND slot = s / {SLOT};
          END IF;
        END $$
        """,
        """
        CREATE FUNCTION timeboxd_stats_entries() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE s bigint; e bigint;
        BEGIN
          IF TG_OP <> 'INSERT' AND OLD.end_at IS NOT NULL THEN
            s := timeboxd_epoch(OLD.start_at); e := timeboxd_epoch(OLD.end_at);
            PERFORM timeboxd_stats_spread(
              OLD.user_id, OLD.livemode, COALESCE(OLD.project_id, ''), s, e, false, -1);
            PERFORM timeboxd_stats_focus(OLD.user_id, OLD.livemode, s, e, false, -1);
          END IF;
          IF TG_OP <> 'DELETE' AND NEW.end_at IS NOT NULL THEN
            s := timeboxd_epoch(NEW.start_at); e := timeboxd_epoch(NEW.end_at);
            PERFORM timeboxd_stats_spread(
              NEW.user_id, NEW.livemode, COALESCE(NEW.project_id, ''), s, e, false, 1);
            PERFORM timeboxd_stats_focus(NEW.user_id, NEW.livemode, s, e, false, 1);
          END IF;
          RETURN NULL;
        END $$
        """,
        """
        CREATE FUNCTION timeboxd_stats_block_row(r blocks, sign int) RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE s bigint; e bigint; pkey text; done int;
        BEGIN
          IF r.archived_at IS NOT NULL OR r.deleted_at IS NOT NULL THEN RETURN; END IF;
          s := timeboxd_epoch(r.start_at); e := timeboxd_epoch(r.end_at);
          pkey := COALESCE(r.project_id, '');
          done := CASE WHEN r.done THEN 1 ELSE 0 END;
          INSERT INTO stats_block_days AS t (user_id, livemode, date, total,
              completed, completed_minutes, scheduled_minutes)
          VALUES (r.user_id, r.livemode, r.date, sign, sign * done,
                  sign * done * ((e - s) / 60), sign * ((e - s) / 60))
          ON CONFLICT (user_id, livemode, date) DO UPDATE SET
            total = t.total + excluded.total,
            completed = t.completed + excluded.completed,
            completed_minutes = t.completed_minutes + excluded.completed_minutes,
            scheduled_minutes = t.scheduled_minutes + excluded.scheduled_minutes;
          INSERT INTO stats_block_projects AS t (user_id, livemode, date, project_key,
              scheduled_minutes)
          VALUES (r.user_id, r.livemode, r.date, pkey, sign * ((e - s) / 60))
          ON CONFLICT (user_id, livemode, date, project_key) DO UPDATE SET
            scheduled_minutes = t.scheduled_minutes + excluded.scheduled_minutes;
          IF r.done AND NOT r.has_time_entry THEN
            PERFORM timeboxd_stats_spread(r.user_id, r.livemode, pkey, s, e, true, sign);
            PERFORM timeboxd_stats_focus(r.user_id, r.livemode, s, e, true, sign);
          END IF;
        END $$
        """,
        """
        CREATE FUNCTION timeboxd_stats_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN PERFORM timeboxd_stats_block_row(OLD, -1); END IF;
          IF TG_OP <> 'DELETE' THEN PERFORM timeboxd_stats_block_row(NEW, 1); END IF;
          RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER stats_rollup_blocks AFTER INSERT OR DELETE OR UPDATE OF user_id,"
        " livemode, project_id, date, start_at, end_at, done, has_time_entry, archived_at,"
        " deleted_at ON blocks FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_blocks()",
        "CREATE TRIGGER stats_rollup_entries AFTER INSERT OR DELETE OR UPDATE OF user_id,"
        " livemode, project_id, start_at, end_at ON time_entries"
        " FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_entries()",
    ]


# -- backfill ------------------------------------------------------------------------------


def backfill(dialect: str) -> None:
    """The rollups of the rows that exist before the triggers (set-based, one pass each)."""
    pg = dialect == "postgresql"
    ts = (lambda c: f"timeboxd_epoch({c})") if pg else _ts
    done = "CASE WHEN done THEN 1 ELSE 0 END"
    minutes = f"(({ts('end_at')} - {ts('start_at')}) / 60)"
    counted = "archived_at IS NULL AND deleted_at IS NULL"
    op.execute(
        "INSERT INTO stats_block_days(user_id, livemode, date, total, completed,"
        " completed_minutes, scheduled_minutes)"
        f" SELECT user_id, livemode, date, count(*), sum({done}), sum({done} * {minutes}),"
        f" sum({minutes}) FROM blocks WHERE {counted} GROUP BY user_id, livemode, date"
    )
    op.execute(
        "INSERT INTO stats_block_projects(user_id, livemode, date, project_key,"
        f" scheduled_minutes) SELECT user_id, livemode, date, COALESCE(project_id, ''),"
        f" sum({minutes}) FROM blocks WHERE {counted}"
        " GROUP BY user_id, livemode, date, COALESCE(project_id, '')"
    )
    spans = (
        f"SELECT user_id, livemode, COALESCE(project_id, '') AS pkey, {ts('start_at')} AS s,"
        f" {ts('end_at')} AS e, 0 AS is_block FROM time_entries WHERE end_at IS NOT NULL"
        f" UNION ALL SELECT user_id, livemode, COALESCE(project_id, ''), {ts('start_at')},"
        f" {ts('end_at')}, 1 FROM blocks WHERE {counted} AND done AND NOT has_time_entry"
    )
    for table, col, unit, by_project in GRAINS:
        if pg:
            k = "k"
            last = f"(x.e + {unit - 1}) / {unit} - 1"
            units = f"CROSS JOIN LATERAL generate_series(x.s / {unit}, {last}) AS k"
        else:
            k = f"(x.s / {unit} + n)"
            units = f"JOIN stats_numbers ON n < (x.e + {unit - 1}) / {unit} - x.s / {unit}"
        piece = f"{'LEAST' if pg else 'MIN'}(x.e, ({k} + 1) * {unit})"
        piece += f" - {'GREATEST' if pg else 'MAX'}(x.s, {k} * {unit})"
        keys = f"user_id, livemode, {col}" + (", project_key" if by_project else "")
        group = f"x.user_id, x.livemode, {k}" + (", x.pkey" if by_project else "")
        op.execute(
            f"INSERT INTO {table}({keys}, tracked_seconds, block_seconds) SELECT {group},"
            f" sum(CASE WHEN x.is_block = 0 THEN {piece} ELSE 0 END),"
            f" sum(CASE WHEN x.is_block = 1 THEN {piece} ELSE 0 END)"
            f" FROM ({spans}) x {units} GROUP BY {group}"
        )
    length = "(x.e - x.s)"
    op.execute(
        "INSERT INTO stats_slots(user_id, livemode, slot, focus_count, focus_seconds,"
        " entry_longest, block_longest)"
        f" SELECT x.user_id, x.livemode, x.s / {SLOT}, count(*), sum({length}),"
        f" max(CASE WHEN x.is_block = 0 THEN {length} ELSE 0 END),"
        f" max(CASE WHEN x.is_block = 1 THEN {length} ELSE 0 END)"
        f" FROM ({spans}) x WHERE {length} >= {FOCUS}"
        f" GROUP BY x.user_id, x.livemode, x.s / {SLOT}"
        " ON CONFLICT(user_id, livemode, slot) DO UPDATE SET"
        " focus_count = excluded.focus_count, focus_seconds = excluded.focus_seconds,"
        " entry_longest = excluded.entry_longest, block_longest = excluded.block_longest"
    )
