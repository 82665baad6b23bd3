"""Night hours: a window of local time-of-day (``22:00-08:00``) in which no SMS should land.

A window may wrap midnight (22:00-08:00) or not (13:00-14:00). Nothing here moves a send by
itself: the review offers the move, and only the requester's tap applies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo

from bot.plans import Batch, Plan

_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


@dataclass(frozen=True)
class QuietHours:
    start: time  # local time the quiet hours begin
    end: time  # local time they end (the next day when end <= start)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        return self.end.hour * 60 + self.end.minute

    def contains(self, when: datetime, tz: tzinfo) -> bool:
        """Whether ``when`` (aware) falls inside the window, read in ``tz``."""
        local = when.astimezone(tz)
        minute = local.hour * 60 + local.minute
        start, end = self.start_minute, self.end_minute
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end  # wraps midnight

    def end_after(self, when: datetime, tz: tzinfo) -> datetime:
        """The end of the quiet window holding ``when`` (aware, same zone as ``when``);
        ``when`` itself when it is outside the window."""
        if not self.contains(when, tz):
            return when
        local = when.astimezone(tz)
        end = local.replace(
            hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0, fold=0
        )
        if end <= local:
            end += timedelta(days=1)
        # re-attach the zone after adding a day (a wall time, not 24 hours)
        end = end.replace(tzinfo=None).replace(tzinfo=tz)
        return end.astimezone(when.tzinfo)


def parse_quiet_hours(text: str) -> QuietHours | None:
    """``22:00-08:00`` → the window; an empty text → None (off). Raises ValueError."""
    if not text.strip():
        return None
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise ValueError("not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError("not a time of day")
    if (h1, m1) == (h2, m2):
        raise ValueError("an empty window")
    return QuietHours(time(h1, m1), time(h2, m2))


def batches_inside(plan: Plan, quiet: QuietHours, tz: tzinfo) -> int:
    """How many of a plan's batches would go out inside the quiet hours."""
    return sum(1 for b in plan.batches if quiet.contains(b.send_at, tz))


def skip_night(plan: Plan, quiet: QuietHours, tz: tzinfo) -> Plan:
    """The plan with every batch that falls inside the quiet hours moved to their end, and
    the batches after it following at the plan's interval from there (rows unchanged)."""
    step = timedelta(minutes=plan.every)
    moved: list[Batch] = []
    at = plan.first_at
    for b in plan.batches:
        at = quiet.end_after(at, tz)
        moved.append(Batch(b.no, b.start, b.size, at))
        at = at + step
    return Plan(plan.phonebook_id, plan.first_row, plan.rows, plan.batch, plan.every, tuple(moved))


# A draft's "skip the night" choice is kept in its ``plan`` settings as plain numbers
# (the window's minutes and the zone's UTC offset at the tap), so the plan a snapshot holds
# is computed from the draft alone. TIMEZONE is Asia/Tehran in practice, which has had no
# daylight saving since 2022; a zone with one would shift batches across its change by an hour.


def night_setting(quiet: QuietHours, tz: tzinfo, at: datetime) -> dict[str, int]:
    offset = at.astimezone(tz).utcoffset() or timedelta(0)
    return {
        "night_from": quiet.start_minute,
        "night_to": quiet.end_minute,
        "night_utc": int(offset.total_seconds() // 60),
    }


def skip_night_of(plan: Plan, chosen: dict[str, int]) -> Plan:
    """:func:`skip_night` with the window and zone saved on the draft."""
    start, end = int(chosen["night_from"]), int(chosen["night_to"])
    quiet = QuietHours(time(start // 60, start % 60), time(end // 60, end % 60))
    zone = timezone(timedelta(minutes=int(chosen.get("night_utc", 0))))
    return skip_night(plan, quiet, zone)
