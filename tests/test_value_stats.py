"""``GET /v1/stats/value``: the value dashboard. Its figures are the summary report's own,
to the cent: the range's against the summary over the same days, the top lists against the
project and client summaries, each month against the summary of that month, and what is
not approved yet against the detailed report's rows of those entries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FrozenClock, Persona, assert_error
from tests.factories import add_member, new_client, new_entry, new_project, new_workspace

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
URL = "/v1/stats/value"


def cents(value: str) -> int:
    return int(Decimal(value) * 100)


def approve(p: Persona, entry_id: str) -> None:
    p.ok("POST", f"/v1/time-entries/{entry_id}/submit")
    p.ok("POST", f"/v1/time-entries/{entry_id}/approve", json={})


def summary(p: Persona, first: Any, last: Any, group_by: str = "project") -> dict[str, Any]:
    query = f"group_by={group_by}&date_from={first}&date_to={last}"
    return dict(p.ok("GET", f"/v1/reports/summary?{query}"))


def same_figures(value: dict[str, Any], report: dict[str, Any]) -> None:
    """The range (or a month) of the dashboard against a summary's totals."""
    totals = report["totals"]
    assert value["tracked_seconds"] == totals["tracked_seconds"]
    assert value["billable_seconds"] == totals["billable_seconds"]
    assert value["non_billable_seconds"] == totals["tracked_seconds"] - totals["billable_seconds"]
    got = {c["currency"]: c["billable_amount"] for c in value["by_currency"]}
    assert got == {a["currency"]: a["billable_amount"] for a in totals["by_currency"]}


def check_against_reports(
    p: Persona, first: date, last: date, unapproved: set[str], top: int = 100
) -> dict[str, Any]:
    got = p.ok("GET", f"{URL}?date_from={first}&date_to={last}&top={top}")
    assert (got["date_from"], got["date_to"]) == (str(first), str(last))
    whole = summary(p, first, last)
    same_figures(got, whole)
    # Most money first, then most time; otherwise in the report's own order.
    for kind, listed in (("project", got["top_projects"]), ("client", got["top_clients"])):
        groups = whole["groups"] if kind == "project" else summary(p, first, last, kind)["groups"]
        ordered = sorted(
            groups, key=lambda g: (-cents(g["billable_amount"]), -g["tracked_seconds"])
        )
        assert listed == ordered[:top]
    # What is not approved yet: the detailed report's rows of those entries.
    rows = p.ok("GET", f"/v1/reports/detailed?date_from={first}&date_to={last}")["rows"]
    want_unbilled: dict[Any, int] = {}
    for r in rows:
        if r["id"] in unapproved:
            want_unbilled[r["currency"]] = want_unbilled.get(r["currency"], 0) + cents(
                r["billable_amount"]
            )
    for c in got["by_currency"]:
        assert cents(c["unbilled_amount"]) == want_unbilled.get(c["currency"], 0)
        tracked = got["tracked_seconds"]
        rate = Decimal(c["billable_amount"]) * 3600 / tracked if tracked else None
        if rate is None:
            assert c["effective_hourly_rate"] is None
        else:
            assert abs(Decimal(c["effective_hourly_rate"]) - rate) <= Decimal("0.005")
    # Every month of the range, each the summary of its own days.
    assert next(m["date_from"] for m in got["months"]) == str(first)
    assert got["months"][-1]["date_to"] == str(last)
    for month in got["months"]:
        same_figures(month, summary(p, month["date_from"], month["date_to"]))
    return dict(got)


BOUNDED = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RATES = ["47.35", "120.10", "0.01", "999.99"]


