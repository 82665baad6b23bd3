"""The gate (handler group -2): who may talk to the bot, and where.

Strangers get one polite refusal carrying their numeric id; groups get silence
(except a warning when an admin pastes what looks like an API key there);
edited messages are never acted upon.
"""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.texts import t
from handlers.common import Context, answer, notify, services

log = logging.getLogger("handlers.gate")

# An IPPanel key is one long token of letters, digits and a few marks.
_KEYLIKE = re.compile(r"^\s*(?:/token(?:@\w+)?\s+)?[A-Za-z0-9._=\-]{24,}\s*$")


async def gate(update: Update, context: Context) -> None:
    """Refuse strangers and non-private chats before any other handler runs."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        raise ApplicationHandlerStop  # channel posts, polls: nothing for us
    settings = services(context).settings
    known = user.id in settings.known_users
    if chat.type != ChatType.PRIVATE:
        if known:
            await _warn_key_in_group(update, context)
        raise ApplicationHandlerStop
    if not known:
        await _refuse_stranger(update, context)
        raise ApplicationHandlerStop
    data = context.user_data
    if "lang" not in data:
        data["lang"] = (await services(context).store.get_profile(user.id)).lang
    data["name"] = user.full_name[:64]
    if update.edited_message is not None:
        await notify(context, chat.id, t(data["lang"], "edited_ignored"))
        raise ApplicationHandlerStop
    message = update.message
    if message and message.text and message.text.startswith("/"):
        data.pop("reject_for", None)  # a command abandons a pending reject reason


async def _refuse_stranger(update: Update, context: Context) -> None:
    user = update.effective_user
    await services(context).store.audit(
        user.id, "stranger_refused", None, {"kind": _update_kind(update)}
    )
    log.info("refused a stranger (%s)", _update_kind(update))
    if update.callback_query is not None:
        await answer(update, t("fa", "stranger_button", user_id=user.id), alert=True)
    elif update.message is not None:
        await notify(context, update.effective_chat.id, t("fa", "stranger", user_id=user.id))


async def _warn_key_in_group(update: Update, context: Context) -> None:
    """An admin pasted something key-like into a group: delete it if we can, warn in private."""
    message = update.message
    if message is None or not message.text or not _KEYLIKE.match(message.text):
        return
    user = update.effective_user
    try:
        await message.delete()
    except TelegramError:
        pass  # not an admin of that group: the warning still tells them to revoke it
    lang = context.user_data.get("lang", "fa") if context.user_data is not None else "fa"
    await services(context).store.audit(user.id, "key_in_group_refused", f"chat:{message.chat_id}")
    await notify(context, user.id, t(lang, "group_key_warning"))


def _update_kind(update: Update) -> str:
    if update.callback_query is not None:
        return "callback"
    if update.message is not None:
        return "command" if (update.message.text or "").startswith("/") else "message"
    return "other"
