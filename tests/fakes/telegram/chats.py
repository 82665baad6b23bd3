"""Users and chats as the fake knows them, and how it shows them to the bot (JSON objects)."""

from __future__ import annotations

from typing import Any

from .common import BLOCKED, DEFAULT_GROUP_CHAT_ID, _ApiError, _as_int, _bad_request
from .records import BotMessage
from .user import FakeUser


class ChatsMixin:
    """FakeTelegram's users and chats (state set in ``FakeTelegram.__init__``)."""

    bot_id: int
    bot_username: str
    bot_first_name: str
    users: dict[int, FakeUser]
    chats: dict[int, dict[str, Any]]
    blocked: set[int]
    _next_message_id: dict[int, int]

    # -- users / chats -------------------------------------------------------------------------
    def user(
        self,
        user_id: int,
        first_name: str = "Admin",
        language_code: str = "fa",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """The fake human with this id (created on first call; it has "started" the bot)."""
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        user = FakeUser(self, user_id, first_name, language_code, username, last_name)
        self.users[user_id] = user
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        self.chats[user_id] = chat
        return user

    def group(
        self, chat_id: int = DEFAULT_GROUP_CHAT_ID, title: str = "Test Group"
    ) -> dict[str, Any]:
        """Register a group (negative id; ids <= -10**12 are supergroups); returns its chat."""
        if chat_id not in self.chats:
            kind = "supergroup" if chat_id <= -(10**12) else "group"
            self.chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
        return self.chats[chat_id]

    def block(self, chat_id: int) -> None:
        """From now on the bot gets 403 "bot was blocked by the user" for this chat."""
        self.blocked.add(chat_id)

    def _chat_id(self, params: dict[str, Any], *, writable: bool = True) -> int:
        raw = params.get("chat_id")
        if raw is None:
            raise _bad_request("chat_id is empty")
        chat_id: int | None
        if isinstance(raw, str) and raw.startswith("@"):
            chat_id = next(
                (cid for cid, c in self.chats.items() if c.get("username") == raw[1:]), None
            )
        else:
            chat_id = _as_int(raw)
        if chat_id is None or chat_id not in self.chats:
            raise _bad_request("chat not found")
        if writable and chat_id in self.blocked:
            raise _ApiError(403, BLOCKED)
        return chat_id

    # -- JSON the bot sees ---------------------------------------------------------------------
    def _alloc_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _bot_user_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        return dict(
            self.chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": "?"}
        )

    def _bot_message_json(self, msg: BotMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self._chat_json(msg.chat_id),
            "from": self._bot_user_json(),
        }
        if msg.edit_date:
            data["edit_date"] = msg.edit_date
        if msg.kind == "text":
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        else:
            data[msg.kind] = msg.media
            if msg.text:
                data["caption"] = msg.text
                if msg.entities:
                    data["caption_entities"] = msg.entities
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data
