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

from bot.domain import Step
from bot.keylike import looks_like_key
from bot.logs import SECRETS
from bot.texts import LANGUAGES, t
from handlers.common import Context, answer, notify, services

log = logging.getLogger("handlers.gate")

# Buttons and commands of composing (the conversation's menus, drafts, "send again",
# "fix", a draft's book list): for ADMIN_IDS only.
_COMPOSE_PRESS = re.compile(r"^(?:dr|ag|fx|[rsbomcxwvk]|bl:d):")
_COMPOSE_COMMANDS = ("send", "drafts")

# Every shape of callback data the bot's keyboards make, checked before any handler parses
# it: ASCII digits only ("²".isdigit() is True), ids of at most 12 digits (SQLite integers
# overflow past 19), known languages and steps; the compose menus own their words, with
# digit runs kept under 19.
_ID = r"[0-9]{1,12}"
_VALID_PRESS = re.compile(
    rf"""
      (?:ap|rj|rn|rk|wd|rp|cn|rt|rc|ag):{_ID}
    | hs:[0-9]{{1,6}}
    | lg:(?:{"|".join(LANGUAGES)})
    | bl:[rd]:{_ID}
    | dr:[ocd]:{_ID}
    | fx:{_ID}:(?:{"|".join(str(s) for s in Step)})
    | (?![^:]*:.*[0-9]{{19}})[rsbomcxwvk]:[A-Za-z0-9_.:\-]{{1,60}}
    """,
    re.VERBOSE | re.ASCII,
)


def valid_press(data: str | None) -> bool:
    """Whether callback data has a shape some keyboard of this bot makes."""
    return bool(data) and _VALID_PRESS.fullmatch(data) is not None


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
    if update.callback_query is not None and not valid_press(update.callback_query.data):
        await answer(update, t(data["lang"], "stale_menu"), alert=True)
        raise ApplicationHandlerStop
    if user.id not in settings.admin_ids and _composes(update):
        await _approver_only(update, context)
        raise ApplicationHandlerStop
    if update.callback_query is not None and data.pop("await_key", False):
        # a press elsewhere ends the wait for a key: what is typed next is not a key
        await notify(context, chat.id, t(data["lang"], "token_wait_ended"))
    text = message.text if message else None
    if text and text.startswith("/"):
        data.pop("reject_for", None)  # a command abandons a pending reject reason
        if _command(text) != "token":
            data.pop("await_key", None)
    elif looks_like_key(text) and not data.get("await_key"):
        await refuse_key(update, context)
        raise ApplicationHandlerStop


def _command(text: str) -> str:
    return text.split(maxsplit=1)[0][1:].split("@")[0].lower() if text.startswith("/") else ""


def _composes(update: Update) -> bool:
    """A compose command or button (approver-only users get a short refusal for these)."""
    if update.callback_query is not None:
        return bool(_COMPOSE_PRESS.match(update.callback_query.data or ""))
    text = update.message.text if update.message else None
    return bool(text) and _command(text) in _COMPOSE_COMMANDS


async def _approver_only(update: Update, context: Context) -> None:
    lang = context.user_data.get("lang", "fa")
    if update.callback_query is not None:
        await answer(update, t(lang, "approver_only"), alert=True)
    else:
        await notify(context, update.effective_chat.id, t(lang, "approver_only"))


async def refuse_key(update: Update, context: Context) -> None:
    """A key-shaped message where a reason, a text or a search is expected: it is deleted,
    redacted from logs and stored nowhere (not even in the audit log)."""
    message = update.message
    SECRETS.add(message.text.strip())
    try:
        await message.delete()
    except TelegramError:
        log.warning("could not delete a key-looking message")
    await services(context).store.audit(update.effective_user.id, "key_like_refused")
    lang = context.user_data.get("lang", "fa")
    await notify(context, update.effective_chat.id, t(lang, "key_refused_here"))


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
    if message is None or not looks_like_key(message.text):
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
