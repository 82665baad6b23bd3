"""Entry point: read the configuration, then run the bot until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import sys

from bot.config import ConfigError, load_settings
from bot.keyfile import load_fernet
from bot.logs import SECRETS, setup_logging

log = logging.getLogger("bot")


def main() -> None:
    try:
        settings = load_settings()
        fernet = load_fernet(settings)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    SECRETS.add(settings.telegram_bot_token.get_secret_value())
    if settings.webhook_secret:
        SECRETS.add(settings.webhook_secret.get_secret_value())
    setup_logging(settings.log_level)

    # Imported late so that a configuration error costs no heavy imports.
    from telegram import Update

    from bot.app import build_application

    app = build_application(settings, fernet)
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    if settings.webhook_url:
        log.info("starting in webhook mode on port %s", settings.port)
        app.run_webhook(
            listen="0.0.0.0",
            port=settings.port,
            url_path="telegram",
            webhook_url=f"{settings.webhook_url}/telegram",
            secret_token=settings.webhook_secret.get_secret_value()
            if settings.webhook_secret
            else None,
            allowed_updates=Update.ALL_TYPES,
            stop_signals=stop_signals,
        )
    else:
        log.info("starting with long polling")
        app.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals)
    log.info("stopped")
