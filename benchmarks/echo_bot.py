"""The baseline: a minimal python-telegram-bot echo bot, built like the real bot.

Same ``AIORateLimiter(max_retries=3)``, same ``Defaults``, sequential updates, long polling
through ``run_polling``. Configured by ``TELEGRAM_BOT_TOKEN`` and ``TELEGRAM_API_BASE_URL``.

It answers the two kinds of update the bot's menus get with the Bot API calls a menu bot
needs at least: a text is echoed in a new message with one button; a press of that button
is answered and the message edited in place (its counter goes up).

    python -m benchmarks.echo_bot
"""

from __future__ import annotations

import os
import signal

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

BUTTON = "بعدی"  # what the benchmark presses


def keyboard(count: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(BUTTON, callback_data=f"n:{count}")]])


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        text = message.text_html or message.text
        await context.bot.send_message(message.chat_id, text, reply_markup=keyboard(0))


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    message = query.message
    if not isinstance(message, Message) or not message.text or not query.data:
        return
    count = int(query.data.partition(":")[2] or 0) + 1
    base = message.text_html.rsplit(" · ", 1)[0]
    await query.edit_message_text(f"{base} · {count}", reply_markup=keyboard(count))


def build():
    base = os.environ.get("TELEGRAM_API_BASE_URL")
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(False)
    )
    if base:
        file_base = base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base
        builder = builder.base_url(base).base_file_url(file_base)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


def main() -> None:
    build().run_polling(
        allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGINT, signal.SIGTERM)
    )


if __name__ == "__main__":
    main()
