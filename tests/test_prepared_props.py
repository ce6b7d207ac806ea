"""The raw-value decoders behind the block list and stream give what the ORM types give."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Boolean, Date, DateTime, Integer, String, Time
from sqlalchemy.dialects import sqlite

from timeboxd.api.envelope import dumps
from timeboxd.db.prepared import OBJECTS, SQLITE, sqlite_encoder
from timeboxd.db.types import UTCDateTime
from timeboxd.services.planning.blocks_query import _AT, _json_maker, _view_maker

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


@given(
    instants,
    st.integers(min_value=1, max_value=24 * 60),
    instants,
    st.one_of(st.none(), instants),
    st.one_of(st.none(), instants),
    st.booleans(),
    zones,
)
def test_a_listed_block_is_written_as_its_view_is(
    start: datetime,
    minutes: int,
    written: datetime,
    completed: datetime | None,
    archived: datetime | None,
    flag: bool,
    tz: Any,
) -> None:
    """The block list writes each raw row as the JSON object the view (BlockOut) gives."""
    end = start + timedelta(minutes=minutes)
    objects = {
        "id": "blk_1",
        "project_id": "prj_1" if flag else None,
        "project_name": "Algebra" if flag else None,
        "task_id": None,
        "date": start.date(),
        "start": start.time(),
        "end": end.time(),
        "topic": "Chapter 1",
        "done": flag,
        "completed_at": completed,
        "start_at": start,
        "end_at": end,
        "series_id": None,
        "has_time_entry": not flag,
        "archived_at": archived,
        "deleted_at": None,
        "created_at": written,
        "updated_at": written,
        "version": 1,
    }
    text = {k: sqlalchemy_stores(_TYPES[k], v) for k, v in objects.items()}
    for raw, row in ((SQLITE, text), (OBJECTS, objects)):
        values: list[Any] = [None] * len(fields(_AT))
        for f in fields(_AT):
            values[getattr(_AT, f.name)] = row[f.name]
        view = _view_maker(raw, str(tz))(values)
        listed = _json_maker(raw, str(tz))(values)
        assert dumps(listed) == dumps(view)


_TYPES: dict[str, Any] = {
    **{k: String() for k in ("id", "project_id", "project_name", "task_id", "topic", "series_id")},
    "date": Date(),
    "start": Time(),
    "end": Time(),
    "done": Boolean(),
    "has_time_entry": Boolean(),
    "version": Integer(),
    **{
        k: DateTime()
        for k in (
            *("completed_at", "start_at", "end_at"),
            *("archived_at", "deleted_at", "created_at", "updated_at"),
        )
    },
}
