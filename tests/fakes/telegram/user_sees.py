"""What a fake user sees: the bot's messages in their chat, the next replies, press answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .records import ApiCall, BotMessage

if TYPE_CHECKING:
    from .server import FakeTelegram


class UserSees:
    """FakeUser's view of the bot's messages (state set in ``FakeUser.__init__``)."""

    fake: FakeTelegram
    user_id: int
    _cursor: dict[int, int]
    _last_chat: int

    # -- observing -----------------------------------------------------------------------------
    def messages(self, chat_id: int | None = None) -> list[BotMessage]:
        """Bot messages in the private chat (or ``chat_id``): oldest first, current, not deleted."""
        target = self.user_id if chat_id is None else chat_id
        return self.fake.chat_messages(target)

    def last(self, chat_id: int | None = None) -> BotMessage:
        found = self.messages(chat_id)
        if not found:
            raise AssertionError(
                f"the bot sent no (undeleted) message to {self}\n{self.fake.dump()}"
            )
        return found[-1]

    async def reply(self, timeout: float = 5.0, *, chat_id: int | None = None) -> BotMessage:  # noqa: ASYNC109
        """The next NEW bot message in the chat of the user's last action (or ``chat_id``).

        "New" = created after the user's last send/press/edit or after the message the
        previous reply() returned. The message may since have been edited (it is the live
        object) or deleted (check ``.deleted``).
        """
        return (await self.replies(1, timeout, chat_id=chat_id))[0]

    async def replies(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        chat_id: int | None = None,
    ) -> list[BotMessage]:
        """Like :meth:`reply`, for the next ``count`` new messages."""
        target = self._last_chat if chat_id is None else chat_id
        found: list[BotMessage] = []

        def collect() -> bool:
            log_ = self.fake._bot_log
            start = self._cursor.get(target, 0)
            for index in range(start, len(log_)):
                if len(found) == count:
                    break
                if log_[index].chat_id == target:
                    found.append(log_[index])
                    self._cursor[target] = index + 1
                    start = index + 1
            self._cursor[target] = max(self._cursor.get(target, 0), start)
            return len(found) == count

        await self.fake.wait_until(
            collect,
            timeout,
            message=f"{count} new bot message(s) to chat {target} (got {len(found)})",
        )
        return found

    async def answer_of(self, callback_query_id: str, timeout: float = 5.0) -> ApiCall:  # noqa: ASYNC109
        """The bot's answerCallbackQuery call for that query (``.text``, ``.show_alert``)."""

        def answered() -> ApiCall | None:
            for call in self.fake.calls_to("answerCallbackQuery"):
                if str(call.params.get("callback_query_id")) == callback_query_id:
                    return call
            return None

        await self.fake.wait_until(
            lambda: answered() is not None,
            timeout,
            message=f"answerCallbackQuery for {callback_query_id}",
        )
        result = answered()
        assert result is not None
        return result

    def deleted(self, message_id: int, chat_id: int | None = None) -> bool:
        """Whether the message (the bot's or the user's own) was deleted."""
        target = self._last_chat if chat_id is None else chat_id
        key = (target, message_id)
        msg = self.fake.messages.get(key) or self.fake.user_messages.get(key)
        if msg is None:
            raise AssertionError(f"no message {message_id} in chat {target}")
        return msg.deleted
