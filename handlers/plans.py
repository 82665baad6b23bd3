"""Gradual sending after approval: the plan's card (progress per batch, edited in place),
each batch's own card (its number, rows, time and cost; never whole-broadcast actions),
and the plan's buttons: progress, cancel the remaining batches, continue (or what must be
done first), continue from now (new times shown, then confirmed). The plan's one line in
/history.

Each press is one service call; the service and its lifecycle decide. Continuing a plan
posts in the background (``application.create_task``): the pressing admin is told at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import provider_words as words
from bot.broadcasts import CancelRemaining, FromNow, PlanOutcome, SendOutcome
from bot.broadcasts.lifecycle import CANCEL_LEAD, Action
from bot.domain import Broadcast, BroadcastState
from bot.jalali import format_jalali, persian_digits
from bot.plans import Plan
from bot.render import fit, num, outbox_text
from bot.texts import t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    card_of,
    edit,
    notify,
    say,
    tr,
    user_id_of,
    user_lang,
)
from storage.history import PlanRows

log = logging.getLogger("handlers.plans")
LISTED = 12  # batch lines on a card; the counts line covers the rest
# one word per state, in the counter and on every batch line (#21 point 15)
STATE_WORD = {
    "scheduled": "plan_state_scheduled",
    "sent": "plan_state_gone",
    "failed": "plan_state_failed",
    "unknown": "plan_state_unknown",
    "cancelled": "plan_state_cancelled",
    "unposted": "plan_state_unposted",
}


def batch_states(outcome: PlanOutcome, now: datetime) -> list[str]:
    """Each batch's state, in order: scheduled, sent, failed, unknown, cancelled, unposted."""
    assert outcome.plan is not None
    by_no = {r.batch_no: r for r in outcome.batches}
    states = []
    for batch in outcome.plan.batches:
        row = by_no.get(batch.no)
        if row is None:
            states.append("unposted")
        elif row.state == BroadcastState.SENT:
            states.append("scheduled" if outcome.time_of(batch) > now else "sent")
        elif row.state == BroadcastState.SENDING:
            states.append("unknown")
        else:
            states.append(str(row.state))
    return states


def progress_text(lang: str, outcome: PlanOutcome, now: datetime) -> str:
    assert outcome.plan is not None
    c = Counter(batch_states(outcome, now))
    return t(
        lang,
        "plan_progress",
        total=num(len(outcome.plan.batches), lang),
        **{k: num(c[k], lang) for k in ("scheduled", "sent", "failed", "unknown", "cancelled")},
        unposted=num(c["unposted"], lang),
    )


def batch_lines(lang: str, outcome: PlanOutcome, now: datetime, tz: tzinfo) -> str:
    plan = outcome.plan
    assert plan is not None
    states = batch_states(outcome, now)
    # the first batches, and any batch that is not simply on its way
    shown = [i for i, s in enumerate(states) if i < LISTED or s not in ("scheduled", "sent")]
    shown = shown[: LISTED + 3]
    lines = [
        t(
            lang,
            "plan_batch_line",
            no=num(plan.batches[i].no, lang),
            when=format_jalali(outcome.time_of(plan.batches[i]), tz, lang),
            first=num(plan.batches[i].start, lang),
            last=num(plan.batches[i].last, lang),
            state=t(lang, STATE_WORD[states[i]]),
        )
        for i in shown
    ]
    if len(plan.batches) > len(shown):
        lines.append(t(lang, "plan_more", n=num(len(plan.batches) - len(shown), lang)))
    return "\n".join(lines)


def plan_ref(rows: list[Broadcast]) -> str:
    return f"#{rows[0].number}" if rows else "#?"  # the plan's one public number


def progress_block(lang: str, outcome: PlanOutcome, tz: tzinfo, now: datetime) -> str:
    return progress_text(lang, outcome, now) + "\n\n" + batch_lines(lang, outcome, now, tz)


