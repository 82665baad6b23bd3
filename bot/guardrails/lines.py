"""The guardrails' lines on the review card and the approver's card, in the reader's words."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from bot.guardrails.quiet_hours import QuietHours, batches_inside
from bot.jalali import format_jalali, persian_digits
from bot.plans import plan_of
from bot.render import ltr, num
from bot.texts import t


def window_text(quiet: QuietHours, lang: str) -> str:
    shown = str(quiet)
    return ltr(persian_digits(shown) if lang == "fa" else shown)


def send_moment(snapshot: dict[str, Any], now: datetime) -> datetime:
    """When a single send lands: its scheduled time, or ``now`` for "send at once"."""
    raw = snapshot.get("send_at")
    return datetime.fromisoformat(raw) if raw else now


def quiet_line(
    snapshot: dict[str, Any], quiet: QuietHours | None, tz: tzinfo, lang: str, now: datetime
) -> str:
    """The night-hours flag: a send landing inside them, or how many of a plan's batches do.
    Empty when the quiet hours are off or nothing falls inside."""
    if quiet is None:
        return ""
    window = window_text(quiet, lang)
    plan = plan_of(snapshot)
    if plan is not None:
        inside = batches_inside(plan, quiet, tz)
        if not inside:
            return ""
        total = num(len(plan.batches), lang)
        return t(lang, "guard_quiet_plan", n=num(inside, lang), total=total, window=window)
    at = send_moment(snapshot, now)
    if not quiet.contains(at, tz):
        return ""
    key = "guard_quiet" if snapshot.get("send_at") else "guard_quiet_now"
    return t(lang, key, at=format_jalali(at, tz, lang), window=window)
