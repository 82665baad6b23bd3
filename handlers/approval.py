"""Approval: approve, reject (with a reason), withdraw, expiry. The review card's submit is
in :mod:`handlers.compose.submit`; the approver's card is drawn in :mod:`handlers.cards`;
what happens after a send (its outcome and the result buttons) is in :mod:`handlers.results`.

Each press is one service call; the service's compare-and-set decides, these
functions only tell everyone involved what happened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from asyncio import FIRST_COMPLETED
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.broadcasts import Decision, PlanOutcome, Stranded
from bot.domain import ApprovalRequest, Draft, RequestState, Snapshot
from bot.keylike import looks_like_key
from bot.render import books_list, num
from bot.texts import t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.cards import (
    REASON_MAX,
    close_cards,
    reason_line,
    tell_counted,
)
from handlers.common import (
    Context,
    answer,
    card_of,
    chat_id_of,
    edit,
    lang_of,
    notify,
    person_label,
    say,
    tr,
    user_id_of,
    user_lang,
)
from handlers.gate import refuse_key
from handlers.plans import report_plan
from handlers.results import report_outcome, tell_stranded
from handlers.session import RejectReason

log = logging.getLogger("handlers.approval")

POST_WAIT = 1.0  # seconds an approve press waits for its POST to leave before answering


# ---------------------------------------------------------------- books of a request


@cb.REQUEST_BOOKS.handles
async def request_books(update: Update, context: Context, request_id: int) -> None:
    """The button under a summarised book list of a request (its requester, its approvers)."""
    user_id = user_id_of(update)
    request = await context.services.store.get_request(request_id)
    if request and user_id in {request.requester_id, *context.services.settings.approvers}:
        await _books_list(update, context, request.snapshot, f"#{request.number}")
    else:
        await _books_list(update, context, None, "")


@cb.DRAFT_BOOKS.handles
async def draft_books(update: Update, context: Context, draft_id: int) -> None:
    """The same under a draft's review card, for its owner."""
    draft = await context.services.store.get_draft(draft_id)
    if draft and draft.owner_id == user_id_of(update):
        snapshot = draft.snapshot(context.services.settings.message_suffix)
        # drafts have no number of their own
        await _books_list(update, context, snapshot, tr(context, "draft_ref"))
    else:
        await _books_list(update, context, None, "")


async def _books_list(
    update: Update, context: Context, snapshot: Snapshot | None, ref: str
) -> None:
    """Every phonebook, in as few messages as fit."""
    if snapshot is None:
        await answer(update, tr(context, "books_list_gone"), alert=True)
        return
    await answer(update)
    for chunk in books_list(snapshot, lang_of(context), ref):
        await say(update, context, chunk)


async def void_pending_requests(
    update: Update, context: Context, draft: Draft, *, tell: bool = True
) -> list[int]:
    """Editing or discarding a draft voids its pending request; approvers are told.
    ``tell=False``: the caller tells the requester itself, in one message (a deletion)."""
    withdrawn = await context.services.store.withdraw_requests_for_draft(draft.id)
    return await tell_voided(update, context, withdrawn, tell=tell)


async def tell_voided(
    update: Update, context: Context, request_ids: list[int], *, tell: bool = True
) -> list[int]:
    """Requests a draft's edit has withdrawn: their approvers' cards are closed and (unless
    ``tell=False``) the requester is told; returns their numbers."""
    store = context.services.store
    voided = []
    for request_id in request_ids:
        request = await store.get_request(request_id)
        if request is None:
            continue
        voided.append(request.number)  # the number people know it by
        await close_cards(context, request, "decided_withdrawn")
        if tell:
            await say(update, context, tr(context, "request_invalidated", no=request.number))
    return voided


# ---------------------------------------------------------------- decisions