def plan_message(lang: str, outcome: PlanOutcome, tz: tzinfo, now: datetime) -> str:
    plan = outcome.plan
    if plan is None:
        return t(lang, "plan_gone")
    ref = plan_ref(outcome.batches)
    progress = progress_block(lang, outcome, tz, now)
    at = num(outcome.at or 0, lang)
    kind = outcome.kind
    if kind == "posted":
        text = t(lang, "plan_posted", ref=ref, n=num(len(plan.batches), lang), progress=progress)
    elif kind == "late" or (kind == "refused" and outcome.reason == "late"):
        text = t(lang, "plan_late", ref=ref, at=at, progress=progress)
    elif kind == "halted":
        text = t(lang, "plan_cancelled_card", ref=ref, progress=progress)
    elif kind == "busy":
        text = t(lang, "plan_busy", ref=ref)
    elif kind == "continuing":
        text = t(lang, "plan_continuing", ref=ref)
    elif kind == "refused":
        text = refusal_text(lang, outcome) + "\n\n" + progress
    else:
        text = t(lang, "plan_stopped", ref=ref, at=at, why=_why(lang, outcome), progress=progress)
    return fit(text)


def refusal_text(lang: str, outcome: PlanOutcome) -> str:
    """What must be done first, or why nothing more of the plan is posted."""
    ref, at = plan_ref(outcome.batches), num(outcome.at or 0, lang)
    key = {
        "failed": "plan_first_retry",
        "unknown": "plan_first_check",
        "approvals_lost": "send_refused_approvals_lost",
        "requester_removed": "send_refused_requester_removed",
        "not_approved": "send_refused_approvals_lost",
        "halted": "plan_refused_halted",
        "done": "plan_nothing_left",
    }.get(outcome.reason, "plan_gone")
    return t(lang, key, ref=ref, at=at)


def _why(lang: str, outcome: PlanOutcome) -> str:
    row = next((r for r in outcome.batches if r.batch_no == outcome.at), None)
    if row is None:
        return ""
    if row.state in (BroadcastState.UNKNOWN, BroadcastState.SENDING):
        return t(lang, "plan_why_unknown")
    if row.state == BroadcastState.FAILED:
        # the provider's answer in the same words as every other send (bot.provider_words)
        last = outcome.last
        if last is not None and last.shortfall is not None:
            reason = words.shortfall_text(lang, "credit_ran_out_reason", last.shortfall)
        elif outcome.error is not None:
            reason = words.explain(lang, outcome.error)
        else:
            reason = words.stored_error(lang, row.error)
        return t(lang, "plan_why_failed", reason=reason)
    if row.state in (BroadcastState.SENT, BroadcastState.CANCELLED):  # settled since
        return t(lang, "plan_why_settled", state=t(lang, f"state_{row.state}"))
    return t(lang, "plan_why_other", state=t(lang, f"state_{row.state}"))


def button_no(no: int, lang: str) -> str:
    """A batch number on a button: plain digits (a button is one short line)."""
    return persian_digits(str(no)) if lang == "fa" else str(no)


def _settle_buttons(lang: str, row: Broadcast) -> list[list[InlineKeyboardButton]]:
    """The stopping batch's own way out: check or "not sent" when unknown, retry when
    failed (each names the batch)."""
    if row.state in (BroadcastState.UNKNOWN, BroadcastState.SENDING):
        return [
            [kb.btn(t(lang, "btn_check"), cb.CHECK_STATUS.data(row.id))],
            [kb.btn(t(lang, "btn_not_sent"), cb.NOT_SENT_ASK.data(row.id))],
        ]
    if row.state == BroadcastState.FAILED:
        no = button_no(row.batch_no, lang)
        return [[kb.btn(t(lang, "btn_batch_retry", no=no), cb.RETRY.data(row.id))]]
    return []


