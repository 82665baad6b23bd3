"""After a send: its outcome told to both admins, and the result buttons (retry, check
status, "checked the panel: not sent", start a stranded approval, delivery report,
cancel; send again and fix the draft open the conversation, :mod:`handlers.compose.reopen`).

Each press is one service call; the service decides.
"""

import logging
from datetime import UTC, datetime, tzinfo

from telegram import Update

from bot import provider_words as words
from bot.broadcasts import PlanOutcome, SendKind, SendOutcome, Stranded
from bot.domain import Broadcast
from bot.jalali import format_jalali
from bot.render import esc, ltr, operator_lines, outbox_text, when_text
from bot.texts import t
from handlers import callbacks as cb
from handlers import credit_watch
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    lang_of,
    notify,
    people_of,
    person_label,
    say,
    tr,
    user_id_of,
    user_lang,
)
from handlers.plans import ask_from_now, report_batch, report_plan, tell_batch_cancelled

log = logging.getLogger("handlers.results")

# a send the lifecycle refused: why, in words (nothing was sent)
REFUSAL_KEYS = {
    "halted": "plan_refused_halted",
    "approvals_lost": "send_refused_approvals_lost",
    "requester_removed": "send_refused_requester_removed",
}


# ---------------------------------------------------------------- outcomes


def scheduled_for(b: Broadcast) -> datetime | None:
    """When a scheduled broadcast goes out; None for a send made at once."""
    return b.snapshot.send_time


def outcome_message(lang: str, outcome: SendOutcome, tz: tzinfo) -> str:
    """One send's outcome in plain words, with what to do next. A scheduled send that
    IPPanel accepted is told as scheduled, not as done: nothing has gone out yet."""
    b = outcome.broadcast
    no = b.number if b else "?"
    reason = words.explain(lang, outcome.error) if outcome.error else "—"
    if outcome.shortfall is not None:  # the credit could not pay: say the amounts
        reason = words.shortfall_text(lang, "credit_ran_out_reason", outcome.shortfall)
    if outcome.kind == "sent" and b:
        outbox = outbox_text(b.outbox_ids)
        send_at = scheduled_for(b)
        if send_at is not None:
            when = when_text(send_at, tz, lang)  # with the Gregorian day, as on the cards
            return t(lang, "scheduled_ok", no=no, when=when, outbox=outbox)
        return t(lang, "sent_ok", no=no, outbox=outbox, when=t(lang, "sent_immediate"))
    if outcome.kind == "unknown":
        return t(lang, "send_unknown", no=no, reason=reason) + (
            unknown_howto(lang, b, tz) if b else ""
        )
    if outcome.kind == "duplicate":
        return t(lang, "send_duplicate")
    if outcome.kind == "no_key":
        return t(lang, "send_failed_no_key", no=no)
    if outcome.needs_new_key:
        return t(lang, "send_failed_auth", no=no)
    if outcome.fix_step is not None:
        step = t(lang, f"step_{outcome.fix_step}")
        return t(lang, "send_failed_invalid", no=no, reason=reason, step=step)
    if outcome.retryable:
        return t(lang, "send_failed_network", no=no)
    return t(lang, "send_failed_other", no=no, reason=reason)


async def report_outcome(
    context: Context, outcome: SendOutcome, *, approver_id: int | None, requester_id: int
) -> None:
    """Tell the requester and the approver; a fixable refusal returns the draft for editing."""
    b = outcome.broadcast
    settings = context.services.settings
    credit_watch.after_send(context, b)  # team rules: check the sender's credit soon
    if b is not None and b.plan_key is not None:  # one batch of a plan: a batch's card
        await report_batch(context, outcome)
        return
    if b is None:
        # nothing was sent now: a repeated press, or a draft that is not ready
        key = "send_duplicate" if outcome.kind == "duplicate" else "send_not_started"
        for person in people_of(requester_id, approver_id):
            await notify(context, person, t(await user_lang(context, person), key))
        return
    draft_id = b.snapshot.draft_id
    fix = (draft_id, str(outcome.fix_step)) if outcome.fix_step and draft_id else None
    if outcome.kind in ("sent", "unknown") and draft_id:
        # the draft has done its work; "send again" makes a fresh one
        await context.services.store.delete_draft(draft_id, b.requester_id)
    people = [b.requester_id] + (
        [approver_id] if approver_id and approver_id != b.requester_id else []
    )
    for person in people:
        lang = await user_lang(context, person)
        markup = kb.result(
            lang,
            b.id,
            state=str(b.state),
            scheduled=b.snapshot.send_at is not None,
            retryable=outcome.retryable or outcome.needs_new_key,
            fix=fix if person == b.requester_id else None,
        )
        await notify(context, person, outcome_message(lang, outcome, settings.tz), markup)


# ---------------------------------------------------------------- result buttons