@BOUNDED
@given(
    entries=st.lists(
        st.tuples(
            st.integers(0, 75 * 24 * 60),  # minutes after 1 September, 00:00 local
            st.integers(1, 40 * 3600),  # seconds
            st.integers(0, 3),  # project (3: none)
            st.booleans(),  # billable
            st.booleans(),  # approved
        ),
        min_size=1,
        max_size=12,
    ),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kathmandu"]),
    rates=st.lists(st.sampled_from(RATES), min_size=2, max_size=2),
    span=st.sampled_from(
        [(date(2026, 9, 1), date(2026, 11, 24)), (date(2026, 9, 14), date(2026, 10, 31))]
    ),
    running=st.booleans(),
)
def test_every_figure_is_the_summary_reports_own(
    persona_factory: Any,
    clock: FrozenClock,
    entries: list[tuple[int, int, int, bool, bool]],
    zone: str,
    rates: list[str],
    span: tuple[date, date],
    running: bool,
) -> None:
    clock.set(NOW)
    p: Persona = persona_factory(zone)
    acme = new_client(p, "Acme")
    projects = [
        new_project(p, "EUR work", hourly_rate=rates[0], currency="EUR", client_id=acme["id"]),
        new_project(p, "USD work", hourly_rate=rates[1], currency="USD"),
        new_project(p, "Rate, no currency", hourly_rate="10.00"),
    ]
    origin = datetime(2026, 8, 31, 12, tzinfo=UTC)
    unapproved: set[str] = set()
    for minutes, seconds, project, billable, approved in entries:
        start = origin + timedelta(minutes=minutes)
        end = min(start + timedelta(seconds=seconds), NOW - timedelta(hours=1))
        if end <= start:
            continue
        fields: dict[str, Any] = {"billable": billable}
        if project < 3:
            fields["project_id"] = projects[project]["id"]
        made = new_entry(p, start.isoformat(), end.isoformat(), **fields)
        if approved:
            approve(p, made["id"])
        else:
            unapproved.add(made["id"])
    if running:
        clock.set(NOW - timedelta(hours=30, seconds=7))
        timer = p.ok(
            "POST", "/v1/timer/start", 201, json={"project_id": projects[0]["id"], "billable": True}
        )
        unapproved.add(timer["id"])
        clock.set(NOW)
    check_against_reports(p, span[0], span[1], unapproved)


def test_a_freelancers_month(owner: Persona) -> None:
    """A worked example: the figures a person would check by hand."""
    web = new_project(owner, "Website", hourly_rate="80.00", currency="EUR", billable=True)
    first = new_entry(owner, "2026-11-02T09:00:00Z", "2026-11-02T12:00:00Z", project_id=web["id"])
    new_entry(owner, "2026-11-03T09:00:00Z", "2026-11-03T10:30:00Z", project_id=web["id"])
    new_entry(owner, "2026-11-04T09:00:00Z", "2026-11-04T10:30:00Z", description="admin")
    approve(owner, first["id"])
    got = owner.ok("GET", f"{URL}?date_from=2026-11-01&date_to=2026-11-24")
    assert got["tracked_seconds"] == 6 * 3600
    assert got["billable_seconds"] == 4.5 * 3600
    assert got["non_billable_seconds"] == 1.5 * 3600
    assert got["by_currency"] == [
        {
            "currency": "EUR",
            "billable_amount": "360.00",
            "unbilled_amount": "120.00",
            "effective_hourly_rate": "60.00",  # 360 over 6 hours, the admin hour included
        }
    ]
    assert [g["label"] for g in got["top_projects"]] == ["Website", "(no project)"]
    assert got["top_clients"][0]["label"] == "(no client)"
    assert [m["month"] for m in got["months"]] == ["2026-11"]


def test_the_top_lists_are_cut_and_ordered_by_amount(owner: Persona) -> None:
    cheap = new_project(owner, "Cheap", hourly_rate="10.00", currency="EUR", billable=True)
    dear = new_project(owner, "Dear", hourly_rate="200.00", currency="EUR", billable=True)
    new_entry(owner, "2026-11-02T09:00:00Z", "2026-11-02T17:00:00Z", project_id=cheap["id"])
    new_entry(owner, "2026-11-03T09:00:00Z", "2026-11-03T10:00:00Z", project_id=dear["id"])
    got = owner.ok("GET", f"{URL}?date_from=2026-11-01&date_to=2026-11-24&top=1")
    assert [g["label"] for g in got["top_projects"]] == ["Dear"]


