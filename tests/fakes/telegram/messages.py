"""The bot's messages: send (text and media), edit, delete, chat actions, chats and files."""

from __future__ import annotations

from typing import Any

from ..html_check import utf16_len
from .common import NOT_MODIFIED, _ApiError, _as_int, _bad_request
from .records import BotMessage, UserMessage
from .validation import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH

# Bot API docs, deleteMessage: "A message can only be deleted if it was sent less than 48 hours
# ago." Older ones answer "message can't be deleted for everyone" (observed; the docs do not
# give the text, bot code on GitHub matches on it, e.g. "more than 48 hours have passed").
DELETE_WINDOW_SECONDS = 48 * 3600

_MEDIA_METHODS = {
    "sendphoto": "photo",
    "senddocument": "document",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendsticker": "sticker",
    "sendanimation": "animation",
    "sendvideonote": "video_note",
}


class MessagesMixin:
    """FakeTelegram's message methods; every text passes :class:`ValidationMixin`."""

    messages: dict[tuple[int, int], BotMessage]
    user_messages: dict[tuple[int, int], UserMessage]
    files: dict[str, bytes]
    _bot_log: list[BotMessage]

    # -- finding and making messages -----------------------------------------------------------
    def _find_editable(self, params: dict[str, Any]) -> BotMessage:
        if params.get("inline_message_id"):
            raise _bad_request("MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id"))
        msg = self.messages.get((chat_id, message_id or 0))
        if msg is None or msg.deleted:
            user_msg = self.user_messages.get((chat_id, message_id or 0))
            if user_msg is not None and not user_msg.deleted:
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return msg

    def _new_bot_message(self, chat_id: int, params: dict[str, Any], **fields: Any) -> BotMessage:
        reply_to = _as_int(params.get("reply_to_message_id"))
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = _as_int(reply_parameters.get("message_id"))
        msg = BotMessage(
            chat_id=chat_id,
            message_id=self._alloc_message_id(chat_id),
            date=int(self.now()),
            reply_to_message_id=reply_to,
            **fields,
        )
        self.messages[(chat_id, msg.message_id)] = msg
        self._bot_log.append(msg)
        return msg

    def _new_file(self, content: bytes | None = None) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id = f"FAKEFILE{n:06d}"
        if content is not None:
            self.files[file_id] = content
        return file_id, f"FAKEUNIQUE{n:06d}"

    # -- sending -------------------------------------------------------------------------------
    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        raw_text = params.get("text")
        raw_text = "" if raw_text is None else str(raw_text)
        text, entities = self._render(raw_text, params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        self._check_private_requests(chat_id, markup)
        msg = self._new_bot_message(
            chat_id,
            params,
            text=text,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
        )
        return self._bot_message_json(msg)

    def _send_media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        if params.get(kind) is None:
            raise _bad_request(f"there is no {kind} in the request")
        raw_caption = str(params.get("caption") or "")
        caption, entities = self._render(
            raw_caption, params.get("parse_mode"), params.get("caption_entities")
        )
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup = self._check_markup(params.get("reply_markup"))
        source = params[kind]
        content: bytes | None = None
        file_name: str | None = None
        mime_type = "application/octet-stream"
        if isinstance(source, dict) and "content" in source:
            content = source["content"]
            file_name = source.get("filename")
            mime_type = source.get("content_type") or mime_type
        elif isinstance(source, str) and source.startswith("attach://"):
            attached = params.get(source[len("attach://") :])
            if isinstance(attached, dict):
                content = attached.get("content")
                file_name = attached.get("filename")
        file_id, unique_id = self._new_file(content)
        size = len(content) if content is not None else 0
        media = _media_object(kind, file_id, unique_id, size, file_name, mime_type)
        msg = self._new_bot_message(
            chat_id,
            params,
            text=caption,
            raw_text=raw_caption,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
            kind=kind,
            media=media,
            file_name=file_name,
            file_content=content,
        )
        return self._bot_message_json(msg)

    # -- editing -------------------------------------------------------------------------------
    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_editable(params)
        if msg.kind != "text":
            raise _bad_request("there is no text in the message to edit")
        raw_text = params.get("text")
        raw_text = "" if raw_text is None else str(raw_text)
        text, entities = self._render(raw_text, params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if (
            text == msg.text
            and entities == msg.entities
            and self._inline_only(markup) == self._inline_only(msg.reply_markup)
        ):
            raise _ApiError(400, NOT_MODIFIED)
        msg.history.append(msg.text)
        msg.text, msg.raw_text, msg.entities = text, raw_text, entities
        msg.parse_mode = params.get("parse_mode")
        msg.reply_markup = markup
        msg.edits += 1
        msg.edit_date = int(self.now())
        return self._bot_message_json(msg)

    def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_editable(params)
        if msg.kind == "text":
            raise _bad_request("there is no caption in the message to edit")
        raw_caption = str(params.get("caption") or "")
        caption, entities = self._render(
            raw_caption, params.get("parse_mode"), params.get("caption_entities")
        )
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if (
            caption == msg.text
            and entities == msg.entities
            and self._inline_only(markup) == self._inline_only(msg.reply_markup)
        ):
            raise _ApiError(400, NOT_MODIFIED)
        msg.history.append(msg.text)
        msg.text, msg.raw_text, msg.entities = caption, raw_caption, entities
        msg.reply_markup = markup
        msg.edits += 1
        msg.edit_date = int(self.now())
        return self._bot_message_json(msg)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_editable(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if self._inline_only(markup) == self._inline_only(msg.reply_markup):
            raise _ApiError(400, NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edits += 1
        msg.edit_date = int(self.now())
        return self._bot_message_json(msg)

    # -- deleting ------------------------------------------------------------------------------
    def _delete_one(self, chat_id: int, message_id: int | None) -> bool:
        """Delete a live message; False if there is none; 400 if it is too old."""
        key = (chat_id, message_id or 0)
        bot_msg = self.messages.get(key)
        user_msg = self.user_messages.get(key)
        found: BotMessage | UserMessage | None = None
        date = 0
        if bot_msg is not None and not bot_msg.deleted:
            found, date = bot_msg, bot_msg.date
        elif user_msg is not None and not user_msg.deleted:
            found, date = user_msg, int(user_msg.payload.get("date") or 0)
        if found is None:
            return False
        if self.now() - date >= DELETE_WINDOW_SECONDS:
            raise _bad_request("message can't be deleted for everyone")
        found.deleted = True
        return True

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_id(params, writable=False)
        if not self._delete_one(chat_id, _as_int(params.get("message_id"))):
            raise _bad_request("message to delete not found")
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_id(params, writable=False)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise _bad_request("message_ids is empty")
        for message_id in ids:
            # Docs: messages that "can't be found" are skipped; the fake skips too-old ones
            # as well (the docs are silent on them) instead of failing the whole call.
            try:
                self._delete_one(chat_id, _as_int(message_id))
            except _ApiError:
                continue
        return True

    # -- chats and files -----------------------------------------------------------------------
    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat_id(params)
        return True

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_json(self._chat_id(params, writable=False))
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return chat

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise _bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id.replace("FAKEFILE", "FAKEUNIQUE"),
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }


def _media_object(
    kind: str,
    file_id: str,
    unique_id: str,
    size: int,
    file_name: str | None,
    mime_type: str,
) -> Any:
    base: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}
    if kind == "photo":
        return [{**base, "width": 800, "height": 800}]
    if kind == "document":
        return {**base, "file_name": file_name or "file", "mime_type": mime_type}
    if kind in ("audio", "voice"):
        return {**base, "duration": 1}
    if kind in ("video", "animation"):
        return {**base, "width": 320, "height": 240, "duration": 1}
    if kind == "video_note":
        return {**base, "length": 240, "duration": 1}
    if kind == "sticker":
        return {
            **base,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    return base