async def mine(update: Update, context: Context, broadcast_id: int) -> Broadcast | None:
    b = await context.services.store.get_broadcast(broadcast_id) if broadcast_id else None
    uid = user_id_of(update)
    if b is None or uid not in (b.requester_id, b.approver_id):
        await answer(update, tr(context, "not_yours"), alert=True)
        return None
    return b


@cb.RETRY.handles
async def retry(update: Update, context: Context, broadcast_id: int) -> None:
    """Retry a send that certainly did not go out; no new approval needed."""
    b = await mine(update, context, broadcast_id)
    if b is None:
        return
    await answer(update)
    outcome = await context.services.broadcasts.retry(b.id, user_id_of(update))
    if outcome.kind in REFUSAL_KEYS:
        ref = f"#{b.number}"
        await say(update, context, tr(context, REFUSAL_KEYS[outcome.kind], ref=ref))
        return
    if outcome.kind == "too_late" and b.plan_key is not None:
        # a refused batch whose time has passed goes only at a new time, shown first
        await ask_from_now(update, context, b)
        return
    if outcome.kind in ("refused", "duplicate", "not_allowed", "not_found", "too_late"):
        await say(update, context, tr(context, "retry_refused"))
        return
    await report_outcome(context, outcome, approver_id=b.approver_id, requester_id=b.requester_id)


@cb.CHECK_STATUS.handles
async def check_status(update: Update, context: Context, broadcast_id: int) -> None:
    """Ask the provider whether an unknown send went out; never sends."""
    b = await mine(update, context, broadcast_id)
    if b is None:
        return
    await answer(update)
    result = await context.services.broadcasts.reconcile(b.id)
    await tell_reconciled(context, result.kind, result.broadcast or b, only=user_id_of(update))


# what a reconcile found, as the outcome a batch's card reports
_SETTLED: dict[str, SendKind] = {"sent": "sent", "not_sent": "failed"}


async def tell_reconciled(
    context: Context, kind: str, b: Broadcast, only: int | None = None
) -> None:
    if b.plan_key is not None:  # one batch of a plan: a batch's card
        settled: SendKind = _SETTLED.get(kind, "unknown")
        await report_batch(context, SendOutcome(settled, b), only=only)
        return
    key = {"sent": "reconciled_sent", "not_sent": "reconciled_not_sent"}.get(
        kind, "reconciled_unknown"
    )
    people = [only] if only else [p for p in {b.requester_id, b.approver_id} if p]
    tz = context.services.settings.tz
    for person in people:
        lang = await user_lang(context, person)
        markup = kb.result(
            lang,
            b.id,
            state=str(b.state),
            scheduled=b.snapshot.send_at is not None,
            retryable=kind == "not_sent",
        )
        send_at = scheduled_for(b)
        if key == "reconciled_sent" and send_at is not None and send_at > datetime.now(UTC):
            key = "reconciled_scheduled"  # accepted, but nothing has gone out yet
        when = when_text(send_at, tz, lang) if send_at else ""  # with the Gregorian day
        text = t(lang, key, no=b.number, outbox=outbox_text(b.outbox_ids), when=when)
        if b.state == "unknown":
            text += unknown_howto(lang, b, tz)
        await notify(context, person, text, markup)


def unknown_howto(lang: str, b: Broadcast, tz: tzinfo) -> str:
    """How a person checks an unknown send in the IPPanel panel's outbox."""
    return t(
        lang,
        "unknown_howto",
        sender=ltr(str(b.snapshot.sender or "—")),
        when=format_jalali(b.created_at, tz, lang),
    )


# -------------------------------------------------- approved but never started


async def tell_stranded(context: Context, stranded: Stranded) -> None:
    """Tell both admins that an approved request never started: nothing was sent."""
    request = stranded.request
    people = [request.decided_by] if stranded.voided else [request.requester_id, request.decided_by]
    for person in dict.fromkeys(p for p in people if p):
        lang = await user_lang(context, person)
        if stranded.voided:
            await notify(context, person, t(lang, "stranded_voided", no=request.number))
        else:
            text = t(lang, "stranded", no=request.number)
            await notify(context, person, text, kb.stranded(lang, request.id))


