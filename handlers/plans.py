"""Gradual sending after approval: the plan's result card (progress per batch), its
buttons (progress, cancel the remaining batches, continue after a person looked), and the
plan's one line in /history.

Each press is one service call; the service decides.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, tzinfo

from telegram import InlineKeyboardMarkup, Update

from bot import provider_words as words
from bot.broadcasts import CancelRemaining, PlanOutcome
from bot.domain import Broadcast, BroadcastState
from bot.jalali import format_jalali
from bot.plans import Plan
from bot.render import esc, fit, num
from bot.texts import t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    notify,
    say,
    services,
    tr,
    user_lang,
)

log = logging.getLogger("handlers.plans")
LISTED = 12  # batch lines on a card; the counts line covers the rest


def batch_states(plan: Plan, rows: list[Broadcast], now: datetime) -> list[str]:
    """Each batch's state, in order: scheduled, sent, failed, unknown, cancelled, unposted."""
    by_no = {r.batch_no: r for r in rows}
    states = []
    for batch in plan.batches:
        row = by_no.get(batch.no)
        if row is None:
            states.append("unposted")
        elif row.state == BroadcastState.SENT:
            states.append("scheduled" if batch.send_at > now else "sent")
        elif row.state == BroadcastState.SENDING:
            states.append("unknown")
        else:
            states.append(str(row.state))
    return states


def progress_text(lang: str, plan: Plan, rows: list[Broadcast], now: datetime) -> str:
    c = Counter(batch_states(plan, rows, now))
    return t(
        lang,
        "plan_progress",
        total=num(len(plan.batches), lang),
        **{k: num(c[k], lang) for k in ("scheduled", "sent", "failed", "unknown", "cancelled")},
        unposted=num(c["unposted"], lang),
    )


def _state_word(lang: str, state: str) -> str:
    if state in ("scheduled", "unposted"):
        return t(lang, f"plan_state_{state}")
    if state == "sent":
        return t(lang, "plan_state_gone")
    return t(lang, f"state_{state}")


def batch_lines(lang: str, plan: Plan, rows: list[Broadcast], now: datetime, tz: tzinfo) -> str:
    states = batch_states(plan, rows, now)
    # the first batches, and any batch that is not simply on its way
    shown = [i for i, s in enumerate(states) if i < LISTED or s not in ("scheduled", "sent")]
    shown = shown[: LISTED + 3]
    lines = [
        t(
            lang,
            "plan_batch_line",
            no=num(plan.batches[i].no, lang),
            when=format_jalali(plan.batches[i].send_at, tz, lang),
            first=num(plan.batches[i].start, lang),
            last=num(plan.batches[i].last, lang),
            state=_state_word(lang, states[i]),
        )
        for i in shown
    ]
    if len(plan.batches) > len(shown):
        lines.append(t(lang, "plan_more", n=num(len(plan.batches) - len(shown), lang)))
    return "\n".join(lines)


def plan_ref(rows: list[Broadcast]) -> str:
    return f"#{rows[0].number}" if rows else "#?"  # the plan's one public number


def plan_message(lang: str, outcome: PlanOutcome, tz: tzinfo, now: datetime) -> str:
    plan = outcome.plan
    if plan is None:
        return t(lang, "plan_gone")
    rows = outcome.batches
    ref = plan_ref(rows)
    progress = (
        progress_text(lang, plan, rows, now) + "\n\n" + batch_lines(lang, plan, rows, now, tz)
    )
    at = num(outcome.at or 0, lang)
    if outcome.kind == "posted":
        text = t(lang, "plan_posted", ref=ref, n=num(len(plan.batches), lang), progress=progress)
    elif outcome.kind == "late":
        text = t(lang, "plan_late", ref=ref, at=at, progress=progress)
    elif outcome.kind == "halted":
        text = t(lang, "plan_halted", ref=ref, progress=progress)
    elif outcome.kind == "busy":
        text = t(lang, "plan_busy", ref=ref)
    else:
        text = t(lang, "plan_stopped", ref=ref, at=at, why=_why(lang, outcome), progress=progress)
    return fit(text)


def _why(lang: str, outcome: PlanOutcome) -> str:
    row = next((r for r in outcome.batches if r.batch_no == outcome.at), None)
    if row is None:
        return ""
    if row.state in (BroadcastState.UNKNOWN, BroadcastState.SENDING):
        return t(lang, "plan_why_unknown")
    if row.state == BroadcastState.FAILED:
        # the provider's answer in the same words as every other send (bot.provider_words)
        reason = words.explain(lang, outcome.error) if outcome.error else esc(row.error or "—")
        return t(lang, "plan_why_failed", reason=reason)
    return t(lang, "plan_why_other", state=t(lang, f"state_{row.state}"))