def refusal_text(context: Context, decision: Decision) -> str:
    """Why a decision changed nothing, in the presser's language."""
    if decision.kind == "approval_repeat":
        return tr(context, "approval_repeat", n=num(decision.missing, lang_of(context)))
    key = {
        "not_found": "decision_not_found",
        "not_allowed": "decision_not_allowed",
        "self_approval": "decision_self",
        "expired": "decision_expired",
        "tampered": "decision_tampered",
        "requester_removed": "decision_requester_removed",
    }.get(decision.kind, "decision_already")
    state = tr(context, f"state_{decision.state}") if decision.state else "—"
    return tr(context, key, state=state)


async def _refusal(update: Update, context: Context, decision: Decision, request_id: int) -> None:
    """A press that changed nothing: a short alert to the presser, and an audit row."""
    await answer(update, refusal_text(context, decision), alert=True)
    await context.services.store.audit(
        user_id_of(update), f"refused_{decision.kind}", f"request:{request_id}"
    )


@cb.APPROVE.handles
async def approve(update: Update, context: Context, request_id: int) -> None:
    """Approve and send: only the single winner of the compare-and-set sends."""
    service = context.services.broadcasts
    approver = user_id_of(update)
    decision = await service.approve(request_id, approver)
    if decision.kind == "approval_counted":
        lang = lang_of(context)
        got, needed = num(len(decision.approved_by), lang), num(decision.needed, lang)
        await answer(update, tr(context, "approval_counted_toast", got=got, needed=needed))
        await tell_counted(context, decision, approver)
        return
    if decision.kind != "approved":
        await _refusal(update, context, decision, request_id)
        if decision.kind == "expired" and decision.request:
            await tell_expired(context, decision.request)
        if decision.kind == "requester_removed" and decision.request:
            await close_cards(context, decision.request, "decided_voided")
        return
    request = decision.request
    assert request is not None
    # The POST first: answering the press and closing every approver's card are Bot API
    # calls (rate-limited, ~1.6 s for 49 approvers) whose work would run ahead of it on
    # this event loop, so they wait until the POST has left (or the send ended without
    # one). The POST may take seconds; it runs beside the update loop.
    left = asyncio.Event()
    sending = context.application.create_task(
        _send_and_report(context, decision, approver, left.set), update=update
    )
    await _until_left(left, sending)
    await answer(update)
    await close_cards(context, request, "decided_approved", who=approver)


async def _until_left(left: asyncio.Event, sending: asyncio.Future[None]) -> None:
    """Until the POST has been written, the send is over, or ``POST_WAIT`` passed (a
    connection that hangs must not keep the press unanswered)."""
    posted = asyncio.ensure_future(left.wait())
    watched: set[asyncio.Future[Any]] = {posted, sending}
    try:
        await asyncio.wait(watched, timeout=POST_WAIT, return_when=FIRST_COMPLETED)
    finally:
        posted.cancel()


async def _send_and_report(
    context: Context, decision: Decision, approver: int, on_wire: Callable[[], None]
) -> None:
    request = decision.request
    assert request is not None
    outcome = await context.services.broadcasts.send_decision(decision, on_wire)
    if isinstance(outcome, PlanOutcome):  # gradual sending: one card for the whole plan
        await report_plan(context, outcome, approver_id=approver, requester_id=request.requester_id)
        return
    if outcome.kind == "not_started":
        # approved, but the row could not be written: nothing went out; say so plainly
        # (the caller's copy predates the decision; the store may be failing, so no re-read)
        decided = dataclasses.replace(request, state=RequestState.APPROVED, decided_by=approver)
        await tell_stranded(context, Stranded(decided, voided=False))
        return
    await report_outcome(context, outcome, approver_id=approver, requester_id=request.requester_id)


