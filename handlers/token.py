"""/token and /logout: the admin's own IPPanel API key.

The message carrying a key is deleted at once; the key is checked with the
provider before it is stored (encrypted) and is registered with the log
redactor the moment it arrives.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from bot import provider_words as words
from bot.ippanel import AuthError, IPPanelError, TransportError, ValidationError
from bot.logs import SECRETS
from bot.render import esc
from handlers.common import Context, lang_of, message_of, say, tr, typing, user_of
from handlers.session import KeyWait

log = logging.getLogger("handlers.token")
END = ConversationHandler.END
AWAIT_KEY = 20


async def ask_key(update: Update, context: Context) -> int:
    """/token: ask for the key (or take it from the same message, then delete that)."""
    context.user_data.menu = None
    context.user_data.awaiting = KeyWait()  # a pending reject reason never gets the key
    text = message_of(update).text or ""
    _, _, inline_key = text.partition(" ")
    if inline_key.strip():
        return await key_typed(update, context, inline_key.strip())
    await say(update, context, tr(context, "token_ask"))
    return AWAIT_KEY


async def key_typed(update: Update, context: Context, key: str | None = None) -> int:
    """The key: delete its message, check it, store it encrypted."""
    message, user = message_of(update), user_of(update)
    raw = (key or message.text or "").strip()
    if not context.user_data.stop_awaiting(KeyWait):
        # the wait was ended by a press elsewhere: this text is not taken as a key
        await say(update, context, tr(context, "token_wait_ended"))
        return END
    SECRETS.add(raw)
    try:
        await message.delete()
    except TelegramError:
        await say(update, context, tr(context, "token_not_deleted"))
    if message.forward_origin is not None:
        await say(update, context, tr(context, "token_forwarded"))
        context.user_data.awaiting = KeyWait()
        return AWAIT_KEY
    client = context.services.client
    try:
        async with typing(update, context):
            account = await client.check_credential(raw)
    except (AuthError, ValidationError) as exc:
        reason = words.explain(lang_of(context), exc)
        await say(update, context, tr(context, "token_rejected", reason=reason))
        return END
    except (TransportError, IPPanelError) as exc:
        reason = words.plain(lang_of(context), exc)
        await say(update, context, tr(context, "token_unreachable", reason=reason))
        return END
    name = account.name or account.user_name
    info = await context.services.store.save_api_key(user.id, raw, name)
    await context.services.store.audit(user.id, "key_saved", None, {"hint": info.hint})
    block = tr(context, "token_send_blocked" if account.send_block else "token_send_ok")
    await say(
        update,
        context,
        tr(context, "token_saved", account=esc(name), hint=esc(info.hint), block=block),
    )
    return END


async def key_not_text(update: Update, context: Context) -> int:
    if not isinstance(context.user_data.awaiting, KeyWait):
        await say(update, context, tr(context, "token_wait_ended"))
        return END
    await say(update, context, tr(context, "token_not_text"))
    return AWAIT_KEY


async def logout(update: Update, context: Context) -> None:
    """/logout: forget the stored key."""
    store, user = context.services.store, user_of(update)
    removed = await store.delete_api_key(user.id)
    if removed:
        await store.audit(user.id, "key_deleted")
    await say(update, context, tr(context, "logout_done" if removed else "logout_none"))
