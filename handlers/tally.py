"""Approval rules on the cards, as text: how many approvals a request needs, who gave
them, and the rule it was created under (stored on the request, so a later change of
APPROVAL_RULES does not change what it shows or needs). Drawing and redrawing the cards
is :mod:`handlers.cards`; :func:`card_lock` serialises the edits of one request's cards.
"""

from __future__ import annotations

import asyncio
import weakref

from bot.approval_rules import BUDGET_MARK, parse_rule
from bot.broadcasts import MoneyCheck
from bot.domain import ApprovalRequest
from bot.render import num
from bot.texts import t
from handlers.common import Context, person_label

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
    approvers = context.services.settings.approvers
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
    if rule == BUDGET_MARK or rule.endswith("+" + BUDGET_MARK):
        # one approval more for the month's budget (#22), after the rule that set the rest
        base = rule_words(lang, rule.removesuffix(BUDGET_MARK).rstrip("+"), cost_unknown)
        extra = t(lang, "rule_budget")
        return f"{base}{t(lang, 'approvals_sep')}{extra}" if base else extra
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
