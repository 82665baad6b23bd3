"""Helpers to run a real python-telegram-bot Application against :class:`FakeTelegram`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import Application, ApplicationBuilder

from .telegram_api import FakeTelegram

__all__ = ["application_builder", "running"]


def application_builder(fake: FakeTelegram) -> ApplicationBuilder:
    """An ``ApplicationBuilder`` already pointed at the fake (token, base_url, base_file_url)."""
    return (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
    )


@asynccontextmanager
async def running(app: Application, *, poll_timeout: int = 1) -> AsyncIterator[Application]:
    """Initialize, start and poll ``app``; stop everything cleanly on exit."""
    await app.initialize()
    try:
        await app.start()
        assert app.updater is not None, "build the application with an updater"
        await app.updater.start_polling(poll_interval=0, timeout=poll_timeout)
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    finally:
        await app.shutdown()