def plan_markup(lang: str, outcome: PlanOutcome, now: datetime) -> InlineKeyboardMarkup | None:
    first = outcome.first_id
    if first is None or outcome.plan is None:
        return None
    rows = [[kb.btn(t(lang, "btn_plan_refresh"), cb.PLAN_CARD.data("v", first))]]
    if outcome.kind == "halted" or outcome.reason in ("halted", "approvals_lost"):
        return kb.markup(rows + _cancel_rest_row(lang, outcome, now))
    late = outcome.kind == "late" or outcome.reason == "late"
    if late:
        rows.append([kb.btn(t(lang, "btn_plan_from_now"), cb.PLAN_CARD.data("n", first))])
    stop = next((r for r in outcome.batches if r.batch_no == outcome.at), None)
    if stop is not None:
        rows += _settle_buttons(lang, stop)
    if outcome.kind == "stopped" or (stop is not None and stop.state == BroadcastState.CANCELLED):
        rows.append([kb.btn(t(lang, "btn_plan_continue"), cb.PLAN_CARD.data("g", first))])
    return kb.markup(rows + _cancel_rest_row(lang, outcome, now))


def _cancel_rest_row(
    lang: str, outcome: PlanOutcome, now: datetime
) -> list[list[InlineKeyboardButton]]:
    if outcome.kind == "halted" or outcome.first_id is None:
        return []
    if any(s in ("scheduled", "unposted") for s in batch_states(outcome, now)):
        return [[kb.btn(t(lang, "btn_plan_cancel"), cb.PLAN_CARD.data("c", outcome.first_id))]]
    return []


async def report_plan(
    context: Context, outcome: PlanOutcome, *, approver_id: int | None, requester_id: int
) -> None:
    """Tell both admins how the plan stands (posted, or stopped and why); each card is
    remembered so that a later change edits it in place."""
    tz = context.services.settings.tz
    store = context.services.store
    now = datetime.now(UTC)
    if outcome.batches and outcome.kind in ("posted", "stopped", "late"):
        draft_id = outcome.batches[0].snapshot.draft_id
        if draft_id:  # the draft has done its work, as after a single send
            await store.delete_draft(draft_id, requester_id)
    for person in dict.fromkeys(p for p in (requester_id, approver_id) if p):
        lang = await user_lang(context, person)
        text = plan_message(lang, outcome, tz, now)
        sent = await notify(context, person, text, plan_markup(lang, outcome, now))
        if sent is not None:
            await store.add_plan_message(outcome.plan_key, person, sent.message_id)


async def redraw_plan_cards(context: Context, plan_key: str, first_id: int) -> None:
    """Edit every plan card of this plan in place, in each reader's language, to show the
    plan as the store has it now (both admins' cards: no stale count, no live button)."""
    service = context.services.broadcasts
    tz = context.services.settings.tz
    now = datetime.now(UTC)
    for chat_id, message_id in await context.services.store.list_plan_messages(plan_key):
        status = await service.plan_status(first_id, chat_id)
        if status is None:
            continue
        lang = await user_lang(context, chat_id)
        text = plan_message(lang, status, tz, now)
        await edit(context, chat_id, message_id, text, plan_markup(lang, status, now))


@cb.PLAN_CARD.handles
async def plan_press(update: Update, context: Context, kind: str, bid: int) -> None:
    """v: progress (edited in place), c: cancel the remaining batches, g: continue,
    n: continue from now (the new times shown first)."""
    await _plan_press(update, context, kind, bid)


@cb.PLAN_FROM_NOW.handles
async def plan_from_now_press(update: Update, context: Context, bid: int, stamp: int) -> None:
    """Continue from now, confirmed: the new times as shown (the first one ``stamp``)."""
    await _plan_press(update, context, "N", bid, stamp)


async def _plan_press(
    update: Update, context: Context, kind: str, bid: int, stamp: int = 0
) -> None:
    uid = user_id_of(update)
    service = context.services.broadcasts
    b = await context.services.store.get_broadcast(bid) if bid else None
    if b is None or b.plan_key is None or uid not in (b.requester_id, b.approver_id):
        await answer(update, tr(context, "plan_gone"), alert=True)
        return
    await answer(update)
    if kind == "c":
        done = await service.cancel_remaining(b.id, uid)
        await _tell_cancelled(context, done, b, uid)
        await redraw_plan_cards(context, b.plan_key, b.id)
        return
    if kind == "g":
        await _continue(update, context, b, await service.begin_continue(b.id, uid))
        return
    if kind == "n":
        await _ask_from_now(update, context, b, await service.from_now(b.id, uid))
        return
    if kind == "N":
        started = await service.begin_continue(b.id, uid, from_now_stamp=stamp)
        await _continue(update, context, b, started)
        return
    status = await service.plan_status(b.id, uid)
    if status is None:
        await say(update, context, tr(context, "plan_gone"))
        return
    now = datetime.now(UTC)
    lang = await user_lang(context, uid)
    text = plan_message(lang, status, context.services.settings.tz, now)
    markup = plan_markup(lang, status, now)
    message = card_of(update)
    # #21 point 18: progress edits the card it was pressed on, not a new copy
    edited = message is not None and await edit(
        context, message.chat.id, message.message_id, text, markup
    )
    if not edited:
        await say(update, context, text, markup)


