"""Application wiring: builder, lifecycle hooks, handler order, background jobs."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import cast

import httpx
from cryptography.fernet import MultiFernet
from telegram import BotCommand, BotCommandScopeAllPrivateChats, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import HTTPXRequest

from bot.broadcasts import BroadcastService, Policy
from bot.config import Settings
from bot.ippanel import IPPanelClient
from bot.keyfile import key_count
from bot.services import BroadcastApplication, Services, services_of
from bot.texts import LANGUAGES, t
from handlers import credit_watch, follow_up, jobs, register
from handlers.processor import GateProcessor
from handlers.session import CONTEXT_TYPES, SESSIONS
from storage import KeyIntegrityError, SQLitePersistence, Store

log = logging.getLogger("bot.app")

COMMANDS = (
    "send",
    "drafts",
    "texts",  # team rules
    "phone",  # test SMS to one's own phone
    "history",
    "credit",
    "token",
    "logout",
    "lang",
    "help",
    "cancel",
)
EXPIRY_INTERVAL = timedelta(seconds=60)
RECONCILE_INTERVAL = timedelta(minutes=2)
HEARTBEAT_INTERVAL = timedelta(seconds=30)
MAINTENANCE_INTERVAL = timedelta(hours=1)  # pruning, a vacuum step, a WAL checkpoint
COMMANDS_AFTER = 1.0  # seconds after start-up: the command menu, once polling runs
_BACKGROUND: set[asyncio.Task[None]] = set()  # start-up work left running (a reference each)


# PTB's builder makes these two requests by default; made here to share one TLS context
GENERAL_POOL = 256  # PTB's default for the general request's connection pool
GET_UPDATES_POOL = 1  # ... and for getUpdates'


def build_application(settings: Settings, fernet: MultiFernet) -> BroadcastApplication:
    store = Store(settings.database_path, fernet)
    # One TLS context (the CA bundle parsed once, ~20 ms and ~1 MB each) for the three HTTP
    # clients: PTB's general and getUpdates requests, and the IPPanel client.
    tls = httpx.create_ssl_context()
    proxy = settings.telegram_proxy_url
    builder = (
        ApplicationBuilder()
        .application_class(BroadcastApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        # PTB writes conversation states only on this tick: keep a crash's loss window short
        .persistence(SQLitePersistence(store, update_interval=1.0, users=SESSIONS))
        # context.services typed, one Session per user (handlers.session)
        .context_types(CONTEXT_TYPES)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .request(
            HTTPXRequest(
                connection_pool_size=GENERAL_POOL, proxy=proxy, httpx_kwargs={"verify": tls}
            )
        )
        .get_updates_request(
            HTTPXRequest(
                connection_pool_size=GET_UPDATES_POOL, proxy=proxy, httpx_kwargs={"verify": tls}
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        # strangers screened first; each user's updates in order, users concurrently
        .concurrent_updates(GateProcessor(settings.known_users, store))
    )
    if settings.telegram_api_base_url:
        # PTB appends the token: http://host:8081/bot → http://host:8081/bot<token>/getMe
        base = settings.telegram_api_base_url
        file_base = base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base
        builder = builder.base_url(base).base_file_url(file_base)
    # application_class(BroadcastApplication) above: build() makes one, PTB's stubs cannot say so
    app = cast(BroadcastApplication, builder.build())
    # httpx opens no connection until the first request, so the client can be made here
    client = IPPanelClient(
        settings.ippanel_base_url,
        connect_timeout=settings.ippanel_connect_timeout,
        read_timeout=settings.ippanel_read_timeout,
        deadline=settings.ippanel_deadline_seconds,
        verify=tls,
    )
    policy = Policy(
        approvers=settings.approvers,
        approvals_required=settings.approvals_required,
        approval_ttl=timedelta(hours=settings.approval_ttl_hours),
        message_suffix=settings.message_suffix,
        requesters=frozenset(settings.admin_ids),  # roles re-checked at decision and send
        approval_rules=settings.approval_rules,
        monthly_budget=settings.monthly_budget_rials,
        budget_hard=settings.budget_hard,
        timezone=settings.tz,
    )
    app.services = Services(settings, store, client, BroadcastService(store, client, policy))
    register(app)
    return app


async def _post_init(app: Application) -> None:
    services = services_of(app)
    await services.store.ensure_open()
    task = asyncio.create_task(_register_commands_quietly(app), name="register commands")
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)

    await _rotate_api_keys(services)
    await jobs.recover_interrupted_sends(app)
    # test SMS cut off by the last stop may have gone out: unknown, still counted
    settled = await services.store.settle_interrupted_trials()
    if settled:
        log.warning("%d test SMS interrupted by the last stop are now 'unknown'", settled)
    if app.job_queue is not None:
        app.job_queue.run_repeating(jobs.expire_requests, EXPIRY_INTERVAL, first=5)
        app.job_queue.run_repeating(jobs.reconcile_unknown, RECONCILE_INTERVAL, first=30)
        app.job_queue.run_repeating(jobs.watch_credit, RECONCILE_INTERVAL, first=20)
        app.job_queue.run_repeating(jobs.heartbeat, HEARTBEAT_INTERVAL, first=0)
        app.job_queue.run_repeating(jobs.maintain_store, MAINTENANCE_INTERVAL, first=60)
        credit_watch.schedule(app)  # team rules
        follow_up.schedule(app)  # campaign guardrails (#22)
    log.info("bot ready")


async def _rotate_api_keys(services: Services) -> None:
    """With SECRET_KEY=new,old: re-encrypt every stored API key with the new key, so that
    the old one can be dropped at the next restart."""
    if key_count(services.settings) < 2:
        return  # one key: nothing can be sealed with an older one
    try:
        rotated = await services.store.rotate_keys()
    except KeyIntegrityError as exc:
        log.error("SECRET_KEY rotation not done: %s; keep every key in SECRET_KEY for now", exc)
        return
    log.info(
        "SECRET_KEY rotation: %d stored API key(s) re-encrypted with the first key; "
        "the other keys can now be removed from SECRET_KEY",
        rotated,
    )


async def _register_commands_quietly(app: Application) -> None:
    # the menu is cosmetic: set once polling runs, not before the first getUpdates (its two
    # round trips would delay it)
    await asyncio.sleep(COMMANDS_AFTER)
    try:
        await _register_commands(app)
    except TelegramError as exc:
        # getMe worked a moment ago; the menu is cosmetic, the previous one stays in place
        log.warning("could not register the command menu (%s); continuing", exc.message)


async def _register_commands(app: Application) -> None:
    scope = BotCommandScopeAllPrivateChats()
    for lang in LANGUAGES:
        commands = [BotCommand(c, t(lang, f"cmd_{c}")) for c in COMMANDS]
        code = None if lang == "fa" else lang  # Persian is the default menu
        await app.bot.set_my_commands(commands, scope=scope, language_code=code)


async def _post_shutdown(app: Application) -> None:
    services = services_of(app)
    await services.client.aclose()
    if services.store.is_open:  # not yet opened when start-up stopped at Telegram
        await services.store.close()
        log.info("store closed")
