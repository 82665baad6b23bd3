"""Approval buttons and everything after: submit, approve, reject, withdraw,
and the result buttons (report, cancel, retry, check status, send again, fix).

Each press is one service call; the service's compare-and-set decides, these
functions only tell everyone involved what happened.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.broadcasts import Decision, SendOutcome
from bot.domain import ApprovalRequest, Broadcast, Draft, PhonebookSelection, Step
from bot.jalali import format_jalali
from bot.render import esc, fit, num, outbox_text, snapshot_card
from bot.texts import t
from handlers import credit_watch
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    edit,
    lang_of,
    notify,
    say,
    services,
    tr,
    user_lang,
)

log = logging.getLogger("handlers.approval")


def _who(context: Context, user_id: int | None) -> str:
    if user_id is None:
        return "—"
    chat = context.application.user_data.get(user_id, {}).get("name")
    return f"{esc(chat)} ({user_id})" if chat else str(user_id)


# ---------------------------------------------------------------- submit


async def submit(update: Update, context: Context, draft: Draft) -> int:
    """Review card's submit: ask the other approvers, or send at once when approvals are off."""
    from handlers.compose import END, STEP_STATE, goto

    service = services(context).broadcasts
    result = await service.submit(draft, update.effective_user.id)
    context.user_data["menu"] = None
    if result.kind == "incomplete":
        step = result.missing_step or Step.REVIEW
        await say(
            update, context, tr(context, "draft_incomplete", step=tr(context, f"step_{step}"))
        )
        await goto(update, context, step)
        return STEP_STATE.get(step, END)
    if result.kind == "no_approver":
        await say(update, context, tr(context, "no_approver"))
        return END
    if result.kind == "direct":
        await say(update, context, tr(context, "sending_now", id=f"#{draft.id}"))
        outcome = await service.send_direct(draft, update.effective_user.id)
        await report_outcome(
            context, outcome, approver_id=None, requester_id=update.effective_user.id
        )
        return END
    request = result.request
    assert request is not None
    reached = await notify_approvers(context, request, result.approvers)
    lang = lang_of(context)
    if reached:
        text = tr(context, "waiting_approval", id=request.id, n=num(reached, lang))
    else:
        text = tr(context, "approvers_unreachable", id=request.id)
    await say(update, context, text, kb.withdraw(lang, request.id))
    return END


def approval_card(context: Context, request: ApprovalRequest, lang: str) -> str:
    """What an approver sees: who asks, the full review card of the snapshot, the deadline."""
    tz = services(context).settings.tz
    return fit(
        t(
            lang,
            "approval_card",
            id=request.id,
            requester=_who(context, request.requester_id),
            card=snapshot_card(request.snapshot, lang, tz),
            expires=format_jalali(request.expires_at, tz, lang),
        )
    )


async def notify_approvers(context: Context, request: ApprovalRequest, approvers: list[int]) -> int:
    """Send each approver the full card; a blocked bot skips that one. Returns how many got it."""
    reached = 0
    for approver in approvers:
        lang = await user_lang(context, approver)
        text = approval_card(context, request, lang)
        message = await notify(context, approver, text, kb.approval(lang, request.id))
        if message is not None:
            reached += 1
            await services(context).store.add_request_message(
                request.id, approver, message.message_id
            )
    return reached


def reason_line(lang: str, reason: str | None) -> str:
    return t(lang, "reason_line", reason=esc(reason)) if reason else ""


async def close_cards(
    context: Context,
    request: ApprovalRequest,
    status_key: str,
    *,
    who: int | None = None,
    reason: str | None = None,
) -> None:
    """Edit every approver's copy of the card to say how it was decided; no buttons.
    Time and reason are written in each approver's own language."""
    tz = services(context).settings.tz
    now = datetime.now(UTC)
    for chat_id, message_id in await services(context).store.list_request_messages(request.id):
        lang = await user_lang(context, chat_id)
        status = t(
            lang,
            status_key,
            who=_who(context, who),
            when=format_jalali(now, tz, lang),
            reason=reason_line(lang, reason),
        )
        card = approval_card(context, request, lang)
        await edit(context, chat_id, message_id, fit(f"{status}\n\n{card}"), None)


async def void_pending_requests(update: Update, context: Context, draft: Draft) -> None:
    """Editing or discarding a draft voids its pending request; approvers are told."""
    store = services(context).store
    for request_id in await store.withdraw_requests_for_draft(draft.id):
        request = await store.get_request(request_id)
        if request is None:
            continue
        await close_cards(context, request, "decided_withdrawn")
        await say(update, context, tr(context, "request_invalidated", id=request_id))


