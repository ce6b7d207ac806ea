"""statement-level triggers on PostgreSQL for the statistics versions and inserts

Revision ID: 0009
Revises: 0006, 0008
Create Date: 2026-11-25 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | tuple[str, ...] | None = ("0006", "0008")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# On PostgreSQL a row trigger runs once per row: a bulk insert of 10,000 blocks raised the
# account's statistics version 10,000 times, each an update of the same row (a chain of
# row versions that every next update walks), and upserted the day rollups 20,000 times.
# Statement triggers with transition tables do each once per statement: the versions of
# the accounts a statement touched rise by one, inserted blocks are counted per
# (account, date) and (account, date, project) in one grouped upsert each, and inserted
# entries are spread over quarter hours and days in one grouped upsert per grain. What row
# triggers still do (updates and deletes of blocks, entries) is unchanged. SQLite has only
# row triggers, which update in place; nothing changes there.

TABLES = ("blocks", "time_entries")
BUMP = """
    INSERT INTO stats_versions AS v (user_id, livemode, version)
    SELECT DISTINCT user_id, livemode, 1 FROM {source}
    ON CONFLICT (user_id, livemode) DO UPDATE SET version = v.version + 1;
"""
BOTH_SIDES = (
    "(SELECT user_id, livemode FROM before UNION SELECT user_id, livemode FROM after) AS sides"
)
MINUTES = "((timeboxd_epoch(end_at) - timeboxd_epoch(start_at)) / 60)"
SPANS = """(SELECT user_id, livemode, COALESCE(project_id, '') AS pkey,
      timeboxd_epoch(start_at) AS s, timeboxd_epoch(end_at) AS e
    FROM inserted WHERE end_at IS NOT NULL) AS x"""
GRAINS = (  # as in 0006: the table, its time column, the seconds of its unit, by project
    ("stats_slots", "slot", 900, False),
    ("stats_slot_projects", "slot", 900, True),
    ("stats_day_projects", "day", 86400, True),
)
ENTRY_ROLLUP_COLUMNS = "user_id, livemode, project_id, start_at, end_at"


def _entries_inserted() -> str:
    """Stopped entries of one statement, spread over each grain in one grouped upsert (a
    row trigger ran a function and three upserts per entry), and their focus sessions."""
    body = ""
    for table, col, unit, by_project in GRAINS:
        keys = f"user_id, livemode, {col}" + (", project_key" if by_project else "")
        pick = "user_id, livemode, k" + (", pkey" if by_project else "")
        body += f"""
      INSERT INTO {table} AS t ({keys}, tracked_seconds)
      SELECT {pick}, sum(LEAST(e, (k + 1) * {unit}) - GREATEST(s, k * {unit}))
      FROM {SPANS}, generate_series(s / {unit}, (e + {unit - 1}) / {unit} - 1) AS k
      GROUP BY {pick}
      ON CONFLICT ({keys}) DO UPDATE SET
        tracked_seconds = t.tracked_seconds + excluded.tracked_seconds;"""
    body += f"""
      INSERT INTO stats_slots AS t (user_id, livemode, slot, focus_count, focus_seconds,
          entry_longest)
      SELECT user_id, livemode, s / 900, count(*), sum(e - s), max(e - s)
      FROM {SPANS} WHERE e - s >= 1500
      GROUP BY user_id, livemode, s / 900
      ON CONFLICT (user_id, livemode, slot) DO UPDATE SET
        focus_count = t.focus_count + excluded.focus_count,
        focus_seconds = t.focus_seconds + excluded.focus_seconds,
        entry_longest = GREATEST(t.entry_longest, excluded.entry_longest);"""
    return f"""
        CREATE FUNCTION timeboxd_stats_entries_inserted() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN{body}
          RETURN NULL;
        END $$
        """


def _pg_upgrade() -> None:
    _pg_versions_upgrade()
    _pg_rollups_upgrade()


def _pg_versions_upgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER stats_{table} ON {table}")
    op.execute("DROP FUNCTION timeboxd_bump_stats()")
    for name, source in (
        ("inserted", "changed"),
        ("deleted", "changed"),
        ("updated", BOTH_SIDES),
    ):
        op.execute(
            f"CREATE FUNCTION timeboxd_bump_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {BUMP.format(source=source)} RETURN NULL; END $$"
        )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER stats_{table}_inserted AFTER INSERT ON {table}"
            " REFERENCING NEW TABLE AS changed FOR EACH STATEMENT"
            " EXECUTE FUNCTION timeboxd_bump_inserted()"
        )
        op.execute(
            f"CREATE TRIGGER stats_{table}_deleted AFTER DELETE ON {table}"
            " REFERENCING OLD TABLE AS changed FOR EACH STATEMENT"
            " EXECUTE FUNCTION timeboxd_bump_deleted()"
        )
        op.execute(
            f"CREATE TRIGGER stats_{table}_updated AFTER UPDATE ON {table}"
            " REFERENCING OLD TABLE AS before NEW TABLE AS after FOR EACH STATEMENT"
            " EXECUTE FUNCTION timeboxd_bump_updated()"
        )


def _pg_rollups_upgrade() -> None:
    op.execute("DROP TRIGGER stats_rollup_blocks ON blocks")
    op.execute(
        "CREATE TRIGGER stats_rollup_blocks AFTER DELETE OR UPDATE OF user_id, livemode,"
        " project_id, date, start_at, end_at, done, has_time_entry, archived_at, deleted_at"
        " ON blocks FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_blocks()"
    )
    op.execute(
        f"""
        CREATE FUNCTION timeboxd_stats_blocks_inserted() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO stats_block_days AS t (user_id, livemode, date, total, completed,
              completed_minutes, scheduled_minutes)
          SELECT user_id, livemode, date, count(*), count(*) FILTER (WHERE done),
                 sum(CASE WHEN done THEN {MINUTES} ELSE 0 END), sum({MINUTES})
          FROM inserted WHERE archived_at IS NULL AND deleted_at IS NULL
          GROUP BY user_id, livemode, date
          ON CONFLICT (user_id, livemode, date) DO UPDATE SET
            total = t.total + excluded.total,
            completed = t.completed + excluded.completed,
            completed_minutes = t.completed_minutes + excluded.completed_minutes,
            scheduled_minutes = t.scheduled_minutes + excluded.scheduled_minutes;
          INSERT INTO stats_block_projects AS t (user_id, livemode, date, project_key,
              scheduled_minutes)
          SELECT user_id, livemode, date, COALESCE(project_id, ''), sum({MINUTES})
          FROM inserted WHERE archived_at IS NULL AND deleted_at IS NULL
          GROUP BY user_id, livemode, date, COALESCE(project_id, '')
          ON CONFLICT (user_id, livemode, date, project_key) DO UPDATE SET
            scheduled_minutes = t.scheduled_minutes + excluded.scheduled_minutes;
          -- Done blocks without entries are productive time: spread over quarter hours.
          PERFORM timeboxd_stats_spread(user_id, livemode, COALESCE(project_id, ''),
                    timeboxd_epoch(start_at), timeboxd_epoch(end_at), true, 1),
                  timeboxd_stats_focus(user_id, livemode,
                    timeboxd_epoch(start_at), timeboxd_epoch(end_at), true, 1)
          FROM inserted
          WHERE done AND NOT has_time_entry AND archived_at IS NULL AND deleted_at IS NULL;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER stats_rollup_blocks_inserted AFTER INSERT ON blocks"
        " REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT"
        " EXECUTE FUNCTION timeboxd_stats_blocks_inserted()"
    )
    op.execute("DROP TRIGGER stats_rollup_entries ON time_entries")
    op.execute(
        f"CREATE TRIGGER stats_rollup_entries AFTER DELETE OR UPDATE OF {ENTRY_ROLLUP_COLUMNS}"
        " ON time_entries FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_entries()"
    )
    op.execute(_entries_inserted())
    op.execute(
        "CREATE TRIGGER stats_rollup_entries_inserted AFTER INSERT ON time_entries"
        " REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT"
        " EXECUTE FUNCTION timeboxd_stats_entries_inserted()"
    )


