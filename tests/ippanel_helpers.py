"""Shared by tests/bot/ippanel/test_client_*.py: a whole-phonebook selection and a default send."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from bot.ippanel import IPPanelClient
from tests.sandbox_fixtures import SANDBOX_KEY, SANDBOX_SENDER

TEHRAN = timezone(timedelta(hours=3, minutes=30))
FIRST_BOOK = "120000"


def whole(*ids: str) -> list[dict[str, Any]]:
    return [{"type": "all", "phonebook_ids": list(ids)}]


async def send(client: IPPanelClient, **overrides: Any):
    kwargs: dict[str, Any] = {
        "sender": SANDBOX_SENDER,
        "message": "سلام، این یک پیام آزمایشی است",
        "params": whole(FIRST_BOOK),
    }
    kwargs.update(overrides)
    return await client.send_to_phonebooks(SANDBOX_KEY, **kwargs)
