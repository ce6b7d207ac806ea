"""Report totals against an independent computation over the same random entries:
rounding, rates and currencies, time zones (with DST and odd offsets), entries that cross
midnight or the report's edges, and a running timer."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FrozenClock, Persona

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
# A zone and the first day of a report: most weeks hold one of the zone's clock changes
# (spring forward and fall back; Adelaide has a half-hour offset too), the rest have odd
# offsets, and the last day reaches today (for the running timer).
ZONES_AND_WEEKS = [
    ("Europe/Berlin", date(2026, 3, 26)),
    ("Europe/Berlin", date(2026, 10, 22)),
    ("America/Los_Angeles", date(2026, 3, 5)),
    ("America/Los_Angeles", date(2026, 10, 29)),
    ("Australia/Adelaide", date(2026, 4, 2)),
    ("Australia/Adelaide", date(2026, 10, 1)),
    ("Asia/Kolkata", date(2026, 11, 16)),
    ("Asia/Kathmandu", date(2026, 11, 16)),
    ("UTC", date(2026, 11, 16)),
]


def midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0)).replace(tzinfo=tz).astimezone(UTC)


def expected(
    entries: list[dict[str, Any]],
    projects: dict[str, dict[str, Any]],
    tz_name: str,
    first: date,
    last: date,
    group_by: str,
    step: int,
    mode: str,
    week_start: str = "monday",
) -> tuple[dict[tuple[Any, Any], list[int]], dict[str, Any]]:
    """Plain Python over the raw entries: {(key, currency): [tracked, billable, cents]}."""
    tz = ZoneInfo(tz_name)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    groups: dict[tuple[Any, Any], list[int]] = defaultdict(lambda: [0, 0, 0])
    totals = {"tracked": 0, "billable": 0, "cents": defaultdict(int)}

    def rnd(seconds: int) -> int:
        if not step:
            return seconds
        whole, rest = divmod(seconds, step)
        if mode == "down" or rest == 0:
            return whole * step
        if mode == "up":
            return (whole + 1) * step
        return (whole + (1 if rest * 2 >= step else 0)) * step

    for e in entries:
        begin = e["start"]
        end = e["end"] or NOW
        project = projects.get(e["project"] or "", {})
        rate = Decimal(project.get("rate") or 0)
        currency = project.get("currency")
        pieces: list[tuple[Any, int]] = []
        for day in days:
            lo = max(begin, midnight(day, tz))
            hi = min(end, midnight(day + timedelta(days=1), tz))
            if hi > lo:
                pieces.append((day, int((hi - lo).total_seconds())))
        if not pieces:
            continue
        if group_by not in ("day", "week"):
            lo = max(begin, midnight(first, tz))
            hi = min(end, midnight(last + timedelta(days=1), tz))
            pieces = [(None, int((hi - lo).total_seconds()))]
        for day, seconds in pieces:
            seconds = rnd(seconds)
            amount = 0
            if e["billable"] and rate:
                exact = Decimal(seconds) * rate / 3600
                amount = int((exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            if group_by == "day":
                keys = [day.isoformat()]
            elif group_by == "week":
                back = (day.weekday() + (1 if week_start == "sunday" else 0)) % 7
                keys = [(day - timedelta(days=back)).isoformat()]
            elif group_by == "tag":
                keys = list(e["tags"]) or [None]
            elif group_by == "client":
                keys = [project.get("client")]
            else:
                keys = [e[group_by]]
            for key in keys:
                acc = groups[(key, currency)]
                acc[0] += seconds
                acc[1] += seconds if e["billable"] else 0
                acc[2] += amount
            totals["tracked"] += seconds
            totals["billable"] += seconds if e["billable"] else 0
            totals["cents"][currency] += amount
    return groups, totals


def entry_specs(near_days: tuple[int, int]) -> st.SearchStrategy[list[Spec]]:
    return st.lists(
        st.tuples(
            # where it starts: near the local midnight that ends the report's n-th day (so
            # that many entries cross one), or anywhere from the day before the report
            st.one_of(
                st.tuples(st.integers(*near_days), st.integers(-6 * 60, 60)),
                st.tuples(st.just(None), st.integers(-2 * 24 * 60, 11 * 24 * 60)),
            ),
            st.integers(60, 30 * 3600) | st.integers(3600, 12 * 3600),  # seconds
            st.integers(min_value=0, max_value=3),  # project index (3: none)
            st.booleans(),  # billable
            st.sets(st.integers(min_value=0, max_value=2), max_size=2),  # tags
            st.integers(min_value=0, max_value=59),  # extra seconds
        ),
        min_size=3,
        max_size=25,
    )


Spec = tuple[tuple[int | None, int], int, int, bool, set[int], int]
BOUNDED = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@BOUNDED
@given(
    specs=entry_specs((0, 8)),
    zone_and_week=st.sampled_from(ZONES_AND_WEEKS),
    group_by=st.sampled_from(["project", "client", "task", "tag", "user", "day", "week"]),
    rounding=st.sampled_from([0, 1, 6, 15]),
    mode=st.sampled_from(["up", "nearest", "down"]),
    span=st.integers(min_value=0, max_value=8),
    running=st.booleans(),
)
def test_summary_equals_an_independent_computation(
    persona_factory: Any,
    clock: FrozenClock,
    specs: list[Spec],
    zone_and_week: tuple[str, date],
    group_by: str,
    rounding: int,
    mode: str,
    span: int,
    running: bool,
) -> None:
    tz_name, first = zone_and_week
    check(
        persona_factory(tz_name),
        clock,
        specs,
        tz_name,
        first,
        span,
        running,
        group_by,
        rounding,
        mode,
        "monday",
    )


@BOUNDED
@given(
    specs=entry_specs((2, 4)),  # around the clock change, on the fourth day
    zone_and_week=st.sampled_from(ZONES_AND_WEEKS[:6]),
    group_by=st.sampled_from(["day", "week"]),
    rounding=st.sampled_from([0, 15]),
    week_start=st.sampled_from(["monday", "sunday"]),
)
def test_days_and_weeks_follow_local_midnight_across_clock_changes(
    persona_factory: Any,
    clock: FrozenClock,
    specs: list[Spec],
    zone_and_week: tuple[str, date],
    group_by: str,
    rounding: int,
    week_start: str,
) -> None:
    tz_name, first = zone_and_week
    p: Persona = persona_factory(tz_name)
    p.ok("PATCH", "/v1/me", json={"week_start": week_start})
    check(p, clock, specs, tz_name, first, 6, False, group_by, rounding, "up", week_start)


def check(
    p: Persona,
    clock: FrozenClock,
    specs: list[Spec],
    tz_name: str,
    first: date,
    span: int,
    running: bool,
    group_by: str,
    rounding: int,
    mode: str,
    week_start: str,
) -> None:
    """Make the entries through the API, ask for the summary, and compare it with
    ``expected`` over the same entries."""
    zone = ZoneInfo(tz_name)
    clock.set(NOW)
    client = p.ok("POST", "/v1/clients", 201, json={"name": "Client"})
    project_fields = [
        {"name": "Paid EUR", "hourly_rate": "47.35", "currency": "EUR", "client_id": client["id"]},
        {"name": "Paid USD", "hourly_rate": "120.10", "currency": "USD"},
        {"name": "Unpaid"},
    ]
    projects: dict[str, dict[str, Any]] = {}
    project_ids = []
    for fields in project_fields:
        made = p.ok("POST", "/v1/projects", 201, json=fields)
        project_ids.append(made["id"])
        projects[made["id"]] = {
            "rate": fields.get("hourly_rate"),
            "currency": fields.get("currency"),
            "client": fields.get("client_id"),
        }
    tag_ids = [p.ok("POST", "/v1/tags", 201, json={"name": f"t{n}"})["id"] for n in range(3)]
    task_id = p.ok("POST", "/v1/tasks", 201, json={"project_id": project_ids[0], "name": "T"})["id"]

    base = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC)
    entries = []
    body = []
    for (near, minutes), length, proj, billable, tags, extra in specs:
        origin = base if near is None else midnight(first + timedelta(days=near + 1), zone)
        start = origin + timedelta(minutes=minutes, seconds=extra)
        end = start + timedelta(seconds=length)
        if end > NOW:
            continue
        project = project_ids[proj] if proj < 3 else None
        task = task_id if proj == 0 and length % 2 else None
        tag_list = sorted(tag_ids[t] for t in tags)
        body.append(
            {
                "start_at": start.isoformat(),
                "end_at": end.isoformat(),
                "project_id": project,
                "task_id": task,
                "billable": billable,
                "tag_ids": tag_list,
            }
        )
        entries.append(
            {
                "start": start,
                "end": end,
                "project": project,
                "task": task,
                "billable": billable,
                "tags": tag_list,
                "user": p.user_id,
            }
        )
    if body:
        p.ok("POST", "/v1/time-entries/bulk", 201, json={"time_entries": body})
    if running:
        clock.set(NOW - timedelta(hours=3, minutes=7, seconds=5))
        p.ok("POST", "/v1/timer/start", 201, json={"project_id": project_ids[1], "billable": True})
        clock.set(NOW)
        entries.append(
            {
                "start": NOW - timedelta(hours=3, minutes=7, seconds=5),
                "end": None,
                "project": project_ids[1],
                "task": None,
                "billable": True,
                "tags": [],
                "user": p.user_id,
            }
        )

    last = min(first + timedelta(days=span), date(2026, 11, 24))
    got = p.ok(
        "GET",
        f"/v1/reports/summary?group_by={group_by}&date_from={first}&date_to={last}"
        f"&rounding={rounding}&rounding_mode={mode}",
    )
    want_groups, want_totals = expected(
        entries, projects, tz_name, first, last, group_by, rounding * 60, mode, week_start
    )
    got_groups = {
        (g["key"], g["currency"]): [
            g["tracked_seconds"],
            g["billable_seconds"],
            int(Decimal(g["billable_amount"]) * 100),
        ]
        for g in got["groups"]
    }
    assert got_groups == dict(want_groups)
    totals = got["totals"]
    assert totals["tracked_seconds"] == want_totals["tracked"]
    assert totals["billable_seconds"] == want_totals["billable"]
    got_cents = {
        a["currency"]: int(Decimal(a["billable_amount"]) * 100) for a in totals["by_currency"]
    }
    want_cents = {c: v for c, v in want_totals["cents"].items() if v or c is not None}
    assert got_cents == want_cents
