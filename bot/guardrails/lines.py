"""The guardrails' lines on the review card and the approver's card, in the reader's words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from bot.domain import Snapshot
from bot.guardrails.budget import BudgetCheck
from bot.guardrails.repeats import Repeat
from bot.jalali import format_jalali, persian_digits
from bot.quiet_hours import QuietHours, batches_inside
from bot.render import ltr, num
from bot.texts import t


def window_text(quiet: QuietHours, lang: str) -> str:
    shown = str(quiet)
    return ltr(persian_digits(shown) if lang == "fa" else shown)


def send_moment(snapshot: Snapshot, now: datetime) -> datetime:
    """When a single send lands: its scheduled time, or ``now`` for "send at once"."""
    return snapshot.send_time or now


def quiet_line(
    snapshot: Snapshot, quiet: QuietHours | None, tz: tzinfo, lang: str, now: datetime
) -> str:
    """The night-hours flag: a send landing inside them, or how many of a plan's batches do.
    Empty when the quiet hours are off or nothing falls inside."""
    if quiet is None:
        return ""
    window = window_text(quiet, lang)
    plan = snapshot.plan
    if plan is not None:
        inside = batches_inside(plan, quiet, tz)
        if not inside:
            return ""
        total = num(len(plan.batches), lang)
        return t(lang, "guard_quiet_plan", n=num(inside, lang), total=total, window=window)
    at = send_moment(snapshot, now)
    if not quiet.contains(at, tz):
        return ""
    key = "guard_quiet" if snapshot.send_at else "guard_quiet_now"
    return t(lang, key, at=format_jalali(at, tz, lang), window=window)


REPEATS_SHOWN = 2  # same-text repeats named on a card; more are rare and the card stays short


def repeat_lines(repeats: list[Repeat], lang: str, tz: tzinfo, who: Callable[[int], str]) -> str:
    """Same-text repeats plainly (at most :data:`REPEATS_SHOWN`), then one quieter line for
    the newest different text to the same phonebook. ``who`` names a requester."""
    lines = []
    same = [r for r in repeats if r.same_text][:REPEATS_SHOWN]
    for r in same:
        e = r.earlier
        lines.append(
            t(
                lang,
                "guard_repeat",
                no=e.number,
                n=num(r.overlap, lang),
                state=t(lang, f"guard_state_{e.state}"),
                when=format_jalali(e.at, tz, lang),
                who=who(e.requester_id),
            )
        )
    other = next((r for r in repeats if not r.same_text), None)
    if other is not None and not same:
        e = other.earlier
        lines.append(
            t(
                lang,
                "guard_repeat_book",
                no=e.number,
                state=t(lang, f"guard_state_{e.state}"),
                when=format_jalali(e.at, tz, lang),
                who=who(e.requester_id),
            )
        )
    return "".join(lines)


def millions(rials: float, lang: str) -> str:
    """``12.4`` million (``۱۲٫۴`` in Persian): one decimal, none when it is whole."""
    shown = f"{rials / 1_000_000:.1f}".removesuffix(".0")
    return persian_digits(shown).replace(".", "٫") if lang == "fa" else shown


def budget_lines(check: BudgetCheck | None, lang: str, *, hard: bool = False) -> str:
    """This month's spend against the budget, with this request, and by how much it would
    cross (one approval more, or refused with BUDGET_HARD)."""
    if check is None:
        return ""
    spent, budget = millions(check.spent, lang), millions(check.budget, lang)
    if check.adding > 0:
        after = millions(check.spent + check.adding, lang)
        line = t(lang, "guard_budget_with", spent=spent, budget=budget, after=after)
    else:
        line = t(lang, "guard_budget", spent=spent, budget=budget)
    if check.crosses:
        key = "guard_budget_over_hard" if hard else "guard_budget_over"
        line += t(lang, key, over=num(check.over_by, lang))
    return line
