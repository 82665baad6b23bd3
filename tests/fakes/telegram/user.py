"""The fake human (:class:`FakeUser`): who they are and what they send; pressing buttons and
reading the bot's answers are in the mixins next door."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..html_check import utf16_len
from .common import DEFAULT_GROUP_CHAT_ID, DEFAULT_SUPERGROUP_CHAT_ID
from .records import UserMessage
from .user_presses import UserPresses
from .user_sees import UserSees
from .validation import REPLY_BUTTON_TYPES

if TYPE_CHECKING:
    from .server import FakeTelegram


class OWN:
    """``FakeUser.send_contact(user_id=OWN)``: the sender's own contact (the default)."""


class FakeUser(UserPresses, UserSees):
    """A human talking to the bot. Private chat id == user id."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str,
        language_code: str,
        username: str | None,
        last_name: str | None = None,
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.language_code = language_code
        self.username = username
        self._cursor: dict[int, int] = {}  # chat_id -> index into fake._bot_log
        self._last_chat = user_id
        # the account's number, as clients put it in a shared own contact (no "+")
        self.phone_number = f"98912{user_id % 10_000_000:07d}"

    @property
    def chat_id(self) -> int:
        return self.user_id

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    def __repr__(self) -> str:
        return f"<FakeUser {self.user_id} {self.first_name!r}>"

    # -- internals -----------------------------------------------------------------------------
    def _target_chat(self, chat_type: str, chat_id: int | None) -> int:
        if chat_type == "private":
            if chat_id not in (None, self.user_id):
                raise ValueError("a private chat's id is the user's id")
            return self.user_id
        if chat_type == "group":
            return self.fake.group(chat_id or DEFAULT_GROUP_CHAT_ID)["id"]
        if chat_type == "supergroup":
            return self.fake.group(chat_id or DEFAULT_SUPERGROUP_CHAT_ID)["id"]
        raise ValueError(f"unsupported chat_type {chat_type!r}")

    def _mark(self, chat_id: int) -> None:
        """Later reply() calls only return bot messages created after this point."""
        self._cursor[chat_id] = len(self.fake._bot_log)
        self._last_chat = chat_id

    def _message_json(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        bot_msg = self.fake.messages.get((chat_id, message_id))
        if bot_msg is not None:
            return self.fake._bot_message_json(bot_msg)
        user_msg = self.fake.user_messages.get((chat_id, message_id))
        return dict(user_msg.payload) if user_msg is not None else None

    async def _send_payload(
        self,
        extra: dict[str, Any],
        *,
        kind: str,
        text: str | None,
        chat_type: str = "private",
        chat_id: int | None = None,
        reply_to: int | None = None,
        forward_from: int | None = None,
    ) -> int:
        target = self._target_chat(chat_type, chat_id)
        message_id = self.fake._alloc_message_id(target)
        now = int(self.fake.now())
        payload: dict[str, Any] = {
            "message_id": message_id,
            "date": now,
            "chat": self.fake._chat_json(target),
            "from": self.json(),
            **extra,
        }
        if reply_to is not None:
            replied = self._message_json(target, reply_to)
            if replied is None:
                raise AssertionError(f"no message {reply_to} in chat {target} to reply to")
            payload["reply_to_message"] = replied
        if forward_from is not None:
            original = self.fake.users.get(forward_from)
            sender = (
                original.json()
                if original
                else {"id": forward_from, "is_bot": False, "first_name": "Someone"}
            )
            payload["forward_origin"] = {"type": "user", "sender_user": sender, "date": now - 60}
            payload["forward_from"] = sender
            payload["forward_date"] = now - 60
        self.fake.user_messages[(target, message_id)] = UserMessage(
            chat_id=target,
            message_id=message_id,
            from_id=self.user_id,
            text=text,
            kind=kind,
            payload=payload,
        )
        self._mark(target)
        self.fake._enqueue("message", payload)
        return message_id

    # -- acting --------------------------------------------------------------------------------
    async def send(
        self,
        text: str,
        *,
        chat_type: str = "private",
        chat_id: int | None = None,
        forward_from: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Send a text message; returns its message_id. "/cmd ..." gets a bot_command entity."""
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return await self._send_payload(
            extra,
            kind="text",
            text=text,
            chat_type=chat_type,
            chat_id=chat_id,
            forward_from=forward_from,
            reply_to=reply_to,
        )

    async def send_photo(self, caption: str | None = None, **chat: Any) -> int:
        file_id, unique = self.fake._new_file(b"\x89PNG fake photo")
        sizes = [
            {
                "file_id": f"{file_id}s",
                "file_unique_id": f"{unique}s",
                "width": 90,
                "height": 90,
                "file_size": 1000,
            },
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": 800,
                "height": 800,
                "file_size": 16,
            },
        ]
        extra: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        return await self._send_payload(extra, kind="photo", text=caption, **chat)

    async def send_sticker(self, emoji: str = "👍", **chat: Any) -> int:
        file_id, unique = self.fake._new_file(b"fake sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._send_payload({"sticker": sticker}, kind="sticker", text=None, **chat)

    async def send_voice(self, duration: int = 3, **chat: Any) -> int:
        file_id, unique = self.fake._new_file(b"OggS fake voice")
        voice = {
            "file_id": file_id,
            "file_unique_id": unique,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 15,
        }
        return await self._send_payload({"voice": voice}, kind="voice", text=None, **chat)

    async def send_document(
        self,
        content: bytes = b"fake document",
        file_name: str = "file.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
        **chat: Any,
    ) -> int:
        """Send a file; the bot can download ``content`` via getFile + base_file_url."""
        file_id, unique = self.fake._new_file(content)
        document = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra: dict[str, Any] = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        return await self._send_payload(extra, kind="document", text=caption, **chat)

    async def send_contact(
        self,
        phone: str,
        first_name: str | None = None,
        user_id: int | type[OWN] | None = OWN,
        **chat: Any,
    ) -> int:
        """Share a contact from the attachment menu: by default the user's own; ``user_id``
        another Telegram user's; ``user_id=None`` a phone-book entry not on Telegram (the
        docs: ``Contact.user_id`` is optional, so the field is left out)."""
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or self.first_name,
        }
        if user_id is OWN:
            contact["user_id"] = self.user_id
        elif user_id is not None:
            contact["user_id"] = user_id
        return await self._send_payload({"contact": contact}, kind="contact", text=None, **chat)

    async def share_phone(self, phone: str | None = None) -> int:
        """Tap the reply keyboard's ``request_contact`` button and confirm, as Telegram does:
        the user's own contact (their id, their account's number) goes to the private chat.
        Fails like a person would if no such button is on screen."""
        keyboard = self.fake.reply_keyboard(self.user_id) or {}
        buttons = [b for row in keyboard.get("keyboard", []) for b in row]
        if not any(isinstance(b, dict) and b.get("request_contact") is True for b in buttons):
            raise AssertionError(f"no request_contact button on screen for {self!r}")
        return await self.send_contact(phone or self.phone_number)

    async def press_reply_button(self, text: str) -> int:
        """Tap a plain button of the reply keyboard on screen: its text is sent as a message."""
        keyboard = self.fake.reply_keyboard(self.user_id) or {}
        for row in keyboard.get("keyboard", []):
            for button in row:
                label = button if isinstance(button, str) else button.get("text")
                plain = isinstance(button, str) or not any(
                    button.get(k) not in (None, False) for k in REPLY_BUTTON_TYPES
                )
                if label == text and plain:
                    return await self.send(text)
        raise AssertionError(f"no reply button {text!r} on screen for {self!r}")

    async def edit(self, message_id: int, new_text: str, *, chat_id: int | None = None) -> None:
        """Edit one of the user's own text messages (sends an edited_message update)."""
        target = chat_id if chat_id is not None else self._last_chat
        user_msg = self.fake.user_messages.get((target, message_id))
        if user_msg is None or user_msg.from_id != self.user_id:
            raise AssertionError(f"{self} has no message {message_id} in chat {target}")
        user_msg.history.append(user_msg.text or "")
        user_msg.text = new_text
        payload = dict(user_msg.payload)
        payload["text"] = new_text
        payload.pop("entities", None)
        payload["edit_date"] = int(self.fake.now())
        user_msg.payload = payload
        self._mark(target)
        self.fake._enqueue("edited_message", payload)