async def _continue(
    update: Update, context: Context, b: Broadcast, started: PlanOutcome | None
) -> None:
    """The plan runs again: say so at once, post in the background. Or say exactly what
    must be done first, with that button."""
    lang = await user_lang(context, user_id_of(update))
    now = datetime.now(UTC)
    if started is None or started.kind == "not_allowed":
        await say(update, context, tr(context, "plan_gone"))
        return
    if started.kind == "refused" and started.reason == "late":
        await _ask_from_now(
            update, context, b, await context.services.broadcasts.from_now(b.id, b.requester_id)
        )
        return
    if started.kind != "continuing":
        tz = context.services.settings.tz
        await say(
            update, context, plan_message(lang, started, tz, now), plan_markup(lang, started, now)
        )
        return
    await say(update, context, plan_message(lang, started, context.services.settings.tz, now))
    context.application.create_task(
        _post_rest(context, started.plan_key, b), update=update, name=f"plan {started.plan_key}"
    )


async def _post_rest(context: Context, plan_key: str, b: Broadcast) -> None:
    """In the background: post what is left, then tell both admins."""
    try:
        outcome = await context.services.broadcasts.post_rest(plan_key)
    except Exception:
        log.exception("plan %s: continuing failed", plan_key)
        return
    await report_plan(context, outcome, approver_id=b.approver_id, requester_id=b.requester_id)


async def ask_from_now(update: Update, context: Context, b: Broadcast) -> None:
    """ "Continue from now" for the presser: the new times, or why not."""
    uid = user_id_of(update)
    await _ask_from_now(update, context, b, await context.services.broadcasts.from_now(b.id, uid))


async def _ask_from_now(update: Update, context: Context, b: Broadcast, ask: FromNow) -> None:
    """Show the new times of the batches still to post; they are posted only once confirmed."""
    lang = await user_lang(context, user_id_of(update))
    rows = await context.services.store.list_plan_batches(b.plan_key or "")
    ref = plan_ref(rows)
    if ask.kind != "ask":
        if ask.reason == "done":
            await say(update, context, t(lang, "plan_nothing_left", ref=ref))
            return
        status = await context.services.broadcasts.plan_status(b.id, user_id_of(update))
        if status is None:
            await say(update, context, tr(context, "plan_gone"))
            return
        now = datetime.now(UTC)
        tz = context.services.settings.tz
        await say(
            update, context, plan_message(lang, status, tz, now), plan_markup(lang, status, now)
        )
        return
    tz = context.services.settings.tz
    lines = "\n".join(
        t(
            lang,
            "plan_from_now_line",
            no=num(batch.no, lang),
            when=format_jalali(when, tz, lang),
            first=num(batch.start, lang),
            last=num(batch.last, lang),
        )
        for batch, when in ask.times[:LISTED]
    )
    if len(ask.times) > LISTED:
        lines += "\n" + t(lang, "plan_more", n=num(len(ask.times) - LISTED, lang))
    text = t(lang, "plan_from_now_ask", ref=ref, lines=lines)
    ok = cb.PLAN_FROM_NOW.data(b.id, ask.stamp)
    markup = kb.markup([[kb.btn(t(lang, "btn_plan_from_now_ok"), ok)]])
    await say(update, context, fit(text), markup)


def _listed(nos: list[int], lang: str) -> str:
    sep = "، " if lang == "fa" else ", "
    return sep.join(num(n, lang) for n in nos) if nos else "—"


