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
MAX_AHEAD = timedelta(days=365)  # a later time is far more likely a typo than a plan
GREGORIAN_FROM = 1900  # a typed year from here on is Gregorian (Jalali years are ~1300-1500)

# 1405/9/10 18:30, 1405-09-10 ساعت 18:30:00, 2026/12/01, 14:30 — digits already ASCII.
_TYPED = re.compile(
    r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})"
    r"(?:\s*[T،,]\s*|\s*ساعت\s*|\s+)"
    r"(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?\s*$",
    re.ASCII,
)


class TimeError(ValueError):
    """A typed time is malformed, not a real date, too soon or too far; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # "format", "invalid_time", "invalid_date", "too_soon", "too_far"
        self.reason = reason


def parse_jalali(text: str, *, now: datetime, tz: tzinfo) -> datetime:
    """Parse ``1405/9/10 18:30`` (Persian or Latin digits) in ``tz``; return an aware datetime.

    A year from 1900 on is read as Gregorian (``2026/12/01 14:30``): read as Jalali it would
    be six centuries ahead. Seconds are accepted and dropped.
    """
    match = _TYPED.match(to_ascii_digits(text).replace("\u200c", " "))
    if not match:
        raise TimeError("format")
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeError("invalid_time")
    try:
        if year >= GREGORIAN_FROM:
            when = datetime(year, month, day, hour, minute)
        else:
            when = jdatetime.datetime(year, month, day, hour, minute).togregorian()
    except ValueError:
        raise TimeError("invalid_date") from None
    aware = when.replace(tzinfo=tz)
    check_lead(aware, now=now)
    return aware


def check_lead(when: datetime, *, now: datetime) -> None:
    """At least MIN_LEAD ahead (the provider cancels only 5 minutes before), at most a year."""
    if when < now + MIN_LEAD:
        raise TimeError("too_soon")
    if when > now + MAX_AHEAD:
        raise TimeError("too_far")


QUICK_CHOICES = ("hour", "tonight", "tomorrow")  # every key quick_choices may return


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
    # the day converted alone and formatted here: jdatetime's datetime and strftime took
    # twice as long, and /history formats a date per line
    day = jdatetime.date.fromgregorian(date=local.date())
    shown = f"{day.year:04d}/{day.month:02d}/{day.day:02d} {local.hour:02d}:{local.minute:02d}"
    return persian_digits(shown) if lang == "fa" else shown


def format_gregorian_date(when: datetime, tz: tzinfo) -> str:
    """``2026-12-01``: the same day in the Gregorian calendar, shown beside the Jalali one so
    a date typed in either calendar can be checked at a glance."""
    return when.astimezone(tz).strftime("%Y-%m-%d")
