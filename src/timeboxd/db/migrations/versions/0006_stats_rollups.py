"""stats rollups: block totals per local day and tracked time per UTC quarter hour

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
# stats_block_days: per (account, block date, project) the counted blocks (neither archived
# nor deleted): how many, how many done, the minutes of the done ones, the minutes of all.
#
# stats_slots: per (account, UTC quarter hour, project) the seconds of stopped time entries
# and of done blocks without entries (productive time), and the focus sessions (25 minutes
# or more) that begin in that quarter hour: count, seconds, longest entry, longest block.
# A quarter hour lies within one local hour in every zone in use (offsets are whole quarter
# hours), so local days and hours come from it at read time in the account's current zone.
#
# SQLite triggers cannot use common table expressions: stats_numbers (0 .. 2**17 - 1) spreads
# an entry over its quarter hours; 2**17 quarter hours are 3.7 years, far past the 7 days an
# entry may last.

NUMBERS = 2**17
FOCUS = 1500
SLOT = 900


def upgrade() -> None:
    op.create_table(
        "stats_block_days",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("project_key", sa.String(32), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("completed_minutes", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_minutes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "livemode", "date", "project_key", name="pk_stats_block_days"
        ),
    )
    op.create_table(
        "stats_slots",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("project_key", sa.String(32), nullable=False),
        sa.Column("tracked_seconds", sa.BigInteger(), nullable=False),
        sa.Column("block_seconds", sa.BigInteger(), nullable=False),
        sa.Column("focus_count", sa.Integer(), nullable=False),
        sa.Column("focus_seconds", sa.BigInteger(), nullable=False),
        sa.Column("entry_longest", sa.Integer(), nullable=False),
        sa.Column("block_longest", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "livemode", "slot", "project_key", name="pk_stats_slots"
        ),
    )
    # The longest focus block of a quarter hour is recomputed from its blocks when one goes.
    op.create_index("ix_blocks_owner_start_at", "blocks", ["user_id", "livemode", "start_at"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL:
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
        args = "(text, boolean, text, bigint, bigint, boolean, int)"
        op.execute(f"DROP FUNCTION timeboxd_stats_spread{args}")
        op.execute(f"DROP FUNCTION timeboxd_stats_focus{args}")
        op.execute("DROP FUNCTION timeboxd_epoch(timestamp)")
    else:
        for table in ("blocks", "entries"):
            for event in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER stats_rollup_{table}_{event}")
        op.drop_table("stats_numbers")
    op.drop_index("ix_blocks_owner_start_at", table_name="blocks")
    op.drop_table("stats_slots")
    op.drop_table("stats_block_days")


# -- SQLite --------------------------------------------------------------------------------


def _ts(col: str) -> str:
    return f"CAST(strftime('%s', {col}) AS INTEGER)"


def _block_day(r: str, sign: str) -> str:
    minutes = f"(({_ts(r + '.end_at')} - {_ts(r + '.start_at')}) / 60)"
    done = f"(CASE WHEN {r}.done THEN 1 ELSE 0 END)"
    where = (
        f"user_id = {r}.user_id AND livemode = {r}.livemode AND date = {r}.date"
        f" AND project_key = COALESCE({r}.project_id, '')"
    )
    counted = f"{r}.archived_at IS NULL AND {r}.deleted_at IS NULL"
    if sign == "+":
        return (
            "INSERT INTO stats_block_days(user_id, livemode, date, project_key, total, completed,"
            " completed_minutes, scheduled_minutes)"
            f" SELECT {r}.user_id, {r}.livemode, {r}.date, COALESCE({r}.project_id, ''), 1, {done},"
            f" {done} * {minutes}, {minutes} WHERE {counted}"
            " ON CONFLICT(user_id, livemode, date, project_key) DO UPDATE SET"
            " total = total + 1, completed = completed + excluded.completed,"
            " completed_minutes = completed_minutes + excluded.completed_minutes,"
            " scheduled_minutes = scheduled_minutes + excluded.scheduled_minutes;"
        )
    return (
        f"UPDATE stats_block_days SET total = total - 1, completed = completed - {done},"
        f" completed_minutes = completed_minutes - {done} * {minutes},"
        f" scheduled_minutes = scheduled_minutes - {minutes} WHERE {counted} AND {where};"
    )


def _spread(r: str, sign: str, block: bool) -> str:
    """Add (+) or take away (-) the row's seconds in each quarter hour it covers."""
    s, e = _ts(f"{r}.start_at"), _ts(f"{r}.end_at")
    column = "block_seconds" if block else "tracked_seconds"
    when = (
        f"{r}.done AND NOT {r}.has_time_entry AND {r}.archived_at IS NULL"
        f" AND {r}.deleted_at IS NULL"
        if block
        else f"{r}.end_at IS NOT NULL"
    )
    key = f"COALESCE({r}.project_id, '')"
    if sign == "+":
        k = f"({s} / {SLOT} + n)"
        seconds = f"MIN({e}, ({k} + 1) * {SLOT}) - MAX({s}, {k} * {SLOT})"
        return (
            "INSERT INTO stats_slots(user_id, livemode, slot, project_key, tracked_seconds,"
            " block_seconds, focus_count, focus_seconds, entry_longest, block_longest)"
            f" SELECT {r}.user_id, {r}.livemode, {k}, {key},"
            f" {'0' if block else seconds}, {seconds if block else '0'}, 0, 0, 0, 0"
            f" FROM stats_numbers WHERE {when} AND n < ({e} + {SLOT - 1}) / {SLOT} - {s} / {SLOT}"
            " ON CONFLICT(user_id, livemode, slot, project_key) DO UPDATE SET"
            f" {column} = {column} + excluded.{column};"
        )
    seconds = f"MIN({e}, (slot + 1) * {SLOT}) - MAX({s}, slot * {SLOT})"
    return (
        f"UPDATE stats_slots SET {column} = {column} - ({seconds}) WHERE {when}"
        f" AND user_id = {r}.user_id AND livemode = {r}.livemode AND project_key = {key}"
        f" AND slot >= {s} / {SLOT} AND slot < ({e} + {SLOT - 1}) / {SLOT};"
    )