async def _tell_cancelled(
    context: Context, done: CancelRemaining, b: Broadcast, actor: int
) -> None:
    """Both admins learn which batches were cancelled, which could not be, which were
    refused (never sent), which are unknown, which never go."""
    if done.kind == "already":
        status = await context.services.broadcasts.plan_status(b.id, actor)
        lang = await user_lang(context, actor)
        ref = plan_ref(status.batches if status else [b])
        await notify(context, actor, t(lang, "plan_refused_halted", ref=ref))
        return
    if done.kind != "done":
        await notify(context, actor, t(await user_lang(context, actor), "plan_gone"))
        return
    rows = await context.services.store.list_plan_batches(b.plan_key or "")
    for person in dict.fromkeys(p for p in (b.requester_id, b.approver_id) if p):
        lang = await user_lang(context, person)
        text = t(
            lang,
            "plan_cancel_done",
            ref=plan_ref(rows or [b]),
            cancelled=_listed(done.cancelled, lang),
            refused=_listed([n for n, _ in done.refused], lang),
            failed=_listed(done.failed, lang),
            unknown=_listed(done.unknown, lang),
            unposted=_listed(done.unposted, lang),
        )
        await notify(context, person, fit(text))


# ---------------------------------------------------------------- one batch's card


def batch_ref(lang: str, b: Broadcast, tz: tzinfo) -> str:
    """ "batch 2 of #1 (rows 11–20, <its own time>)"."""
    plan = b.snapshot.plan
    if plan is None or not 0 < b.batch_no <= len(plan.batches):
        return f"#{b.number}"
    batch = plan.batches[b.batch_no - 1]
    return t(
        lang,
        "batch_ref",
        no=num(batch.no, lang),
        ref=f"#{b.number}",
        first=num(batch.start, lang),
        last=num(batch.last, lang),
        when=format_jalali(b.send_at or batch.send_at, tz, lang),
    )


def batch_heading(lang: str, b: Broadcast, tz: tzinfo) -> str:
    """A first line naming the batch, for messages worded for a whole send; "" otherwise."""
    return batch_ref(lang, b, tz) + "\n" if b.plan_key is not None else ""


async def unit_markup(
    context: Context, lang: str, b: Broadcast, person: int, *, state: str, scheduled: bool
) -> InlineKeyboardMarkup | None:
    """A batch's own buttons (and its plan's); a single send's result buttons otherwise
    (``state`` and ``scheduled`` as :func:`handlers.keyboards.result` takes them)."""
    if b.plan_key is None:
        return kb.result(lang, b.id, state=state, scheduled=scheduled)
    status = await context.services.broadcasts.plan_status(b.id, person)
    return batch_markup(lang, b, status, datetime.now(UTC))


def batch_size_line(lang: str, b: Broadcast, money: dict | None) -> str:
    """The batch's own recipients and, when the submit-time price is known, its own cost."""
    plan = b.snapshot.plan
    if plan is None or not 0 < b.batch_no <= len(plan.batches):
        return ""
    size = plan.batches[b.batch_no - 1].size
    cost = ""
    high = (money or {}).get("cost_high")
    if high is not None and plan.rows:
        cost = t(lang, "batch_cost", cost=num(round(high * size / plan.rows), lang))
    return t(lang, "batch_size_line", n=num(size, lang), cost=cost)


def batch_markup(
    lang: str, b: Broadcast, plan_state: PlanOutcome | None, now: datetime
) -> InlineKeyboardMarkup | None:
    """A batch's own buttons (report, cancel this batch, check, not sent, retry), then
    the plan's (progress, continue, cancel the rest). Never "send again" or "save text":
    those belong to a whole broadcast."""
    rows: list[list[InlineKeyboardButton]] = []
    no = button_no(b.batch_no, lang)
    halted = plan_state is not None and plan_state.kind == "halted"
    if b.state == BroadcastState.SENT:
        rows.append([kb.btn(t(lang, "btn_report"), cb.REPORT.data(b.id))])
        when = b.send_at or _batch_time(b)
        if when is not None and when - now >= CANCEL_LEAD:
            rows.append([kb.btn(t(lang, "btn_batch_cancel", no=no), cb.CANCEL_SEND.data(b.id))])
    elif not halted:
        rows += _settle_buttons(lang, b)
    if plan_state is not None and plan_state.first_id is not None:
        first = plan_state.first_id
        rows.append([kb.btn(t(lang, "btn_plan_refresh"), cb.PLAN_CARD.data("v", first))])
        if plan_state.kind in ("stopped", "late") and not halted:
            rows.append([kb.btn(t(lang, "btn_plan_continue"), cb.PLAN_CARD.data("g", first))])
        rows += _cancel_rest_row(lang, plan_state, now)
    return kb.markup(rows) if rows else None


