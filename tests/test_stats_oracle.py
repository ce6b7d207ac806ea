"""Every field of /v1/stats and /v1/productivity against a brute-force oracle: plain Python
over the raw rows, minute by minute, on Hypothesis-generated data across zones with DST and
half- and quarter-hour offsets."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FrozenClock, Persona

ZONES = [
    "Europe/Berlin",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "UTC",
]
NOWS = [
    datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
    datetime(2026, 3, 30, 0, 30, tzinfo=UTC),  # just after Europe's spring change
    datetime(2026, 11, 2, 7, 45, tzinfo=UTC),  # just after America's autumn change
]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(tzinfo=tz).astimezone(UTC)


def minutes_of(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[date, int]]:
    """(local day, local hour) of every whole minute in [start, end)."""
    out = []
    t = start
    while t < end:
        local = t.astimezone(tz)
        out.append((local.date(), local.hour))
        t += timedelta(minutes=1)
    return out


def streaks(days: set[date], today: date) -> tuple[int, int]:
    current, day = 0, today if today in days else today - timedelta(days=1)
    while day in days:
        current += 1
        day -= timedelta(days=1)
    best = run = 0
    for d in sorted(days):
        run = run + 1 if d - timedelta(days=1) in days else 1
        best = max(best, run)
    return current, best


def oracle_stats(
    blocks: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    tz: ZoneInfo,
    now: datetime,
    week_start: str,
    period: str,
) -> dict[str, Any]:
    today = now.astimezone(tz).date()
    counted = [b for b in blocks if not b["gone"]]
    if period == "today":
        first = last = today
    elif period == "week":
        offset = (today.weekday() - (0 if week_start == "monday" else 6)) % 7
        first = today - timedelta(days=offset)
        last = first + timedelta(days=6)
    elif period == "month":
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        starts = [b["date"] for b in counted] + [e["start"].astimezone(tz).date() for e in entries]
        first = min([*starts, today])
        last = max([today] + [b["date"] for b in counted])
    inside = [b for b in counted if first <= b["date"] <= last]
    done = [b for b in inside if b["done"]]
    lo, hi = midnight(first, tz), midnight(last + timedelta(days=1), tz)
    tracked = 0
    for e in entries:
        end = e["end"] or now
        tracked += len([m for m in minutes_of(max(e["start"], lo), min(end, hi), tz)])
    heat: dict[str, int] = {}
    day = first
    while day <= last:
        heat[day.isoformat()] = len([b for b in done if b["date"] == day])
        day += timedelta(days=1)
    completed_days = {b["date"] for b in counted if b["done"] and b["date"] <= today}
    return {
        "period": period,
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
        "total_blocks": len(inside),
        "completed_blocks": len(done),
        "completion_rate": round(len(done) / len(inside), 4) if inside else 0.0,
        "streak_days": streaks(completed_days, today)[0],
        "total_minutes": sum(b["minutes"] for b in done),
        "scheduled_minutes": sum(b["minutes"] for b in inside),
        "tracked_minutes": tracked,
        "heatmap": heat,
    }


def oracle_productivity(
    blocks: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    tz: ZoneInfo,
    now: datetime,
    weeks: int,
    names: dict[str | None, str],
) -> dict[str, Any]:
    today = now.astimezone(tz).date()
    first = today - timedelta(days=7 * weeks - 1)
    month_first = today - timedelta(days=29)
    lo_day = min(first, month_first)
    lo, hi = midnight(lo_day, tz), midnight(today + timedelta(days=1), tz)
    window_lo = midnight(first, tz)
    counted = [b for b in blocks if not b["gone"]]
    spans = [(e["start"], e["end"] or max(now, e["start"]), e["project"], False) for e in entries]
    spans += [
        (b["start_at"], b["end_at"], b["project"], True)
        for b in counted
        if b["done"] and not b["tracked"] and lo_day <= b["date"] <= today
    ]
    per_day: dict[date, int] = defaultdict(int)
    per_hour: dict[int, int] = defaultdict(int)
    per_weekday: dict[int, int] = defaultdict(int)
    per_project: dict[str | None, int] = defaultdict(int)
    tracked_project: dict[str | None, int] = defaultdict(int)
    for start, end, project, is_block in spans:
        for day, hour in minutes_of(max(start, lo), min(end, hi), tz):
            per_day[day] += 1
            if day >= first:
                per_hour[hour] += 1
                per_weekday[day.weekday()] += 1
                per_project[project] += 1
                if not is_block:
                    tracked_project[project] += 1
    lengths = [
        int((end - start).total_seconds())
        for start, end, _, _ in spans
        if start >= window_lo and (end - start) >= timedelta(minutes=25)
    ]
    total = sum(per_project.values())
    scheduled: dict[str | None, int] = defaultdict(int)
    for b in counted:
        if first <= b["date"] <= today:
            scheduled[b["project"]] += b["minutes"]
    completed_days = {b["date"] for b in counted if b["done"] and b["date"] <= today}
    current, longest = streaks(completed_days, today)
    return {
        "weeks": weeks,
        "date_from": first.isoformat(),
        "date_to": today.isoformat(),
        "current_streak": current,
        "longest_streak": longest,
        "total_minutes": total,
        "focus": {
            "sessions": len(lengths),
            "average_minutes": round(sum(lengths) / len(lengths) / 60, 1) if lengths else 0.0,
            "longest_minutes": max(lengths) // 60 if lengths else 0,
            "deep_work_share": round(min(1.0, sum(lengths) / (total * 60)), 4) if total else 0.0,
        },
        "projects": sorted(
            [
                {
                    "project_id": p,
                    "name": names[p],
                    "minutes": m,
                    "share": round(m / total, 4) if total else 0.0,
                }
                for p, m in per_project.items()
            ],
            key=lambda x: (-x["minutes"], x["project_id"] or ""),
        ),
        "heatmap": {
            (first + timedelta(days=n)).isoformat(): per_day[first + timedelta(days=n)]
            for n in range(7 * weeks)
        },
        "last_30_days": [
            {
                "date": (month_first + timedelta(days=n)).isoformat(),
                "minutes": per_day[month_first + timedelta(days=n)],
            }
            for n in range(30)
        ],
        "by_weekday": [{"weekday": WEEKDAYS[n], "minutes": per_weekday[n]} for n in range(7)],
        "by_hour": [{"hour": h, "minutes": per_hour[h]} for h in range(24)],
        "plan_vs_actual": [
            {
                "project_id": p,
                "name": names[p],
                "scheduled_minutes": scheduled.get(p, 0),
                "tracked_minutes": tracked_project.get(p, 0),
            }
            for p in sorted(set(scheduled) | set(tracked_project), key=lambda p: p or "")
        ],
    }


block_specs = st.lists(
    st.tuples(
        st.integers(min_value=-40, max_value=10),  # day, from today
        st.integers(min_value=0, max_value=22 * 4),  # start, quarter hours from 00:00
        st.integers(min_value=1, max_value=12),  # length, quarter hours
        st.booleans(),  # done
        st.sampled_from(["keep", "keep", "keep", "archive", "delete"]),
        st.integers(min_value=0, max_value=2),  # project (2: none)
    ),
    max_size=20,
)
entry_specs = st.lists(
    st.tuples(
        st.integers(min_value=-40 * 24 * 60, max_value=-10),  # start, minutes before now
        st.integers(min_value=1, max_value=8 * 60),  # length in minutes
        st.integers(min_value=0, max_value=2),  # project
        st.booleans(),  # linked to the first done block
    ),
    max_size=15,
)


def apply_edits(
    p: Persona,
    edits: list[tuple[str, int, int]],
    made: list[dict[str, Any]],
    tracked: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Later writes of every kind, so the rollups are checked after updates and deletes."""
    for action, which, minutes in edits:
        stopped = [e for e in tracked if e["end"] is not None]
        if action == "shift" and stopped:
            e = stopped[which % len(stopped)]
            start = e["start"] + timedelta(minutes=minutes)
            end = min(e["end"] + timedelta(minutes=minutes), now)
            if end <= start:
                continue
            body = {"start_at": start.isoformat(), "end_at": end.isoformat()}
            p.ok("PATCH", f"/v1/time-entries/{e['id']}", json=body)
            e["start"], e["end"] = start, end
        elif action == "drop" and stopped:
            e = stopped[which % len(stopped)]
            assert p.delete(f"/v1/time-entries/{e['id']}").status_code in (200, 204)
            tracked.remove(e)
        elif action == "toggle" and made:
            b = made[which % len(made)]
            if b["gone"]:
                continue
            b["done"] = not b["done"]
            p.ok("PATCH", f"/v1/blocks/{b['id']}", json={"done": b["done"]})
        elif action == "restore" and made:
            b = made[which % len(made)]
            if not b["gone"]:
                continue
            p.post(f"/v1/blocks/{b['id']}/restore")
            p.post(f"/v1/blocks/{b['id']}/unarchive")
            b["gone"] = False


@settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    blocks=block_specs,
    entries=entry_specs,
    tz_name=st.sampled_from(ZONES),
    now=st.sampled_from(NOWS),
    week_start=st.sampled_from(["monday", "sunday"]),
    period=st.sampled_from(["today", "week", "month", "all"]),
    weeks=st.integers(min_value=1, max_value=6),
    running=st.booleans(),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["shift", "drop", "toggle", "restore"]),
            st.integers(min_value=0, max_value=30),  # which row
            st.integers(min_value=-300, max_value=300),  # minutes, for a shift
        ),
        max_size=6,
    ),
    new_zone=st.sampled_from([None, None, *ZONES]),
)
def test_every_field_equals_the_oracle(
    persona_factory: Any,
    clock: FrozenClock,
    blocks: list[tuple[int, int, int, bool, str, int]],
    entries: list[tuple[int, int, int, bool]],
    tz_name: str,
    now: datetime,
    week_start: str,
    period: str,
    weeks: int,
    running: bool,
    edits: list[tuple[str, int, int]],
    new_zone: str | None,
) -> None:
    clock.set(now)
    tz = ZoneInfo(tz_name)
    p: Persona = persona_factory(tz_name)
    p.ok("PATCH", "/v1/me", json={"week_start": week_start})
    projects = [p.ok("POST", "/v1/projects", 201, json={"name": f"P{n}"})["id"] for n in range(2)]
    names: dict[str | None, str] = {projects[0]: "P0", projects[1]: "P1", None: "(no project)"}
    today = now.astimezone(tz).date()

    made: list[dict[str, Any]] = []
    for day_offset, quarter, length, done, fate, proj in blocks:
        start_q, end_q = quarter, min(quarter + length, 95)
        if end_q <= start_q:
            continue
        body = {
            "date": (today + timedelta(days=day_offset)).isoformat(),
            "start": f"{start_q // 4:02d}:{start_q % 4 * 15:02d}",
            "end": f"{end_q // 4:02d}:{end_q % 4 * 15:02d}",
            "done": done,
            "project_id": projects[proj] if proj < 2 else None,
        }
        response = p.post("/v1/blocks", json=body)
        if response.status_code == 400:  # a daylight-saving gap: not a block
            continue
        block = response.json()["data"]
        if fate == "archive":
            p.ok("POST", f"/v1/blocks/{block['id']}/archive")
        elif fate == "delete":
            p.ok("DELETE", f"/v1/blocks/{block['id']}")
        made.append(
            {
                "id": block["id"],
                "date": date.fromisoformat(block["date"]),
                "start_at": datetime.fromisoformat(block["start_at"]),
                "end_at": datetime.fromisoformat(block["end_at"]),
                "minutes": block["duration_minutes"],
                "done": done,
                "gone": fate != "keep",
                "tracked": False,
                "project": body["project_id"],
            }
        )
    target = next((b for b in made if b["done"] and not b["gone"]), None)
    tracked: list[dict[str, Any]] = []
    for before, length, proj, linked in entries:
        start = now + timedelta(minutes=before)
        end = min(start + timedelta(minutes=length), now)
        body = {
            "start_at": start.isoformat(),
            "end_at": end.isoformat(),
            "project_id": projects[proj] if proj < 2 else None,
        }
        if linked and target is not None:
            body["block_id"] = target["id"]
            body["project_id"] = target["project"]
            target["tracked"] = True
        entry = p.ok("POST", "/v1/time-entries", 201, json=body)
        tracked.append(
            {"id": entry["id"], "start": start, "end": end, "project": body["project_id"]}
        )
    if running:
        clock.set(now - timedelta(minutes=95))
        p.ok("POST", "/v1/timer/start", 201, json={"project_id": projects[0]})
        tracked.append({"start": now - timedelta(minutes=95), "end": None, "project": projects[0]})
        clock.set(now)
    apply_edits(p, edits, made, tracked, now)
    if new_zone is not None and new_zone != tz_name:
        p.set_timezone(new_zone)
        tz = ZoneInfo(new_zone)
    for b in made:
        if not b["gone"]:
            # Blocks keep their wall-clock times when the zone changes (their instants
            # move), and a block whose last entry went is no longer tracked.
            again = p.ok("GET", f"/v1/blocks/{b['id']}")
            b["start_at"] = datetime.fromisoformat(again["start_at"])
            b["end_at"] = datetime.fromisoformat(again["end_at"])
            b["minutes"] = again["duration_minutes"]
            b["tracked"] = again["has_time_entry"]

    got = p.ok("GET", f"/v1/stats?period={period}")
    assert got == oracle_stats(made, tracked, tz, now, week_start, period)
    got = p.ok("GET", f"/v1/productivity?weeks={weeks}")
    assert got == oracle_productivity(made, tracked, tz, now, weeks, names)
