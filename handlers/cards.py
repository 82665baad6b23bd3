"""The approver's card: render it, send it to every approver, redraw it after a partial
approval, and close it once the request is decided (in each approver's own language).

Card edits of one request run under :func:`handlers.tally.card_lock` and re-read the
request there, so a slow redraw never puts buttons back on a card already closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.broadcasts import Decision, MoneyCheck
from bot.domain import ApprovalRequest, RequestState
from bot.jalali import format_jalali
from bot.render import (
    TELEGRAM_LIMIT,
    Card,
    build_card,
    esc,
    fit,
    message_text,
    num,
    visible_len,
)
from bot.texts import t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    edit,
    notify,
    person_label,
    user_lang,
)
from handlers.guards import request_guards
from handlers.tally import (
    PROGRESS_ROOM,
    card_lock,
    counted,
    money_of,
    names,
    progress_lines,
)

REASON_MAX = 500  # visible characters of a typed reject reason
STATUS_ROOM = REASON_MAX + 300  # a decision line: who (name ≤ 64), when, the reason


def approval_card(
    context: Context,
    request: ApprovalRequest,
    lang: str,
    money: MoneyCheck | None = None,
    status: str = "",
    guards: str = "",
) -> Card:
    """What an approver sees: who asks, the full review card of the snapshot, the deadline,
    and (when deciding) the estimated cost against the current credit.

    The snapshot card gets whatever room the frame (and a decision ``status``) leaves, so
    only the book list and titles are ever shortened, never the exact text. A request that
    needs several approvals also shows how many it has, from whom, and under which rule.
    ``guards`` are the campaign guardrails' lines (:mod:`handlers.guards`)."""
    tz = context.services.settings.tz
    progress = progress_lines(context, request, lang)

    def frame(card: str, progress: str = progress) -> str:
        text = t(
            lang,
            "approval_card",
            no=request.number,
            requester=person_label(context, request.requester_id),
            card=card + progress,
            expires=format_jalali(request.expires_at, tz, lang),
        )
        return f"{status}\n\n{text}" if status else text

    # the room for a decision status (and for the approvals so far) is kept from the start,
    # so closing or redrawing a card never changes how it was shortened (a card never loses
    # a text it showed)
    room = STATUS_ROOM + (PROGRESS_ROOM if request.approvals_needed > 1 else 0)
    budget = TELEGRAM_LIMIT - visible_len(frame("", "")) - room
    money_text = money_line(lang, money)
    card = build_card(
        request.snapshot, lang, tz, budget=budget, header=False, money=money_text, guards=guards
    )
    return Card(fit(frame(card.text)), card.books_summarized, card.message_apart)


def card_markup(
    lang: str, request: ApprovalRequest, card: Card, *, pending: bool, can_approve: bool = True
) -> InlineKeyboardMarkup | None:
    """Approve/reject while pending (reject only for one who approved already), plus the
    book list button when the list was summarised."""
    buttons = kb.approval(lang, request.id, can_approve=can_approve)
    rows: list[Sequence[InlineKeyboardButton]] = list(buttons.inline_keyboard) if pending else []
    if card.books_summarized:
        rows.append([kb.btn(t(lang, "btn_books_list"), cb.REQUEST_BOOKS.data(request.id))])
    return kb.markup(rows) if rows else None


def money_line(lang: str, money: MoneyCheck | None) -> str:
    """Cost estimate and credit as of submit time; "unknown" where the provider did not say
    (without a unit: "unknown rials" says nothing)."""
    if money is None:
        return ""
    unknown = t(lang, "card_money_unknown")
    if money.cost_low is None or money.cost_high is None:
        cost = unknown
    elif money.cost_low == money.cost_high:
        cost = t(lang, "amount_rials", n=num(money.cost_high, lang))
    else:
        span = f"{num(money.cost_low, lang)}–{num(money.cost_high, lang)}"
        cost = t(lang, "amount_rials", n=span)
    credit = unknown if money.credit is None else t(lang, "amount_rials", n=num(money.credit, lang))
    line = t(lang, "card_money", cost=cost, credit=credit)
    return line + (t(lang, "card_money_short") if money.maybe_short else "")


