"""Splitting spans into local days, across zones with DST and odd offsets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from timeboxd.domain.days import local_midnight, split_by_day, week_of
from timeboxd.domain.wallclock import zone

ZONES = st.sampled_from(
    [
        "UTC",
        "Europe/Berlin",
        "America/Los_Angeles",
        "Asia/Kolkata",
        "Australia/Adelaide",
        "Asia/Kathmandu",
        "America/Santiago",  # clocks change at midnight
        "Pacific/Chatham",
    ]
)
starts = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
lengths = st.integers(min_value=1, max_value=8 * 24 * 3600)


@settings(max_examples=300, deadline=None)
@given(starts, lengths, ZONES)
def test_pieces_add_up_and_each_lies_in_its_local_day(
    start: datetime, seconds: int, tz_name: str
) -> None:
    end = start + timedelta(seconds=seconds)
    pieces = list(split_by_day(start, end, tz_name))
    assert sum(s for _, s in pieces) == seconds
    days = [d for d, _ in pieces]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert days[0] == start.astimezone(zone(tz_name)).date()
    assert all(s > 0 for _, s in pieces)
    for day, piece in pieces:
        begins, ends = (
            local_midnight(day, tz_name),
            local_midnight(day + timedelta(days=1), tz_name),
        )
        overlap = min(end, ends) - max(start, begins)
        assert abs(overlap.total_seconds() - piece) < 1


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_weeks_start_on_the_chosen_day(day: date) -> None:
    monday, sunday = week_of(day, "monday"), week_of(day, "sunday")
    assert monday.weekday() == 0 and 0 <= (day - monday).days < 7
    assert sunday.weekday() == 6 and 0 <= (day - sunday).days < 7


def test_a_late_session_is_split_at_local_midnight() -> None:
    start = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    pieces = list(split_by_day(start, start + timedelta(hours=2), "Europe/Berlin"))
    assert pieces == [(date(2026, 11, 23), 3600), (date(2026, 11, 24), 3600)]


def test_the_day_clocks_go_back_has_25_hours() -> None:
    begins = local_midnight(date(2026, 10, 25), "Europe/Berlin")
    pieces = list(split_by_day(begins, begins + timedelta(hours=25), "Europe/Berlin"))
    assert pieces == [(date(2026, 10, 25), 25 * 3600)]
