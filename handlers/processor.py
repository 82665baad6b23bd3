"""The update processor: screens every update before python-telegram-bot builds a context,
then runs known users' updates concurrently, each user's own updates in order.

Strangers and group chats never reach a handler, ``user_data``/``chat_data`` or
persistence, so a flood of them costs an in-memory check each and cannot delay an admin. A
stranger gets one polite refusal (with their numeric id) per hour, one audit row per day
and a per-day count; groups get silence (except a warning when an admin pastes what looks
like an API key there). Known users in private go on to :func:`handlers.gate.gate`.

Why per-user order is enough for ``ConversationHandler``: PTB warns that it "heavily relies
on incoming updates being processed one by one" (its docstring; the wiki page "Concurrency",
section on tailor-made concurrency, suggests a ``BaseUpdateProcessor`` for exactly this).
What it relies on is that two updates of the *same conversation key* never overlap: the
state of a key is read when an update arrives and written when its callback returns. Our
conversation is keyed per chat and user, and only private chats get past the screening, so
the key is the user: one lane per user keeps every key's updates one at a time and in
arrival order, while different keys share nothing in the handler. What several users do
share is made safe elsewhere: every decision on a request, a broadcast or a plan is a
compare-and-set in the store (one transaction under the store's lock), PTB's
``update_persistence`` runs under its own lock, and other users' ``user_data`` is only read.
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
# updates running or waiting for their user's lane at once (a waiting one holds a slot)
MAX_CONCURRENT_UPDATES = 256
_REMEMBERED = 50_000  # strangers remembered for the hourly refusal (oldest forgotten)


class _Lane:
    """One user's updates, one at a time: asyncio.Lock wakes its waiters first come, first
    served, and an update reaches ``acquire`` without awaiting anything before it, so the
    lane keeps the order in which PTB handed the updates over."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # updates holding or waiting for the lock; at 0 the lane is dropped


class GateProcessor(BaseUpdateProcessor):
    """Screens every update, then runs it in its user's lane: one user's slow provider call
    delays only that user's next update, never another admin's. Strangers, groups and
    user-less updates are dropped here in microseconds; their refusals, answers and audit
    counts run as background tasks, paced so that they never use up the Bot API rate limit
    an admin's reply needs."""

    def __init__(self, known_users: frozenset[int], store: Store) -> None:
        super().__init__(max_concurrent_updates=MAX_CONCURRENT_UPDATES)
        self._lanes: dict[int | None, _Lane] = {}
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
        key: int | None = None  # anything but an Update (none today) shares one lane
        if isinstance(update, Update):
            if not self._admit(update):
                if isinstance(coroutine, Coroutine):
                    coroutine.close()  # never started: no context, persistence or handler
                return
            assert update.effective_user is not None  # _admit let no user-less update in
            key = update.effective_user.id
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.users += 1
        try:
            try:
                await lane.lock.acquire()
            except asyncio.CancelledError:
                if isinstance(coroutine, Coroutine):
                    coroutine.close()  # stopped while waiting: it never started
                raise
            try:
                await coroutine
            finally:
                lane.lock.release()
        finally:
            lane.users -= 1
            if lane.users == 0:
                del self._lanes[key]  # idle: a lane per admin ever seen would only grow

    @property
    def busy_lanes(self) -> int:
        """Users with an update running or waiting (for tests and logs)."""
        return len(self._lanes)

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