def plan_markup(lang: str, outcome: PlanOutcome, now: datetime) -> InlineKeyboardMarkup | None:
    first = outcome.first_id
    if first is None or outcome.plan is None:
        return None
    rows = [[kb.btn(t(lang, "btn_plan_refresh"), cb.PLAN.data("v", first))]]
    states = batch_states(outcome.plan, outcome.batches, now)
    if outcome.kind != "halted" and any(s in ("scheduled", "unposted") for s in states):
        rows.append([kb.btn(t(lang, "btn_plan_cancel"), cb.PLAN.data("c", first))])
    if outcome.kind == "stopped":
        rows.append([kb.btn(t(lang, "btn_plan_continue"), cb.PLAN.data("g", first))])
    # the batch that stopped the plan keeps its own buttons (check, not sent, retry)
    stop = next((r for r in outcome.batches if r.batch_no == outcome.at), None)
    if stop is not None and stop.state in (BroadcastState.UNKNOWN, BroadcastState.FAILED):
        single = kb.result(lang, stop.id, state=str(stop.state), scheduled=True, retryable=True)
        if single is not None:
            keep = (cb.CHECK_STATUS, cb.NOT_SENT_ASK, cb.RETRY)
            rows += [
                r
                for r in single.inline_keyboard
                if any(cb.kind_in(str(b.callback_data)) in keep for b in r)
            ]
    return kb.markup(rows)


async def report_plan(
    context: Context, outcome: PlanOutcome, *, approver_id: int | None, requester_id: int
) -> None:
    """Tell both admins how the plan stands (posted, or stopped and why)."""
    tz = services(context).settings.tz
    now = datetime.now(UTC)
    if outcome.batches and outcome.kind in ("posted", "stopped", "late"):
        draft_id = outcome.batches[0].snapshot.get("draft_id")
        if draft_id:  # the draft has done its work, as after a single send
            await services(context).store.delete_draft(draft_id, requester_id)
    for person in dict.fromkeys(p for p in (requester_id, approver_id) if p):
        lang = await user_lang(context, person)
        text = plan_message(lang, outcome, tz, now)
        await notify(context, person, text, plan_markup(lang, outcome, now))


@cb.PLAN.handles
async def plan_press(update: Update, context: Context, kind: str, bid: int) -> None:
    """v: progress, c: cancel the remaining batches, g: continue."""
    uid = update.effective_user.id
    service = services(context).broadcasts
    b = await services(context).store.get_broadcast(bid) if bid else None
    if b is None or b.plan_key is None or uid not in (b.requester_id, b.approver_id):
        await answer(update, tr(context, "plan_gone"), alert=True)
        return
    await answer(update)
    tz = services(context).settings.tz
    lang = await user_lang(context, uid)
    if kind == "c":
        done = await service.cancel_remaining(b.id, uid)
        status = await service.plan_status(b.id, uid)
        await _tell_cancelled(context, done, status, b, uid)
        return
    if kind == "g":
        outcome = await service.continue_plan(b.id, uid)
        if outcome is None or outcome.kind == "not_allowed":
            await say(update, context, tr(context, "plan_gone"))
            return
        await report_plan(context, outcome, approver_id=b.approver_id, requester_id=b.requester_id)
        return
    status = await service.plan_status(b.id, uid)
    if status is None:
        await say(update, context, tr(context, "plan_gone"))
        return
    now = datetime.now(UTC)
    await say(update, context, plan_message(lang, status, tz, now), plan_markup(lang, status, now))


async def _tell_cancelled(
    context: Context,
    done: CancelRemaining,
    status: PlanOutcome | None,
    b: Broadcast,
    actor: int,
) -> None:
    """Both admins learn which batches were cancelled, which could not be, which never go."""
    if done.kind != "done":
        await notify(context, actor, t(await user_lang(context, actor), "plan_gone"))
        return
    rows = status.batches if status else [b]
    for person in dict.fromkeys(p for p in (b.requester_id, b.approver_id) if p):
        lang = await user_lang(context, person)

        def listed(nos: list[int], lang: str = lang) -> str:
            sep = "، " if lang == "fa" else ", "
            return sep.join(num(n, lang) for n in nos) if nos else "—"

        text = t(
            lang,
            "plan_cancel_done",
            ref=plan_ref(rows),
            cancelled=listed(done.cancelled),
            refused=listed([n for n, _ in done.refused]),
            unposted=listed(done.unposted),
        )
        await notify(context, person, fit(text))


async def history_line(context: Context, b: Broadcast, lang: str) -> str | None:
    """/history: a plan is one line with its progress (shown at its first batch)."""
    if b.plan_key is None:
        return None
    service = services(context).broadcasts
    status = await service.plan_status(b.id, b.requester_id)
    if status is None or status.plan is None:
        return None
    tz = services(context).settings.tz
    return t(
        lang,
        "history_plan",
        ref=plan_ref(status.batches),
        when=t(
            lang,
            "history_plan_span",
            first=format_jalali(status.plan.first_at, tz, lang),
            last=format_jalali(status.plan.last_at, tz, lang),
        ),
        progress=progress_text(lang, status.plan, status.batches, datetime.now(UTC)),
    )
