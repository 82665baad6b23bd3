"""Approval rules on the cards: how many approvals a request needs and who gave them.

A request that needs more than one approval shows "approvals: 1 of 2 (Bita)" and the rule
it was created under (stored on the request, so a later change of APPROVAL_RULES does not
change what it shows or needs). After an approval that is not yet the last one, every
approver's card is redrawn: the approver who approved sees "you approved; waiting for one
more" without the approve button, and the requester is told once.

Card edits of one request are serialised by :func:`card_lock` and re-read the request
under it, so a slow redraw of a partial approval can never put buttons back on a card
that another press has already closed.
"""

from __future__ import annotations

import asyncio
import weakref

from bot.approval_rules import parse_rule
from bot.broadcasts import Decision, MoneyCheck
from bot.domain import ApprovalRequest, RequestState
from bot.render import num
from bot.texts import t
from handlers.common import Context, edit, notify, person_label, services, user_lang

_LOCKS: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
MAX_NAMES = 5  # names listed on a card; more are counted ("+2")
PROGRESS_ROOM = 600  # visible characters kept for the progress lines on a card


def card_lock(request_id: int) -> asyncio.Lock:
    """The lock under which a request's cards are edited (kept while anyone holds it)."""
    lock = _LOCKS.get(request_id)
    if lock is None:
        lock = asyncio.Lock()
        _LOCKS[request_id] = lock
    return lock


def counted(context: Context, request: ApprovalRequest) -> tuple[int, ...]:
    """Approvals that count as of now: by current approvers, never the requester."""
    approvers = services(context).settings.approvers
    return tuple(a for a in request.approved_by if a in approvers and a != request.requester_id)


def names(context: Context, lang: str, people: tuple[int, ...]) -> str:
    shown = [person_label(context, p) for p in people[:MAX_NAMES]]
    if len(people) > MAX_NAMES:
        shown.append(f"+{num(len(people) - MAX_NAMES, lang)}")
    return t(lang, "approvals_sep").join(shown)


def rule_words(lang: str, rule: str | None, cost_unknown: bool = False) -> str:
    """A rule as stored (``cost>=20000000:2``) in words; "" for the default of one."""
    if not rule:
        return ""
    try:
        parsed = parse_rule(rule)
    except ValueError:  # written by this code, so never; shown as stored rather than lost
        return rule
    key = "rule_recipients" if parsed.measure == "recipients" else "rule_cost"
    if parsed.measure == "cost" and cost_unknown:
        key = "rule_cost_unknown"
    return t(lang, key, n=num(parsed.threshold, lang), k=num(parsed.approvals, lang))


def rule_text(lang: str, request: ApprovalRequest) -> str:
    """The rule a request was created under, in words."""
    return rule_words(lang, request.approval_rule, request.cost_unknown)


def progress_lines(context: Context, request: ApprovalRequest, lang: str) -> str:
    """The card's approvals block, with a leading blank line; "" when one approval is enough."""
    if request.approvals_needed <= 1:
        return ""
    got = counted(context, request)
    who = t(lang, "approvals_who", names=names(context, lang, got)) if got else ""
    line = t(
        lang,
        "approvals_line",
        got=num(len(got), lang),
        needed=num(request.approvals_needed, lang),
        who=who,
    )
    rule = rule_text(lang, request)
    if rule:
        line += t(lang, "approvals_rule_line", rule=rule)
    return f"\n\n{line}"


def money_of(request: ApprovalRequest) -> MoneyCheck | None:
    """The cost and credit as judged at submit, kept on the request for redrawn cards."""
    if not request.money:
        return None
    return MoneyCheck(**{k: request.money.get(k) for k in ("cost_low", "cost_high", "credit")})


async def refresh_cards(context: Context, request_id: int) -> None:
    """Redraw every approver's card of a still pending request after a partial approval."""
    from handlers.approval import approval_card, card_markup  # approval imports this module

    store = services(context).store
    async with card_lock(request_id):
        request = await store.get_request(request_id)
        if request is None or request.state != RequestState.PENDING:
            return  # decided meanwhile: its cards are (being) closed
        got = counted(context, request)
        missing = max(0, request.approvals_needed - len(got))
        for chat_id, message_id in await store.list_request_messages(request.id):
            lang = await user_lang(context, chat_id)
            approved = chat_id in got
            status = t(lang, "approval_you_approved", n=num(missing, lang)) if approved else ""
            card = approval_card(context, request, lang, money_of(request), status=status)
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
        id=request.id,
        got=num(len(decision.approved_by), lang),
        needed=num(decision.needed, lang),
        n=num(decision.missing, lang),
    )
    await notify(context, request.requester_id, text)
