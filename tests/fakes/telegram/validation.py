"""The rules that make the fake as strict as the real Bot API: HTML entities, text and caption
lengths, callback data size, reply markup shapes (exact descriptions of the real answers)."""

from __future__ import annotations

import json
from typing import Any

from ..html_check import EntityParseError, parse_html
from .common import _bad_request

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
CANT_PARSE_MARKUP = "can't parse reply keyboard markup JSON object"

# InlineKeyboardButton fields that give a button its type; the docs: "Exactly one of the
# optional fields must be used to specify type of the button".
_INLINE_BUTTON_TYPES = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# KeyboardButton fields that make a reply button ask for something (docs: mutually exclusive).
REPLY_BUTTON_TYPES = (
    "request_users",
    "request_chat",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)
# tdlib (ReplyMarkup.cpp) refuses contact and location requests outside private chats.
PRIVATE_ONLY_REQUEST = {
    "request_contact": "phone number can be requested in private chats only",
    "request_location": "location can be requested in private chats only",
}


class ValidationMixin:
    """FakeTelegram's checks, raising the Bot API's exact 400 answers."""

    def _render(
        self, text: str, parse_mode: Any, entities: Any
    ) -> tuple[str, list[dict[str, Any]]]:
        mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            try:
                return parse_html(text)
            except EntityParseError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from None
        if isinstance(entities, list):
            return text, entities
        return text, []

    @staticmethod
    def _check_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        """Validate ``reply_markup`` like Telegram; returns it, or None when it was not sent.

        Shapes and descriptions follow tdlib/telegram-bot-api ``Client::get_reply_markup`` /
        ``get_inline_keyboard_button_type`` (first letter lower-cased by its error path).
        """
        if markup is None:
            return None
        if isinstance(markup, str):  # the form value was not JSON at all
            raise _bad_request(CANT_PARSE_MARKUP)
        if not isinstance(markup, dict):
            raise _bad_request("object expected as reply markup")
        kind: str | None = None
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list):
                raise _bad_request('field "keyboard" must be of type Array')
            for row in rows:
                if not isinstance(row, list):
                    raise _bad_request('field "keyboard" must be an Array of Arrays')
                for button in row:
                    ValidationMixin._check_reply_button(button)
            if any(rows):
                kind = "keyboard"
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list):
                raise _bad_request('field "inline_keyboard" must be of type Array')
            for row in rows:
                if not isinstance(row, list):
                    raise _bad_request(
                        'field "inline_keyboard" of the InlineKeyboardMarkup must be an '
                        "Array of Arrays"
                    )
                for button in row:
                    ValidationMixin._check_inline_button(button)
            if kind is None and any(rows):
                kind = "inline_keyboard"
        if kind is None and markup.get("remove_keyboard") is True:
            kind = "remove_keyboard"
        if kind is None and markup.get("force_reply") is True:
            kind = "force_reply"
        if kind is None:
            # ``{}``, ``{"inline_keyboard": []}``, ``[[]]``, ``remove_keyboard: false``: no
            # keyboard type with content. The open-source telegram-bot-api would read these
            # as "no markup", but api.telegram.org answered 400 with this text when the bot
            # sent PTB's ``InlineKeyboardMarkup([])`` (= ``{}``) for /history (observed in
            # production; the issue that added this rule); the docs list only the four types.
            raise _bad_request(CANT_PARSE_MARKUP)
        if inline_only and kind != "inline_keyboard":
            # td's get_inline_reply_markup for edits; seen as "Bad Request: inline keyboard
            # expected" (pengrad/java-telegram-bot-api#82).
            raise _bad_request("inline keyboard expected")
        return markup

    @staticmethod
    def _check_reply_button(button: Any) -> None:
        if isinstance(button, str):
            return
        prefix = "can't parse keyboard button: "
        if not isinstance(button, dict):
            raise _bad_request(prefix + "KeyboardButton must be a String or an Object")
        _check_text_field(button, prefix)
        for flag in ("request_contact", "request_location"):
            if flag in button and not isinstance(button[flag], bool):
                raise _bad_request(prefix + f'Field "{flag}" must be of type Boolean')
        # Docs (KeyboardButton): the optional request_*/web_app fields "are mutually
        # exclusive". The wording of the refusal is the fake's.
        kinds = [k for k in REPLY_BUTTON_TYPES if button.get(k) not in (None, False)]
        if len(kinds) > 1:
            raise _bad_request(prefix + f"the fields {kinds} are mutually exclusive")

    def _check_private_requests(self, chat_id: int, markup: dict[str, Any] | None) -> None:
        if not markup or "keyboard" not in markup or self.chats[chat_id]["type"] == "private":
            return
        for row in markup["keyboard"]:
            for button in row:
                for flag, refusal in PRIVATE_ONLY_REQUEST.items():
                    if isinstance(button, dict) and button.get(flag) is True:
                        raise _bad_request(refusal)

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        prefix = "can't parse inline keyboard button: "
        if not isinstance(button, dict):
            raise _bad_request(prefix + "InlineKeyboardButton must be an Object")
        _check_text_field(button, prefix)
        if button["text"] == "":  # the server refuses it too; this wording is the fake's
            raise _bad_request(prefix + "Text must be non-empty")
        # The real server treats an empty url/callback_data as absent.
        types = [
            key for key in _INLINE_BUTTON_TYPES if key in button and button[key] not in ("", None)
        ]
        if not types:
            raise _bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
        if len(types) > 1:
            # Stricter than observed: telegram-bot-api silently keeps the first field in its
            # order (url, callback_data, ...), so the other one is lost; the docs demand
            # exactly one, and the fake says so instead of dropping a field.
            raise _bad_request(prefix + f"exactly one of the fields {types} must be used")
        if "callback_data" in button:
            data = button["callback_data"]
            # Docs: "Data to be sent in a callback query to the bot when the button is
            # pressed, 1-64 bytes"; the server answers BUTTON_DATA_INVALID beyond that.
            if not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")

    @staticmethod
    def _inline_only(markup: dict[str, Any] | None) -> str:
        if not markup or "inline_keyboard" not in markup:
            return ""
        return json.dumps(markup["inline_keyboard"], sort_keys=True)


def _check_text_field(button: dict[str, Any], prefix: str) -> None:
    """A button's required "text", with tdlib's JSON helper errors (JsonBuilder.cpp)."""
    if "text" not in button:
        raise _bad_request(prefix + 'Can\'t find field "text"')
    if isinstance(button["text"], bool) or not isinstance(button["text"], (str, int, float)):
        raise _bad_request(prefix + 'Field "text" must be of type String')