# ---------------------------------------------------------------- decisions


def _pressed_id(update: Update) -> int | None:
    """The numeric id after the prefix of the pressed button (``ap:12`` → 12), if well formed."""
    _, _, raw = update.callback_query.data.partition(":")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


async def _pressed_id_or_stale(update: Update, context: Context) -> int | None:
    """The pressed id; a malformed (forged) one is answered "out of date"."""
    pressed = _pressed_id(update)
    if pressed is None:
        await answer(update, tr(context, "stale_menu"), alert=True)
    return pressed


def refusal_text(context: Context, decision: Decision) -> str:
    """Why a decision changed nothing, in the presser's language."""
    key = {
        "not_found": "decision_not_found",
        "not_allowed": "decision_not_allowed",
        "self_approval": "decision_self",
        "expired": "decision_expired",
        "tampered": "decision_tampered",
    }.get(decision.kind, "decision_already")
    state = tr(context, f"state_{decision.state}") if decision.state else "—"
    return tr(context, key, state=state)


async def _refusal(update: Update, context: Context, decision: Decision) -> None:
    """A press that changed nothing: a short alert to the presser, and an audit row."""
    await answer(update, refusal_text(context, decision), alert=True)
    await services(context).store.audit(
        update.effective_user.id, f"refused_{decision.kind}", f"request:{_pressed_id(update)}"
    )


async def approve(update: Update, context: Context) -> None:
    """Approve and send: only the single winner of the compare-and-set sends."""
    request_id = await _pressed_id_or_stale(update, context)
    if request_id is None:
        return
    service = services(context).broadcasts
    approver = update.effective_user.id
    decision = await service.approve(request_id, approver)
    if decision.kind != "approved":
        await _refusal(update, context, decision)
        if decision.kind == "expired" and decision.request:
            await tell_expired(context, decision.request)
        return
    request = decision.request
    assert request is not None
    # Start the POST first: answering the press and closing every approver's card are
    # rate-limited Bot API calls (~1.6 s for 49 approvers) and must not delay the send.
    # The POST may take seconds; it runs beside the update loop so others are not blocked.
    context.application.create_task(_send_and_report(context, request, approver), update=update)
    await answer(update)
    await close_cards(context, request, "decided_approved", who=approver)


async def _send_and_report(context: Context, request: ApprovalRequest, approver: int) -> None:
    outcome = await services(context).broadcasts.send_approved(request, approver)
    await report_outcome(context, outcome, approver_id=approver, requester_id=request.requester_id)


async def reject(update: Update, context: Context) -> None:
    """Reject: ask for an optional reason (typed next, or a button for none)."""
    request_id = await _pressed_id_or_stale(update, context)
    if request_id is None:
        return
    checked = await services(context).broadcasts.decidable(request_id, update.effective_user.id)
    if isinstance(checked, Decision):
        await _refusal(update, context, checked)
        return
    request = checked
    await answer(update)
    context.user_data["reject_for"] = request.id
    await say(
        update,
        context,
        tr(context, "reject_reason_ask", id=request.id),
        kb.reject_reason(lang_of(context), request.id),
    )


async def reject_no_reason(update: Update, context: Context) -> None:
    request_id = _pressed_id(update)
    if request_id is None or context.user_data.get("reject_for") != request_id:
        await answer(update, tr(context, "stale_menu"), alert=True)
        return
    await answer(update)
    await _do_reject(update, context, request_id, None)


async def reject_keep(update: Update, context: Context) -> None:
    await answer(update)
    context.user_data.pop("reject_for", None)
    if update.callback_query.message:
        message_id = update.callback_query.message.message_id
        text = tr(context, "reject_kept")
        await edit(context, update.effective_chat.id, message_id, text, None)


async def reason_typed(update: Update, context: Context) -> None:
    """Group -1: a text while a reject reason is awaited is that reason; other texts go on."""
    request_id = context.user_data.get("reject_for")
    message = update.message
    if request_id is None or message is None or not message.text or message.text.startswith("/"):
        return
    await _do_reject(update, context, request_id, message.text.strip()[:500])
    raise ApplicationHandlerStop


async def _do_reject(update: Update, context: Context, request_id: int, reason: str | None) -> None:
    context.user_data.pop("reject_for", None)
    approver = update.effective_user.id
    decision = await services(context).broadcasts.reject(request_id, approver, reason)
    if decision.kind != "rejected" or decision.request is None:
        await say(update, context, refusal_text(context, decision))
        return
    request = decision.request
    await close_cards(context, request, "decided_rejected", who=approver, reason=reason)
    req_lang = await user_lang(context, request.requester_id)
    await notify(
        context,
        request.requester_id,
        t(
            req_lang,
            "request_rejected",
            id=request.id,
            who=_who(context, approver),
            reason=reason_line(req_lang, reason),
        ),
    )