@cb.REJECT.handles
async def reject(update: Update, context: Context, request_id: int) -> None:
    """Reject: ask for an optional reason (typed next, or a button for none)."""
    checked = await context.services.broadcasts.decidable(request_id, user_id_of(update))
    if isinstance(checked, Decision):
        await _refusal(update, context, checked, request_id)
        if checked.kind == "requester_removed" and checked.request:
            await close_cards(context, checked.request, "decided_voided")
        return
    request = checked
    await answer(update)
    context.user_data.awaiting = RejectReason(request.id)
    await say(
        update,
        context,
        tr(context, "reject_reason_ask", no=request.number),
        kb.reject_reason(lang_of(context), request.id),
    )


@cb.REJECT_NO_REASON.handles
async def reject_no_reason(update: Update, context: Context, request_id: int) -> None:
    if context.user_data.awaiting != RejectReason(request_id):
        await answer(update, tr(context, "stale_menu"), alert=True)
        return
    await answer(update)
    await _do_reject(update, context, request_id, None)


@cb.REJECT_KEEP.handles
async def reject_keep(update: Update, context: Context, request_id: int) -> None:
    """ "Never mind" on the reason prompt: says what is true now, which may be that the
    request was decided meanwhile (approved by someone else, withdrawn, expired)."""
    await answer(update)
    context.user_data.stop_awaiting(RejectReason)
    request = await context.services.store.get_request(request_id)
    if user_id_of(update) not in context.services.settings.approvers:
        request = None  # only approvers see requests
    card = card_of(update)
    if card:
        await edit(context, chat_id_of(update), card.message_id, kept_text(context, request))


def kept_text(context: Context, request: ApprovalRequest | None) -> str:
    if request is None:
        return tr(context, "decision_not_found")
    if request.state == RequestState.PENDING:
        return tr(context, "reject_kept", no=request.number)
    by = ""
    if request.decided_by is not None:
        by = tr(context, "by_who", who=person_label(context, request.decided_by))
    state = tr(context, f"state_{request.state}")
    return tr(context, "reject_kept_decided", no=request.number, state=state, by=by)


async def reason_typed(update: Update, context: Context) -> None:
    """Group -1: a text while a reject reason is awaited is that reason; other texts go on.
    A key-shaped text is never a reason (the gate refuses it first; this is the backstop)."""

    awaiting = context.user_data.awaiting
    message = update.message
    if not isinstance(awaiting, RejectReason) or message is None or not message.text:
        return
    if message.text.startswith("/"):
        return
    reason = message.text.strip()
    if looks_like_key(reason):
        await refuse_key(update, context)
    elif len(reason) > REASON_MAX:
        await say(
            update, context, tr(context, "reason_too_long", max=num(REASON_MAX, lang_of(context)))
        )
    else:
        await _do_reject(update, context, awaiting.request_id, reason)
    raise ApplicationHandlerStop


async def _do_reject(update: Update, context: Context, request_id: int, reason: str | None) -> None:
    context.user_data.stop_awaiting(RejectReason)
    approver = user_id_of(update)
    decision = await context.services.broadcasts.reject(request_id, approver, reason)
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
            no=request.number,
            who=person_label(context, approver),
            reason=reason_line(req_lang, reason),
        ),
    )


@cb.WITHDRAW.handles
async def withdraw(update: Update, context: Context, request_id: int) -> None:
    """The requester takes a pending request back."""
    decision = await context.services.broadcasts.withdraw(request_id, user_id_of(update))
    if decision.kind != "withdrawn" or decision.request is None:
        if decision.kind == "not_allowed":
            await answer(update, tr(context, "decision_not_requester"), alert=True)
        else:
            await _refusal(update, context, decision, request_id)
        return
    await answer(update)
    await close_cards(context, decision.request, "decided_withdrawn")
    message = card_of(update)
    if message:
        await edit(
            context,
            message.chat.id,
            message.message_id,
            tr(context, "request_withdrawn", no=decision.request.number),
            None,
        )


async def tell_expired(context: Context, request: ApprovalRequest) -> None:
    await close_cards(context, request, "decided_expired")
    lang = await user_lang(context, request.requester_id)
    await notify(context, request.requester_id, t(lang, "request_expired", no=request.number))
