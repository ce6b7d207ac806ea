"""Property tests for series expansion (domain.recurrence) against dateutil itself."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from timeboxd.domain.recurrence import MAX_OCCURRENCES, InvalidRule, expand

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
first_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 4))}")
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 1200))}")
    else:
        until = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2103, 1, 1)))
        parts.append(f"UNTIL={until:%Y%m%d}")
    return ";".join(parts)


@given(rule=rules(), first=first_dates)
@settings(max_examples=300, deadline=None)
def test_expansion_is_dateutils_dates_or_a_clear_refusal(rule: str, first: date) -> None:
    reference = [
        d.date()
        for d in rrulestr(rule, dtstart=datetime.combine(first, datetime.min.time()))[:1500]
    ]
    expected = [first] + [d for d in reference if d != first]
    limit = first + relativedelta(years=2)
    try:
        dates = expand(rule, first)
    except InvalidRule:
        assert len(expected) > MAX_OCCURRENCES or expected[-1] > limit
        return
    assert dates == expected
    assert dates == sorted(set(dates)) and dates[0] == first
    assert len(dates) <= MAX_OCCURRENCES and dates[-1] <= limit


@given(first=first_dates, count=st.integers(1, 60))
@settings(max_examples=100, deadline=None)
def test_daily_count_gives_consecutive_days(first: date, count: int) -> None:
    dates = expand(f"FREQ=DAILY;COUNT={count}", first)
    assert dates == [first + timedelta(days=i) for i in range(count)]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=SECONDLY;COUNT=2",
        "DTSTART:20260101",
        "FREQ=WEEKLY;COUNT=2\nRRULE:FREQ=DAILY;COUNT=2",
        "",
    ],
)
def test_rules_that_are_not_one_finite_rule_are_refused(rule: str) -> None:
    with pytest.raises(InvalidRule):
        expand(rule, date(2026, 1, 1))