async def withdraw(update: Update, context: Context) -> None:
    """The requester takes a pending request back."""
    request_id = await _pressed_id_or_stale(update, context)
    if request_id is None:
        return
    decision = await services(context).broadcasts.withdraw(request_id, update.effective_user.id)
    if decision.kind != "withdrawn" or decision.request is None:
        if decision.kind == "not_allowed":
            await answer(update, tr(context, "decision_not_requester"), alert=True)
        else:
            await _refusal(update, context, decision)
        return
    await answer(update)
    await close_cards(context, decision.request, "decided_withdrawn")
    message = update.callback_query.message
    if message:
        await edit(
            context,
            message.chat.id,
            message.message_id,
            tr(context, "request_withdrawn", id=request_id),
            None,
        )


async def tell_expired(context: Context, request: ApprovalRequest) -> None:
    await close_cards(context, request, "decided_expired")
    lang = await user_lang(context, request.requester_id)
    await notify(context, request.requester_id, t(lang, "request_expired", id=request.id))


# ---------------------------------------------------------------- outcomes


def outcome_message(lang: str, outcome: SendOutcome, tz) -> str:
    """One send's outcome in plain words, with what to do next."""
    b = outcome.broadcast
    bid = b.id if b else "?"
    reason = esc(outcome.error.message) if outcome.error else "—"
    if outcome.kind == "sent" and b:
        send_at = b.snapshot.get("send_at")
        when = (
            t(lang, "sent_scheduled", when=format_jalali(datetime.fromisoformat(send_at), tz, lang))
            if send_at
            else t(lang, "sent_immediate")
        )
        return t(lang, "sent_ok", bid=bid, outbox=outbox_text(b.outbox_ids), when=when)
    if outcome.kind == "unknown":
        return t(lang, "send_unknown", bid=bid, reason=reason)
    if outcome.kind == "duplicate":
        return t(lang, "send_duplicate")
    if outcome.kind == "no_key":
        return t(lang, "send_failed_no_key", bid=bid)
    if outcome.needs_new_key:
        return t(lang, "send_failed_auth", bid=bid)
    if outcome.fix_step is not None:
        step = t(lang, f"step_{outcome.fix_step}")
        details = "; ".join(
            m for msgs in getattr(outcome.error, "errors", {}).values() for m in msgs
        )
        return t(lang, "send_failed_invalid", bid=bid, reason=esc(details or reason), step=step)
    if outcome.retryable:
        return t(lang, "send_failed_network", bid=bid)
    return t(lang, "send_failed_other", bid=bid, reason=reason)


async def report_outcome(
    context: Context, outcome: SendOutcome, *, approver_id: int | None, requester_id: int
) -> None:
    """Tell the requester and the approver; a fixable refusal returns the draft for editing."""
    b = outcome.broadcast
    settings = services(context).settings
    credit_watch.after_send(context, b)  # team rules: check the sender's credit soon
    if b is None:
        # nothing was sent now: a repeated press, or a draft that is not ready
        key = "send_duplicate" if outcome.kind == "duplicate" else "send_not_started"
        for person in {requester_id, approver_id} - {None}:
            await notify(context, person, t(await user_lang(context, person), key))
        return
    draft_id = b.snapshot.get("draft_id")
    fix = (draft_id, str(outcome.fix_step)) if outcome.fix_step and draft_id else None
    if outcome.kind in ("sent", "unknown") and draft_id:
        # the draft has done its work; "send again" makes a fresh one
        await services(context).store.delete_draft(draft_id, b.requester_id)
    people = [b.requester_id] + (
        [approver_id] if approver_id and approver_id != b.requester_id else []
    )
    for person in people:
        lang = await user_lang(context, person)
        markup = kb.result(
            lang,
            b.id,
            state=str(b.state),
            scheduled=bool(b.snapshot.get("send_at")),
            retryable=outcome.retryable or outcome.needs_new_key,
            fix=fix if person == b.requester_id else None,
        )
        await notify(context, person, outcome_message(lang, outcome, settings.tz), markup)


# ---------------------------------------------------------------- result buttons


async def _mine(update: Update, context: Context) -> Broadcast | None:
    bid = _pressed_id(update)
    b = await services(context).store.get_broadcast(bid) if bid else None
    uid = update.effective_user.id
    if b is None or uid not in (b.requester_id, b.approver_id):
        await answer(update, tr(context, "not_yours"), alert=True)
        return None
    return b


