"""Helpers every handler shares: language, replies, safe edits, API calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from telegram import (
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import provider_words as words
from bot.domain import Profile
from bot.ippanel import AuthError, IPPanelError, TransportError, ValidationError
from bot.render import fit, person
from bot.texts import t
from handlers.session import CustomContext
from storage import KeyIntegrityError

log = logging.getLogger("handlers")
T = TypeVar("T")
TYPING_AFTER = 0.3  # seconds a provider call may take before "typing…" is shown
ANSWER_AFTER = 0.3  # seconds a step may take to give its own alert before a blank answer
Context = CustomContext  # the typed context (handlers.session): context.services, a Session


# ---------------------------------------------------------------- what an update carries
# PTB types every part of an Update as optional; what a handler reads is there by the way it
# is reached. The gate (group -2) lets only known users in private chats through, so every
# later handler has a user and a chat; a MessageHandler's filter (TEXT, CONTACT) guarantees
# its message. These read that guarantee once; an update that breaks it is a wiring bug,
# raised to the error handler (logged, the admin told "something went wrong").


class NotThere(RuntimeError):
    """A part the gate or the handler's filter guarantees is missing from an update."""


def user_of(update: Update) -> User:
    """The known user the update comes from (the gate let no other through)."""
    if update.effective_user is None:
        raise NotThere("an update without a user passed the gate")
    return update.effective_user


def user_id_of(update: Update) -> int:
    return user_of(update).id


def chat_id_of(update: Update) -> int:
    """The private chat the update comes from (the gate let no other through)."""
    if update.effective_chat is None:
        raise NotThere("an update without a chat passed the gate")
    return update.effective_chat.id


def message_of(update: Update) -> Message:
    """The message a MessageHandler or a command was given (its filter ensures one)."""
    if update.message is None:
        raise NotThere("a message handler got an update without a message")
    return update.message


def typed_text(update: Update) -> str:
    """The text of a typed message (handlers behind ``filters.TEXT``)."""
    text = message_of(update).text
    if text is None:
        raise NotThere("a text handler got a message without text")
    return text


def card_of(update: Update) -> MaybeInaccessibleMessage | None:
    """The message a button was pressed on: None when the update is no press, or when
    Telegram no longer includes the message (too old); the caller then sends anew."""
    query = update.callback_query
    return query.message if query is not None else None


def people_of(*ids: int | None) -> set[int]:
    """The distinct people among a row's ids (requester, approver), the absent left out."""
    return {i for i in ids if i is not None}


def lang_of(context: Context) -> str:
    data = context.user_data
    return (data.lang or "fa") if data is not None else "fa"


def tr(context: Context, key: str, /, **values: object) -> str:
    return t(lang_of(context), key, **values)


async def user_lang(context: Context, user_id: int) -> str:
    """Another user's language, for notifications sent to them."""
    data = context.application.user_data.get(user_id)
    if data is not None and data.lang:
        return data.lang
    return (await context.services.store.get_profile(user_id)).lang


async def say(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send a new message to the chat the update came from."""
    return await context.bot.send_message(chat_id_of(update), fit(text), reply_markup=markup)


async def notify(
    context: Context,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    reply_to: int | None = None,
) -> Message | None:
    """Send to another admin; a blocked bot or an unknown chat is logged, not raised.
    ``reply_to`` binds the message to another one (a card to its separate exact text)."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        return await context.bot.send_message(
            chat_id, fit(text), reply_markup=markup, reply_parameters=reply
        )
    except (Forbidden, BadRequest) as exc:
        log.warning("could not notify %s: %s", chat_id, exc.message)
        return None


