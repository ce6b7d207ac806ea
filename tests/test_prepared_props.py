"""The raw-value decoders behind the block list and stream give what the ORM types give."""

from __future__ import annotations

from datetime import UTC, datetime, time

import orjson
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime, Time
from sqlalchemy.dialects import sqlite

from timeboxd.db.prepared import OBJECTS, SQLITE

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
