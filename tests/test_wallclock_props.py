"""Property tests for wall-clock time (domain.wallclock) and the strict date, time and zone
fields of the API (schemas.common), checked against an oracle that knows nothing of
``fold``: a local time's instants are found by trying every UTC offset the zone uses near
it (SPEC §2 Dates and times: gaps are refused, repeated times take the first occurrence)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tests.conftest import assert_error
from timeboxd.domain.wallclock import (
    NonexistentLocalTime,
    is_valid_zone,
    parse_date,
    parse_hhmm,
    to_utc,
    to_utc_lenient,
)
from timeboxd.schemas.common import HHMM, LocalDate, TimeZoneName

IANA_NAMES = frozenset(available_timezones())
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # daylight saving moves the clocks by 30 minutes
    "Asia/Kolkata",  # +05:30, no daylight saving
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Sao_Paulo",  # used to change at midnight
]
HHMM_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]", re.ASCII)
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


# -- the oracle -------------------------------------------------------------------------


def instants_of(wall: datetime, tz_name: str) -> list[datetime]:
    """Every UTC instant that reads ``wall`` on a clock in ``tz_name``, earliest first."""
    tz = ZoneInfo(tz_name)
    probe = wall.replace(tzinfo=UTC) - timedelta(days=2)
    offsets = {(probe + timedelta(hours=i)).astimezone(tz).utcoffset() for i in range(97)}
    candidates = {(wall - off).replace(tzinfo=UTC) for off in offsets if off is not None}
    return sorted(c for c in candidates if c.astimezone(tz).replace(tzinfo=None) == wall)


@cache
def transitions(tz_name: str) -> list[tuple[datetime, timedelta]]:
    """(UTC instant, offset before it) of each change of offset in 2010-2030: a day at a
    time, then to the quarter hour within a day that changed."""
    tz = ZoneInfo(tz_name)

    def offset(at: datetime) -> timedelta | None:
        return at.astimezone(tz).utcoffset()

    found = []
    day = datetime(2010, 1, 1, tzinfo=UTC)
    while day.year < 2031:
        before = offset(day)
        if offset(day + timedelta(days=1)) != before:
            at = day
            while offset(at) == before:
                at += timedelta(minutes=15)
            assert before is not None
            found.append((at, before))
        day += timedelta(days=1)
    return found


@st.composite
def zoned_walls(draw: st.DrawFn, years: tuple[int, int] = (1900, 2999)) -> tuple[str, datetime]:
    """A zone and a wall-clock minute in it; half of them within two hours of a change
    of offset, where the gaps and repeated times are."""
    name = draw(st.sampled_from(ZONES))
    changes = transitions(name)
    if changes and draw(st.booleans()):
        at, before = draw(st.sampled_from(changes))
        wall = (at + before).replace(tzinfo=None) + timedelta(minutes=draw(st.integers(-120, 120)))
    else:
        day = draw(st.dates(date(years[0], 1, 1), date(years[1], 12, 31)))
        wall = datetime.combine(day, time(draw(st.integers(0, 23)), draw(st.integers(0, 59))))
    return name, wall


# -- strict parsing ---------------------------------------------------------------------

# Near misses: the right shape, with digits of other scripts (Arabic-Indic, fullwidth,
# superscript), signs and spaces mixed in.
DIGITISH = st.sampled_from("0123456789" * 4 + "\u0660\u0669\uff10\uff19\u00b2 +-")


def digitish(n: int) -> st.SearchStrategy[str]:
    return st.lists(DIGITISH, min_size=n, max_size=n).map("".join)


near_times = st.tuples(digitish(2), st.sampled_from(":.:\uff1a"), digitish(2)).map("".join)
near_dates = st.tuples(
    digitish(4), st.sampled_from("--/"), digitish(2), st.sampled_from("--."), digitish(2)
).map("".join)


def valid_date(text: str) -> date | None:
    if not DATE_RE.fullmatch(text):
        return None
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return None


@given(st.one_of(st.text(max_size=12), near_times, st.from_regex(HHMM_RE, fullmatch=True)))
@settings(max_examples=400, deadline=None)
def test_parse_hhmm_takes_exactly_hh_mm(text: str) -> None:
    if HHMM_RE.fullmatch(text):
        assert parse_hhmm(text).strftime("%H:%M") == text
    else:
        with pytest.raises(ValueError):
            parse_hhmm(text)


@given(
    st.one_of(
        st.text(max_size=14),
        near_dates,
        st.dates().map(date.isoformat),
        st.from_regex(DATE_RE, fullmatch=True),
    )
)
@settings(max_examples=400, deadline=None)
def test_parse_date_takes_exactly_yyyy_mm_dd(text: str) -> None:
    expected = valid_date(text)
    if expected is not None:
        assert parse_date(text) == expected
    else:
        with pytest.raises(ValueError):
            parse_date(text)


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=5,
)


@given(st.one_of(ANY_JSON, st.dates().map(date.isoformat), st.from_regex(HHMM_RE, fullmatch=True)))
@settings(max_examples=300, deadline=None)
def test_api_date_and_time_fields_accept_only_their_strings(value: Any) -> None:
    as_date = valid_date(value) if isinstance(value, str) else None
    if as_date is not None and 1900 <= as_date.year <= 2999:
        assert TypeAdapter(LocalDate).validate_python(value) == as_date
    else:
        with pytest.raises(ValidationError):
            TypeAdapter(LocalDate).validate_python(value)
    if isinstance(value, str) and HHMM_RE.fullmatch(value):
        assert TypeAdapter(HHMM).validate_python(value).strftime("%H:%M") == value
    else:
        with pytest.raises(ValidationError):
            TypeAdapter(HHMM).validate_python(value)


ZONE_PARTS = ("Europe", "Berlin", "America", "Indiana", "Etc", "GMT+2", "..", ".", "", " ")
FILE_PARTS = ("right", "posix", "Factory", "UTC", "zone.tab", "tzdata.zi", "__init__.py")
zone_like = st.lists(
    st.sampled_from(ZONE_PARTS + FILE_PARTS),
    min_size=1,
    max_size=3,
).map("/".join)


@given(st.one_of(st.text(max_size=30), zone_like, st.sampled_from(sorted(IANA_NAMES))))
@settings(max_examples=300, deadline=None)
def test_zone_check_never_crashes_and_accepts_only_loadable_names(name: str) -> None:
    valid = is_valid_zone(name)
    if name in IANA_NAMES:
        assert valid
    if valid:
        assert name == name.strip() and ZoneInfo(name).utcoffset(datetime(2026, 1, 1)) is not None
        assert TypeAdapter(TimeZoneName).validate_python(name) == name
    else:
        with pytest.raises(ValidationError):
            TypeAdapter(TimeZoneName).validate_python(name)


# -- wall clock to instants -------------------------------------------------------------


@given(zoned_walls())
@settings(max_examples=300, deadline=None)
def test_to_utc_gives_the_first_instant_or_refuses_a_gap(case: tuple[str, datetime]) -> None:
    name, wall = case
    expected = instants_of(wall, name)
    if not expected:
        with pytest.raises(NonexistentLocalTime):
            to_utc(wall.date(), wall.time(), name)
        return
    instant = to_utc(wall.date(), wall.time(), name)
    assert instant.utcoffset() == timedelta(0)
    assert instant == expected[0]
    assert instant.astimezone(ZoneInfo(name)).replace(tzinfo=None) == wall


@given(zoned_walls(years=(2000, 2040)))
@settings(max_examples=300, deadline=None)
def test_to_utc_lenient_agrees_and_moves_gap_times_forward(case: tuple[str, datetime]) -> None:
    name, wall = case
    instant = to_utc_lenient(wall.date(), wall.time(), name)
    expected = instants_of(wall, name)
    if expected:
        assert instant == expected[0]
        return
    local = instant.astimezone(ZoneInfo(name)).replace(tzinfo=None)
    assert wall < local <= wall + timedelta(hours=1)
    assert instants_of(local, name) == [instant]  # a real time just past the gap


@pytest.mark.parametrize(
    ("zone", "wall", "instant"),
    [
        ("Europe/Berlin", "2026-10-25 02:30", "2026-10-25 00:30"),
        ("America/New_York", "2026-11-01 01:30", "2026-11-01 05:30"),
        ("Australia/Lord_Howe", "2026-04-05 01:45", "2026-04-04 14:45"),
        ("Pacific/Chatham", "2026-04-05 03:00", "2026-04-04 13:15"),
        ("Asia/Kolkata", "2026-03-29 02:30", "2026-03-28 21:00"),
        ("Pacific/Chatham", "2026-11-24 09:00", "2026-11-23 19:15"),
    ],
)
def test_repeated_times_take_the_first_occurrence(zone: str, wall: str, instant: str) -> None:
    at = datetime.fromisoformat(wall)
    assert to_utc(at.date(), at.time(), zone) == datetime.fromisoformat(instant).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "wall"),
    [
        ("Europe/Berlin", "2026-03-29 02:30"),
        ("America/New_York", "2026-03-08 02:00"),
        ("Australia/Lord_Howe", "2026-10-04 02:15"),
        ("Pacific/Chatham", "2026-09-27 03:00"),
    ],
)
def test_times_in_a_gap_do_not_exist(zone: str, wall: str) -> None:
    at = datetime.fromisoformat(wall)
    with pytest.raises(NonexistentLocalTime):
        to_utc(at.date(), at.time(), zone)


# -- through the API --------------------------------------------------------------------


@st.composite
def block_spans(draw: st.DrawFn) -> tuple[str, datetime, time]:
    name, start = draw(zoned_walls(years=(2000, 2040)))
    last = 23 * 60 + 59
    first = start.hour * 60 + start.minute + 1
    if first > last:
        start = start - timedelta(minutes=1)
        first = last
    end = draw(st.integers(first, last))
    return name, start, time(end // 60, end % 60)


@given(span=block_spans())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_block_duration_is_the_real_elapsed_time(
    persona_factory: Any, span: tuple[str, datetime, time]
) -> None:
    name, start, end = span
    p = persona_factory(name)
    body = {"date": start.date().isoformat(), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
    response = p.post("/v1/blocks", json=body)
    starts = instants_of(start, name)
    ends = instants_of(datetime.combine(start.date(), end), name)
    if not starts:
        assert_error(response, 400, "VALIDATION_ERROR", "start")
        return
    if not ends:
        assert_error(response, 400, "VALIDATION_ERROR", "end")
        return
    if ends[0] <= starts[0]:  # the clocks went back over the whole span
        assert_error(response, 400, "VALIDATION_ERROR", "end")
        return
    assert response.status_code == 201, response.text
    block = response.json()["data"]
    start_at = datetime.fromisoformat(block["start_at"])
    end_at = datetime.fromisoformat(block["end_at"])
    assert (start_at, end_at) == (starts[0], ends[0])
    assert block["duration_minutes"] == (end_at - start_at) // timedelta(minutes=1)
    assert (block["date"], block["start"], block["end"]) == (
        body["date"],
        body["start"],
        body["end"],
    )
    assert start_at.replace(tzinfo=None) == start  # shown in the account's zone
    assert p.ok("GET", f"/v1/blocks/{block['id']}") == block
