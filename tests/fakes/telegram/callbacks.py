"""Callback queries (button presses): answered once, and only within the answer timeout."""

from __future__ import annotations

from typing import Any

from .common import _bad_request

# The docs only say a callback query must be answered; how long Telegram waits is not
# documented. Bots answering after roughly 10-20 s get "query is too old" (reports in
# pyTelegramBotAPI#1615, Telethon#4073, nutgram#725); the double's default sits inside that.
DEFAULT_CALLBACK_ANSWER_TIMEOUT = 15.0
MAX_CALLBACK_ANSWER_TEXT = 200
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class CallbacksMixin:
    """FakeTelegram's answerCallbackQuery (presses are recorded by ``FakeUser``)."""

    callback_answer_timeout: float
    callback_queries: dict[str, dict[str, Any]]
    answered_callbacks: set[str]
    _callback_pressed_at: dict[str, float]

    def unanswered_callbacks(self) -> list[str]:
        return [cq for cq in self.callback_queries if cq not in self.answered_callbacks]

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        # Unknown ids and second answers: QUERY_ID_INVALID, mapped to this text by
        # telegram-bot-api (Client::fail_query_with_error).
        if query_id not in self.callback_queries or query_id in self.answered_callbacks:
            raise _bad_request(QUERY_TOO_OLD)
        # Docs (answerCallbackQuery): "text … 0-200 characters"; telegram-bot-api answers a
        # longer one with MESSAGE_TOO_LONG.
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_TEXT:
            raise _bad_request("MESSAGE_TOO_LONG")
        pressed_at = self._callback_pressed_at.get(query_id, self.now())
        if self.now() - pressed_at > self.callback_answer_timeout:
            raise _bad_request(QUERY_TOO_OLD)
        self.answered_callbacks.add(query_id)
        return True
