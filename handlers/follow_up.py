"""The follow-up after a send (#22): scheduled in the store, sent once, by a periodic job.

Each tick (1) schedules a follow-up for every single send that went out and every plan that
finished, ``FOLLOW_UP_MINUTES`` after it went out (``INSERT … ON CONFLICT DO NOTHING``: once
per send, across restarts), then (2) takes the due ones: a cancelled send or halted plan is
skipped; otherwise the delivery report is read and the row moved 'due' → 'sent' by
compare-and-set before anyone is told, so a restart or an overlapping tick never tells twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram.ext import Application, CallbackContext

from bot.broadcasts.rules import aggregate_stats
from bot.domain import ApprovalRequest, Broadcast, BroadcastState
from bot.guardrails.follow_up import Summary, due_at, single_key, summarize
from bot.ippanel import BulkReport, OperatorStats
from bot.render import OPERATOR_ORDER, ltr, num, operator_lines
from bot.services import services_of
from bot.texts import t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import Context, notify, user_lang
from handlers.session import CustomContext

log = logging.getLogger("handlers.follow_up")

FOLLOW_UP_TICK = 30  # seconds between looks at the store
LOOK_BACK = timedelta(days=2)  # sends posted this long ago are still scheduled
STALE = timedelta(days=1)  # a follow-up this overdue (the bot was down) is not sent any more


async def follow_up_job(context: CallbackContext) -> None:
    await run_follow_ups(context.application)


def schedule(app: Application) -> None:
    """The periodic tick, unless FOLLOW_UP_MINUTES=0 turns follow-ups off."""
    if app.job_queue is not None and services_of(app).settings.follow_up_minutes > 0:
        app.job_queue.run_repeating(follow_up_job, FOLLOW_UP_TICK, first=FOLLOW_UP_TICK)


async def run_follow_ups(app: Application, now: datetime | None = None) -> int:
    """One tick: schedule what went out, send what is due. Returns the follow-ups sent."""
    context = CustomContext(app)
    settings, store = context.services.settings, context.services.store
    if settings.follow_up_minutes <= 0:
        return 0
    now = now or datetime.now(UTC)
    await _schedule_new(context, now)
    told = 0
    for due in await store.due_follow_ups(now):
        try:
            told += await _follow_up(context, due.send_key, due.due_at, now)
        except Exception:  # one send's trouble must not stop the others
            log.exception("follow-up %s failed", due.send_key)
    return told


async def _schedule_new(context: Context, now: datetime) -> None:
    settings, store = context.services.settings, context.services.store
    minutes = settings.follow_up_minutes
    rows = await store.sends_to_follow_up(now - LOOK_BACK)  # the ones not scheduled yet
    for b in rows:
        if b.plan_key is None and b.state == BroadcastState.SENT and b.outbox_ids:
            due = due_at([b], minutes)
            if due >= now - STALE:
                await store.schedule_follow_up(single_key(b), b.number, due)
    for key in dict.fromkeys(b.plan_key for b in rows if b.plan_key):
        plan = await store.get_plan(key)
        if plan is None or plan.state != "done":
            continue  # still running, stopped or halted: no "after its last batch" yet
        batches = await store.list_plan_batches(key)
        due = due_at(batches, minutes)
        if batches and due >= now - STALE:
            await store.schedule_follow_up(key, batches[0].number, due)


async def _rows_of(context: Context, send_key: str) -> list[Broadcast]:
    store = context.services.store
    if send_key.startswith("b") and send_key[1:].isdigit():
        b = await store.get_broadcast(int(send_key[1:]))
        return [b] if b is not None else []
    return await store.list_plan_batches(send_key)


async def _follow_up(context: Context, send_key: str, due: datetime, now: datetime) -> int:
    store, service = context.services.store, context.services.broadcasts
    rows = await _rows_of(context, send_key)
    plan = await store.get_plan(send_key) if rows and rows[0].plan_key else None
    cancelled = any(b.state == BroadcastState.CANCELLED for b in rows)
    if not rows or cancelled or (plan is not None and plan.state == "halted"):
        await store.settle_follow_up(send_key, "skipped")
        return 0
    if now - due > STALE:
        await store.settle_follow_up(send_key, "skipped")  # too late to be useful
        return 0
    reports: list[BulkReport] = []
    stats: list[dict[str, OperatorStats]] = []
    for b in rows:
        report = await service.delivery_report(b.id, b.requester_id)
        if report.kind != "ok":
            log.info("follow-up %s: report not available (%s); next tick", send_key, report.kind)
            return 0
        reports += report.reports
        stats.append(report.operators)
    operators = aggregate_stats(stats)
    if not await store.settle_follow_up(send_key, "sent"):
        return 0  # told already (another tick, or before a restart)
    first = rows[0]
    request = await store.get_request(first.request_id) if first.request_id else None
    people = [first.requester_id, *(request.approved_by if request else ())]
    if request is None and first.approver_id:
        people.append(first.approver_id)
    summary = summarize(operators, reports)
    for person in dict.fromkeys(people):
        lang = await user_lang(context, person)
        text = follow_up_text(context, lang, first, summary, operators, request)
        markup = kb.markup([[kb.btn(t(lang, "btn_report"), cb.REPORT.data(first.id))]])
        await notify(context, person, text, markup)
    await context.services.store.audit(
        None, "follow_up", f"broadcast:{first.id}", {"no": first.number, "share": summary.share}
    )
    return 1


def _amount(lang: str, value: float | None) -> str:
    return (
        t(lang, "card_money_unknown")
        if value is None
        else t(lang, "amount_rials", n=num(value, lang))
    )


def follow_up_text(
    context: Context,
    lang: str,
    first: Broadcast,
    summary: Summary,
    operators: dict[str, OperatorStats],
    request: ApprovalRequest | None,
) -> str:
    """The follow-up message: a warning first when the delivered share is low, then the
    per-operator lines, the totals, and the cost charged against the estimate at approval."""
    settings = context.services.settings
    money = (request.money if request is not None else None) or {}
    low, high = money.get("cost_low"), money.get("cost_high")
    if low is not None and high is not None and low != high:
        estimate = t(lang, "amount_rials", n=f"{num(low, lang)}–{num(high, lang)}")
    else:
        estimate = _amount(lang, high if high is not None else low)
    share = num(summary.share, lang)
    text = t(
        lang,
        "follow_up",
        no=first.number,
        minutes=num(settings.follow_up_minutes, lang),
        lines=operator_lines(lang, operators),
        delivered=num(summary.delivered, lang),
        total=num(summary.total, lang),
        share=share,
        failed=num(summary.failed, lang),
        pending=num(summary.pending, lang),
        charged=_amount(lang, summary.charged),
        estimate=estimate,
    )
    if summary.low(settings.follow_up_low_share) and summary.worst is not None:
        name = (
            t(lang, f"op_{summary.worst}")
            if summary.worst in OPERATOR_ORDER
            else t(lang, "op_other", name=ltr(summary.worst[:20]))
        )
        warning = t(
            lang,
            "follow_up_low",
            share=share,
            operator=name,
            failed=num(summary.worst_failed, lang),
        )
        text = warning + text
    return text
