"""The campaign guardrails on the cards (#22): thin glue between the pure rules in
:mod:`bot.guardrails` and the review card / the approver's card.

Nothing here moves or blocks a send: the review offers a tap, the requester decides.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardButton

from bot.domain import ApprovalRequest, Draft, Snapshot
from bot.guardrails.budget import check_request, month_of, month_spend
from bot.guardrails.lines import budget_lines, millions, quiet_line, repeat_lines, window_text
from bot.guardrails.repeats import Repeat, earlier_of_request, earlier_of_send, find_repeats
from bot.jalali import format_jalali
from bot.plans import PlanError, plan_for
from bot.quiet_hours import batches_inside, night_setting
from bot.texts import t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import Context, person_label

NIGHT_KEYS = ("night_from", "night_to", "night_utc")


async def card_guards(
    context: Context,
    snapshot: Snapshot,
    lang: str,
    *,
    cost: float | None,
    request: ApprovalRequest | None = None,
) -> str:
    """Every guardrail line a card of this snapshot shows (empty when none applies).
    ``cost`` is the most the send may cost; ``request`` is the card's own request, never
    a repeat of itself and not counted twice in the month's spend."""
    settings = context.services.settings
    now = datetime.now(UTC)
    number = request.number if request is not None else None
    repeats = await find_recent_repeats(context, snapshot, now, number=number)
    lines = repeat_lines(repeats, lang, settings.tz, lambda uid: person_label(context, uid))
    lines += quiet_line(snapshot, settings.quiet_hours, settings.tz, lang, now)
    return lines + await budget_line(context, snapshot, lang, cost, request, now)


async def budget_line(
    context: Context,
    snapshot: Snapshot,
    lang: str,
    cost: float | None,
    request: ApprovalRequest | None,
    now: datetime,
) -> str:
    settings = context.services.settings
    if settings.monthly_budget_rials is None:
        return ""
    leave_out = request.id if request is not None else None
    check = await check_request(
        context.services.store,
        settings.monthly_budget_rials,
        snapshot,
        cost,
        now,
        settings.tz,
        leave_out=leave_out,
    )
    return budget_lines(check, lang, hard=settings.budget_hard)


async def request_guards(context: Context, request: ApprovalRequest, lang: str) -> str:
    """The guardrail lines of an approver's card."""
    cost = (request.money or {}).get("cost_high")
    return await card_guards(context, request.snapshot, lang, cost=cost, request=request)


async def find_recent_repeats(
    context: Context, snapshot: Snapshot, now: datetime, *, number: int | None = None
) -> list[Repeat]:
    """Sends and pending requests of the last ``REPEAT_WINDOW_HOURS`` (scheduled ones
    ahead included) that share recipients with ``snapshot``."""
    settings, store = context.services.settings, context.services.store
    if not settings.repeat_window_hours:
        return []
    since = now - timedelta(hours=settings.repeat_window_hours)
    sends, pending = await store.repeat_candidates(since)
    earlier = [earlier_of_send(b, now) for b in sends]
    earlier += [earlier_of_request(r) for r in pending]
    draft_id = snapshot.draft_id
    earlier = [
        e
        for e in earlier
        if e.at >= since
        and e.number != number
        # the draft's own pending request is this same campaign, not a repeat of it
        and not (e.state == "pending" and e.snapshot.draft_id == draft_id)
    ]
    return find_repeats(snapshot, earlier, settings.message_suffix)


def _unskipped_inside(context: Context, draft: Draft) -> int:
    """Batches the plan would send at night without the "skip the night" choice."""
    settings = context.services.settings
    if settings.quiet_hours is None or not draft.plan:
        return 0
    try:
        plan = plan_for(draft.selections, draft.plan["batch"], draft.plan["every"], draft.send_at)
    except PlanError:
        return 0
    return batches_inside(plan, settings.quiet_hours, settings.tz)


def review_quiet(
    context: Context, draft: Draft, snapshot: Snapshot, lang: str
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """The review's own night-hours line (a skipped night) and its one-tap buttons: move a
    single send to the end of the quiet hours, or skip the night for a plan's batches."""
    settings = context.services.settings
    quiet, tz = settings.quiet_hours, settings.tz
    if quiet is None:
        return "", []
    plan = snapshot.plan
    if plan is not None:
        if draft.plan and "night_to" in draft.plan:
            moved = _unskipped_inside(context, draft)
            if not moved:
                return "", []
            line = t(lang, "guard_quiet_skipped", window=window_text(quiet, lang))
            return line, [[kb.btn(t(lang, "btn_quiet_keep"), cb.REVIEW.data("day"))]]
        first = next((b for b in plan.batches if quiet.contains(b.send_at, tz)), None)
        if first is None:
            return "", []
        at = format_jalali(quiet.end_after(first.send_at, tz), tz, lang)
        return "", [[kb.btn(t(lang, "btn_quiet_skip", at=at), cb.REVIEW.data("night"))]]
    when = draft.send_at or datetime.now(UTC)
    if not quiet.contains(when, tz):
        return "", []
    end = format_jalali(quiet.end_after(when, tz), tz, lang)
    return "", [[kb.btn(t(lang, "btn_quiet_move", at=end), cb.REVIEW.data("quiet"))]]


def move_past_quiet(context: Context, draft: Draft, now: datetime) -> bool:
    """The requester's tap: the send time becomes the end of the quiet hours holding it.
    False when there is nothing to move (the hours are off, or the time is outside)."""
    settings = context.services.settings
    quiet, tz = settings.quiet_hours, settings.tz
    at = draft.send_at or now
    if quiet is None or draft.plan or not quiet.contains(at, tz):
        return False
    draft.send_at = quiet.end_after(at, tz).astimezone(UTC)
    return True


def skip_night(context: Context, draft: Draft, skip: bool) -> bool:
    """The requester's tap on a plan: batches inside the quiet hours resume at their end
    (``skip``), or go back to the plain interval. False when nothing changes."""
    settings = context.services.settings
    quiet = settings.quiet_hours
    if not draft.plan or draft.send_at is None:
        return False
    g = {k: v for k, v in draft.plan.items() if k not in NIGHT_KEYS}
    if skip:
        if quiet is None:
            return False
        g |= night_setting(quiet, settings.tz, draft.send_at)
    if g == draft.plan:
        return False
    draft.plan = g
    return True


async def month_line(context: Context, lang: str) -> str:
    """/credit's line: the team's spend this Jalali month (sent and scheduled), against the
    budget when one is set."""
    settings = context.services.settings
    now = datetime.now(UTC)
    items = await month_spend(context.services.store, now, settings.tz)
    this = month_of(now, settings.tz)
    spent = millions(sum(i.cost for i in items if month_of(i.at, settings.tz) == this), lang)
    if settings.monthly_budget_rials is None:
        return t(lang, "credit_month_spend", spent=spent)
    budget = millions(settings.monthly_budget_rials, lang)
    return t(lang, "credit_month_budget", spent=spent, budget=budget)