def _focus(r: str, sign: str, block: bool) -> str:
    s, e = _ts(f"{r}.start_at"), _ts(f"{r}.end_at")
    longest = "block_longest" if block else "entry_longest"
    when = (
        f"{r}.done AND NOT {r}.has_time_entry AND {r}.archived_at IS NULL"
        f" AND {r}.deleted_at IS NULL"
        if block
        else f"{r}.end_at IS NOT NULL"
    )
    when += f" AND {e} - {s} >= {FOCUS}"
    key = f"COALESCE({r}.project_id, '')"
    if sign == "+":
        return (
            "INSERT INTO stats_slots(user_id, livemode, slot, project_key, tracked_seconds,"
            " block_seconds, focus_count, focus_seconds, entry_longest, block_longest)"
            f" SELECT {r}.user_id, {r}.livemode, {s} / {SLOT}, {key}, 0, 0, 1, {e} - {s},"
            f" {'0' if block else f'{e} - {s}'}, {f'{e} - {s}' if block else '0'} WHERE {when}"
            " ON CONFLICT(user_id, livemode, slot, project_key) DO UPDATE SET"
            " focus_count = focus_count + 1,"
            " focus_seconds = focus_seconds + excluded.focus_seconds,"
            f" {longest} = MAX({longest}, excluded.{longest});"
        )
    # The longest that remains: recomputed from the rows of that quarter hour (the table
    # already holds the new version of an updated row, which the add step counts again).
    t = "t"
    lo, hi = (
        f"datetime({s} / {SLOT} * {SLOT}, 'unixepoch')",
        f"datetime(({s} / {SLOT} + 1) * {SLOT}, 'unixepoch')",
    )
    length = f"{_ts('t.end_at')} - {_ts('t.start_at')}"
    source = (
        "blocks t WHERE t.done AND NOT t.has_time_entry AND t.archived_at IS NULL"
        " AND t.deleted_at IS NULL"
        if block
        else "time_entries t WHERE t.end_at IS NOT NULL"
    )
    again = (
        f"(SELECT MAX({length}) FROM {source} AND {t}.user_id = {r}.user_id"
        f" AND {t}.livemode = {r}.livemode AND COALESCE({t}.project_id, '') = {key}"
        f" AND {t}.start_at >= {lo} AND {t}.start_at < {hi} AND {length} >= {FOCUS})"
    )
    return (
        "UPDATE stats_slots SET focus_count = focus_count - 1,"
        f" focus_seconds = focus_seconds - ({e} - {s}), {longest} = COALESCE({again}, 0)"
        f" WHERE {when} AND user_id = {r}.user_id AND livemode = {r}.livemode"
        f" AND project_key = {key} AND slot = {s} / {SLOT};"
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

POSTGRESQL = [
    """
    CREATE FUNCTION timeboxd_epoch(t timestamp) RETURNS bigint
    IMMUTABLE LANGUAGE sql AS $$ SELECT floor(extract(epoch FROM t))::bigint $$
    """,
    f"""
    CREATE FUNCTION timeboxd_stats_spread(
        uid text, live boolean, pkey text, s bigint, e bigint, is_block boolean, sign int
    ) RETURNS void LANGUAGE sql AS $$
      INSERT INTO stats_slots AS t (user_id, livemode, slot, project_key, tracked_seconds,
          block_seconds, focus_count, focus_seconds, entry_longest, block_longest)
      SELECT uid, live, k, pkey,
             CASE WHEN is_block THEN 0
                  ELSE sign * (LEAST(e, (k + 1) * {SLOT}) - GREATEST(s, k * {SLOT})) END,
             CASE WHEN is_block
                  THEN sign * (LEAST(e, (k + 1) * {SLOT}) - GREATEST(s, k * {SLOT})) ELSE 0 END,
             0, 0, 0, 0
      FROM generate_series(s / {SLOT}, (e + {SLOT - 1}) / {SLOT} - 1) AS k
      ON CONFLICT (user_id, livemode, slot, project_key) DO UPDATE SET
        tracked_seconds = t.tracked_seconds + excluded.tracked_seconds,
        block_seconds = t.block_seconds + excluded.block_seconds
    $$
    """,
    f"""
    CREATE FUNCTION timeboxd_stats_focus(
        uid text, live boolean, pkey text, s bigint, e bigint, is_block boolean, sign int
    ) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE lo timestamp; hi timestamp;
    BEGIN
      IF e - s < {FOCUS} THEN RETURN; END IF;
      IF sign > 0 THEN
        INSERT INTO stats_slots AS t (user_id, livemode, slot, project_key, tracked_seconds,
            block_seconds, focus_count, focus_seconds, entry_longest, block_longest)
        VALUES (uid, live, s / {SLOT}, pkey, 0, 0, 1, e - s,
                CASE WHEN is_block THEN 0 ELSE e - s END,
                CASE WHEN is_block THEN e - s ELSE 0 END)
        ON CONFLICT (user_id, livemode, slot, project_key) DO UPDATE SET
          focus_count = t.focus_count + 1,
          focus_seconds = t.focus_seconds + excluded.focus_seconds,
          entry_longest = GREATEST(t.entry_longest, excluded.entry_longest),
          block_longest = GREATEST(t.block_longest, excluded.block_longest);
        RETURN;
      END IF;
      lo := to_timestamp(s / {SLOT} * {SLOT}) AT TIME ZONE 'UTC';
      hi := lo + interval '{SLOT} seconds';
      UPDATE stats_slots SET focus_count = focus_count - 1, focus_seconds = focus_seconds - (e - s)
        WHERE user_id = uid AND livemode = live AND slot = s / {SLOT} AND project_key = pkey;
      IF is_block THEN
        UPDATE stats_slots SET block_longest = COALESCE((
          SELECT max(timeboxd_epoch(b.end_at) - timeboxd_epoch(b.start_at)) FROM blocks b
          WHERE b.user_id = uid AND b.livemode = live AND COALESCE(b.project_id, '') = pkey
            AND b.start_at >= lo AND b.start_at < hi AND b.done AND NOT b.has_time_entry
            AND b.archived_at IS NULL AND b.deleted_at IS NULL
            AND timeboxd_epoch(b.end_at) - timeboxd_epoch(b.start_at) >= {FOCUS}), 0)
          WHERE user_id = uid AND livemode = live AND slot = s / {SLOT} AND project_key = pkey;
      ELSE
        UPDATE stats_slots SET entry_longest = COALESCE((
          SELECT max(timeboxd_epoch(x.end_at) - timeboxd_epoch(x.start_at)) FROM time_entries x
          WHERE x.user_id = uid AND x.livemode = live AND COALESCE(x.project_id, '') = pkey
            AND x.start_at >= lo AND x.start_at < hi AND x.end_at IS NOT NULL
            AND timeboxd_epoch(x.end_at) - timeboxd_epoch(x.start_at) >= {FOCUS}), 0)
          WHERE user_id = uid AND livemode = live AND slot = s / {SLOT} AND project_key = pkey;
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
        PERFORM timeboxd_stats_focus(
          OLD.user_id, OLD.livemode, COALESCE(OLD.project_id, ''), s, e, false, -1);
      END IF;
      IF TG_OP <> 'DELETE' AND NEW.end_at IS NOT NULL THEN
        s := timeboxd_epoch(NEW.start_at); e := timeboxd_epoch(NEW.end_at);
        PERFORM timeboxd_stats_spread(
          NEW.user_id, NEW.livemode, COALESCE(NEW.project_id, ''), s, e, false, 1);
        PERFORM timeboxd_stats_focus(
          NEW.user_id, NEW.livemode, COALESCE(NEW.project_id, ''), s, e, false, 1);
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
      INSERT INTO stats_block_days AS t (user_id, livemode, date, project_key, total,
          completed, completed_minutes, scheduled_minutes)
      VALUES (r.user_id, r.livemode, r.date, pkey, sign, sign * done,
              sign * done * ((e - s) / 60), sign * ((e - s) / 60))
      ON CONFLICT (user_id, livemode, date, project_key) DO UPDATE SET
        total = t.total + excluded.total,
        completed = t.completed + excluded.completed,
        completed_minutes = t.completed_minutes + excluded.completed_minutes,
        scheduled_minutes = t.scheduled_minutes + excluded.scheduled_minutes;
      IF r.done AND NOT r.has_time_entry THEN
        PERFORM timeboxd_stats_spread(r.user_id, r.livemode, pkey, s, e, true, sign);
        PERFORM timeboxd_stats_focus(r.user_id, r.livemode, pkey, s, e, true, sign);
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
    "CREATE TRIGGER stats_rollup_blocks AFTER INSERT OR DELETE OR UPDATE OF user_id, livemode,"
    " project_id, date, start_at, end_at, done, has_time_entry, archived_at, deleted_at"
    " ON blocks FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_blocks()",
    "CREATE TRIGGER stats_rollup_entries AFTER INSERT OR DELETE OR UPDATE OF user_id, livemode,"
    " project_id, start_at, end_at ON time_entries"
    " FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_entries()",
]


# -- backfill ------------------------------------------------------------------------------


def backfill(dialect: str) -> None:
    """The rollups of the rows that exist before the triggers (set-based, one pass each)."""
    ts = (lambda c: f"timeboxd_epoch({c})") if dialect == "postgresql" else _ts
    done = "CASE WHEN done THEN 1 ELSE 0 END"
    minutes = f"(({ts('end_at')} - {ts('start_at')}) / 60)"
    counted = "archived_at IS NULL AND deleted_at IS NULL"
    op.execute(
        "INSERT INTO stats_block_days(user_id, livemode, date, project_key, total, completed,"
        " completed_minutes, scheduled_minutes)"
        f" SELECT user_id, livemode, date, COALESCE(project_id, ''), count(*), sum({done}),"
        f" sum({done} * {minutes}), sum({minutes}) FROM blocks WHERE {counted}"
        " GROUP BY user_id, livemode, date, COALESCE(project_id, '')"
    )
    spans = (
        f"SELECT user_id, livemode, COALESCE(project_id, '') AS pkey, {ts('start_at')} AS s,"
        f" {ts('end_at')} AS e, 0 AS is_block FROM time_entries WHERE end_at IS NOT NULL"
        f" UNION ALL SELECT user_id, livemode, COALESCE(project_id, ''), {ts('start_at')},"
        f" {ts('end_at')}, 1 FROM blocks WHERE {counted} AND done AND NOT has_time_entry"
    )
    if dialect == "postgresql":
        k = "k"
        join = (
            f"FROM ({spans}) x CROSS JOIN LATERAL"
            f" generate_series(x.s / {SLOT}, (x.e + {SLOT - 1}) / {SLOT} - 1) AS k"
        )
        piece = f"LEAST(x.e, (k + 1) * {SLOT}) - GREATEST(x.s, k * {SLOT})"
    else:
        k = f"(x.s / {SLOT} + n)"
        join = (
            f"FROM ({spans}) x JOIN stats_numbers ON n < (x.e + {SLOT - 1}) / {SLOT} - x.s / {SLOT}"
        )
        piece = f"MIN(x.e, ({k} + 1) * {SLOT}) - MAX(x.s, {k} * {SLOT})"
    op.execute(
        "INSERT INTO stats_slots(user_id, livemode, slot, project_key, tracked_seconds,"
        " block_seconds, focus_count, focus_seconds, entry_longest, block_longest)"
        f" SELECT x.user_id, x.livemode, {k}, x.pkey,"
        f" sum(CASE WHEN x.is_block = 0 THEN {piece} ELSE 0 END),"
        f" sum(CASE WHEN x.is_block = 1 THEN {piece} ELSE 0 END), 0, 0, 0, 0 {join}"
        f" GROUP BY x.user_id, x.livemode, {k}, x.pkey"
    )
    length = "(x.e - x.s)"
    op.execute(
        "INSERT INTO stats_slots(user_id, livemode, slot, project_key, tracked_seconds,"
        " block_seconds, focus_count, focus_seconds, entry_longest, block_longest)"
        f" SELECT x.user_id, x.livemode, x.s / {SLOT}, x.pkey, 0, 0, count(*), sum({length}),"
        f" max(CASE WHEN x.is_block = 0 THEN {length} ELSE 0 END),"
        f" max(CASE WHEN x.is_block = 1 THEN {length} ELSE 0 END)"
        f" FROM ({spans}) x WHERE {length} >= {FOCUS}"
        f" GROUP BY x.user_id, x.livemode, x.s / {SLOT}, x.pkey"
        " ON CONFLICT(user_id, livemode, slot, project_key) DO UPDATE SET"
        " focus_count = excluded.focus_count, focus_seconds = excluded.focus_seconds,"
        " entry_longest = excluded.entry_longest, block_longest = excluded.block_longest"
    )
