"""A typed slice is rows FIRST through LAST inside the phonebook, or it is refused."""

from __future__ import annotations

import pytest

from bot.slices import SliceError, parse_slice


@pytest.mark.parametrize(
    ("typed", "start", "size"),
    [
        ("101-200", 101, 100),
        ("۱۰۱ تا ۲۰۰", 101, 100),
        ("١٠١ - ٢٠٠", 101, 100),
        ("101 to 200", 101, 100),
        ("101 200", 101, 100),
        ("101–200", 101, 100),
        ("500", 1, 500),
        ("1-1", 1, 1),
        (" 1 - 1000 ", 1, 1000),
    ],
)
def test_ranges_are_first_to_last_inclusive(typed: str, start: int, size: int) -> None:
    rows = parse_slice(typed, count=1000)
    assert (rows.start, rows.size) == (start, size)
    assert rows.last == start + size - 1


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("-1 2", "format"),
        ("0-10", "format"),
        ("0", "format"),
        ("1 999999999", "past_end"),
        ("1-1001", "past_end"),
        ("1001", "past_end"),
        ("200-101", "order"),
        ("1234567890 1234567891", "format"),  # more digits than any phonebook needs
        ("²-5", "format"),  # Unicode digits that str.isdigit() accepts
        ("1, 2, 3", "format"),
        ("abc", "format"),
        ("", "format"),
    ],
)
def test_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(SliceError) as err:
        parse_slice(typed, count=1000)
    assert err.value.reason == reason
