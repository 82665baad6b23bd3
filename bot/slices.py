"""What a typed slice of a phonebook means: rows FIRST through LAST, both included.

``101-200`` (or ``۱۰۱ تا ۲۰۰``, ``101 to 200``) is rows 101 to 200: start 101, size 100.
A single number ``500`` is the first 500 rows. The review and approval cards show first row,
last row and count, and the POST carries exactly that start and size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.sms import to_ascii_digits

MAX_DIGITS = 9  # a phonebook of a billion rows is not a thing; longer input is a typo

_RANGE = re.compile(
    rf"^\s*(\d{{1,{MAX_DIGITS}}})\s*(?:(?:-|–|—|_|تا|to|:|\s)\s*(\d{{1,{MAX_DIGITS}}}))?\s*$",
    re.ASCII | re.IGNORECASE,
)


@dataclass(frozen=True)
class Slice:
    first: int  # 1-based first row
    last: int  # last row, included

    @property
    def start(self) -> int:
        return self.first

    @property
    def size(self) -> int:
        return self.last - self.first + 1


class SliceError(ValueError):
    """``reason``: "format" (not a range), "order" (last before first), "past_end"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_slice(text: str, count: int) -> Slice:
    """Rows of a phonebook of ``count`` rows; refuse anything outside it rather than trim."""
    match = _RANGE.match(to_ascii_digits(text).replace("\u200c", " "))
    if not match:
        raise SliceError("format")
    a, b = match.group(1), match.group(2)
    first, last = (1, int(a)) if b is None else (int(a), int(b))
    if first < 1 or last < 1:
        raise SliceError("format")
    if last < first:
        raise SliceError("order")
    if last > count:
        raise SliceError("past_end")
    return Slice(first, last)
