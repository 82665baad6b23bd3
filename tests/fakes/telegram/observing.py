"""What tests read from the server side (calls, messages, commands, a dump for assertion
messages) and how they wait for the bot (``wait_until``, ``idle``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from .common import _GETUPDATES
from .records import ApiCall, BotMessage


class ObservingMixin:
    """FakeTelegram's read side for tests (state set in ``FakeTelegram.__init__``)."""

    calls: list[ApiCall]
    commands: dict[tuple[str, str], list[dict[str, str]]]
    _bot_log: list[BotMessage]
    _updates: list[dict[str, Any]]
    _changed_event: asyncio.Event
    _inflight: int
    _pollers: int
    _last_activity: float

    # -- observation ---------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[ApiCall]:
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    def bot_calls(self) -> list[ApiCall]:
        """All calls except getUpdates (the polling noise)."""
        return [c for c in self.calls if c.method.lower() != _GETUPDATES]

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard the chat shows now: the newest bot message that set one
        (``keyboard``) or took it away (``remove_keyboard``) decides; None when none."""
        for msg in reversed(self.chat_messages(chat_id, include_deleted=True)):
            markup = msg.reply_markup or {}
            if "keyboard" in markup and any(markup["keyboard"]):
                return markup
            if markup.get("remove_keyboard") is True:
                return None
        return None

    def chat_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        found = [m for m in self._bot_log if m.chat_id == chat_id]
        return [m for m in found if include_deleted or not m.deleted]

    @property
    def polling(self) -> bool:
        """True while a getUpdates request is being held open (the bot is ready for updates)."""
        return self._pollers > 0

    @property
    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet (not fetched, or fetched but no later offset)."""
        return len(self._updates)

    def commands_for(
        self, scope: str = "default", language_code: str = ""
    ) -> list[tuple[str, str]]:
        """``[(command, description), ...]`` of the last setMyCommands for that scope/language.

        scope is the scope type, plus ``:chat_id`` (``"chat:-1000"``) or ``:chat_id:user_id``
        (``"chat_member:-1000:5"``) for the scopes that have them.
        """
        cmds = self.commands.get((scope, language_code), [])
        return [(c["command"], c["description"]) for c in cmds]

    def dump(self, last_calls: int = 25) -> str:
        """Human-readable state, used in assertion messages."""
        lines = [f"pending updates: {self.pending_updates}", f"last {last_calls} bot calls:"]
        calls = self.bot_calls()[-last_calls:]
        lines += [f"  {c!r}" for c in calls] or ["  (none)"]
        lines.append("bot messages:")
        lines += [f"  {m}" for m in self._bot_log] or ["  (none)"]
        return "\n".join(lines)

    # -- waiting -------------------------------------------------------------------------------
    def _changed(self) -> None:
        self._changed_event.set()
        self._changed_event = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:  # noqa: ASYNC109
        if timeout <= 0:
            return
        event = self._changed_event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
        message: str = "",
    ) -> None:
        """Wait until ``predicate()`` is truthy; checked on every server event and every 50 ms."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                what = message or getattr(predicate, "__name__", "condition")
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}\n{self.dump()}"
                )
            await self._wait_change(min(0.05, remaining))

    async def idle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until no update is pending and no (non-getUpdates) call came for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if self._inflight == 0 and not self._updates and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                raise AssertionError(
                    f"bot did not become idle within {timeout}s "
                    f"(in-flight calls: {self._inflight})\n{self.dump()}"
                )
            await self._wait_change(min(0.05, deadline - now))
