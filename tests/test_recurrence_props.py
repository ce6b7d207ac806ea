"""Property tests for series expansion (domain.recurrence) against dateutil itself."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from timeboxd.domain.recurrence import MAX_OCCURRENCES, InvalidRule, expand, occurrences

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


# Any rule a client might send: RFC 5545 parts with values in and out of their ranges,
# parts dateutil knows but RFC 5545 does not, repeated parts, time-of-day parts. The
# limit parts stay satisfiable (at most one, in ranges every period has): a rule no date
# meets is walked by dateutil up to the year 9999, which only makes the test slow.
FREQS = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "MINUTELY", "SECONDLY", "NEVER"]


def _listed(values: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    return st.lists(values, min_size=1, max_size=3).map(lambda vs: ",".join(map(str, vs)))


def _weekday(draw: st.DrawFn) -> str:
    ordinal = draw(st.sampled_from(["", "", "1", "-1", "2", "+3", "0", "54", "-4"]))
    return ordinal + draw(st.sampled_from([*DAYS, "XX"]))


LIMITS = {
    "BYMONTHDAY": _listed(st.integers(-28, 28)),
    "BYYEARDAY": _listed(st.sampled_from([0, 1, 100, -1, 367])),
    "BYWEEKNO": _listed(st.sampled_from([0, 1, 20, -1, 54])),
    "BYMONTH": _listed(st.integers(0, 13)),
    "BYSETPOS": st.sampled_from(["1", "-1", "0"]),
}


@st.composite
def any_rules(draw: st.DrawFn) -> tuple[str, time]:
    at = draw(st.sampled_from([time(9, 0), time(13, 30), time(0, 0)]))
    parts = [f"FREQ={draw(st.sampled_from(FREQS))}"]
    ending = draw(st.sampled_from(["count", "until", "both", "none"]))
    if ending in ("count", "both"):
        parts.append(f"COUNT={draw(st.integers(-1, 1100))}")
    if ending in ("until", "both"):
        until = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 1, 1)))
        parts.append(f"UNTIL={until:%Y%m%d}" + draw(st.sampled_from(["", "T120000", "T1200"])))
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.sampled_from([0, 1, 2, 3, -1, 10**20]))}")
    if draw(st.booleans()):
        days = [_weekday(draw) for _ in range(draw(st.integers(1, 3)))]
        parts.append("BYDAY=" + ",".join(days))
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(LIMITS)))
        parts.append(f"{name}={draw(LIMITS[name])}")
    for name, own in (("BYHOUR", at.hour), ("BYMINUTE", at.minute), ("BYSECOND", 0)):
        if draw(st.integers(0, 5)) == 0:
            parts.append(f"{name}={draw(_listed(st.sampled_from([own, own, 1, 61])))}")
    extra = draw(st.sampled_from(["", "", "", "BYEASTER=0", "WKST=SU", "WKST=XX", "COUNT=2"]))
    if extra:
        parts.append(extra)
    return ";".join(draw(st.permutations(parts))), at


@given(rule=any_rules(), first=st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31)))
@settings(max_examples=400, deadline=None)
def test_every_rule_gives_at_most_one_block_a_day_or_a_clear_refusal(
    rule: tuple[str, time], first: date
) -> None:
    text, at = rule
    try:
        dates = expand(text, first, at)
    except InvalidRule as exc:
        assert str(exc)
        return
    assert dates[0] == first and dates == sorted(set(dates))  # never two blocks a day
    assert len(dates) <= MAX_OCCURRENCES and dates[-1] <= first + relativedelta(years=2)
    names = [p.split("=")[0] for p in text.split(";")]
    assert len(names) == len(set(names)) and "BYEASTER" not in names
    assert not ("COUNT" in names and "UNTIL" in names)


@st.composite
def satisfiable_rules(draw: st.DrawFn) -> str:
    """Rules with BY parts that always have dates (month days up to the 28th)."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 5))}"]
    if draw(st.booleans()):
        months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True))
        parts.append("BYMONTH=" + ",".join(map(str, months)))
    if freq != "WEEKLY" and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.integers(1, 28))}")
    elif draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(st.lists(st.sampled_from(DAYS), min_size=1))))
    parts.append(f"COUNT={draw(st.integers(1, 40))}")
    return ";".join(parts)


@given(rule=satisfiable_rules(), first=st.dates(date(1900, 1, 1), date(2999, 12, 31)))
@settings(max_examples=200, deadline=None)
def test_occurrences_walked_400_years_later_are_dateutils_for_50_years(
    rule: str, first: date
) -> None:
    parsed = rrulestr(rule, dtstart=datetime.combine(first, time(9, 30)))
    horizon = datetime.combine(first + relativedelta(years=50), time(0))
    assert [d for d in occurrences(parsed) if d < horizon] == [d for d in parsed if d < horizon]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
        "FREQ=DAILY;BYMONTH=4,6,9,11;BYMONTHDAY=31;UNTIL=20281231",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-30;COUNT=2",
    ],
)
def test_a_rule_with_no_date_ever_gives_only_the_first_date(rule: str) -> None:
    assert expand(rule, date(2027, 1, 4)) == [date(2027, 1, 4)]
