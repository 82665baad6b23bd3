"""Jalali (Persian calendar) times: parse what an admin types, show times back.

Pure functions: every one takes "now" and the time zone explicitly so tests
need no clock tricks.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

import jdatetime

from bot.sms import to_ascii_digits

MIN_LEAD = timedelta(minutes=10)

_TYPED = re.compile(
    r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})"
    r"(?:\s+|\s*[T،,]\s*)(\d{1,2})\s*:\s*(\d{2})\s*$",
    re.ASCII,
)


class TimeError(ValueError):
    """A typed time is malformed, not a real Jalali date, or too soon; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "format", "invalid_date", "too_soon"


def parse_jalali(text: str, *, now: datetime, tz: tzinfo) -> datetime:
    """Parse ``1405/9/10 18:30`` (Persian or Latin digits) in ``tz``; return an aware datetime."""
    match = _TYPED.match(to_ascii_digits(text))
    if not match:
        raise TimeError("format")
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        when = jdatetime.datetime(year, month, day, hour, minute).togregorian()
    except ValueError:
        raise TimeError("invalid_date") from None
    aware = when.replace(tzinfo=tz)
    check_lead(aware, now=now)
    return aware


def check_lead(when: datetime, *, now: datetime) -> None:
    if when < now + MIN_LEAD:
        raise TimeError("too_soon")


def quick_choices(now: datetime, tz: tzinfo) -> dict[str, datetime]:
    """The quick buttons: in one hour, tonight 20:00 (while still ahead), tomorrow 09:00."""
    local = now.astimezone(tz)
    choices = {"hour": (local + timedelta(hours=1)).replace(second=0, microsecond=0)}
    tonight = local.replace(hour=20, minute=0, second=0, microsecond=0)
    if tonight >= local + MIN_LEAD:
        choices["tonight"] = tonight
    tomorrow = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    choices["tomorrow"] = tomorrow
    return choices


_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def persian_digits(text: str) -> str:
    return text.translate(_FA_DIGITS)


def format_jalali(when: datetime, tz: tzinfo, lang: str = "fa") -> str:
    """``1405/09/10 18:30`` in the admin's zone; Persian digits for Persian readers."""
    local = when.astimezone(tz)
    shown = jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M")
    return persian_digits(shown) if lang == "fa" else shown
