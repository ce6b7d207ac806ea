"""A bulk insert of time entries is counted into the statistics rollups once, by grouped
statements over the rows it wrote, not by a row trigger per entry (db/rollups_bulk.py;
PostgreSQL's statement trigger over the transition table, SQLite's deferral). What it
counts must equal a recount from the rows, whatever the mix: entries over existing
rollups, focus sessions, entries across quarter hours, days and midnight. The search
index takes them the same way on SQLite: they are found at once, and a later change or
deletion of one is seen by the search as for any entry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import Persona
from tests.factories import new_project
from tests.test_entries_bulk_fast import counting, recounted, rollups
from timeboxd.services.database import Database


def test_a_bulk_create_counts_its_entries_in_grouped_statements(
    owner: Persona, db: Database
) -> None:
    items = [
        {
            "start_at": f"2026-10-{1 + n // 10:02d}T{8 + n % 10:02d}:05:00Z",
            "end_at": f"2026-10-{1 + n // 10:02d}T{8 + n % 10:02d}:50:00Z",
        }
        for n in range(40)
    ]
    with counting(db) as seen:
        owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    grouped = [s for s in seen if s.startswith("INSERT INTO stats_") and "GROUP BY" in s]
    if db.dialect == "sqlite":
        # The rollups' four statements, run once for the 40 entries.
        assert len(grouped) == 4
    assert rollups(db, owner.user_id) == recounted(db, owner.user_id)
    assert (
        owner.ok("GET", "/v1/stats?date_from=2026-10-01&date_to=2026-10-31")["tracked_minutes"]
        == 40 * 45
    )


def test_a_deferred_count_leaves_single_writes_counted_by_their_triggers(
    owner: Persona, db: Database
) -> None:
    items = [{"start_at": "2026-10-05T08:00:00Z", "end_at": "2026-10-05T09:00:00Z"}]
    owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    # after the bulk write, a single create is counted by the row trigger again
    owner.ok(
        "POST",
        "/v1/time-entries",
        201,
        json={"start_at": "2026-10-05T09:00:00Z", "end_at": "2026-10-05T10:30:00Z"},
    )
    assert rollups(db, owner.user_id) == recounted(db, owner.user_id)
    stats = owner.ok("GET", "/v1/stats?date_from=2026-10-05&date_to=2026-10-05")
    assert stats["tracked_minutes"] == 150


spans = st.lists(
    st.tuples(
        st.integers(0, 3 * 96 - 1),  # the quarter hour it begins in, over three days
        st.integers(0, 14 * 60),  # seconds into it
        st.integers(1, 9 * 3600),  # how long
        st.booleans(),  # with the project
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=spans, second=spans)
def test_bulk_creates_over_existing_rollups_equal_a_recount(
    persona_factory: Any, db: Database, first: list[Any], second: list[Any]
) -> None:
    p = persona_factory()
    project = new_project(p, "Reading")["id"]

    def body(rows: list[Any]) -> list[dict[str, Any]]:
        out = []
        for slot, offset, length, with_project in rows:
            start = 1_790_000_000 // 86400 * 86400 + slot * 900 + offset
            out.append(
                {
                    "start_at": _iso(start),
                    "end_at": _iso(start + length),
                    **({"project_id": project} if with_project else {}),
                }
            )
        return out

    p.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": body(first)})
    p.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": body(second)})
    assert rollups(db, p.user_id) == recounted(db, p.user_id)


def test_bulk_created_entries_are_found_by_the_search_and_follow_its_changes(
    owner: Persona, teammate: Persona
) -> None:
    items = [
        {
            "start_at": f"2026-10-05T{8 + n:02d}:00:00Z",
            "end_at": f"2026-10-05T{8 + n:02d}:30:00Z",
            "description": f"Quaternion drill {n}",
        }
        for n in range(3)
    ]
    made = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    hits = owner.ok("GET", "/v1/search", params={"q": "quaternion"})
    assert sorted(h["id"] for h in hits if h["type"] == "entry") == sorted(e["id"] for e in made)
    assert teammate.ok("GET", "/v1/search", params={"q": "quaternion"}) == []
    owner.ok("PATCH", f"/v1/time-entries/{made[0]['id']}", json={"description": "Eigen"})
    owner.ok("DELETE", f"/v1/time-entries/{made[1]['id']}")
    hits = owner.ok("GET", "/v1/search", params={"q": "quaternion"})
    assert [h["id"] for h in hits if h["type"] == "entry"] == [made[2]["id"]]
    hits = owner.ok("GET", "/v1/search", params={"q": "eigen"})
    assert [h["id"] for h in hits if h["type"] == "entry"] == [made[0]["id"]]


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def test_postgresql_counts_a_statement_s_rows_without_jit(db: Database) -> None:
    """The planner takes every span for 1,000 quarter hours, so a bulk insert's grouped
    upserts looked large enough to JIT-compile, which took longer than running them."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's statement triggers")
    with db.engine.connect() as conn:
        found = dict(
            conn.execute(
                text(
                    "SELECT proname, proconfig FROM pg_proc WHERE proname IN"
                    " ('timeboxd_stats_entries_inserted', 'timeboxd_stats_blocks_inserted')"
                )
            ).all()
        )
    assert found == {
        "timeboxd_stats_entries_inserted": ["jit=off"],
        "timeboxd_stats_blocks_inserted": ["jit=off"],
    }