async def notify_approvers(
    context: Context,
    request: ApprovalRequest,
    approvers: list[int],
    money: MoneyCheck | None = None,
) -> int:
    """Send each approver the full card; a blocked bot skips that one. Returns how many got it."""
    reached = 0
    read: dict[str, str] = {}
    for approver in approvers:
        lang = await user_lang(context, approver)
        guards = await _guards(context, request, lang, read)
        card = approval_card(context, request, lang, money, guards=guards)
        reply_to = None
        if card.message_apart:
            # the exact text goes first, on its own; the card replies to it
            apart = await notify(
                context, approver, message_text(request.snapshot, lang, f"#{request.id}")
            )
            if apart is None:
                continue
            reply_to = apart.message_id
        markup = card_markup(lang, request, card, pending=True)
        message = await notify(context, approver, card.text, markup, reply_to=reply_to)
        if message is not None:
            reached += 1
            await context.services.store.add_request_message(
                request.id, approver, message.message_id
            )
    return reached


async def _guards(
    context: Context, request: ApprovalRequest, lang: str, read: dict[str, str]
) -> str:
    """A request's guardrail lines, read once per language for all its cards: they read the
    month's sends and the repeats' window, the same for every approver."""
    if lang not in read:
        read[lang] = await request_guards(context, request, lang)
    return read[lang]


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
    Time and reason are written in each approver's own language. An approval that needed
    several names everyone who approved."""
    tz = context.services.settings.tz
    now = datetime.now(UTC)
    store = context.services.store
    read: dict[str, str] = {}
    async with card_lock(request.id):
        # re-read under the lock: the approvals so far, as the store has them now
        request = await store.get_request(request.id) or request
        approvers = counted(context, request) if status_key == "decided_approved" else ()
        for chat_id, message_id in await store.list_request_messages(request.id):
            lang = await user_lang(context, chat_id)
            if chat_id == request.requester_id:
                # the requester's "sent for approval" message: its withdraw button goes
                state = t(lang, f"state_{request.state}")
                text = t(lang, "request_settled", no=request.number, state=state)
                await edit(context, chat_id, message_id, text, None)
                continue
            many = request.approvals_needed > 1 and len(approvers) > 1
            status = t(
                lang,
                status_key,
                who=names(context, lang, approvers) if many else person_label(context, who),
                when=format_jalali(now, tz, lang),
                reason=reason_line(lang, reason),
            )
            guards = await _guards(context, request, lang, read)
            card = approval_card(context, request, lang, status=status, guards=guards)
            markup = card_markup(lang, request, card, pending=False)
            await edit(context, chat_id, message_id, card.text, markup)


async def refresh_cards(context: Context, request_id: int) -> None:
    """Redraw every approver's card of a still pending request after a partial approval."""
    store = context.services.store
    read: dict[str, str] = {}
    async with card_lock(request_id):
        request = await store.get_request(request_id)
        if request is None or request.state != RequestState.PENDING:
            return  # decided meanwhile: its cards are (being) closed
        got = counted(context, request)
        missing = max(0, request.approvals_needed - len(got))
        for chat_id, message_id in await store.list_request_messages(request.id):
            if chat_id == request.requester_id:
                continue  # the requester's own message keeps its withdraw button
            lang = await user_lang(context, chat_id)
            approved = chat_id in got
            status = t(lang, "approval_you_approved", n=num(missing, lang)) if approved else ""
            guards = await _guards(context, request, lang, read)
            card = approval_card(
                context, request, lang, money_of(request), status=status, guards=guards
            )
            markup = card_markup(lang, request, card, pending=True, can_approve=not approved)
            await edit(context, chat_id, message_id, card.text, markup)


async def tell_counted(context: Context, decision: Decision, approver: int) -> None:
    """A counted approval that was not the last: every card redrawn, the requester told."""
    request = decision.request
    if request is None:
        return
    await refresh_cards(context, request.id)
    lang = await user_lang(context, request.requester_id)
    text = t(
        lang,
        "approval_progress",
        who=person_label(context, approver),
        no=request.number,
        got=num(len(decision.approved_by), lang),
        needed=num(decision.needed, lang),
        n=num(decision.missing, lang),
    )
    await notify(context, request.requester_id, text)
