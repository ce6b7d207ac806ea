"""Identifiers: base62 digits, the prefix and the time order new ids promise."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from timeboxd.domain.ids import BASE62, base62, new_id


def decode(text: str) -> int:
    number = 0
    for char in text:
        number = number * 62 + BASE62.index(char)
    return number


@given(st.integers(min_value=1, max_value=20), st.integers(min_value=0))
def test_base62_keeps_the_lowest_digits_most_significant_first(width: int, number: int) -> None:
    text = base62(number, width)
    assert len(text) == width
    assert decode(text) == number % 62**width


@given(st.integers(min_value=1, max_value=12), st.data())
def test_base62_of_a_fixed_width_sorts_as_the_numbers_do(width: int, data: st.DataObject) -> None:
    a = data.draw(st.integers(min_value=0, max_value=62**width - 1))
    b = data.draw(st.integers(min_value=0, max_value=62**width - 1))
    assert (base62(a, width) < base62(b, width)) == (a < b)


def test_new_ids_have_the_prefix_and_twenty_base62_characters() -> None:
    ids = {new_id("blk") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"blk_[0-9A-Za-z]{20}", i) for i in ids)