@cb.START_STRANDED.handles
async def start_stranded(update: Update, context: Context, request_id: int) -> None:
    """One tap sends an approved request that never started, through the single-winner path."""
    await answer(update)
    service = context.services.broadcasts
    outcome = await service.start_stranded(request_id, user_id_of(update))
    if isinstance(outcome, PlanOutcome):  # gradual sending
        if outcome.kind in ("refused", "late") and not outcome.batches:  # nothing posted
            request = await context.services.store.get_request(request_id)
            ref = f"#{request.number}" if request else f"#{request_id}"
            key = (
                "stranded_plan_late" if outcome.kind == "late" else "send_refused_requester_removed"
            )
            key = REFUSAL_KEYS.get(outcome.reason, key)
            await say(update, context, tr(context, key, ref=ref))
            return

        request = await context.services.store.get_request(request_id)
        requester = request.requester_id if request else user_id_of(update)
        approver = request.decided_by if request else None
        await report_plan(context, outcome, approver_id=approver, requester_id=requester)
        return
    if outcome.kind == "duplicate":
        await say(update, context, tr(context, "send_duplicate"))
        return
    if outcome.kind == "too_late":  # its time passed while it waited: never sent "now"
        request = await context.services.store.get_request(request_id)
        ref = f"#{request.number}" if request else f"#{request_id}"
        await say(update, context, tr(context, "stranded_too_late", ref=ref))
        return
    if outcome.kind in REFUSAL_KEYS:
        ref = f"#{request_id}"
        request = await context.services.store.get_request(request_id)
        ref = f"#{request.number}" if request else ref
        await say(update, context, tr(context, REFUSAL_KEYS[outcome.kind], ref=ref))
        return
    request = await context.services.store.get_request(request_id)
    if outcome.kind == "not_started" and request is not None:
        await tell_stranded(context, Stranded(request, voided=False))
        return
    if outcome.broadcast is None or request is None:
        await say(update, context, tr(context, "stranded_refused", reason=esc(outcome.kind)))
        return
    await report_outcome(
        context,
        outcome,
        approver_id=outcome.broadcast.approver_id,
        requester_id=request.requester_id,
    )


@cb.REPORT.handles
async def delivery_report(update: Update, context: Context, broadcast_id: int) -> None:
    b = await mine(update, context, broadcast_id)
    if b is None:
        return
    await answer(update)
    report = await context.services.broadcasts.delivery_report(b.id, user_id_of(update))
    if report.kind != "ok":
        lang = lang_of(context)
        reason = (
            words.explain(lang, report.error) if report.error else tr(context, f"state_{b.state}")
        )
        await say(update, context, tr(context, "report_unavailable", reason=reason))
        return
    status = ", ".join(
        ltr(r.status or r.state or "") for r in report.reports if (r.status or r.state)
    )
    lines = operator_lines(lang_of(context), report.operators)
    await say(update, context, tr(context, "report", no=b.number, state=status, table=lines))


@cb.CANCEL_SEND.handles
async def cancel_send(update: Update, context: Context, broadcast_id: int) -> None:
    """Cancel a scheduled send. The other admin is told; a later press on anyone's card
    says who cancelled it, not that it "cannot be cancelled"."""
    b = await mine(update, context, broadcast_id)
    if b is None:
        return
    await answer(update)
    actor = user_id_of(update)
    result = await context.services.broadcasts.cancel(b.id, actor)
    fresh = result.broadcast or b
    no = b.number
    if result.kind == "cancelled" and fresh.plan_key is not None:
        await tell_batch_cancelled(context, fresh, actor)  # that batch, and the rest
    elif result.kind == "cancelled":
        await say(update, context, tr(context, "cancel_ok", no=no))
        await tell_cancelled(context, fresh, actor)
    elif result.kind == "not_cancellable" and fresh.state == "cancelled":
        entry = await context.services.store.last_audit(f"broadcast:{b.id}", "cancelled")
        by = ""
        if entry is not None and entry.actor_id is not None:
            by = tr(context, "by_who", who=person_label(context, entry.actor_id))
        await say(update, context, tr(context, "cancel_already", no=no, by=by))
    elif result.kind == "not_cancellable":
        state = tr(context, f"state_{fresh.state}")
        await say(update, context, tr(context, "cancel_nothing", no=no, state=state))
    elif result.kind == "not_scheduled":
        await say(update, context, tr(context, "cancel_not_scheduled", no=no))
    elif result.kind == "too_late":
        await say(update, context, tr(context, "cancel_too_late", no=no))
    elif result.kind == "gone":
        await say(update, context, tr(context, "cancel_not_cancellable", no=no))
    elif result.kind == "no_key":
        await say(update, context, tr(context, "cancel_refused", reason=tr(context, "key_missing")))
    else:
        # the provider's refusal in the words every provider error uses, in the reader's language
        lang = lang_of(context)
        reason = words.explain(lang, result.error) if result.error else esc(result.kind)
        await say(update, context, tr(context, "cancel_refused", reason=reason))


async def tell_cancelled(context: Context, b: Broadcast, actor: int) -> None:
    """The other admin of a broadcast learns that it was cancelled, and by whom."""
    send_at = scheduled_for(b)
    tz = context.services.settings.tz
    for person in [p for p in dict.fromkeys((b.requester_id, b.approver_id)) if p]:
        if person == actor:
            continue
        lang = await user_lang(context, person)
        when = when_text(send_at, tz, lang) if send_at else "—"
        who = person_label(context, actor)
        await notify(
            context, person, t(lang, "cancelled_by_other", no=b.number, when=when, who=who)
        )
