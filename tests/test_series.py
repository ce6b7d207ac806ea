"""/v1/blocks/series: a rule expanded into blocks; this-and-following edits and deletes."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import HealthCheck, given, settings

from tests.conftest import FrozenClock, Persona, assert_error
from tests.factories import LECTURE, new_series
from tests.test_recurrence_props import any_rules


def test_series_creates_its_blocks_with_series_id(owner: Persona) -> None:
    series = new_series(owner)
    assert series["id"].startswith("ser_")
    dates = [b["date"] for b in series["blocks"]]
    assert dates == [
        "2026-11-23",
        "2026-11-25",
        "2026-11-30",
        "2026-12-02",
        "2026-12-07",
        "2026-12-09",
    ]
    listed = owner.ok("GET", f"/v1/blocks?series_id={series['id']}")
    assert [b["id"] for b in listed] == [b["id"] for b in series["blocks"]]
    assert {b["series_id"] for b in listed} == {series["id"]}
    assert owner.ok("GET", f"/v1/blocks/series/{series['id']}")["blocks"] == listed


def test_until_in_utc_or_date_form_ends_the_series(owner: Persona) -> None:
    series = new_series(owner, rrule="RRULE:FREQ=DAILY;UNTIL=20261127T000000Z")
    assert [b["date"] for b in series["blocks"]][-1] == "2026-11-26"
    series = new_series(owner, rrule="FREQ=DAILY;UNTIL=20261125")
    assert len(series["blocks"]) == 3


def test_rule_that_does_not_end_in_time_is_refused(owner: Persona) -> None:
    for rule in (
        "FREQ=WEEKLY",
        "FREQ=DAILY;COUNT=1001",
        "FREQ=WEEKLY;UNTIL=20301231",
        "FREQ=HOURLY;COUNT=3",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=2",
        "nonsense",
    ):
        response = owner.post("/v1/blocks/series", json={**LECTURE, "rrule": rule})
        assert_error(response, 400, "VALIDATION_ERROR", "rrule")
    assert owner.ok("GET", "/v1/blocks") == []


def test_occurrence_in_dst_gap_fails_the_whole_series_naming_its_date(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    response = owner.post(
        "/v1/blocks/series",
        json={
            "date": "2026-03-22",
            "start": "02:30",
            "end": "03:30",
            "rrule": "FREQ=WEEKLY;COUNT=3",
        },
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["index"] == 1
    assert error["details"][0]["message"].startswith("2026-03-29")
    assert owner.ok("GET", "/v1/blocks") == []


def test_weekly_series_keeps_wall_clock_across_dst(owner: Persona) -> None:
    owner.set_timezone("Europe/Berlin")
    series = new_series(owner, date="2026-10-19", rrule="FREQ=WEEKLY;COUNT=3")
    offsets = [b["start_at"][-6:] for b in series["blocks"]]
    assert [b["start"] for b in series["blocks"]] == ["09:00"] * 3
    assert offsets == ["+02:00", "+01:00", "+01:00"]


def test_edit_this_and_following(owner: Persona) -> None:
    series = new_series(owner)
    changed = owner.ok(
        "PATCH",
        f"/v1/blocks/series/{series['id']}?from=2026-11-30",
        json={"topic": "Tutorial", "start": "10:00", "end": "11:00"},
    )
    got = [(b["date"], b["start"], b["topic"]) for b in changed["blocks"]]
    assert got[:2] == [("2026-11-23", "09:00", "Lecture"), ("2026-11-25", "09:00", "Lecture")]
    assert all(start == "10:00" and topic == "Tutorial" for _, start, topic in got[2:])
    assert changed["topic"] == "Lecture"  # the template changes only from the first date


def test_edit_whole_series_changes_template(owner: Persona) -> None:
    series = new_series(owner)
    changed = owner.ok("PATCH", f"/v1/blocks/series/{series['id']}", json={"topic": "Seminar"})
    assert changed["topic"] == "Seminar"
    assert {b["topic"] for b in changed["blocks"]} == {"Seminar"}
    bad = owner.patch(f"/v1/blocks/series/{series['id']}", json={"end": "08:00"})
    assert_error(bad, 400, "VALIDATION_ERROR", "end")


def test_delete_series_trashes_future_blocks_and_keeps_the_past(
    owner: Persona, clock: FrozenClock
) -> None:
    series = new_series(owner)
    first = series["blocks"][0]["id"]
    owner.ok("PATCH", f"/v1/blocks/{first}", json={"done": True})
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    deleted = owner.ok("DELETE", f"/v1/blocks/series/{series['id']}")["deleted"]
    remaining = owner.ok("GET", f"/v1/blocks?series_id={series['id']}")
    assert [b["date"] for b in remaining] == ["2026-11-23", "2026-11-25"]
    assert len(deleted) == 4
    assert owner.ok("GET", f"/v1/blocks/series/{series['id']}")["ended_at"] is not None


def test_delete_from_a_date_keeps_done_blocks(owner: Persona) -> None:
    series = new_series(owner)
    done = series["blocks"][3]["id"]
    owner.ok("PATCH", f"/v1/blocks/{done}", json={"done": True})
    owner.ok("DELETE", f"/v1/blocks/series/{series['id']}?from=2026-11-30")
    remaining = owner.ok("GET", f"/v1/blocks?series_id={series['id']}")
    assert [b["id"] for b in remaining] == [b["id"] for b in series["blocks"][:2]] + [done]


def test_other_users_series_is_not_found(owner: Persona, outsider: Persona) -> None:
    series = new_series(outsider)
    assert_error(owner.get(f"/v1/blocks/series/{series['id']}"), 404, "NOT_FOUND")
    assert_error(
        owner.patch(f"/v1/blocks/series/{series['id']}", json={"topic": "x"}), 404, "NOT_FOUND"
    )
    assert_error(owner.delete(f"/v1/blocks/series/{series['id']}"), 404, "NOT_FOUND")
    assert len(outsider.ok("GET", "/v1/blocks")) == 6


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("FREQ=WEEKLY;COUNT=50;BYHOUR=9,10,11,12,13,14,15,16,17,18", "BYHOUR"),
        ("FREQ=DAILY;COUNT=5;BYHOUR=10", "BYHOUR"),
        ("FREQ=DAILY;COUNT=5;BYMINUTE=0,30", "BYMINUTE"),
        ("FREQ=DAILY;COUNT=5;BYSECOND=30", "BYSECOND"),
        ("FREQ=DAILY;COUNT=0", "COUNT"),
        ("FREQ=DAILY;COUNT=-1", "COUNT"),
        ("FREQ=DAILY;COUNT=5;INTERVAL=0", "INTERVAL"),
        ("FREQ=DAILY;COUNT=5;UNTIL=20261201", "COUNT and UNTIL"),
        ("FREQ=YEARLY;COUNT=2;BYEASTER=0", "BYEASTER"),
        ("FREQ=DAILY;FREQ=WEEKLY;COUNT=2", "FREQ"),
        ("FREQ=WEEKLY;COUNT=2;BYMONTHDAY=1", "BYMONTHDAY"),
        ("FREQ=MONTHLY;COUNT=2;BYMONTHDAY=0", "BYMONTHDAY"),
        ("FREQ=DAILY;COUNT=2;BYWEEKNO=1", "BYWEEKNO"),
        ("FREQ=MONTHLY;COUNT=2;BYYEARDAY=1", "BYYEARDAY"),
        ("FREQ=WEEKLY;COUNT=2;BYDAY=1MO", "BYDAY"),
        ("FREQ=DAILY;COUNT=2;BYSETPOS=1", "BYSETPOS"),
        ("FREQ=DAILY;COUNT=2;INTERVAL=99999999999999999999", "INTERVAL"),
        ("FREQ=DAILY;COUNT=2;WKST=XX", "WKST"),
        ("FREQ=DAILY;UNTIL=2026-12-01", "UNTIL"),
    ],
)
def test_rules_rfc_5545_forbids_or_that_repeat_a_block_within_a_day_are_refused(
    owner: Persona, rule: str, says: str
) -> None:
    response = owner.post("/v1/blocks/series", json={**LECTURE, "rrule": rule})
    error = assert_error(response, 400, "VALIDATION_ERROR", "rrule")
    assert says in error["message"]
    assert owner.ok("GET", "/v1/blocks") == []


def test_time_parts_equal_to_the_blocks_start_are_taken(owner: Persona) -> None:
    series = new_series(owner, rrule="FREQ=DAILY;COUNT=3;BYHOUR=9;BYMINUTE=0;BYSECOND=0")
    assert [(b["date"], b["start"]) for b in series["blocks"]] == [
        ("2026-11-23", "09:00"),
        ("2026-11-24", "09:00"),
        ("2026-11-25", "09:00"),
    ]


@given(rule=any_rules())
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_rule_makes_distinct_blocks_or_a_validation_error_on_rrule(
    owner: Persona, rule: tuple[str, time]
) -> None:
    text, at = rule
    body = {**LECTURE, "rrule": text, "start": f"{at:%H:%M}", "end": "23:59"}
    response = owner.post("/v1/blocks/series", json=body)
    if response.status_code != 201:
        assert_error(response, 400, "VALIDATION_ERROR", "rrule")
        return
    blocks = response.json()["data"]["blocks"]
    starts = [b["start_at"] for b in blocks]
    assert len(starts) == len(set(starts)) <= 1000
    assert max(b["date"] for b in blocks) <= "2028-11-23"  # two years from 2026-11-23