async def edit(
    context: Context,
    chat_id: int,
    message_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Edit a message; identical content and vanished messages are not errors here."""
    try:
        await context.bot.edit_message_text(
            fit(text), chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
        return True
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return True
        log.info("edit of %s/%s failed: %s", chat_id, message_id, exc.message)
        return False
    except Forbidden as exc:
        log.info("edit of %s/%s refused: %s", chat_id, message_id, exc.message)
        return False


@dataclass
class _Press:
    answered: bool = False


# The press being handled inside answering(): Telegram takes ONE answer per callback query
# (a second gets 400 "query is too old ... or query ID is invalid"), so answers go through it.
_press: ContextVar[_Press | None] = ContextVar("press", default=None)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press first, before slow work, so Telegram does not time it out."""
    query = update.callback_query
    if query is None:
        return
    press = _press.get()
    if press is not None:
        if press.answered:  # too late for this text: the press was answered blank already
            log.debug("press %s was already answered; not shown: %r", query.id, text)
            return
        press.answered = True
    try:
        await query.answer(text[:200] if text else None, show_alert=alert)
    except TelegramError as exc:  # an old query id: the press still counts
        log.debug("answerCallbackQuery failed: %s", exc)


async def answer_before_work(update: Update) -> None:
    """Inside a step run by ``answering``: answer the press now, blank, because the step has
    passed its checks and goes on to work (a write, a render, a provider call). Outside
    one (the press was answered already, or is not a press) this does nothing."""
    press = _press.get()
    if press is not None and not press.answered:
        await answer(update)


@asynccontextmanager
async def answering(update: Update) -> AsyncIterator[None]:
    """Answer the press exactly once: with the step's own alert if it gives one within
    ANSWER_AFTER seconds, else blank then (before slow work) or when the step ends."""
    press = _Press()
    token = _press.set(press)

    async def later() -> None:
        await asyncio.sleep(ANSWER_AFTER)
        await asyncio.shield(answer(update))  # once started, let it finish

    task = asyncio.create_task(later())  # copies the context: shares ``press``
    try:
        yield
    finally:
        task.cancel()
        if not press.answered:
            await answer(update)
        _press.reset(token)


async def _typing(chat_id: int, context: Context) -> None:
    try:
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError:
        pass  # cosmetic only


@asynccontextmanager
async def typing(update: Update, context: Context) -> AsyncIterator[None]:
    """Show "typing…" while a provider call runs, once it is slow enough to notice.

    A fast call sends nothing: the indicator is one more rate-limited Bot API
    call per step, which costs throughput when many admins are busy at once.
    A pressed button is answered first: a step decides its alerts before it asks the
    provider, so the press need not wait for the provider's answer.
    """
    await answer_before_work(update)
    chat_id = update.effective_chat.id if update.effective_chat else None

    async def later(chat_id: int) -> None:
        await asyncio.sleep(TYPING_AFTER)
        await asyncio.shield(_typing(chat_id, context))  # once started, let it finish

    task = asyncio.create_task(later(chat_id)) if chat_id is not None else None
    try:
        yield
    finally:
        if task:
            task.cancel()


async def api_key(update: Update, context: Context) -> str | None:
    """The admin's stored IPPanel key, or None after telling them how to set one."""
    try:
        key = await context.services.store.get_api_key(user_id_of(update))
    except KeyIntegrityError:
        await say(update, context, tr(context, "key_broken"))
        return None
    if key is None:
        await say(update, context, tr(context, "need_key"))
    return key


def provider_text(context: Context, exc: IPPanelError, *, draft: bool = True) -> str:
    """A provider error as a short message in plain words saying what to do next; the
    provider's raw text only as a detail line. ``draft``: a draft is open and stays safe
    (the compose steps); False outside it (/credit), where no draft is involved."""
    lang = lang_of(context)
    if isinstance(exc, AuthError):
        return tr(context, "key_expired" if draft else "key_expired_plain")
    if isinstance(exc, TransportError):
        return tr(context, "provider_timeout" if draft else "provider_timeout_plain")
    reason, detail = words.plain(lang, exc), words.detail(lang, exc)
    if isinstance(exc, ValidationError):
        return tr(context, "provider_invalid", reason=reason, detail=detail)
    key = "provider_error" if draft else "provider_error_plain"
    return tr(context, key, reason=reason, detail=detail)


async def call_api(
    update: Update, context: Context, make_call: Callable[[], Awaitable[T]]
) -> T | None:
    """Run one read-only provider call with a typing indicator; None after telling the admin."""
    try:
        async with typing(update, context):
            return await make_call()
    except IPPanelError as exc:
        log.info("provider call failed: %s (%s)", type(exc).__name__, exc.status)
        await say(update, context, provider_text(context, exc))
        return None


def person_label(context: Context, user_id: int | None, profile: Profile | None = None) -> str:
    """A person as every card and list shows them: ``Bita (@bita · 1002)``, isolated.

    Names come from what the gate last saw of them (user data, kept across restarts),
    else from their stored ``profile`` when the caller has it (/history)."""
    if user_id is None:
        return "—"
    data = context.application.user_data.get(user_id)
    if data is not None and data.name:
        return person(user_id, data.name, data.username)
    if profile is not None:
        return person(user_id, profile.first_name, profile.username)
    return person(user_id)
