"""Test doubles for external services (fake Telegram Bot API server, ...)."""

from .telegram_api import ApiCall, BotMessage, FakeTelegram, FakeUser, UserMessage

__all__ = ["ApiCall", "BotMessage", "FakeTelegram", "FakeUser", "UserMessage"]
