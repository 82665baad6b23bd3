"""The fake Telegram Bot API server, kept importable under its old name.

It lives in the package :mod:`tests.fakes.telegram` (split by concern); this module re-exports
its names so ``from tests.fakes.telegram_api import BotMessage, FakeUser, ...`` keeps working.
"""

from __future__ import annotations

from .telegram import (
    DEFAULT_GROUP_CHAT_ID,
    DEFAULT_SUPERGROUP_CHAT_ID,
    DEFAULT_TOKEN,
    FAILURE_KINDS,
    ApiCall,
    BotMessage,
    FakeTelegram,
    FakeUser,
    UserMessage,
)
from .telegram.callbacks import DEFAULT_CALLBACK_ANSWER_TIMEOUT, QUERY_TOO_OLD
from .telegram.common import BLOCKED, NOT_MODIFIED, _as_int
from .telegram.messages import DELETE_WINDOW_SECONDS
from .telegram.validation import (
    CANT_PARSE_MARKUP,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
)

__all__ = [
    "BLOCKED",
    "CANT_PARSE_MARKUP",
    "DEFAULT_CALLBACK_ANSWER_TIMEOUT",
    "DEFAULT_GROUP_CHAT_ID",
    "DEFAULT_SUPERGROUP_CHAT_ID",
    "DEFAULT_TOKEN",
    "DELETE_WINDOW_SECONDS",
    "FAILURE_KINDS",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "ApiCall",
    "BotMessage",
    "FakeTelegram",
    "FakeUser",
    "UserMessage",
    "_as_int",
]
