"""The review card's submit: hand the draft to the broadcast service, then tell the
requester what became of it (asked the approvers, sent at once, or why not).

A draft that is not complete yet goes back to the step it misses, in the conversation.
"""

from __future__ import annotations

from telegram import Message, Update

from bot.broadcasts import PlanOutcome
from bot.domain import Draft, Step
from bot.guardrails.lines import millions
from bot.render import counted, num
from handlers import keyboards as kb
from handlers.cards import notify_approvers
from handlers.common import Context, card_of, edit, lang_of, say, tr, user_id_of
from handlers.compose.flow import END, STEP_STATE, goto
from handlers.plans import report_plan
from handlers.results import report_outcome
from handlers.tally import rule_text, rule_words


async def submit(update: Update, context: Context, draft: Draft) -> int:
    """Review card's submit: ask the other approvers, or send at once when approvals are off."""
    service = context.services.broadcasts
    result = await service.submit(draft, user_id_of(update))
    context.user_data.menu = None
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
    if result.kind == "too_few_approvers" and result.requirement is not None:
        lang = lang_of(context)
        requirement = result.requirement
        text = tr(
            context,
            "too_few_approvers",
            needed=num(requirement.approvals, lang),
            rule=rule_words(lang, requirement.stored, requirement.cost_unknown),
            n=num(len(result.approvers), lang),
        )
        await say(update, context, text)
        return END
    if result.kind == "over_budget" and result.budget is not None:
        lang = lang_of(context)
        text = tr(
            context,
            "submit_over_budget",
            over=num(result.budget.over_by, lang),
            spent=millions(result.budget.spent, lang),
            budget=millions(result.budget.budget, lang),
        )
        await say(update, context, text)
        return END
    if result.kind == "no_key":
        await say(update, context, tr(context, "submit_no_key"))
        return END
    money = result.money
    if result.kind == "short_credit" and money and money.known_short is not None:
        lang = lang_of(context)
        text = tr(
            context,
            "submit_short_credit",
            cost=num(money.cost_low or 0, lang),
            credit=num(money.credit or 0, lang),
            missing=num(money.known_short, lang),
        )
        await say(update, context, text)
        return END
    if result.kind not in ("direct", "pending"):
        await say(update, context, tr(context, "not_yours"))
        return END
    # the draft now belongs to its request (or send): the next /send starts afresh instead
    # of offering to resume it, which would only void the request
    context.user_data.draft = None
    await _close_review(update, context)
    if result.kind == "direct":
        await say(update, context, tr(context, "sending_now"))
        outcome = await service.send_direct(draft, user_id_of(update))
        if isinstance(outcome, PlanOutcome):  # gradual sending
            await report_plan(context, outcome, approver_id=None, requester_id=user_id_of(update))
            return END
        await report_outcome(context, outcome, approver_id=None, requester_id=user_id_of(update))
        return END
    request = result.request
    assert request is not None
    reached = await notify_approvers(context, request, result.approvers, result.money)
    lang = lang_of(context)
    if reached and request.approvals_needed > 1:
        text = tr(
            context,
            "waiting_approvals",
            no=request.number,
            n=counted(lang, reached, "approver"),
            needed=num(request.approvals_needed, lang),
            rule=rule_text(lang, request),
        )
    elif reached:
        n = counted(lang, reached, "approver")
        text = tr(context, "waiting_approval", no=request.number, n=n)
    else:
        text = tr(context, "approvers_unreachable", no=request.number)
    sent = await say(update, context, text, kb.withdraw(lang, request.id))
    # kept with the approvers' cards, so the decision takes its withdraw button away
    await context.services.store.add_request_message(request.id, sent.chat_id, sent.message_id)
    return END


async def _close_review(update: Update, context: Context) -> None:
    """The submitted review card keeps its text and loses its buttons: none means anything
    any more (an edit would void the request it just made)."""
    card = card_of(update)
    if isinstance(card, Message) and card.text is not None:
        await edit(context, card.chat.id, card.message_id, card.text_html, None)
