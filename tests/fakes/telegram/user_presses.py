"""A fake user presses buttons (callback queries, forged ones too) and blocks or unblocks
the bot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import BotMessage

if TYPE_CHECKING:
    from .server import FakeTelegram


class UserPresses:
    """FakeUser's presses and blocking (state set in ``FakeUser.__init__``)."""

    fake: FakeTelegram
    user_id: int
    _last_chat: int

    # -- pressing ------------------------------------------------------------------------------
    def _resolve_bot_message(self, message: BotMessage | int, chat_id: int | None) -> BotMessage:
        if isinstance(message, BotMessage):
            key = (message.chat_id, message.message_id)
        else:
            key = (chat_id if chat_id is not None else self._last_chat, message)
        found = self.fake.messages.get(key)
        if found is None:
            raise AssertionError(
                f"the bot sent no message {key[1]} in chat {key[0]}\n{self.fake.dump()}"
            )
        return found

    async def press(
        self,
        message: BotMessage | int,
        button: str,
        *,
        exact: bool = False,
        chat_id: int | None = None,
    ) -> str:
        """Press the inline button whose text contains ``button`` (or equals it, if ``exact``).

        An exact text match wins over partial ones; several partial matches are an error.
        Returns the callback query id (see :meth:`answer_of`).
        """
        msg = self._resolve_bot_message(message, chat_id)
        if msg.deleted:
            raise AssertionError(f"cannot press {button!r}: message was deleted: {msg}")
        flat = [b for row in msg.inline_keyboard for b in row]
        texts = [b.get("text", "") for b in flat]
        candidates = [b for b in flat if b.get("text") == button]
        if not candidates and not exact:
            candidates = [b for b in flat if button in b.get("text", "")]
        if not candidates:
            raise AssertionError(
                f"no button {button!r} on message {msg.message_id}; buttons are {texts}\n"
                f"message text: {msg.text!r}"
            )
        if len(candidates) > 1:
            raise AssertionError(
                f"button {button!r} is ambiguous on message {msg.message_id}: "
                f"{[b['text'] for b in candidates]}; use exact=True or a longer text"
            )
        chosen = candidates[0]
        if "callback_data" not in chosen:
            raise AssertionError(f"button {chosen['text']!r} has no callback_data: {chosen}")
        return await self._callback(msg.chat_id, msg.message_id, chosen["callback_data"])

    async def press_data(self, message_id: int, data: str, *, chat_id: int | None = None) -> str:
        """Send a callback query with arbitrary (forged) data for any message id."""
        target = chat_id if chat_id is not None else self._last_chat
        return await self._callback(target, message_id, data)

    async def _callback(self, chat_id: int, message_id: int, data: str) -> str:
        query_id = str(next(self.fake._callback_ids))
        msg = self.fake.messages.get((chat_id, message_id))
        if msg is not None and not msg.deleted:
            message_json = self.fake._bot_message_json(msg)
        else:  # InaccessibleMessage
            message_json = {
                "chat": self.fake._chat_json(chat_id),
                "message_id": message_id,
                "date": 0,
            }
        payload = {
            "id": query_id,
            "from": self.json(),
            "message": message_json,
            "chat_instance": f"{abs(chat_id) * 7919 + 13}",
            "data": data,
        }
        self.fake.callback_queries[query_id] = payload
        self.fake._callback_pressed_at[query_id] = self.fake.now()
        self._mark(chat_id)
        self.fake._enqueue("callback_query", payload)
        return query_id

    # -- blocking ------------------------------------------------------------------------------
    def block(self) -> None:
        """The user blocks the bot: later sends get 403; the bot gets a my_chat_member update."""
        self.fake.block(self.user_id)
        self._member_update("member", "kicked")

    def unblock(self) -> None:
        self.fake.blocked.discard(self.user_id)
        self._member_update("kicked", "member")

    def _member_update(self, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": self.fake._bot_user_json()}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.fake._enqueue(
            "my_chat_member",
            {
                "chat": self.fake._chat_json(self.user_id),
                "from": self.json(),
                "date": int(self.fake.now()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )
