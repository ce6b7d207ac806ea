"""``GET /v1/projects/{id}/forecast``: budget used and left, the burn of the last four weeks,
the day the budget runs out at that pace, and the planned time ahead. The maths is
property-tested on its own (domain.forecast); the figures through the API are the reports'."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FrozenClock, Persona, assert_error
from tests.factories import add_member, new_block, new_entry, new_project, new_workspace
from timeboxd.domain import forecast as maths
from timeboxd.domain.days import local_midnight

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # FROZEN_AT: a Tuesday


def url(project: dict[str, Any]) -> str:
    return f"/v1/projects/{project['id']}/forecast"


# -- the maths ----------------------------------------------------------------------------

ZONES = st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Kiritimati", "America/Los_Angeles"])
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=0))  # the clock the forecast reads in whole seconds


@given(
    remaining=st.integers(1, 10**9),
    burn=st.integers(1, 28 * 24 * 3600),
    now=INSTANTS,
    tz=ZONES,
)
def test_the_budget_runs_out_on_the_day_the_pace_uses_it_up(
    remaining: int, burn: int, now: datetime, tz: str
) -> None:
    """At ``burn / 28`` seconds a day, the day given is the first on whose end the budget
    left is used up, and the day before had not used it up."""
    got = maths.run_out(remaining, burn, now, tz)
    if got.on is None:
        assert got.reason == maths.NOT_AT_THIS_PACE
        assert remaining * 28 * 86400 / burn >= (maths.END_OF_TIME - now).total_seconds() - 86400
        return
    assert got.reason is None
    used_by = local_midnight(got.on + timedelta(days=1), tz)  # the end of that day
    day_before = local_midnight(got.on, tz)

    def used(until: datetime) -> float:
        return (until - now).total_seconds() * burn / (28 * 86400)

    assert used(used_by) >= remaining
    assert day_before <= now or used(day_before) < remaining


@given(
    remaining=st.integers(1, 10**8),
    more=st.integers(0, 10**8),
    burn=st.integers(1, 10**7),
    faster=st.integers(0, 10**7),
    now=INSTANTS,
    tz=ZONES,
)
def test_more_budget_lasts_longer_and_a_faster_pace_shorter(
    remaining: int, more: int, burn: int, faster: int, now: datetime, tz: str
) -> None:
    base = maths.run_out(remaining, burn, now, tz).on
    later = maths.run_out(remaining + more, burn, now, tz).on
    sooner = maths.run_out(remaining, burn + faster, now, tz).on
    if base is None:  # beyond 2999 at this pace
        assert later is None
        return
    assert sooner is not None and (later is None or later >= base)
    assert now.astimezone(maths.zone(tz)).date() <= sooner <= base


@given(remaining=st.integers(-(10**6), 0) | st.none(), burn=st.integers(0, 10**6))
def test_no_date_without_budget_left(remaining: int | None, burn: int) -> None:
    got = maths.run_out(remaining, burn, NOW, "UTC")
    assert got.on is None
    assert got.reason == (maths.NO_BUDGET if remaining is None else maths.EXHAUSTED)


def test_no_date_when_nothing_was_tracked_lately() -> None:
    assert maths.run_out(60, 0, NOW, "UTC") == maths.RunOut(None, maths.NOT_AT_THIS_PACE)


@given(seconds=st.integers(-(10**6), 10**6))
def test_whole_minutes_round_down(seconds: int) -> None:
    minutes = maths.whole_minutes(seconds)
    assert minutes * 60 <= seconds < (minutes + 1) * 60


# -- through the API ----------------------------------------------------------------------


def test_a_project_half_used_runs_out_at_its_pace(owner: Persona) -> None:
    project = new_project(
        owner, "Website", hourly_rate="90.00", currency="EUR", budget_minutes=60 * 60, billable=True
    )
    # 28 hours in the four weeks before today (27 Oct to 23 Nov): one hour a day.
    for n in range(28):
        day = date(2026, 10, 27) + timedelta(days=n)
        new_entry(owner, f"{day}T09:00:00Z", f"{day}T10:00:00Z", project_id=project["id"])
    # Two more hours today and two, non-billable, long ago.
    new_entry(owner, "2026-11-24T07:00:00Z", "2026-11-24T09:00:00Z", project_id=project["id"])
    new_entry(
        owner,
        "2026-01-05T09:00:00Z",
        "2026-01-05T11:00:00Z",
        project_id=project["id"],
        billable=False,
    )
    new_block(owner, "2026-11-24", "11:00", "12:30", project_id=project["id"])  # ahead
    new_block(owner, "2026-11-24", "09:30", "10:30", project_id=project["id"])  # half ahead
    new_block(owner, "2026-11-23", "09:00", "17:00", project_id=project["id"])  # past
    done = new_block(owner, "2026-11-25", "09:00", "10:00", project_id=project["id"])
    owner.ok("PATCH", f"/v1/blocks/{done['id']}", json={"done": True})
    got = owner.ok("GET", url(project))
    assert got["as_of"] == "2026-11-24"
    assert (got["budget_minutes"], got["budget_amount"]) == (3600, "5400.00")
    assert got["used_seconds"] == 32 * 3600 and got["used_minutes"] == 32 * 60
    assert got["used_amount"] == "2700.00"  # 30 billable hours at 90
    assert got["remaining_minutes"] == 28 * 60
    assert got["remaining_amount"] == "2700.00"
    assert got["burn"] == {
        "date_from": "2026-10-27",
        "date_to": "2026-11-23",
        "tracked_seconds": 28 * 3600,
        "minutes_per_day": 60.0,
        "minutes_per_week": 420.0,
    }
    # 28 hours left at an hour a day: 28 days from now, 10:00 on 22 December.
    assert (got["runs_out_on"], got["runs_out_reason"]) == ("2026-12-22", None)
    assert got["planned_minutes"] == 90 + 30
    assert got["unplanned_minutes"] == 28 * 60 - 120


def test_the_figures_are_the_reports(owner: Persona, clock: FrozenClock) -> None:
    project = new_project(
        owner, "Paid", hourly_rate="47.35", currency="EUR", budget_minutes=100, billable=True
    )
    new_entry(owner, "2026-10-30T22:13:07Z", "2026-11-02T01:00:00Z", project_id=project["id"])
    new_entry(owner, "2026-11-20T09:00:00Z", "2026-11-20T09:00:59Z", project_id=project["id"])
    clock.set(NOW - timedelta(minutes=17, seconds=3))
    owner.ok("POST", "/v1/timer/start", 201, json={"project_id": project["id"]})
    clock.set(NOW)
    got = owner.ok("GET", url(project))
    report = owner.ok(
        "GET",
        f"/v1/reports/summary?project_id={project['id']}&date_from=2026-10-01&date_to=2026-11-24",
    )["totals"]
    assert got["used_seconds"] == report["tracked_seconds"]
    assert got["used_amount"] == report["billable_amount"]
    window = owner.ok(
        "GET",
        f"/v1/reports/summary?project_id={project['id']}&date_from=2026-10-27&date_to=2026-11-23",
    )["totals"]
    assert got["burn"]["tracked_seconds"] == window["tracked_seconds"]
    assert got["runs_out_reason"] == "exhausted" and got["remaining_minutes"] < 0


BOUNDED = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@BOUNDED
@given(
    entries=st.lists(
        st.tuples(st.integers(0, 60 * 24 * 60), st.integers(1, 30 * 3600), st.booleans()),
        max_size=8,
    ),
    budget=st.integers(0, 200 * 60) | st.none(),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kathmandu"]),
)
def test_random_projects_agree_with_the_reports_and_the_maths(
    persona_factory: Any,
    entries: list[tuple[int, int, bool]],
    budget: int | None,
    zone: str,
) -> None:
    p: Persona = persona_factory(zone)
    project = new_project(p, "P", hourly_rate="33.33", currency="USD", budget_minutes=budget)
    origin = datetime(2026, 9, 20, tzinfo=UTC)
    for minutes, seconds, billable in entries:
        start = origin + timedelta(minutes=minutes)
        end = min(start + timedelta(seconds=seconds), NOW)
        if end > start:
            fields = {"project_id": project["id"], "billable": billable}
            new_entry(p, start.isoformat(), end.isoformat(), **fields)
    got = p.ok("GET", url(project))
    pid = project["id"]
    whole = p.ok("GET", f"/v1/reports/summary?project_id={pid}&date_from=2026-09-01")["totals"]
    assert got["used_seconds"] == whole["tracked_seconds"]
    assert got["used_amount"] == whole["billable_amount"]
    burn = got["burn"]
    window = p.ok(
        "GET",
        f"/v1/reports/summary?project_id={pid}&date_from={burn['date_from']}"
        f"&date_to={burn['date_to']}",
    )["totals"]
    assert burn["tracked_seconds"] == window["tracked_seconds"]
    remaining = None if budget is None else budget * 60 - got["used_seconds"]
    want = maths.run_out(remaining, burn["tracked_seconds"], NOW, zone)
    assert got["runs_out_reason"] == want.reason
    assert got["runs_out_on"] == (want.on.isoformat() if want.on else None)
    if budget is None:
        assert got["remaining_minutes"] is None and got["unplanned_minutes"] is None
    else:
        assert got["remaining_minutes"] == maths.whole_minutes(remaining or 0)


def test_without_a_budget_or_a_rate(owner: Persona) -> None:
    project = new_project(owner, "Study")
    got = owner.ok("GET", url(project))
    assert got["budget_minutes"] is None and got["budget_amount"] is None
    assert (got["runs_out_on"], got["runs_out_reason"]) == (None, "no_budget")
    assert got["used_amount"] == "0.00" and got["remaining_amount"] is None
    paced = new_project(owner, "Budget, idle", budget_minutes=600)
    got = owner.ok("GET", url(paced))
    assert (got["runs_out_on"], got["runs_out_reason"]) == (None, "not_at_this_pace")
    assert got["remaining_minutes"] == 600 and got["budget_amount"] is None


def test_owners_and_admins_see_it_members_are_refused_others_not_found(
    owner: Persona, teammate: Persona, outsider: Persona, persona_factory: Any
) -> None:
    team = new_workspace(owner, "Agency")
    add_member(owner, team, teammate)
    admin = persona_factory()
    add_member(owner, team, admin, "admin")
    project = new_project(owner, "Shared", workspace_id=team, budget_minutes=600)
    new_entry(teammate, "2026-11-20T09:00:00Z", "2026-11-20T11:00:00Z", project_id=project["id"])
    new_entry(owner, "2026-11-21T09:00:00Z", "2026-11-21T10:00:00Z", project_id=project["id"])
    for manager in (owner, admin):
        assert manager.ok("GET", url(project))["used_seconds"] == 3 * 3600  # everyone's
    assert_error(teammate.get(url(project)), 403, "FORBIDDEN")
    assert_error(outsider.get(url(project)), 404, "NOT_FOUND")
    theirs = new_project(outsider, "Elsewhere")
    assert_error(owner.get(url(theirs)), 404, "NOT_FOUND")
    assert_error(owner.get("/v1/projects/prj_missing/forecast"), 404, "NOT_FOUND")


def test_a_test_key_sees_no_live_project(owner: Persona) -> None:
    live = new_project(owner, "Live", budget_minutes=60)
    sandbox = owner.as_key(owner.new_key(test=True))
    assert_error(sandbox.get(url(live)), 404, "NOT_FOUND")
    mine = new_project(sandbox, "Sandbox", budget_minutes=60)
    new_entry(sandbox, "2026-11-20T09:00:00Z", "2026-11-20T09:30:00Z", project_id=mine["id"])
    assert sandbox.ok("GET", url(mine))["used_seconds"] == 1800
    assert_error(owner.get(url(mine)), 404, "NOT_FOUND")


def test_it_needs_read_reports(owner: Persona) -> None:
    project = new_project(owner, "P")
    projects_only = owner.as_key(owner.new_key(scopes=["read:projects"]))
    assert_error(projects_only.get(url(project)), 403, "FORBIDDEN")
    reports = owner.as_key(owner.new_key(scopes=["read:reports"]))
    assert reports.get(url(project)).status_code == 200