async def report_batch(context: Context, outcome: SendOutcome, *, only: int | None = None) -> None:
    """One batch's outcome (a retry, a check) told to both admins as a batch: its number,
    rows, own time and own cost, its own buttons and the plan's."""
    b = outcome.broadcast
    assert b is not None and b.plan_key is not None

    service = context.services.broadcasts
    tz = context.services.settings.tz
    now = datetime.now(UTC)
    request = await context.services.store.get_request(b.request_id) if b.request_id else None
    money = request.money if request else None
    people = [only] if only else [b.requester_id, b.approver_id]
    for person in dict.fromkeys(p for p in people if p):
        lang = await user_lang(context, person)
        status = await service.plan_status(b.id, person)
        ref = batch_ref(lang, b, tz)
        size = batch_size_line(lang, b, money)
        if outcome.shortfall is not None:  # the credit could not pay: the amounts
            reason = words.shortfall_text(lang, "credit_ran_out_reason", outcome.shortfall)
        elif outcome.error is not None:
            reason = words.explain(lang, outcome.error)
        else:
            reason = words.stored_error(lang, b.error)
        if b.state == BroadcastState.SENT:
            outbox = outbox_text(b.outbox_ids)
            text = t(lang, "batch_scheduled_ok", batch=ref, size=size, outbox=outbox)
        elif b.state == BroadcastState.UNKNOWN:
            text = t(lang, "batch_unknown", batch=ref, reason=reason, size=size)
        else:
            text = t(lang, "batch_failed", batch=ref, reason=reason, size=size)
        if status is not None and status.plan is not None:
            text += "\n\n" + progress_text(lang, status, now)
        await notify(context, person, fit(text), batch_markup(lang, b, status, now))
    await redraw_plan_cards(context, b.plan_key, b.id)  # the plan's cards tell it too


async def tell_batch_cancelled(context: Context, b: Broadcast, actor: int) -> None:
    """A batch cancelled from its own card: that batch named, the rest of the plan as it
    stands, and the plan's buttons (cancel the rest, continue)."""
    service = context.services.broadcasts
    tz = context.services.settings.tz
    now = datetime.now(UTC)
    for person in dict.fromkeys(p for p in (b.requester_id, b.approver_id) if p):
        lang = await user_lang(context, person)
        status = await service.plan_status(b.id, person)
        progress = progress_block(lang, status, tz, now) if status and status.plan else ""
        text = t(lang, "batch_cancel_ok", batch=batch_ref(lang, b, tz), progress=progress)
        await notify(context, person, fit(text), batch_markup(lang, b, status, now))
    await redraw_plan_cards(context, b.plan_key or "", b.id)
    _ = actor


def _batch_time(b: Broadcast) -> datetime | None:
    plan = b.snapshot.plan
    if plan is None or not 0 < b.batch_no <= len(plan.batches):
        return None
    return plan.batches[b.batch_no - 1].send_at


def history_line(context: Context, b: Broadcast, lang: str, rows: PlanRows | None) -> str | None:
    """/history: a plan is one line with its progress (shown at its first batch), from
    the plan's ``rows`` read with the page."""
    if b.plan_key is None or rows is None:
        return None
    service = context.services.broadcasts
    status = service.plan_status_from(b, b.requester_id, rows.record, rows.batches)
    if status is None or status.plan is None:
        return None
    tz = context.services.settings.tz
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
        progress=progress_text(lang, status, datetime.now(UTC)),
    )


_ = (Action, Plan)
