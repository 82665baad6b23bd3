"""Running the application: start-up that waits for Telegram, then serve until a stop signal.

PTB's ``run_polling``/``run_webhook`` give up on the first network error at start-up
and print a long traceback. Inside Iran an unreachable Telegram is the normal case
until a proxy or the network comes back, so here every Telegram call of the start-up
(getMe, deleteWebhook or setWebhook) is retried with a capped backoff, one log line per
attempt naming the address, the reason and what to do. A token Telegram rejects and a
webhook URL Telegram refuses are configuration errors: one line, exit status 2.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import BadRequest, InvalidToken, RetryAfter, TelegramError

from bot.config import Settings
from bot.health import touch as touch_heartbeat
from bot.services import BroadcastApplication, services_of

log = logging.getLogger("bot")

DEFAULT_TELEGRAM_URL = "https://api.telegram.org"
# Backoff between start-up attempts: doubles from the first delay up to the cap. Not in
# the README on purpose: the defaults suit production; tests shorten them.
RETRY_FIRST_SECONDS = float(os.environ.get("BOT_STARTUP_RETRY_FIRST_SECONDS", "2"))
RETRY_MAX_SECONDS = float(os.environ.get("BOT_STARTUP_RETRY_MAX_SECONDS", "60"))

EXIT_CONFIG = 2
COLLECT_AFTER = 1.0  # seconds after polling began: start-up's garbage collected, the rest frozen


class StartupFailed(Exception):
    """Retrying cannot help; the message is one line for the operator."""


def origin(url: str) -> str:
    """scheme://host[:port] of a URL: never a path (the token) nor credentials."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _seconds(value: float | timedelta | int) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Attempts:
    """Retries one start-up step until it succeeds, a stop signal arrives, or it is fatal."""

    def __init__(self, settings: Settings, stop: asyncio.Event) -> None:
        self._settings = settings
        self._stop = stop
        self.telegram = origin(settings.telegram_api_base_url or DEFAULT_TELEGRAM_URL)
        self.proxy = origin(settings.telegram_proxy_url) if settings.telegram_proxy_url else None

    def _unreachable(self, method: str, reason: str, wait: float) -> str:
        via = f" through the proxy {self.proxy}" if self.proxy else ""
        hint = (
            "check that the proxy in TELEGRAM_PROXY_URL is running and can reach Telegram"
            if self.proxy
            else "if Telegram is filtered on this network, set TELEGRAM_PROXY_URL "
            "(e.g. socks5://127.0.0.1:1080)"
        )
        return (
            f"cannot reach Telegram at {self.telegram}{via} ({method}: {reason}); "
            f"retrying in {wait:g} s; {hint}"
        )

    async def run(self, method: str, action: Callable[[], Awaitable[object]]) -> bool:
        """True once ``action`` succeeded; False if a stop signal came first."""
        delay = RETRY_FIRST_SECONDS
        while not self._stop.is_set():
            try:
                await action()
                return True
            except InvalidToken as exc:
                # Bot.initialize re-raises with the token in the message; use the server's
                cause = exc.__cause__ if isinstance(exc.__cause__, InvalidToken) else exc
                hint = (
                    "check TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL"
                    if self._settings.telegram_api_base_url
                    else "copy the token again from @BotFather (/mybots → API Token)"
                )
                raise StartupFailed(
                    f"TELEGRAM_BOT_TOKEN was rejected by Telegram at {self.telegram} "
                    f"({method}: {cause.message}); {hint}"
                ) from None
            except BadRequest as exc:
                if method != "setWebhook":
                    raise
                raise StartupFailed(
                    f"WEBHOOK_URL was refused by Telegram ({method}: {exc.message}); "
                    "it must be a public https URL that Telegram can reach"
                ) from None
            except RetryAfter as exc:
                wait = _seconds(exc._retry_after)  # the public property warns on int values
                log.warning("Telegram asks to wait %g s before %s; waiting", wait, method)
            except TelegramError as exc:  # NetworkError, TimedOut, a middlebox's answer …
                wait = delay
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                log.warning(self._unreachable(method, exc.message, wait))
                log.debug("%s failed", method, exc_info=True)
            # python -m bot starts with collection off until polling runs; a start-up that
            # waits for Telegram (maybe for hours) collects its failed attempts' garbage
            gc.enable()
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=wait)
            except TimeoutError:
                pass
        return False


async def serve(app: BroadcastApplication, settings: Settings) -> int:
    """Start, serve until SIGINT/SIGTERM, stop cleanly. Returns the exit status."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    attempts = Attempts(settings, stop)
    # the store opens (in its own thread) while getMe is on its way: app.initialize, right
    # after, reads the saved conversations from it
    opening = asyncio.create_task(services_of(app).store.ensure_open(), name="open the store")
    try:
        # bot.initialize is getMe: the only network call in app.initialize
        try:
            reached = await attempts.run("getMe", app.bot.initialize)
        except BaseException:
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)
            raise
        await opening  # a store that cannot open fails here, as app.initialize did
        if not reached:
            return 0
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        if not await _start_updates(app, settings, attempts):
            return 0
        await app.start()
        # once the first getUpdates is on its way: a collection would hold it up
        loop.call_later(COLLECT_AFTER, _collect_from_now)
        # healthy from now, not 30 s later at the first job; before the log line, so that
        # whoever reads "started" finds the heartbeat there
        touch_heartbeat(settings.data_dir)
        log.info("started")
        await stop.wait()
        return 0
    except StartupFailed as exc:
        log.error("%s", exc)
        return EXIT_CONFIG
    finally:
        await _stop(app)


def _collect_from_now() -> None:
    """Garbage collection back on (``python -m bot`` starts with it off): start-up's garbage
    collected once (~30 ms), what it built frozen: modules, classes
    and handlers live as long as the process, and a full collection need not walk them again
    and again while updates are handled."""
    gc.collect()
    gc.freeze()
    gc.enable()


async def _start_updates(app: BroadcastApplication, settings: Settings, attempts: Attempts) -> bool:
    assert app.updater is not None
    if settings.webhook_url:
        url = f"{settings.webhook_url}/telegram"
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None

        async def set_webhook() -> None:
            await app.bot.set_webhook(url, allowed_updates=Update.ALL_TYPES, secret_token=secret)

        if not await attempts.run("setWebhook", set_webhook):
            return False
        log.info("starting in webhook mode on port %s", settings.port)
        # PTB sets the webhook once more; bootstrap_retries=-1 rides out a network blip
        # since the call above instead of printing a traceback.
        try:
            await app.updater.start_webhook(
                listen="0.0.0.0",
                port=settings.port,
                url_path="telegram",
                webhook_url=url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                bootstrap_retries=-1,
            )
        except OSError as exc:  # the web server cannot listen, e.g. the port is taken
            raise StartupFailed(
                f"PORT {settings.port} cannot be used for the webhook ({exc.strerror or exc}); "
                "stop what uses it or choose another PORT"
            ) from None
        return True
    if not await attempts.run("deleteWebhook", app.bot.delete_webhook):
        return False
    log.info("starting with long polling")
    await app.updater.start_polling(
        allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1, error_callback=_polling_error
    )
    return True


def _polling_error(exc: TelegramError) -> None:
    # PTB's default prints a traceback per failed getUpdates; it retries by itself anyway
    log.warning("getUpdates failed (%s); retrying", exc.message)


async def _stop(app: BroadcastApplication) -> None:
    """What run_polling does on its way out, in the same order."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
