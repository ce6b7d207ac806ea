"""The raw-value decoders behind the block list and stream give what the ORM types give."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Boolean, Date, DateTime, String, Time
from sqlalchemy.dialects import sqlite

from timeboxd.db.prepared import OBJECTS, SQLITE, sqlite_encoder
from timeboxd.db.types import UTCDateTime

instants = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 12, 31))
ENCODE = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def stored_by_sqlite(value: datetime) -> str:
    """The text SQLAlchemy writes into SQLite for a DateTime column."""
    dialect = sqlite.dialect()
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    return str(process(value))


@given(instants)
def test_sqlite_instants_decode_to_the_aware_utc_datetime(naive: datetime) -> None:
    assert SQLITE.instant(stored_by_sqlite(naive)) == naive.replace(tzinfo=UTC)
    assert OBJECTS.instant(naive) == naive.replace(tzinfo=UTC)


@given(instants)
def test_utc_json_is_what_the_encoder_writes_for_the_aware_datetime(naive: datetime) -> None:
    expected = orjson.dumps(naive.replace(tzinfo=UTC), option=ENCODE)
    assert orjson.dumps(SQLITE.utc_json(stored_by_sqlite(naive)), option=ENCODE) == expected
    assert orjson.dumps(OBJECTS.utc_json(naive), option=ENCODE) == expected
    # Text written without microseconds (by hand or by SQL) reads the same.
    whole = naive.replace(microsecond=0)
    short = whole.strftime("%Y-%m-%d %H:%M:%S")
    assert orjson.dumps(SQLITE.utc_json(short), option=ENCODE) == orjson.dumps(
        whole.replace(tzinfo=UTC), option=ENCODE
    )


@given(st.times())
def test_times_of_day_read_as_hh_mm(value: time) -> None:
    dialect = sqlite.dialect()
    process = Time().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    assert SQLITE.hhmm(process(value)) == OBJECTS.hhmm(value) == value.strftime("%H:%M")


@given(st.dates(min_value=date(1, 1, 1)))
def test_day_json_is_what_the_encoder_writes_for_the_date(value: date) -> None:
    dialect = sqlite.dialect()
    process = Date().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    expected = orjson.dumps(value)
    assert orjson.dumps(SQLITE.day_json(process(value))) == expected
    assert orjson.dumps(OBJECTS.day_json(value)) == expected


def sqlalchemy_stores(column_type: Any, value: Any) -> Any:
    """What SQLAlchemy's own bind processing hands the SQLite driver for ``value``."""
    dialect = sqlite.dialect()
    process = column_type._cached_bind_processor(dialect)
    return value if process is None or value is None else process(value)


zones = st.sampled_from([UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Kathmandu")])


@given(instants, zones)
def test_insert_many_encodes_instants_as_sqlalchemy_does(naive: datetime, tz: Any) -> None:
    aware = naive.replace(tzinfo=UTC).astimezone(tz)
    column = UTCDateTime()
    assert sqlite_encoder(column)(aware) == sqlalchemy_stores(column, aware)
    assert sqlite_encoder(column)(None) is None


@given(st.dates(), st.times(), st.booleans(), st.text(max_size=20))
def test_insert_many_encodes_days_times_flags_text_as_sqlalchemy_does(
    day: date, clock: time, flag: bool, words: str
) -> None:
    for column_type, value in (
        (Date(), day),
        (Time(), clock),
        (Boolean(), flag),
        (String(), words),
    ):
        assert sqlite_encoder(column_type)(value) == sqlalchemy_stores(column_type, value)
