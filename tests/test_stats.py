"""Fixed-clock examples of every documented statistics rule (docs/api.md "Statistics"):
periods and week starts, leap day, empty periods, streaks over midnight, what counts,
sandbox, zone changes, clock changes, the running timer, the focus and plan figures, the
cache and its invalidation (in process and in Redis), and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    REDIS_URL,
    REQUIRE_ALL,
    FrozenClock,
    Persona,
    TestClient,
    assert_error,
    make_settings,
    new_persona,
)
from tests.factories import new_block, new_entry
from timeboxd.api.app import create_app
from timeboxd.services.database import Database
from timeboxd.services.insights.stats_cache import RedisStore

# FROZEN_AT, 2026-11-24 10:00 UTC, is a Tuesday.
TUESDAY = date(2026, 11, 24)


def stats(p: Persona, query: str = "") -> dict[str, Any]:
    found: dict[str, Any] = p.ok("GET", f"/v1/stats{query}")
    return found


def productivity(p: Persona, weeks: int = 1) -> dict[str, Any]:
    found: dict[str, Any] = p.ok("GET", f"/v1/productivity?weeks={weeks}")
    return found


def days(first: date, count: int) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range(count)]


# -- periods -------------------------------------------------------------------------------


def test_an_empty_account_has_zeros_for_every_day_and_figure(owner: Persona) -> None:
    got = stats(owner)
    assert got == {
        "period": "week",
        "date_from": "2026-11-23",
        "date_to": "2026-11-29",
        "total_blocks": 0,
        "completed_blocks": 0,
        "completion_rate": 0.0,
        "streak_days": 0,
        "total_minutes": 0,
        "scheduled_minutes": 0,
        "tracked_minutes": 0,
        "heatmap": dict.fromkeys(days(date(2026, 11, 23), 7), 0),
    }
    assert stats(owner, "?period=all")["heatmap"] == {"2026-11-24": 0}
    assert stats(owner, "?period=today")["date_from"] == "2026-11-24"

    report = productivity(owner, weeks=2)
    assert report["date_from"] == "2026-11-11" and report["date_to"] == "2026-11-24"
    assert report["heatmap"] == dict.fromkeys(days(date(2026, 11, 11), 14), 0)
    assert [d["date"] for d in report["last_30_days"]] == days(date(2026, 10, 26), 30)
    assert all(d["minutes"] == 0 for d in report["last_30_days"])
    assert [w["weekday"] for w in report["by_weekday"]][:2] == ["monday", "tuesday"]
    assert [h["hour"] for h in report["by_hour"]] == list(range(24))
    assert report["focus"] == {
        "sessions": 0,
        "average_minutes": 0.0,
        "longest_minutes": 0,
        "deep_work_share": 0.0,
    }
    # Most first; a tie puts time without a project first, then projects by id.
    assert report["projects"] == [] and report["plan_vs_actual"] == []
    assert (report["current_streak"], report["longest_streak"], report["total_minutes"]) == (
        0,
        0,
        0,
    )


def test_week_follows_week_start_sunday_versus_monday(owner: Persona) -> None:
    new_block(owner, "2026-11-22", "09:00", "10:00", done=True)  # Sunday before
    new_block(owner, "2026-11-29", "09:00", "10:30", done=True)  # Sunday after
    monday = stats(owner, "?period=week")
    assert (monday["date_from"], monday["date_to"]) == ("2026-11-23", "2026-11-29")
    assert (monday["completed_blocks"], monday["total_minutes"]) == (1, 90)
    assert monday["heatmap"]["2026-11-29"] == 1 and "2026-11-22" not in monday["heatmap"]

    owner.ok("PATCH", "/v1/me", json={"week_start": "sunday"})
    sunday = stats(owner, "?period=week")
    assert (sunday["date_from"], sunday["date_to"]) == ("2026-11-22", "2026-11-28")
    assert (sunday["completed_blocks"], sunday["total_minutes"]) == (1, 60)
    assert sunday["heatmap"]["2026-11-22"] == 1 and "2026-11-29" not in sunday["heatmap"]


def test_month_and_leap_day(owner: Persona, clock: FrozenClock) -> None:
    clock.set(datetime(2028, 2, 29, 12, 0, tzinfo=UTC))
    for day in ("2028-02-27", "2028-02-28", "2028-02-29"):
        new_block(owner, day, "08:00", "09:00", done=True)
    new_block(owner, "2028-03-01", "08:00", "09:00")
    month = stats(owner, "?period=month")
    assert (month["date_from"], month["date_to"]) == ("2028-02-01", "2028-02-29")
    assert len(month["heatmap"]) == 29 and month["heatmap"]["2028-02-29"] == 1
    assert (month["total_blocks"], month["completed_blocks"], month["streak_days"]) == (3, 3, 3)

    clock.set(datetime(2028, 3, 1, 12, 0, tzinfo=UTC))
    march = stats(owner, "?period=month")
    assert (march["date_from"], march["date_to"]) == ("2028-03-01", "2028-03-31")
    assert (march["total_blocks"], march["completed_blocks"], march["completion_rate"]) == (
        1,
        0,
        0.0,
    )
    assert march["streak_days"] == 3  # 1 March is not over: the streak ends on the leap day
    assert stats(owner, "?date_from=2028-02-28&date_to=2028-03-01")["heatmap"] == {
        "2028-02-28": 1,
        "2028-02-29": 1,
        "2028-03-01": 0,
    }


def test_all_runs_from_the_first_block_or_entry_to_the_last_planned_day(
    owner: Persona,
) -> None:
    new_block(owner, "2026-10-01", "09:00", "10:00", done=True)
    new_block(owner, "2026-12-05", "09:00", "10:00")
    got = stats(owner, "?period=all")
    assert (got["date_from"], got["date_to"]) == ("2026-10-01", "2026-12-05")
    assert len(got["heatmap"]) == 66 and got["total_blocks"] == 2

    new_entry(owner, "2026-09-15T08:00:00Z", "2026-09-15T09:00:00Z")
    got = stats(owner, "?period=all")
    assert (got["date_from"], got["tracked_minutes"]) == ("2026-09-15", 60)


def test_the_heatmap_of_all_is_bounded_to_the_days_ending_today(owner: Persona) -> None:
    new_block(owner, "1900-01-01", "09:00", "10:00", done=True)
    new_block(owner, "2999-12-31", "09:00", "10:00", done=True)
    new_block(owner, TUESDAY, "09:00", "10:00", done=True)
    got = stats(owner, "?period=all")
    # The figures cover the whole history; the heatmap its last 3,660 days up to today.
    assert (got["date_from"], got["date_to"]) == ("1900-01-01", "2999-12-31")
    assert (got["total_blocks"], got["completed_blocks"], got["total_minutes"]) == (3, 3, 180)
    assert len(got["heatmap"]) == 3660
    assert next(iter(got["heatmap"])) == (TUESDAY - timedelta(days=3659)).isoformat()
    assert list(got["heatmap"])[-1] == TUESDAY.isoformat()
    assert got["heatmap"][TUESDAY.isoformat()] == 1 and sum(got["heatmap"].values()) == 1


def test_completion_rate_and_minutes(owner: Persona) -> None:
    new_block(owner, TUESDAY, "09:00", "10:30", done=True)
    new_block(owner, TUESDAY, "11:00", "12:00")
    new_block(owner, TUESDAY, "13:00", "14:00")
    new_entry(owner, "2026-11-24T07:00:00Z", "2026-11-24T07:44:59Z")
    got = stats(owner, "?period=today")
    assert got["completion_rate"] == 0.3333
    assert (got["total_minutes"], got["scheduled_minutes"], got["tracked_minutes"]) == (
        90,
        210,
        44,
    )


def test_archived_and_deleted_blocks_do_not_count_until_they_come_back(
    owner: Persona,
) -> None:
    ids = [new_block(owner, TUESDAY, f"0{h}:00", f"0{h}:30", done=True)["id"] for h in (6, 7, 8)]
    owner.ok("POST", f"/v1/blocks/{ids[0]}/archive")
    owner.ok("DELETE", f"/v1/blocks/{ids[1]}")
    got = stats(owner, "?period=today")
    assert (got["total_blocks"], got["total_minutes"], got["heatmap"]) == (
        1,
        30,
        {"2026-11-24": 1},
    )
    assert productivity(owner)["total_minutes"] == 30
    owner.ok("POST", f"/v1/blocks/{ids[0]}/unarchive")
    owner.ok("POST", f"/v1/blocks/{ids[1]}/restore")
    assert stats(owner, "?period=today")["total_blocks"] == 3
    assert productivity(owner)["total_minutes"] == 90


def test_bulk_writes_count_like_single_ones(owner: Persona) -> None:
    """Bulk inserts are counted per statement on PostgreSQL (migration 0009)."""
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Bulk"})["id"]
    items = [
        {
            "date": f"2026-11-{23 + n % 3}",
            "start": f"{8 + n % 8:02d}:00",
            "end": f"{8 + n % 8:02d}:30",
            "done": n % 2 == 0,
            "project_id": project if n % 3 else None,
        }
        for n in range(30)
    ]
    made = owner.ok("POST", "/v1/blocks/bulk", 201, json={"blocks": items})
    got = stats(owner, "?date_from=2026-11-23&date_to=2026-11-25")
    assert (got["total_blocks"], got["completed_blocks"]) == (30, 15)
    assert (got["total_minutes"], got["scheduled_minutes"]) == (15 * 30, 30 * 30)
    assert got["heatmap"] == {"2026-11-23": 5, "2026-11-24": 5, "2026-11-25": 5}
    report = productivity(owner)
    # Done blocks up to today (the 23rd and 24th) are productive time; the 25th is ahead.
    assert report["total_minutes"] == 10 * 30
    assert report["focus"]["sessions"] == 10
    plan = {row["project_id"]: row["scheduled_minutes"] for row in report["plan_vs_actual"]}
    assert plan == {project: 10 * 30, None: 10 * 30}  # the 25th is past the window
    ids = ",".join(b["id"] for b in made)
    owner.ok("DELETE", f"/v1/blocks/bulk?ids={ids}")
    got = stats(owner, "?date_from=2026-11-23&date_to=2026-11-25")
    assert (got["total_blocks"], got["total_minutes"]) == (0, 0)
    assert productivity(owner)["total_minutes"] == 0


def test_entries_written_together_are_summed_like_single_ones(owner: Persona) -> None:
    """Several entries in one statement (migration 0009 groups them on PostgreSQL), two
    sharing a quarter hour, one across midnight, one a focus session."""
    spans = [
        ("2026-11-23T10:00:00Z", "2026-11-23T10:05:00Z"),
        ("2026-11-23T10:06:00Z", "2026-11-23T10:14:00Z"),  # the same quarter hour
        ("2026-11-23T23:50:00Z", "2026-11-24T00:20:00Z"),  # 10 + 20 minutes, focus
        ("2026-11-24T08:00:00Z", "2026-11-24T08:40:00Z"),  # focus
    ]
    items = [{"start_at": a, "end_at": b} for a, b in spans]
    made = owner.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": items})
    report = productivity(owner)
    assert (report["heatmap"]["2026-11-23"], report["heatmap"]["2026-11-24"]) == (23, 60)
    hours = {h["hour"]: h["minutes"] for h in report["by_hour"]}
    assert (hours[10], hours[23], hours[0], hours[8]) == (13, 10, 20, 40)
    assert report["focus"] == {
        "sessions": 2,
        "average_minutes": 35.0,
        "longest_minutes": 40,
        "deep_work_share": round(70 / 83, 4),
    }
    assert stats(owner, "?period=today")["tracked_minutes"] == 60
    ids = ",".join(e["id"] for e in made)
    owner.ok("DELETE", f"/v1/time-entries/bulk?ids={ids}")
    assert productivity(owner)["total_minutes"] == 0


# -- streaks -------------------------------------------------------------------------------


def test_streak_over_midnight_today_does_not_break_it_until_it_is_over(
    persona_factory: Any, clock: FrozenClock
) -> None:
    p: Persona = persona_factory("Europe/Berlin")
    for day in ("2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"):
        new_block(p, day, "20:00", "21:00", done=True)
    new_block(p, "2026-11-17", "20:00", "21:00", done=True)  # an older run of one day
    # 23:59 in Berlin on the 23rd: four days, the last today.
    clock.set(datetime(2026, 11, 23, 22, 59, tzinfo=UTC))
    assert stats(p)["streak_days"] == 4
    # One minute later it is the 24th, with nothing done yet: still four.
    clock.set(datetime(2026, 11, 23, 23, 1, tzinfo=UTC))
    assert stats(p)["streak_days"] == 4
    report = productivity(p)
    assert (report["current_streak"], report["longest_streak"]) == (4, 4)
    # A block done today adds it.
    new_block(p, "2026-11-24", "00:00", "00:30", done=True)
    assert stats(p)["streak_days"] == 5
    # The 25th passes without one: on the 26th the streak is gone, the record stays.
    clock.set(datetime(2026, 11, 25, 23, 30, tzinfo=UTC))
    assert stats(p)["streak_days"] == 0
    report = productivity(p)
    assert (report["current_streak"], report["longest_streak"]) == (0, 5)


def test_blocks_planned_ahead_and_undone_ones_do_not_make_a_streak(owner: Persona) -> None:
    new_block(owner, "2026-11-23", "09:00", "10:00")
    new_block(owner, "2026-11-25", "09:00", "10:00", done=True)  # tomorrow, already ticked
    assert stats(owner)["streak_days"] == 0
    assert productivity(owner)["longest_streak"] == 0


# -- days, zones, clock changes ------------------------------------------------------------


def test_an_entry_across_midnight_is_split_on_local_days(
    persona_factory: Any, clock: FrozenClock
) -> None:
    p: Persona = persona_factory("Europe/Berlin")
    new_entry(p, "2026-11-22T23:30:00+01:00", "2026-11-23T00:45:00+01:00")
    assert stats(p, "?date_from=2026-11-22&date_to=2026-11-22")["tracked_minutes"] == 30
    assert stats(p, "?date_from=2026-11-23&date_to=2026-11-23")["tracked_minutes"] == 45
    report = productivity(p)
    assert (report["heatmap"]["2026-11-22"], report["heatmap"]["2026-11-23"]) == (30, 45)
    by_hour = {h["hour"]: h["minutes"] for h in report["by_hour"]}
    assert (by_hour[23], by_hour[0]) == (30, 45)
    weekdays = {w["weekday"]: w["minutes"] for w in report["by_weekday"]}
    assert (weekdays["sunday"], weekdays["monday"]) == (30, 45)


def test_moving_from_berlin_to_los_angeles_moves_entries_to_their_new_local_days(
    persona_factory: Any,
) -> None:
    p: Persona = persona_factory("Europe/Berlin")
    project = p.ok("POST", "/v1/projects", 201, json={"name": "Thesis"})["id"]
    # 07:30 to 09:30 in Berlin on Monday the 23rd: 22:30 Sunday to 00:30 Monday in LA.
    new_entry(p, "2026-11-23T07:30:00+01:00", "2026-11-23T09:30:00+01:00", project_id=project)
    new_block(p, "2026-11-23", "09:00", "10:00", done=True, project_id=project)
    before = productivity(p, weeks=2)
    assert (before["heatmap"]["2026-11-22"], before["heatmap"]["2026-11-23"]) == (0, 180)
    hours = {h["hour"]: h["minutes"] for h in before["by_hour"]}
    assert (hours[7], hours[8], hours[9]) == (30, 60, 90)

    p.set_timezone("America/Los_Angeles")
    after = productivity(p, weeks=2)
    # The block keeps its wall-clock date and hour; the entry's instants stay put.
    assert (after["heatmap"]["2026-11-22"], after["heatmap"]["2026-11-23"]) == (90, 90)
    hours = {h["hour"]: h["minutes"] for h in after["by_hour"]}
    assert (hours[22], hours[23], hours[0], hours[9]) == (30, 60, 30, 60)
    weekdays = {w["weekday"]: w["minutes"] for w in after["by_weekday"]}
    assert (weekdays["sunday"], weekdays["monday"]) == (90, 90)
    assert stats(p, "?date_from=2026-11-22&date_to=2026-11-22")["tracked_minutes"] == 90
    assert stats(p, "?date_from=2026-11-23&date_to=2026-11-23")["tracked_minutes"] == 30


def test_the_spring_clock_change_day_has_twenty_three_hours(
    persona_factory: Any, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
    p: Persona = persona_factory("Europe/Berlin")
    new_entry(p, "2026-03-28T23:00:00+01:00", "2026-03-29T04:00:00+02:00")  # four real hours
    report = productivity(p)
    assert (report["heatmap"]["2026-03-28"], report["heatmap"]["2026-03-29"]) == (60, 180)
    hours = {h["hour"]: h["minutes"] for h in report["by_hour"]}
    assert (hours[23], hours[0], hours[1], hours[2], hours[3]) == (60, 60, 60, 0, 60)
    assert stats(p, "?date_from=2026-03-29&date_to=2026-03-29")["tracked_minutes"] == 180
    # A block over the gap lasts its real time: 01:30 to 03:30 is one hour.
    new_block(p, "2026-03-29", "01:30", "03:30", done=True)
    got = stats(p, "?date_from=2026-03-29&date_to=2026-03-29")
    assert (got["total_minutes"], got["scheduled_minutes"]) == (60, 60)


# -- what counts ---------------------------------------------------------------------------


def test_a_sandbox_key_sees_sandbox_statistics(owner: Persona) -> None:
    sandbox = owner.as_key(owner.new_key(test=True))
    new_block(sandbox, TUESDAY, "09:00", "10:00", done=True)
    new_entry(sandbox, "2026-11-24T06:00:00Z", "2026-11-24T06:30:00Z")
    assert stats(owner, "?period=today")["total_blocks"] == 0
    assert productivity(owner)["total_minutes"] == 0
    got = stats(sandbox, "?period=today")
    assert (got["total_blocks"], got["tracked_minutes"]) == (1, 30)
    assert productivity(sandbox)["total_minutes"] == 90


def test_statistics_are_personal_in_a_shared_workspace(owner: Persona, teammate: Persona) -> None:
    workspace = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Lab"})["id"]
    owner.ok(
        "POST",
        f"/v1/workspaces/{workspace}/members",
        201,
        json={"email": teammate.email, "role": "admin"},
    )
    project = owner.ok(
        "POST", "/v1/projects", 201, json={"name": "Shared", "workspace_id": workspace}
    )["id"]
    new_entry(teammate, "2026-11-24T06:00:00Z", "2026-11-24T07:00:00Z", project_id=project)
    assert stats(owner, "?period=today")["tracked_minutes"] == 0
    assert stats(teammate, "?period=today")["tracked_minutes"] == 60


def test_focus_projects_and_plan_versus_actual(owner: Persona) -> None:
    math = owner.ok("POST", "/v1/projects", 201, json={"name": "Maths"})["id"]
    bio = owner.ok("POST", "/v1/projects", 201, json={"name": "Biology"})["id"]
    new_entry(owner, "2026-11-24T06:00:00Z", "2026-11-24T06:30:00Z", project_id=math)  # focus
    new_entry(owner, "2026-11-24T07:00:00Z", "2026-11-24T07:20:00Z", project_id=math)  # short
    new_entry(owner, "2026-11-23T06:00:00Z", "2026-11-23T07:00:00Z")  # focus, no project
    new_block(owner, "2026-11-23", "12:00", "12:45", done=True, project_id=bio)  # focus
    new_block(owner, "2026-11-23", "14:00", "15:00", project_id=bio)  # planned, not done
    tracked = new_block(owner, TUESDAY, "08:00", "09:00", done=True, project_id=math)
    # A done block with an entry counts once, as its entry.
    new_entry(
        owner,
        "2026-11-24T08:00:00Z",
        "2026-11-24T08:10:00Z",
        project_id=math,
        block_id=tracked["id"],
    )
    report = productivity(owner)
    assert report["total_minutes"] == 30 + 20 + 60 + 45 + 10
    assert report["focus"] == {
        "sessions": 3,
        "average_minutes": 45.0,
        "longest_minutes": 60,
        "deep_work_share": round(135 / 165, 4),
    }
    # Most first; a tie puts time without a project first, then projects by id.
    assert report["projects"] == [
        {"project_id": None, "name": "(no project)", "minutes": 60, "share": round(60 / 165, 4)},
        {"project_id": math, "name": "Maths", "minutes": 60, "share": round(60 / 165, 4)},
        {"project_id": bio, "name": "Biology", "minutes": 45, "share": round(45 / 165, 4)},
    ]
    plan = {row["name"]: row for row in report["plan_vs_actual"]}
    assert plan["Maths"]["scheduled_minutes"] == 60 and plan["Maths"]["tracked_minutes"] == 60
    assert (plan["Biology"]["scheduled_minutes"], plan["Biology"]["tracked_minutes"]) == (105, 0)
    assert plan["(no project)"]["tracked_minutes"] == 60


def test_a_running_timer_counts_up_to_now(owner: Persona, clock: FrozenClock) -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    clock.set(start)
    owner.ok("POST", "/v1/timer/start", 201, json={})
    clock.set(start + timedelta(minutes=10))
    response = owner.get("/v1/stats?period=today")
    assert response.headers["X-Cache"] == "miss"
    assert response.json()["data"]["tracked_minutes"] == 10
    assert productivity(owner)["focus"]["sessions"] == 0
    clock.set(start + timedelta(minutes=40))
    again = owner.get("/v1/stats?period=today")
    assert again.headers["X-Cache"] == "miss"  # nothing is cached while a timer runs
    assert again.json()["data"]["tracked_minutes"] == 40
    report = productivity(owner)
    assert report["focus"]["sessions"] == 1 and report["focus"]["longest_minutes"] == 40
    assert {h["hour"]: h["minutes"] for h in report["by_hour"]}[9] == 40
    owner.ok("POST", "/v1/timer/stop")
    clock.set(start + timedelta(hours=3))
    assert stats(owner, "?period=today")["tracked_minutes"] == 40


# -- the cache -----------------------------------------------------------------------------


def test_the_cache_answers_until_the_next_write_and_never_after(
    owner: Persona, teammate: Persona
) -> None:
    first = owner.get("/v1/stats?period=today")
    assert first.headers["X-Cache"] == "miss"
    assert first.headers["Server-Timing"].startswith("stats;desc=miss;dur=")
    second = owner.get("/v1/stats?period=today")
    assert second.headers["X-Cache"] == "hit"
    assert second.json()["data"] == first.json()["data"]

    made = new_block(owner, TUESDAY, "09:00", "10:00")
    after = owner.get("/v1/stats?period=today")
    assert after.headers["X-Cache"] == "miss" and after.json()["data"]["total_blocks"] == 1
    owner.ok("PATCH", f"/v1/blocks/{made['id']}", json={"done": True})
    assert stats(owner, "?period=today")["completed_blocks"] == 1
    more = [{"date": str(TUESDAY), "start": "11:00", "end": "12:00"}]
    owner.ok("POST", "/v1/blocks/bulk", 201, json={"blocks": more})
    assert stats(owner, "?period=today")["total_blocks"] == 2

    # Someone else's write leaves the owner's answer cached.
    assert owner.get("/v1/stats?period=today").headers["X-Cache"] == "hit"
    new_block(teammate, TUESDAY, "09:00", "10:00")
    assert owner.get("/v1/stats?period=today").headers["X-Cache"] == "hit"


def test_an_import_and_a_zone_change_invalidate_the_cache(owner: Persona) -> None:
    """Writes that do not go through the block routes raise the version too."""
    assert owner.get("/v1/stats?period=today").headers["X-Cache"] == "miss"
    assert owner.get("/v1/stats?period=today").headers["X-Cache"] == "hit"
    syllabus = "date,start,end,topic,project\n2026-11-24,09:00,10:00,Limits,Calculus\n"
    owner.ok(
        "POST",
        "/v1/imports/blocks",
        content=syllabus,
        headers={"Content-Type": "text/csv"},
    )
    after = owner.get("/v1/stats?period=today")
    assert after.headers["X-Cache"] == "miss"
    assert after.json()["data"]["scheduled_minutes"] == 60
    # A new zone moves the block's instants (a trigger-visible write) and the key's zone.
    owner.set_timezone("Asia/Kathmandu")
    moved = owner.get("/v1/stats?period=today")
    assert moved.headers["X-Cache"] == "miss"
    assert moved.json()["data"]["date_from"] == "2026-11-24"


def test_a_renamed_project_shows_its_new_name_at_once(owner: Persona) -> None:
    project = owner.ok("POST", "/v1/projects", 201, json={"name": "Old"})["id"]
    new_entry(owner, "2026-11-24T06:00:00Z", "2026-11-24T07:00:00Z", project_id=project)
    assert productivity(owner)["projects"][0]["name"] == "Old"
    owner.ok("PATCH", f"/v1/projects/{project}", json={"name": "New"})
    report = productivity(owner)
    assert report["projects"][0]["name"] == "New"
    assert report["plan_vs_actual"][0]["name"] == "New"


def test_a_zone_or_week_start_change_is_a_new_answer(owner: Persona) -> None:
    new_entry(owner, "2026-11-24T06:00:00Z", "2026-11-24T07:00:00Z")
    assert stats(owner, "?period=today")["tracked_minutes"] == 60
    owner.set_timezone("Pacific/Kiritimati")  # UTC+14: already the 25th there
    got = stats(owner, "?period=today")
    assert (got["date_from"], got["tracked_minutes"]) == ("2026-11-25", 0)
    owner.ok("PATCH", "/v1/me", json={"week_start": "sunday"})
    assert stats(owner)["date_from"] == "2026-11-22"


@contextmanager
def served(db: Database, clock: FrozenClock, tmp: Path, redis_url: str) -> Iterator[TestClient]:
    settings = make_settings(tmp, redis_url=redis_url)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        yield client


@pytest.mark.skipif(not REDIS_URL and not REQUIRE_ALL, reason="no Redis (TIMEBOXD_TEST_REDIS_URL)")
def test_a_redis_cache_is_shared_by_every_process_and_invalidated_by_writes(
    db: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    url = REDIS_URL or ""
    with (
        served(db, clock, tmp_path / "a", url) as one,
        served(db, clock, tmp_path / "b", url) as two,
    ):
        p = new_persona(one, db)
        q = Persona(two, db, p.user_id, p.email, p.key)  # the same key on the other process
        assert p.get("/v1/productivity").headers["X-Cache"] == "miss"
        shared = q.get("/v1/productivity")
        assert shared.headers["X-Cache"] == "hit"  # the other process's answer
        new_entry(q, "2026-11-24T06:00:00Z", "2026-11-24T07:00:00Z")
        fresh = p.get("/v1/productivity")
        assert fresh.headers["X-Cache"] == "miss"
        assert fresh.json()["data"]["total_minutes"] == 60
        assert q.get("/v1/productivity").headers["X-Cache"] == "hit"


def test_a_redis_cache_that_cannot_be_reached_misses_instead_of_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisStore("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert store.get("stats:anything") is None
    store.set("stats:anything", b"{}")  # dropped, not raised
    assert "statistics cache unavailable" in caplog.text


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?period=year", "period"),
        ("?period=week&date_from=2026-11-01&date_to=2026-11-02", "period"),
        ("?date_from=2026-11-01", "date_to"),
        ("?date_to=2026-11-01", "date_from"),
        ("?date_from=2026-11-02&date_to=2026-11-01", "date_to"),
        ("?date_from=2026-02-30&date_to=2026-03-01", "date_from"),
        ("?date_from=2000-01-01&date_to=2026-01-01", "date_to"),
    ],
)
def test_bad_stats_queries_name_the_field(owner: Persona, query: str, field: str) -> None:
    assert_error(owner.get(f"/v1/stats{query}"), 400, "VALIDATION_ERROR", field)


@pytest.mark.parametrize("weeks", ["0", "53", "-1", "two"])
def test_bad_weeks(owner: Persona, weeks: str) -> None:
    assert_error(owner.get(f"/v1/productivity?weeks={weeks}"), 400, "VALIDATION_ERROR", "weeks")


def test_statistics_need_the_read_stats_scope(owner: Persona) -> None:
    narrow = owner.as_key(owner.new_key(scopes=["read:blocks"]))
    assert_error(narrow.get("/v1/stats"), 403, "FORBIDDEN")
    assert_error(narrow.get("/v1/productivity"), 403, "FORBIDDEN")
    wide = owner.as_key(owner.new_key(scopes=["read:stats"]))
    assert wide.get("/v1/stats").status_code == 200