def _pg_downgrade() -> None:
    op.execute("DROP TRIGGER stats_rollup_entries_inserted ON time_entries")
    op.execute("DROP FUNCTION timeboxd_stats_entries_inserted()")
    op.execute("DROP TRIGGER stats_rollup_entries ON time_entries")
    op.execute(
        f"CREATE TRIGGER stats_rollup_entries AFTER INSERT OR DELETE OR UPDATE OF"
        f" {ENTRY_ROLLUP_COLUMNS} ON time_entries"
        " FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_entries()"
    )
    op.execute("DROP TRIGGER stats_rollup_blocks_inserted ON blocks")
    op.execute("DROP FUNCTION timeboxd_stats_blocks_inserted()")
    op.execute("DROP TRIGGER stats_rollup_blocks ON blocks")
    op.execute(
        "CREATE TRIGGER stats_rollup_blocks AFTER INSERT OR DELETE OR UPDATE OF user_id,"
        " livemode, project_id, date, start_at, end_at, done, has_time_entry, archived_at,"
        " deleted_at ON blocks FOR EACH ROW EXECUTE FUNCTION timeboxd_stats_blocks()"
    )
    for table in TABLES:
        for name in ("inserted", "deleted", "updated"):
            op.execute(f"DROP TRIGGER stats_{table}_{name} ON {table}")
    for name in ("inserted", "deleted", "updated"):
        op.execute(f"DROP FUNCTION timeboxd_bump_{name}()")
    op.execute(
        """
        CREATE FUNCTION timeboxd_bump_stats() RETURNS trigger AS $$
        DECLARE r record;
        BEGIN
          IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
          INSERT INTO stats_versions(user_id, livemode, version)
            VALUES (r.user_id, r.livemode, 1)
            ON CONFLICT (user_id, livemode)
            DO UPDATE SET version = stats_versions.version + 1;
          IF TG_OP = 'UPDATE' AND (OLD.user_id, OLD.livemode) IS DISTINCT FROM
             (NEW.user_id, NEW.livemode) THEN
            INSERT INTO stats_versions(user_id, livemode, version)
              VALUES (OLD.user_id, OLD.livemode, 1)
              ON CONFLICT (user_id, livemode)
              DO UPDATE SET version = stats_versions.version + 1;
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER stats_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION timeboxd_bump_stats()"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
