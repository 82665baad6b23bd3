"""The baseline: a minimal python-telegram-bot echo bot, built like the real bot.

Same ``AIORateLimiter(max_retries=3)``, same ``Defaults``, sequential updates, long polling
through ``run_polling``. Configured by ``TELEGRAM_BOT_TOKEN`` and ``TELEGRAM_API_BASE_URL``.

    python -m benchmarks.echo_bot
"""

from __future__ import annotations

import os
import signal

from telegram import LinkPreviewOptions, Update
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


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await context.bot.send_message(message.chat_id, message.text_html or message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


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