async def retry(update: Update, context: Context) -> None:
    """Retry a send that certainly did not go out; no new approval needed."""
    b = await _mine(update, context)
    if b is None:
        return
    await answer(update)
    outcome = await services(context).broadcasts.retry(b.id, update.effective_user.id)
    if outcome.kind in ("refused", "duplicate", "not_allowed", "not_found", "too_late"):
        await say(update, context, tr(context, "retry_refused"))
        return
    await report_outcome(context, outcome, approver_id=b.approver_id, requester_id=b.requester_id)


async def check_status(update: Update, context: Context) -> None:
    """Ask the provider whether an unknown send went out; never sends."""
    b = await _mine(update, context)
    if b is None:
        return
    await answer(update)
    result = await services(context).broadcasts.reconcile(b.id)
    await tell_reconciled(
        context, result.kind, result.broadcast or b, only=update.effective_user.id
    )


async def tell_reconciled(
    context: Context, kind: str, b: Broadcast, only: int | None = None
) -> None:
    key = {"sent": "reconciled_sent", "not_sent": "reconciled_not_sent"}.get(
        kind, "reconciled_unknown"
    )
    people = [only] if only else [p for p in {b.requester_id, b.approver_id} if p]
    for person in people:
        lang = await user_lang(context, person)
        markup = kb.result(
            lang,
            b.id,
            state=str(b.state),
            scheduled=bool(b.snapshot.get("send_at")),
            retryable=kind == "not_sent",
        )
        await notify(
            context, person, t(lang, key, bid=b.id, outbox=outbox_text(b.outbox_ids)), markup
        )


async def delivery_report(update: Update, context: Context) -> None:
    b = await _mine(update, context)
    if b is None:
        return
    await answer(update)
    report = await services(context).broadcasts.delivery_report(b.id, update.effective_user.id)
    if report.kind != "ok":
        reason = esc(report.error.message) if report.error else tr(context, f"state_{b.state}")
        await say(update, context, tr(context, "report_unavailable", reason=reason))
        return
    lines = [tr(context, "report_header")]
    for op, s in sorted(report.operators.items()):
        lines.append(f"{op[:10]:<10} {s.sent:>6} {s.delivered:>6} {s.failed:>7} {s.pending:>7}")
    status = ", ".join(
        esc(r.status or r.state or "") for r in report.reports if (r.status or r.state)
    )
    await say(
        update, context, tr(context, "report", bid=b.id, state=status, table=esc("\n".join(lines)))
    )


async def cancel_send(update: Update, context: Context) -> None:
    b = await _mine(update, context)
    if b is None:
        return
    await answer(update)
    result = await services(context).broadcasts.cancel(b.id, update.effective_user.id)
    if result.kind == "cancelled":
        await say(
            update, context, tr(context, "cancel_ok", bid=b.id, reason=esc(result.message or ""))
        )
    elif result.kind in ("too_late", "not_scheduled", "not_cancellable"):
        await say(update, context, tr(context, "cancel_too_late"))
    else:
        await say(
            update,
            context,
            tr(context, "cancel_refused", reason=esc(result.message or result.kind)),
        )


async def send_again(update: Update, context: Context) -> int:
    """A new draft copied from a broadcast; it needs its own approval."""
    from handlers.compose import END, open_existing

    b = await _mine(update, context)
    if b is None:
        return END
    await answer(update)
    snap = b.snapshot
    suffix = services(context).settings.message_suffix.strip()
    text = snap["message"]
    if suffix and text.endswith("\n" + suffix):
        text = text[: -len(suffix) - 1]
    draft = await services(context).store.create_draft(
        update.effective_user.id,
        sender=snap.get("sender"),
        sender_label=snap.get("sender_label"),
        selections=[PhonebookSelection.from_dict(s) for s in snap["selections"]],
        text=text,
        step=Step.TIME,
    )
    await say(update, context, tr(context, "again_ready", id=draft.id, bid=b.id))
    return await open_existing(update, context, draft, Step.TIME)


async def fix_draft(update: Update, context: Context) -> int:
    """The edit button under a refused send: reopen the draft at the step to fix."""
    from handlers.compose import END, open_existing, stale

    _, draft_id, step = [*update.callback_query.data.split(":"), "", ""][:3]
    store = services(context).store
    draft = await store.get_draft(int(draft_id)) if draft_id.isdigit() else None
    if draft is None or draft.owner_id != update.effective_user.id or step not in set(Step):
        await stale(update, context)
        return END
    await answer(update)
    return await open_existing(update, context, draft, Step(step))
