"""The review card's "📱 test on my phone": the exact final text, from the chosen line, to
the admin's own registered number, with their own key. No approval; one at a time, at
most ``TRIAL_LIMIT`` per line and text and ``TEST_SMS_DAILY_CAP`` a day, none within 40 s
of an identical one, all counted in the store. The result goes under the card."""

from __future__ import annotations

from telegram import Update

from bot import provider_words as words
from bot.domain import Draft
from bot.render import ltr, num, outbox_text
from bot.trial_sms import TRIAL_LIMIT, TrialOutcome, send_trial, trials_used
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    api_key,
    card_of,
    lang_of,
    notify,
    say,
    tr,
    typing,
    user_id_of,
)
from handlers.compose.flow import REVIEW
from handlers.trial_phone import ask_contact


def trial_button(context: Context, per: float | None) -> list[kb.Button]:
    """The button, with the price of the one message it sends (shown before the tap)."""
    if per is None:
        return [kb.btn(tr(context, "btn_trial_send_noprice"), cb.TRIAL_SEND.data())]
    return [
        kb.btn(
            tr(context, "btn_trial_send", price=num(per, lang_of(context))), cb.TRIAL_SEND.data()
        )
    ]


async def trial_press(update: Update, context: Context, draft: Draft) -> int:

    store = context.services.store
    uid = user_id_of(update)
    phone = await store.get_trial_phone(uid)
    if phone is None:
        await answer(update)
        await ask_contact(update, context, "trial_phone_ask_for_trial")
        return REVIEW
    message = draft.snapshot(context.services.settings.message_suffix).message
    limit = num(TRIAL_LIMIT, lang_of(context))
    if await trials_used(store, draft, message) >= TRIAL_LIMIT:
        # a quick refusal as an alert; the store's own count below is what enforces it
        await answer(update, tr(context, "trial_limit", limit=limit), alert=True)
        return REVIEW
    key = await api_key(update, context)
    if key is None:
        return REVIEW
    await answer(update, tr(context, "trial_sending"))
    async with typing(update, context):
        outcome = await send_trial(
            store,
            context.services.client,
            draft=draft,
            message=message,
            recipient=phone,
            api_key=key,
            daily_cap=context.services.settings.test_sms_daily_cap,
        )
    text = result_text(context, outcome, draft, phone)
    card = card_of(update)
    if card is None or not await notify(context, card.chat.id, text, reply_to=card.message_id):
        await say(update, context, text)
    return REVIEW


def result_text(context: Context, outcome: TrialOutcome, draft: Draft, phone: str) -> str:
    lang = lang_of(context)
    limit = num(TRIAL_LIMIT, lang)
    left = num(outcome.left, lang)
    if outcome.kind == "limit":
        return tr(context, "trial_limit", limit=limit)
    if outcome.kind == "daily_cap":
        cap = num(context.services.settings.test_sms_daily_cap, lang)
        return tr(context, "trial_daily_cap", cap=cap)
    if outcome.kind == "in_flight":
        return tr(context, "trial_in_flight")
    if outcome.kind == "duplicate":
        return tr(context, "trial_duplicate", seconds=num(outcome.wait, lang))
    reason = words.explain(lang, outcome.error) if outcome.error else "—"
    if outcome.kind == "invalid":
        return tr(context, "trial_invalid", reason=reason)
    if outcome.kind == "failed":
        return tr(context, "trial_failed", reason=reason)
    if outcome.kind == "unknown":
        return tr(context, "trial_unknown", reason=reason, left=left, limit=limit)
    trial = outcome.trial
    return tr(
        context,
        "trial_sent",
        phone=ltr(phone),
        sender=ltr(draft.sender or "—"),
        outbox=outbox_text(trial.outbox_ids if trial else []),
        left=left,
        limit=limit,
    )
