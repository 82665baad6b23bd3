"""The gate: who may talk to the bot, and where.

:class:`GateProcessor` runs before python-telegram-bot builds a context: strangers and
group chats never reach a handler, ``user_data``/``chat_data`` or persistence, so a flood
of them costs an in-memory check each and cannot delay an admin. A stranger gets one polite
refusal (with their numeric id) per hour, one audit row per day and a per-day count; groups
get silence (except a warning when an admin pastes what looks like an API key there).

:func:`gate` (handler group -2) then handles known users in private: roles, stale or
forged buttons, key-shaped messages, edited messages.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, BaseUpdateProcessor

from bot.domain import Step
from bot.keylike import looks_like_key
from bot.logs import SECRETS
from bot.texts import LANGUAGES, t
from handlers.common import Context, answer, notify, services

log = logging.getLogger("handlers.gate")

# Buttons and commands of composing (the conversation's menus, drafts, "send again",
# "fix", a draft's book list): for ADMIN_IDS only.
_COMPOSE_PRESS = re.compile(r"^(?:dr|ag|fx|[rsbomcxwvku]|bl:d|nm|tx|st|ph):")
_COMPOSE_COMMANDS = ("send", "drafts", "texts", "phone")

# Every shape of callback data the bot's keyboards make, checked before any handler parses
# it: ASCII digits only ("²".isdigit() is True), ids of at most 12 digits (SQLite integers
# overflow past 19), known languages and steps; the compose menus own their words, with
# digit runs kept under 19.
_ID = r"[0-9]{1,12}"
_VALID_PRESS = re.compile(
    rf"""
      (?:ap|rj|rn|rk|wd|rp|cn|rt|rc|ag|nx|ny|nk|ss|st):{_ID}
    | nm:x
    | ph:[fc]
    | u:(?:t:{_ID}|p:[0-9]{{1,6}}|x|l)
    | tx:(?:[rdy]:{_ID}|p:[0-9]{{1,6}})
    | hs:[0-9]{{1,6}}
    | pl:[vcg]:{_ID}
    | lg:(?:{"|".join(LANGUAGES)})
    | bl:[rd]:{_ID}
    | dr:(?:[ocdyn]:{_ID}|p:[0-9]{{1,6}}|e)
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
    if chat.type != ChatType.PRIVATE or user.id not in settings.known_users:
        raise ApplicationHandlerStop  # GateProcessor drops these first; this is a backstop
    data = context.user_data
    if "lang" not in data:
        data["lang"] = (await services(context).store.get_profile(user.id)).lang
    await remember_identity(context, user.id, user.first_name[:64], user.username)
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
    command = _command(message.text or "") if message else ""
    if update.callback_query is not None or command not in ("", "phone"):
        data.pop("await_contact", None)  # test SMS: a press or a command ends the wait
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


async def remember_identity(
    context: Context, user_id: int, first_name: str, username: str | None
) -> None:
    """Keep the name and @username the cards show; the profile row is written on change only."""
    data = context.user_data
    data["name"], data["username"] = first_name, username
    if data.get("identity_saved") != [first_name, username]:
        await services(context).store.set_identity(user_id, first_name, username)
        data["identity_saved"] = [first_name, username]


def _command(text: str) -> str:
    return text.split(maxsplit=1)[0][1:].split("@")[0].lower() if text.startswith("/") else ""


def _composes(update: Update) -> bool:
    """A compose command or button (approver-only users get a short refusal for these)."""
    if update.callback_query is not None:
        return bool(_COMPOSE_PRESS.match(update.callback_query.data or ""))
    if update.message is not None and update.message.contact is not None:
        return True  # test SMS: registering one's own number is for composers
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


async def _warn_key_in_group(app: Application, update: Update) -> None:
    """An admin pasted something key-like into a group: delete it if we can, warn in private."""
    message = update.message
    user = update.effective_user
    assert message is not None and user is not None
    SECRETS.add(message.text.strip())
    try:
        await message.delete()
    except TelegramError:
        pass  # not an admin of that group: the warning still tells them to revoke it
    store = app.services.store  # type: ignore[attr-defined]
    data = app.user_data.get(user.id) or {}
    lang = data.get("lang") or (await store.get_profile(user.id)).lang
    await store.audit(user.id, "key_in_group_refused", f"chat:{message.chat_id}")
    try:
        await app.bot.send_message(user.id, t(lang, "group_key_warning"))
    except TelegramError as exc:
        log.info("could not warn about a key in a group: %s", exc)


