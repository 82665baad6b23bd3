"""The gate: who may talk to the bot, and where.

:class:`handlers.processor.GateProcessor` drops strangers and group chats before a context
is built; :func:`gate` (handler group -2) then handles known users in private: roles, stale
or forged buttons, key-shaped messages, edited messages.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.keylike import looks_like_key
from bot.logs import SECRETS
from bot.texts import t
from handlers import callbacks as cb
from handlers.common import Context, answer, chat_id_of, message_of, notify, typed_text, user_id_of
from handlers.session import KeyWait, OwnContact, RejectReason, TextName

log = logging.getLogger("handlers.gate")

# Commands of composing: for ADMIN_IDS only (buttons declare their role in handlers.callbacks).
_COMPOSE_COMMANDS = ("send", "drafts", "texts", "phone")


def valid_press(data: str | None) -> bool:
    """Whether callback data is a press some declared button kind makes (its prefix, the
    shape of its arguments, at most 64 ASCII bytes); see :mod:`handlers.callbacks`."""
    return cb.parse(data) is not None


async def gate(update: Update, context: Context) -> None:
    """Refuse strangers and non-private chats before any other handler runs."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        raise ApplicationHandlerStop  # channel posts, polls: nothing for us
    settings = context.services.settings
    if chat.type != ChatType.PRIVATE or user.id not in settings.known_users:
        raise ApplicationHandlerStop  # handlers.processor drops these first; this is a backstop
    data = context.user_data
    if data.lang is None:
        data.lang = (await context.services.store.get_profile(user.id)).lang
    lang = data.lang
    await remember_identity(context, user.id, user.first_name[:64], user.username)
    if update.edited_message is not None:
        await notify(context, chat.id, t(lang, "edited_ignored"))
        raise ApplicationHandlerStop
    message = update.message
    press = cb.parse(update.callback_query.data) if update.callback_query else None
    if update.callback_query is not None and press is None:
        await answer(update, t(lang, "stale_menu"), alert=True)
        raise ApplicationHandlerStop
    if user.id not in settings.admin_ids and _composes(update, press):
        await _approver_only(update, context)
        raise ApplicationHandlerStop
    if (
        press is not None
        and press.kind.who is cb.Who.APPROVER
        and user.id not in settings.approvers
    ):
        await _not_an_approver(update, context, press)
        raise ApplicationHandlerStop
    command = _command(message.text or "") if message else ""
    if update.callback_query is not None or command not in ("", "phone"):
        data.stop_awaiting(OwnContact)  # test SMS: a press or a command ends the wait
    if update.callback_query is not None and data.stop_awaiting(KeyWait):
        # a press elsewhere ends the wait for a key: what is typed next is not a key
        await notify(context, chat.id, t(lang, "token_wait_ended"))
    text = message.text if message else None
    if text and text.startswith("/"):
        data.stop_awaiting(RejectReason)  # a command abandons a pending reject reason
        if _command(text) not in ("token", "cancel"):  # /cancel says no key was stored
            data.stop_awaiting(KeyWait)
    elif looks_like_key(text) and not isinstance(data.awaiting, KeyWait):
        await refuse_key(update, context)
        raise ApplicationHandlerStop


async def remember_identity(
    context: Context, user_id: int, first_name: str, username: str | None
) -> None:
    """Keep the name and @username the cards show; the profile row is written on change only."""
    data = context.user_data
    data.name, data.username = first_name, username
    if data.identity_saved != (first_name, username):
        await context.services.store.set_identity(user_id, first_name, username)
        data.identity_saved = (first_name, username)


def _command(text: str) -> str:
    return text.split(maxsplit=1)[0][1:].split("@")[0].lower() if text.startswith("/") else ""


def _composes(update: Update, press: cb.Press | None) -> bool:
    """A compose command or button (approver-only users get a short refusal for these)."""
    if press is not None:
        return press.kind.who is cb.Who.COMPOSER
    if update.message is not None and update.message.contact is not None:
        return True  # test SMS: registering one's own number is for composers
    text = update.message.text if update.message else None
    return text is not None and _command(text) in _COMPOSE_COMMANDS


async def _approver_only(update: Update, context: Context) -> None:
    lang = context.user_data.lang or "fa"
    if update.callback_query is not None:
        await answer(update, t(lang, "approver_only"), alert=True)
    elif update.effective_chat is not None:
        await notify(context, update.effective_chat.id, t(lang, "approver_only"))


async def _not_an_approver(update: Update, context: Context, press: cb.Press) -> None:
    """An approver's button pressed by someone who is not one (any more): refused and
    audited as the approval service would, before any handler runs."""
    await answer(update, t(context.user_data.lang or "fa", "decision_not_allowed"), alert=True)
    target = f"request:{press.args[0]}" if press.args else None
    user_id = update.effective_user.id if update.effective_user else None
    await context.services.store.audit(user_id, "refused_not_allowed", target)


async def refuse_key(update: Update, context: Context) -> None:
    """A key-shaped message where a reason, a text or a search is expected: it is deleted,
    redacted from logs and stored nowhere (not even in the audit log)."""
    message = message_of(update)
    SECRETS.add(typed_text(update).strip())
    try:
        await message.delete()
    except TelegramError:
        log.warning("could not delete a key-looking message")
    await context.services.store.audit(user_id_of(update), "key_like_refused")
    lang = context.user_data.lang or "fa"
    # on the saved-text name prompt the prompt stays: ask again for a short name
    naming = isinstance(context.user_data.awaiting, TextName)
    key = "saved_name_key" if naming else "key_refused_here"
    await notify(context, chat_id_of(update), t(lang, key))
