"""Entry point: read the configuration, lock DATA_DIR, then run the bot until SIGTERM/SIGINT.

Every problem an operator can fix ends the process with one line on stderr and exit
status 2: a bad setting, a DATA_DIR already used by another bot process, a token
Telegram rejects, a webhook URL Telegram refuses.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, load_settings
from bot.health import HEARTBEAT_NAME
from bot.health import forget as forget_heartbeat
from bot.keyfile import load_fernet
from bot.lock import DataDirBusy, lock_data_dir
from bot.logs import SECRETS, setup_logging

log = logging.getLogger("bot")

EXIT_CONFIG = 2


def _forget_heartbeat(data_dir: Path) -> None:
    try:
        forget_heartbeat(data_dir)
    except OSError as exc:
        path = data_dir / HEARTBEAT_NAME
        raise ConfigError(f"DATA_DIR is invalid: cannot remove {path} ({exc.strerror})") from None


def skip_webhook_server() -> None:
    """Polling needs no web server: python-telegram-bot imports its webhook server (tornado,
    ~20 ms and a few MB) whenever it is installed, unless the import fails, which this makes
    it do (``None`` in ``sys.modules`` is Python's documented "do not import" mark)."""
    sys.modules.setdefault("tornado", None)  # type: ignore[arg-type]  # None: "do not import"


def main() -> None:
    try:
        settings = load_settings()
        # Before the database is opened: a second process must not touch the first's sends.
        # The descriptor stays open, and locked, until the process exits.
        lock_data_dir(settings.data_dir)
        # Only now: a heartbeat removed before the lock could be the running process's.
        _forget_heartbeat(settings.data_dir)
        fernet = load_fernet(settings)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except DataDirBusy as exc:
        print(f"not started: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None

    SECRETS.add(settings.telegram_bot_token.get_secret_value())
    if settings.webhook_secret:
        SECRETS.add(settings.webhook_secret.get_secret_value())
    setup_logging(settings.log_level)

    if not settings.webhook_url:
        skip_webhook_server()
    # Imported late so that a configuration error costs no heavy imports.
    from bot.app import build_application
    from bot.startup import serve

    app = build_application(settings, fernet)
    code = asyncio.run(serve(app, settings))
    if code == 0:
        log.info("stopped")
    raise SystemExit(code)