def test_months_cover_the_range_zeros_included(owner: Persona) -> None:
    new_entry(owner, "2026-09-10T09:00:00Z", "2026-09-10T10:00:00Z")
    got = owner.ok("GET", f"{URL}?date_from=2026-08-15&date_to=2026-11-24")
    months = [
        (m["month"], m["date_from"], m["date_to"], m["tracked_seconds"]) for m in got["months"]
    ]
    assert months == [
        ("2026-08", "2026-08-15", "2026-08-31", 0),
        ("2026-09", "2026-09-01", "2026-09-30", 3600),
        ("2026-10", "2026-10-01", "2026-10-31", 0),
        ("2026-11", "2026-11-01", "2026-11-24", 0),
    ]


def test_admins_see_the_workspace_and_members_themselves(
    owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    team = new_workspace(owner, "Agency")
    add_member(owner, team, teammate)
    paid = new_project(
        owner, "Client work", workspace_id=team, hourly_rate="100.00", currency="EUR", billable=True
    )
    mine = new_entry(owner, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z", project_id=paid["id"])
    theirs = new_entry(
        teammate, "2026-11-03T09:00:00Z", "2026-11-03T11:00:00Z", project_id=paid["id"]
    )
    new_entry(outsider, "2026-11-03T09:00:00Z", "2026-11-03T15:00:00Z")
    week = "date_from=2026-11-01&date_to=2026-11-24"
    seen = {
        who: owner_or.ok("GET", f"{URL}?{week}")["tracked_seconds"]
        for who, owner_or in (("owner", owner), ("member", teammate), ("outsider", outsider))
    }
    assert seen == {"owner": 3 * 3600, "member": 2 * 3600, "outsider": 6 * 3600}
    both = {mine["id"], theirs["id"]}
    check_against_reports(owner, date(2026, 11, 1), date(2026, 11, 24), both)
    check_against_reports(teammate, date(2026, 11, 1), date(2026, 11, 24), both)


def test_a_test_key_sees_sandbox_time_only(owner: Persona) -> None:
    new_entry(owner, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z")
    sandbox = owner.as_key(owner.new_key(test=True))
    new_entry(sandbox, "2026-11-02T11:00:00Z", "2026-11-02T11:30:00Z")
    week = "date_from=2026-11-01&date_to=2026-11-24"
    assert owner.ok("GET", f"{URL}?{week}")["tracked_seconds"] == 3600
    assert sandbox.ok("GET", f"{URL}?{week}")["tracked_seconds"] == 1800


def test_it_needs_read_reports(owner: Persona) -> None:
    stats_only = owner.as_key(owner.new_key(scopes=["read:stats"]))
    assert_error(stats_only.get(URL), 403, "FORBIDDEN")
    reports = owner.as_key(owner.new_key(scopes=["read:reports"]))
    assert reports.get(URL).status_code == 200
    assert_error(owner.client.get(URL), 401, "UNAUTHORIZED")


def test_bad_ranges_are_refused_naming_the_field(owner: Persona) -> None:
    cases = {
        "date_from=2026-11-10&date_to=2026-11-01": "date_to",
        "date_from=1899-12-31&date_to=2026-11-01": "date_from",
        "date_from=2026-01-01&date_to=3000-01-01": "date_to",
        "date_from=2026-02-30": "date_from",
        "date_from=2020-01-01&date_to=2026-11-01": "date_to",  # over three years
        "top=0": "top",
        "top=101": "top",
    }
    for query, field in cases.items():
        assert_error(owner.get(f"{URL}?{query}"), 400, "VALIDATION_ERROR", field)


def test_without_dates_it_is_this_month_to_today(owner: Persona) -> None:
    got = owner.ok("GET", URL)
    assert (got["date_from"], got["date_to"]) == ("2026-11-01", "2026-11-24")
    assert got["by_currency"] == [] and got["tracked_seconds"] == 0
