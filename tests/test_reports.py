"""Reports through HTTP (SPEC §3 "Reports"): groups, amounts, rounding, visibility, and the
CSV and XLSX files agreeing with the JSON to the cent."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import FrozenClock, Persona, assert_error
from tests.factories import new_entry

RANGE = "date_from=2026-11-16&date_to=2026-11-22"


@pytest.fixture
def book(owner: Persona) -> dict[str, Any]:
    """A week of work: two paid projects in two currencies, one unpaid, tags, a client."""
    client = owner.ok("POST", "/v1/clients", 201, json={"name": "Acme"})
    eur = owner.ok(
        "POST",
        "/v1/projects",
        201,
        json={"name": "Web", "hourly_rate": "80.00", "currency": "EUR", "client_id": client["id"]},
    )
    usd = owner.ok(
        "POST", "/v1/projects", 201, json={"name": "App", "hourly_rate": "99.99", "currency": "USD"}
    )
    study = owner.ok("POST", "/v1/projects", 201, json={"name": "Study"})
    tag = owner.ok("POST", "/v1/tags", 201, json={"name": "meeting"})
    new_entry(
        owner, "2026-11-16T09:00:00Z", "2026-11-16T10:30:00Z", project_id=eur["id"], billable=True
    )
    new_entry(
        owner,
        "2026-11-17T13:00:00Z",
        "2026-11-17T13:08:00Z",
        project_id=eur["id"],
        billable=True,
        tag_ids=[tag["id"]],
    )
    new_entry(
        owner, "2026-11-18T08:00:00Z", "2026-11-18T08:20:00Z", project_id=usd["id"], billable=True
    )
    new_entry(owner, "2026-11-19T20:00:00Z", "2026-11-19T22:00:00Z", project_id=study["id"])
    new_entry(
        owner, "2026-11-20T10:00:00Z", "2026-11-20T10:45:00Z", project_id=eur["id"], billable=False
    )
    return {"client": client, "eur": eur, "usd": usd, "study": study, "tag": tag}


def summary(p: Persona, query: str) -> dict[str, Any]:
    return dict(p.ok("GET", f"/v1/reports/summary?{RANGE}&{query}"))


def test_summary_by_project_with_amounts_and_currencies(owner: Persona, book: Any) -> None:
    report = summary(owner, "group_by=project")
    groups = {g["label"]: g for g in report["groups"]}
    web = groups["Web"]
    assert web["key"] == book["eur"]["id"] and web["currency"] == "EUR"
    assert web["tracked_seconds"] == 5400 + 480 + 2700
    assert web["billable_seconds"] == 5400 + 480
    assert web["billable_amount"] == "130.67"  # 98 min at 80.00 = 130.666...
    assert groups["App"]["billable_amount"] == "33.33" and groups["App"]["currency"] == "USD"
    assert groups["Study"]["billable_amount"] == "0.00" and groups["Study"]["currency"] is None
    assert [g["label"] for g in report["groups"]] == ["Web", "Study", "App"]  # most time first
    totals = report["totals"]
    assert totals["tracked_seconds"] == 8580 + 1200 + 7200
    assert totals["billable_amount"] is None and totals["currency"] is None  # two currencies
    assert totals["by_currency"] == [
        {"currency": "EUR", "billable_amount": "130.67"},
        {"currency": "USD", "billable_amount": "33.33"},
    ]


def test_rounding_is_per_entry_and_changes_no_entry(owner: Persona, book: Any) -> None:
    up = summary(owner, "group_by=project&rounding=15")
    web = next(g for g in up["groups"] if g["label"] == "Web")
    assert web["tracked_seconds"] == 5400 + 900 + 2700  # 8 min is billed as 15
    assert web["billable_amount"] == "140.00"
    nearest = summary(owner, "group_by=project&rounding=15&rounding_mode=nearest")
    web = next(g for g in nearest["groups"] if g["label"] == "Web")
    assert web["tracked_seconds"] == 5400 + 900 + 2700
    down = summary(owner, "group_by=project&rounding=15&rounding_mode=down")
    web = next(g for g in down["groups"] if g["label"] == "Web")
    assert web["tracked_seconds"] == 5400 + 0 + 2700
    durations = sorted(e["duration_seconds"] for e in owner.ok("GET", "/v1/time-entries"))
    assert durations == [480, 1200, 2700, 5400, 7200]


@pytest.mark.parametrize(
    ("group_by", "labels"),
    [
        ("client", {"Acme", "(no client)"}),
        ("tag", {"meeting", "(no tag)"}),
        ("user", {"Test"}),
        ("task", {"(no task)"}),
    ],
)
def test_other_groupings(owner: Persona, book: Any, group_by: str, labels: set[str]) -> None:
    report = summary(owner, f"group_by={group_by}")
    assert {g["label"] for g in report["groups"]} == labels
    assert report["totals"]["tracked_seconds"] == 16980


def per_day(report: dict[str, Any]) -> dict[str, int]:
    """Seconds per day over every currency (a group has one currency)."""
    out: dict[str, int] = {}
    for g in report["groups"]:
        out[g["key"]] = out.get(g["key"], 0) + g["tracked_seconds"]
    return out


def test_day_and_week_split_at_local_midnight(owner: Persona, book: Any) -> None:
    owner.set_timezone("Asia/Tokyo")  # the study session 20:00-22:00 UTC is 05:00-07:00 next day
    report = summary(owner, "group_by=day")
    assert per_day(report)["2026-11-20"] == 7200 + 2700
    assert {(g["key"], g["currency"]) for g in report["groups"]} >= {
        ("2026-11-20", None),
        ("2026-11-20", "EUR"),
    }
    owner.set_timezone("Europe/Berlin")
    late = new_entry(owner, "2026-11-21T22:30:00Z", "2026-11-21T23:30:00Z")  # 23:30-00:30 Berlin
    days = per_day(summary(owner, "group_by=day"))
    assert days["2026-11-21"] == 1800 and days["2026-11-22"] == 1800
    weeks = summary(owner, "group_by=week")["groups"]  # one row per currency
    assert {(g["key"], g["label"]) for g in weeks} == {("2026-11-16", "Week of 2026-11-16")}
    assert per_day({"groups": weeks}) == {"2026-11-16": 16980 + 3600}
    assert late["id"]


def test_days_have_23_and_25_hours_when_the_clocks_change(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    new_entry(owner, "2026-03-28T21:00:00+01:00", "2026-03-30T02:00:00+02:00")  # springs forward
    new_entry(owner, "2026-10-24T23:00:00+02:00", "2026-10-26T01:00:00+01:00")  # falls back
    spring = summary_of(owner, "group_by=day&date_from=2026-03-28&date_to=2026-03-30")
    assert per_day(spring) == {"2026-03-28": 3 * 3600, "2026-03-29": 23 * 3600, "2026-03-30": 7200}
    autumn = summary_of(owner, "group_by=day&date_from=2026-10-24&date_to=2026-10-26")
    assert per_day(autumn) == {"2026-10-24": 3600, "2026-10-25": 25 * 3600, "2026-10-26": 3600}
    weeks = summary_of(owner, "group_by=week&date_from=2026-10-19&date_to=2026-11-01")
    assert per_day(weeks) == {"2026-10-19": 3600 + 25 * 3600, "2026-10-26": 3600}


def summary_of(p: Persona, query: str) -> dict[str, Any]:
    return dict(p.ok("GET", f"/v1/reports/summary?{query}"))


def test_the_report_cuts_entries_at_its_edges(owner: Persona) -> None:
    new_entry(owner, "2026-11-15T23:00:00Z", "2026-11-16T01:00:00Z")  # half before the range
    report = summary(owner, "group_by=project")
    assert report["totals"]["tracked_seconds"] == 3600


def test_a_running_timer_counts_up_to_now(owner: Persona, clock: FrozenClock) -> None:
    owner.ok("POST", "/v1/timer/start", 201, json={})
    clock.set(clock() + timedelta(minutes=40))
    report = owner.ok("GET", "/v1/reports/summary?date_from=2026-11-24&date_to=2026-11-24")
    assert report["totals"]["tracked_seconds"] == 2400


def test_default_range_is_this_month(owner: Persona) -> None:
    report = owner.ok("GET", "/v1/reports/summary")
    assert (report["date_from"], report["date_to"]) == ("2026-11-01", "2026-11-24")


def test_filters(owner: Persona, book: Any) -> None:
    by_client = summary(owner, f"client_id={book['client']['id']}")
    assert {g["label"] for g in by_client["groups"]} == {"Web"}
    billable = summary(owner, "billable=true")
    assert billable["totals"]["tracked_seconds"] == 5400 + 480 + 1200
    tagged = summary(owner, f"tag_id={book['tag']['id']}")
    assert tagged["totals"]["tracked_seconds"] == 480


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=month", "group_by"),
        ("rounding=-1", "rounding"),
        ("rounding_mode=sideways", "rounding_mode"),
        ("date_from=2026-11-20&date_to=2026-11-01", "date_to"),
        ("date_from=2020-01-01&date_to=2026-01-01", "date_to"),
        ("format=docx", "format"),
    ],
)
def test_bad_parameters_are_named(owner: Persona, query: str, field: str) -> None:
    assert_error(owner.get(f"/v1/reports/summary?{query}"), 400, "VALIDATION_ERROR", field)


def test_members_report_their_own_time_and_admins_everyones(
    owner: Persona, teammate: Persona, outsider: Persona
) -> None:
    team = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Team"})["id"]
    owner.ok("POST", f"/v1/workspaces/{team}/members", 201, json={"email": teammate.email})
    shared = owner.ok("POST", "/v1/projects", 201, json={"name": "Shared", "workspace_id": team})
    new_entry(owner, "2026-11-16T09:00:00Z", "2026-11-16T10:00:00Z", project_id=shared["id"])
    new_entry(teammate, "2026-11-16T09:00:00Z", "2026-11-16T09:30:00Z", project_id=shared["id"])
    assert summary(owner, "group_by=user")["totals"]["tracked_seconds"] == 5400
    assert summary(teammate, "group_by=user")["totals"]["tracked_seconds"] == 1800
    assert summary(outsider, "group_by=user")["groups"] == []
    reader = owner.as_key(owner.new_key(scopes=["read:time_entries"]))
    assert_error(reader.get("/v1/reports/summary"), 403, "FORBIDDEN")


def test_a_test_key_reports_the_sandbox_only(owner: Persona) -> None:
    new_entry(owner, "2026-11-16T09:00:00Z", "2026-11-16T10:00:00Z")
    sandbox = owner.as_key(owner.new_key(test=True))
    new_entry(sandbox, "2026-11-17T09:00:00Z", "2026-11-17T09:20:00Z")
    assert summary(owner, "group_by=day")["totals"]["tracked_seconds"] == 3600
    assert summary(sandbox, "group_by=day")["totals"]["tracked_seconds"] == 1200
    rows = sandbox.ok("GET", f"/v1/reports/detailed?{RANGE}")["rows"]
    assert [r["tracked_seconds"] for r in rows] == [1200]


def test_a_member_asking_for_someone_elses_time_gets_an_empty_report(
    owner: Persona, teammate: Persona
) -> None:
    team = owner.ok("POST", "/v1/workspaces", 201, json={"name": "Team"})["id"]
    owner.ok("POST", f"/v1/workspaces/{team}/members", 201, json={"email": teammate.email})
    shared = owner.ok("POST", "/v1/projects", 201, json={"name": "Shared", "workspace_id": team})
    new_entry(owner, "2026-11-16T09:00:00Z", "2026-11-16T10:00:00Z", project_id=shared["id"])
    new_entry(teammate, "2026-11-16T11:00:00Z", "2026-11-16T11:30:00Z", project_id=shared["id"])
    assert summary(teammate, f"user_id={owner.user_id}")["groups"] == []
    mine = summary(owner, f"group_by=user&user_id={teammate.user_id}")["groups"]
    assert [(g["key"], g["tracked_seconds"]) for g in mine] == [(teammate.user_id, 1800)]


def test_detailed_rows_and_their_totals_match_the_summary(owner: Persona, book: Any) -> None:
    detailed = owner.ok("GET", f"/v1/reports/detailed?{RANGE}&rounding=15")
    rows = detailed["rows"]
    assert len(rows) == 5
    first = rows[0]
    assert first["project"] == "Web" and first["client"] == "Acme" and first["user"] == "Test"
    assert first["billable_amount"] == "120.00" and first["tracked_seconds"] == 5400
    assert next(r for r in rows if r["tags"])["tags"] == ["meeting"]
    assert detailed["totals"] == summary(owner, "group_by=project&rounding=15")["totals"]
    response = owner.get(f"/v1/reports/detailed?{RANGE}&rounding=15&per_page=2&page=3")
    page = response.json()
    assert [r["id"] for r in page["data"]["rows"]] == [rows[4]["id"]]
    assert page["data"]["totals"] == detailed["totals"]  # the whole report's, on every page
    assert {k: page["meta"][k] for k in ("page", "per_page", "total", "has_more")} == {
        "page": 3,
        "per_page": 2,
        "total": 5,
        "has_more": False,
    }
    first_page = owner.get(f"/v1/reports/detailed?{RANGE}&per_page=2").json()["meta"]
    assert (first_page["total"], first_page["has_more"]) == (5, True)
    unpaged = owner.get(f"/v1/reports/detailed?{RANGE}").json()["meta"]
    assert (unpaged["per_page"], unpaged["total"], unpaged["has_more"]) == (10_000, 5, False)
    assert_error(
        owner.get(f"/v1/reports/detailed?{RANGE}&per_page=0"), 400, "VALIDATION_ERROR", "per_page"
    )


def test_csv_and_xlsx_agree_with_the_json_to_the_cent(owner: Persona, book: Any) -> None:
    report = summary(owner, "group_by=project&rounding=6")
    response = owner.get(f"/v1/reports/summary?{RANGE}&group_by=project&rounding=6&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["label"] for r in lines[: len(report["groups"])]] == [
        g["label"] for g in report["groups"]
    ]
    for line, group in zip(lines, report["groups"], strict=False):
        assert int(line["tracked_seconds"]) == group["tracked_seconds"]
        assert line["billable_amount"] == group["billable_amount"]
    totals = [r for r in lines if r["label"].startswith("Total")]
    assert {r["currency"]: r["billable_amount"] for r in totals} == {
        a["currency"]: a["billable_amount"] for a in report["totals"]["by_currency"]
    }

    response = owner.get(f"/v1/reports/summary?{RANGE}&group_by=project&rounding=6&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    data = [
        dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    for row, group in zip(data, report["groups"], strict=False):
        assert row["label"] == group["label"] and row["tracked_seconds"] == group["tracked_seconds"]
        assert isinstance(row["billable_amount"], (int, float))  # a number, not text
        assert Decimal(str(row["billable_amount"])).quantize(Decimal("0.01")) == Decimal(
            group["billable_amount"]
        )

    detailed = owner.ok("GET", f"/v1/reports/detailed?{RANGE}")
    response = owner.get(f"/v1/reports/detailed?{RANGE}&format=csv")
    lines = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["id"], r["billable_amount"]) for r in lines] == [
        (r["id"], r["billable_amount"]) for r in detailed["rows"]
    ]
    response = owner.get(f"/v1/reports/detailed?{RANGE}&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and sheet.max_row == len(detailed["rows"]) + 1


def test_text_that_looks_like_a_formula_stays_text_in_files(owner: Persona) -> None:
    formula = '=HYPERLINK("http://evil.example","open")'
    new_entry(owner, "2026-11-16T09:00:00Z", "2026-11-16T10:00:00Z", description=formula)
    new_entry(owner, "2026-11-17T09:00:00Z", "2026-11-17T10:00:00Z", description="plain notes")
    lines = list(
        csv.DictReader(io.StringIO(owner.get(f"/v1/reports/detailed?{RANGE}&format=csv").text))
    )
    assert [r["description"] for r in lines] == ["'" + formula, "plain notes"]
    response = owner.get(f"/v1/reports/detailed?{RANGE}&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    column = [c.value for c in sheet[1]].index("description")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in cells] == [(formula, "s"), ("plain notes", "s")]


def test_a_week_at_the_highest_rate_is_summed_exactly(owner: Persona) -> None:
    """Seconds times a rate in cents pass 32 bits long before a sum does."""
    project = owner.ok(
        "POST",
        "/v1/projects",
        201,
        json={"name": "Dear", "hourly_rate": "1000000.00", "currency": "EUR", "billable": True},
    )
    body = {"start_at": "2026-11-02T00:00:00Z", "end_at": "2026-11-09T00:00:00Z"}
    owner.ok("POST", "/v1/time-entries", 201, json={**body, "project_id": project["id"]})
    report = owner.ok("GET", "/v1/reports/summary?date_from=2026-11-01&date_to=2026-11-24")
    assert report["totals"]["billable_amount"] == "168000000.00"
