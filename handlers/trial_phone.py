"""/phone: the admin's own mobile number for test SMS, registered only by sharing their own
Telegram contact (a ``request_contact`` button), so the bot cannot text arbitrary people.

Telegram vouches for a contact only when it is the sender's own: ``contact.user_id`` equals
the sender's id. A forwarded or picked contact of someone else carries another id or none,
and a typed number carries nothing at all: both are refused.
"""

from __future__ import annotations

import logging

from telegram import (
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import ApplicationHandlerStop

from bot.phones import is_iranian_mobile, looks_like_phone, mask_phone, normalize_mobile
from bot.render import fit, ltr
from bot.texts import LANGUAGES, t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    NotThere,
    answer,
    card_of,
    chat_id_of,
    edit,
    message_of,
    say,
    tr,
    user_id_of,
    user_of,
)
from handlers.session import OwnContact

log = logging.getLogger("handlers.trial_phone")


def contact_keyboard(context: Context) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(tr(context, "btn_trial_phone_share"), request_contact=True)],
            [KeyboardButton(tr(context, "btn_trial_phone_cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def _send(
    update: Update,
    context: Context,
    text: str,
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove,
) -> None:
    await context.bot.send_message(chat_id_of(update), fit(text), reply_markup=markup)


async def ask_contact(update: Update, context: Context, key: str = "trial_phone_ask") -> None:
    """Show the share-my-number keyboard (one tap; Telegram asks the user to confirm)."""
    context.user_data.awaiting = OwnContact()
    button = tr(context, "btn_trial_phone_share")
    await _send(update, context, tr(context, key, button=button), contact_keyboard(context))


async def trial_phone_command(update: Update, context: Context) -> None:
    """/phone: the registered number with "forget" and "new number", or the request."""
    phone = await context.services.store.get_trial_phone(user_id_of(update))
    if phone is None:
        await ask_contact(update, context)
        return
    rows = [
        [
            kb.btn(tr(context, "btn_trial_phone_forget"), cb.TRIAL_PHONE.data("f")),
            kb.btn(tr(context, "btn_trial_phone_change"), cb.TRIAL_PHONE.data("c")),
        ]
    ]
    await say(update, context, tr(context, "trial_phone_shown", phone=ltr(phone)), kb.markup(rows))


@cb.TRIAL_PHONE.handles
async def trial_phone_press(update: Update, context: Context, action: str) -> None:
    """f forgets the number, c asks for a new one."""
    if action == "c":
        await answer(update)
        await ask_contact(update, context)
        return
    uid = user_id_of(update)
    store = context.services.store
    forgotten = await store.forget_trial_phone(uid)
    await answer(update)
    if forgotten:
        # audit action names keep their first spelling (``test_phone_*``): rows already in
        # the append-only log carry them, and one action keeps one name across releases
        await store.audit(uid, "test_phone_forgotten")
    text = tr(context, "trial_phone_forgotten" if forgotten else "trial_phone_none")
    card = card_of(update)
    if card is None or not await edit(context, card.chat.id, card.message_id, text):
        await say(update, context, text)


async def contact_shared(update: Update, context: Context) -> None:
    """A shared contact: registered only when it is the sender's own (Telegram's word)."""
    message = message_of(update)
    contact = message.contact
    if contact is None:  # the handler's filter (filters.CONTACT) lets only contacts in
        raise NotThere("a contact handler got a message without a contact")
    user = user_of(update)
    store = context.services.store
    button = tr(context, "btn_trial_phone_share")
    own = contact.user_id is not None and contact.user_id == user.id
    forwarded = message.forward_origin is not None
    if not own or forwarded:
        # a forwarded one may well be the person's own number: say how to share it instead
        reason = "forwarded" if forwarded else "not_own"
        await store.audit(user.id, "test_phone_refused", detail={"reason": reason})
        text = tr(context, f"trial_phone_{reason}", button=button)
        await _send(update, context, text, contact_keyboard(context))
        return
    e164 = normalize_mobile(contact.phone_number).e164
    context.user_data.stop_awaiting(OwnContact)
    if not is_iranian_mobile(e164):
        await store.audit(user.id, "test_phone_refused", detail={"reason": "not_mobile"})
        await _send(update, context, tr(context, "trial_phone_not_mobile"), ReplyKeyboardRemove())
        return
    assert e164 is not None
    await store.set_trial_phone(user.id, e164)
    await store.audit(user.id, "test_phone_registered", detail={"phone": mask_phone(e164)})
    log.info("user %d registered a test phone %s", user.id, mask_phone(e164))
    await _send(
        update, context, tr(context, "trial_phone_saved", phone=ltr(e164)), ReplyKeyboardRemove()
    )


def _cancel_labels() -> set[str]:
    return {t(lang, "btn_trial_phone_cancel") for lang in LANGUAGES}


async def typed_while_waiting(update: Update, context: Context) -> None:
    """Group -1, before a reject reason: the keyboard's cancel button, and a typed number
    while the share-my-number keyboard is up (refused: only a shared own contact counts).
    Any other text goes on to the conversation."""
    message = update.message
    text = (message.text or "").strip() if message else ""
    if not text or text.startswith("/"):
        return
    if text in _cancel_labels():
        context.user_data.stop_awaiting(OwnContact)
        await _send(update, context, tr(context, "trial_phone_cancelled"), ReplyKeyboardRemove())
        raise ApplicationHandlerStop
    if isinstance(context.user_data.awaiting, OwnContact) and looks_like_phone(text):
        button = tr(context, "btn_trial_phone_share")
        await _send(
            update,
            context,
            tr(context, "trial_phone_typed", button=button),
            contact_keyboard(context),
        )
        raise ApplicationHandlerStop
