"""A tiny python-telegram-bot Application run against the fake Telegram Bot API, shared by
tests/doubles/test_fake_telegram_*.py: its handlers, the ``fake`` and ``bot`` fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes import FakeTelegram
from tests.fakes.ptb import application_builder, running

ADMIN_ID = 1001
OTHER_ID = 2002

MENU = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("✅ Approve", callback_data="approve"),
            InlineKeyboardButton("❌ Cancel", callback_data="cancel"),
        ],
        [InlineKeyboardButton("Docs", url="https://example.com")],
    ]
)


# ----------------------------------------------------------------------------------------------
# a tiny bot under test
# ----------------------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html("<b>Menu</b>\nChoose:", reply_markup=MENU)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query.data == "approve":
        await query.answer("Approved!")
        await query.edit_message_text("Approved ✅")
    elif query.data == "cancel":
        await query.answer("Cancelled", show_alert=True)
        # Same text, entities and keyboard: real Telegram answers "message is not modified".
        await query.edit_message_text(
            query.message.text_html, parse_mode=ParseMode.HTML, reply_markup=MENU
        )
    else:
        await query.answer(f"unknown:{query.data}")


async def secret(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.delete()
    await update.effective_chat.send_message("Saved; I deleted your message.")


async def shout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Deliberately NOT escaping user text: the fake must reject it like Telegram does.
    said = " ".join(context.args)
    await update.effective_message.reply_html(f"You said: <b>{said}</b>")


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await update.effective_message.document.get_file()
    data = await file.download_as_bytearray()
    await update.effective_message.reply_text(f"got {len(data)} bytes: {data.decode()}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if update.edited_message:
        await message.reply_text(f"edited: {message.text}")
    elif message.forward_origin is not None:
        await message.reply_text(f"forwarded from {message.forward_origin.sender_user.id}")
    else:
        await message.reply_text(message.text)


@dataclass
class Bot:
    fake: FakeTelegram
    app: Application
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    app = application_builder(fake).build()
    result = Bot(fake, app)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        result.errors.append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("secret", secret))
    app.add_handler(CommandHandler("shout", shout))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(on_error)
    async with running(app):
        yield result
