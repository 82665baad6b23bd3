"""The update processor: screens every update before python-telegram-bot builds a context.

Strangers and group chats never reach a handler, ``user_data``/``chat_data`` or
persistence, so a flood of them costs an in-memory check each and cannot delay an admin. A
stranger gets one polite refusal (with their numeric id) per hour, one audit row per day
and a per-day count; groups get silence (except a warning when an admin pastes what looks
like an API key there). Known users in private go on to :func:`handlers.gate.gate`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Coroutine
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from bot.keylike import looks_like_key
from bot.logs import SECRETS
from bot.texts import t
from handlers.common import answer
from storage import Store

log = logging.getLogger("handlers.gate")

REFUSE_EVERY = 3600.0  # seconds: one refusal per stranger per hour
REFUSALS_PER_SECOND = 5.0  # strangers' share of the bot's ~30 messages/s to Telegram
FLUSH_AFTER = 1.0  # seconds: stranger counts are written in one batch
DRAIN_FOR = 2.0  # seconds shutdown waits for refusals still on their way
_REMEMBERED = 50_000  # strangers remembered for the hourly refusal (oldest forgotten)


class GateProcessor(BaseUpdateProcessor):
    """Screens every update; known users' updates run one at a time, as before (the
    conversation assumes it). Strangers, groups and user-less updates are dropped here in
    microseconds; their refusals, answers and audit counts run as background tasks, paced
    so that they never use up the Bot API rate limit an admin's reply needs."""

    def __init__(self, known_users: frozenset[int], store: Store) -> None:
        super().__init__(max_concurrent_updates=1)
        self._known = known_users
        self._store = store
        self._refused: dict[int, float] = {}  # stranger -> monotonic time of the refusal
        self._tokens = REFUSALS_PER_SECOND
        self._filled = time.monotonic()
        self._seen: dict[tuple[int, str], tuple[int, str]] = {}
        self._flushing: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def initialize(self) -> None:
        """Nothing to set up: everything is given at construction."""

    async def shutdown(self) -> None:
        """Let refusals on their way finish (briefly), then write the last counts."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=DRAIN_FOR)
        for task in set(self._tasks):
            task.cancel()
        await self.flush()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update) and not self._admit(update):
            if isinstance(coroutine, Coroutine):
                coroutine.close()  # never started: no context, no persistence, no handler
            return
        await coroutine

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a screening task failed: %r", task.exception())

    def _admit(self, update: Update) -> bool:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return False  # channel posts, polls: nothing for us
        known = user.id in self._known
        if chat.type != ChatType.PRIVATE:
            message = update.message
            if known and message is not None and looks_like_key(message.text):
                self._spawn(self._warn_key_in_group(update))
            return False
        if known:
            return True
        self._stranger(update, user.id)
        return False

    def _stranger(self, update: Update, user_id: int) -> None:
        day = datetime.now(UTC).date().isoformat()
        count, kind = self._seen.get((user_id, day), (0, _update_kind(update)))
        self._seen[(user_id, day)] = (count + 1, kind)
        if self._flushing is None or self._flushing.done():
            self._flushing = self._spawn(self._flush_later())
        now = time.monotonic()
        if update.callback_query is not None:
            # a press must be answered (or its button spins); it costs no message
            self._spawn(answer(update, t("fa", "stranger_button", user_id=user_id), True))
            return
        last = self._refused.get(user_id)
        if last is not None and now - last < REFUSE_EVERY:
            return
        if update.message is None or not self._take_token(now):
            return  # not refused yet: a later message may be
        self._refused[user_id] = now
        if len(self._refused) > _REMEMBERED:
            self._refused.pop(next(iter(self._refused)))
        self._spawn(_send_quietly(update, user_id, t("fa", "stranger", user_id=user_id)))

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
        if seen and self._store.is_open:
            await self._store.count_strangers(seen)
            log.info(
                "refused %d updates from %d strangers",
                sum(c for c, _ in seen.values()),
                len({u for u, _ in seen}),
            )

    async def _warn_key_in_group(self, update: Update) -> None:
        """An admin pasted something key-like into a group: delete it if we can, warn in
        private."""
        message, user = update.message, update.effective_user
        assert message is not None and user is not None and message.text is not None
        SECRETS.add(message.text.strip())
        try:
            await message.delete()
        except Exception:  # not an admin of that group: the warning still tells them to revoke it
            pass
        lang = (await self._store.get_profile(user.id)).lang
        await self._store.audit(user.id, "key_in_group_refused", f"chat:{message.chat_id}")
        await _send_quietly(update, user.id, t(lang, "group_key_warning"))


def _update_kind(update: Update) -> str:
    if update.callback_query is not None:
        return "callback"
    if update.message is not None:
        return "command" if (update.message.text or "").startswith("/") else "message"
    return "other"


async def _send_quietly(update: Update, chat_id: int, text: str) -> None:
    try:
        await update.get_bot().send_message(chat_id, text)
    except Exception as exc:  # best effort, even with the bot already shut down
        log.info("could not send a refusal or warning: %s", exc)