def _update_kind(update: Update) -> str:
    if update.callback_query is not None:
        return "callback"
    if update.message is not None:
        return "command" if (update.message.text or "").startswith("/") else "message"
    return "other"


# ---------------------------------------------------------------- pre-filter

REFUSE_EVERY = 3600.0  # seconds: one refusal per stranger per hour
REFUSALS_PER_SECOND = 5.0  # strangers' share of the bot's ~30 messages/s to Telegram
FLUSH_AFTER = 1.0  # seconds: stranger counts are written in one batch
_REMEMBERED = 50_000  # strangers remembered for the hourly refusal (oldest forgotten)


class GateProcessor(BaseUpdateProcessor):
    """Screens every update before python-telegram-bot builds a context for it.

    Known users' updates run one at a time, as before (the conversation assumes it).
    Strangers, groups and user-less updates are dropped here in microseconds; their
    refusals, answers and audit counts run as background tasks, paced so that they never
    use up the Bot API rate limit an admin's reply needs."""

    def __init__(self) -> None:
        super().__init__(max_concurrent_updates=1)
        self.app: Application | None = None
        self._refused: dict[int, float] = {}  # stranger -> monotonic time of the refusal
        self._tokens = REFUSALS_PER_SECOND
        self._filled = time.monotonic()
        self._seen: dict[tuple[int, str], tuple[int, str]] = {}
        self._flushing: asyncio.Task[Any] | None = None

    def bind(self, app: Application) -> None:
        self.app = app

    async def initialize(self) -> None:
        """Nothing to set up: the application is bound at registration."""

    async def shutdown(self) -> None:
        """Background work is awaited by the application's own stop()."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self.app is not None and isinstance(update, Update) and not self._admit(update):
            coroutine.close()  # never started: no context, no persistence, no handler
            return
        await coroutine

    def _admit(self, update: Update) -> bool:
        app = self.app
        assert app is not None
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return False  # channel posts, polls: nothing for us
        known = user.id in app.services.settings.known_users  # type: ignore[attr-defined]
        if chat.type != ChatType.PRIVATE:
            message = update.message
            if known and message is not None and looks_like_key(message.text):
                app.create_task(_warn_key_in_group(app, update), update=update)
            return False
        if known:
            return True
        self._stranger(update, user.id)
        return False

    def _stranger(self, update: Update, user_id: int) -> None:
        app = self.app
        assert app is not None
        day = datetime.now(UTC).date().isoformat()
        count, kind = self._seen.get((user_id, day), (0, _update_kind(update)))
        self._seen[(user_id, day)] = (count + 1, kind)
        if self._flushing is None or self._flushing.done():
            self._flushing = app.create_task(self._flush_later())
        now = time.monotonic()
        if update.callback_query is not None:
            # a press must be answered (or its button spins); it costs no message
            app.create_task(answer(update, t("fa", "stranger_button", user_id=user_id), True))
            return
        last = self._refused.get(user_id)
        if last is not None and now - last < REFUSE_EVERY:
            return
        if update.message is None or not self._take_token(now):
            return  # not refused yet: a later message may be
        self._refused[user_id] = now
        if len(self._refused) > _REMEMBERED:
            self._refused.pop(next(iter(self._refused)))
        text = t("fa", "stranger", user_id=user_id)
        app.create_task(_send_quietly(app, user_id, text))

    def _take_token(self, now: float) -> bool:
        """A token bucket: refusals may not crowd the Bot API limit admins need."""
        self._tokens = min(
            REFUSALS_PER_SECOND, self._tokens + (now - self._filled) * REFUSALS_PER_SECOND
        )
        self._filled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_AFTER)
        await self.flush()

    async def flush(self) -> None:
        """Write the stranger counts gathered so far (one transaction)."""
        seen, self._seen = self._seen, {}
        if seen and self.app is not None:
            store = self.app.services.store  # type: ignore[attr-defined]
            await store.count_strangers(seen)
            log.info(
                "refused %d updates from %d strangers",
                sum(c for c, _ in seen.values()),
                len({u for u, _ in seen}),
            )


async def _send_quietly(app: Application, chat_id: int, text: str) -> None:
    try:
        await app.bot.send_message(chat_id, text)
    except TelegramError as exc:
        log.info("could not refuse a stranger: %s", exc)
