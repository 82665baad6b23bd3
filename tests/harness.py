"""End-to-end harness: the real bot (python-telegram-bot stack, real SQLite file)
against the fake Telegram Bot API and the IPPanel sandbox, all over loopback.

    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await alice.send("/start")
        print((await alice.reply()).text)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, MultiFernet

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.services import BroadcastApplication
from sandbox import RunningSandbox, SandboxState, start_sandbox
from tests.fakes import FakeTelegram
from tests.fakes.telegram_api import BotMessage, FakeUser

ADMINS = (1001, 1002, 1003)
STRANGER = 9009
KEY_OF = {1001: "sandbox-key", 1002: "sandbox-key-2", 1003: "sandbox-key-3"}


@dataclass
class World:
    fake: FakeTelegram
    sandbox: RunningSandbox
    app: BroadcastApplication
    settings: Settings
    data_dir: Path
    secret: str
    users: dict[int, FakeUser] = field(default_factory=dict)

    def user(self, user_id: int) -> FakeUser:
        if user_id not in self.users:
            self.users[user_id] = self.fake.user(user_id, first_name=f"Admin{user_id}")
        return self.users[user_id]

    def admin(self, index: int) -> FakeUser:
        return self.user(ADMINS[index])

    @property
    def store(self):
        return self.app.services.store

    @property
    def sends(self) -> int:
        """POSTs that reached /api/send: the number that costs money."""
        return self.sandbox.state.send_post_count

    async def until(self, predicate: Callable[[], Any], timeout: float = 8.0) -> None:  # noqa: ASYNC109
        await self.fake.wait_until(lambda: bool(predicate()), timeout=timeout)

    async def settle(self) -> None:
        await self.fake.idle(quiet=0.3, timeout=10)


def world_settings(
    fake: FakeTelegram, sandbox: RunningSandbox, data_dir: Path, secret: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": fake.token,
        "admin_ids": ",".join(str(a) for a in ADMINS),
        "telegram_api_base_url": fake.base_url,
        "ippanel_base_url": sandbox.base_url,
        "ippanel_read_timeout": 2.0,
        "ippanel_connect_timeout": 2.0,
        "data_dir": data_dir,
        "secret_key": secret,
        # the guardrails (#22) that depend on the hour of the day are off unless a test
        # turns them on: the real clock must not change what the cards of other tests say
        "quiet_hours": "",
        "follow_up_minutes": 0,  # a follow-up arriving mid-test would be a stray message
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


async def start_bot(settings: Settings) -> BroadcastApplication:
    app = build_application(settings, MultiFernet([Fernet(settings.secret_key.get_secret_value())]))
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1, drop_pending_updates=False)
    return app


async def stop_bot(app: BroadcastApplication) -> None:
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    await app.post_shutdown(app)


@asynccontextmanager
async def bot_world(
    tmp_path: Path, *, sandbox_seed: dict[str, Any] | None = None, **overrides: Any
) -> AsyncIterator[World]:
    fake = FakeTelegram()
    await fake.start()
    sandbox = await start_sandbox(SandboxState(**(sandbox_seed or {})))
    secret = Fernet.generate_key().decode()
    settings = world_settings(fake, sandbox, tmp_path, secret, **overrides)
    app = await start_bot(settings)
    world = World(fake, sandbox, app, settings, tmp_path, secret)
    try:
        yield world
    finally:
        await stop_bot(world.app)
        await sandbox.stop()
        await fake.stop()


async def restart(world: World) -> None:
    """Stop the bot cleanly and start it again on the same DATA_DIR (SIGTERM-like)."""
    await stop_bot(world.app)
    world.app = await start_bot(world.settings)


# ------------------------------------------------------------------ user steps


async def set_key(world: World, user: FakeUser, key: str | None = None) -> BotMessage:
    await user.send("/token")
    await user.reply()
    await user.send(key or KEY_OF[user.user_id])
    return await until_text(world, user, "✅")


async def until_text(
    world: World,
    user: FakeUser,
    needle: str,
    timeout: float = 8.0,  # noqa: ASYNC109 - a test wait, not an I/O deadline
    *,
    after: int = 0,
) -> BotMessage:
    """Wait until a bot message in the user's chat contains ``needle`` (after edits too);
    with ``after``, only messages newer than that message id count."""

    def found() -> BotMessage | None:
        for message in reversed(user.messages()):
            if message.message_id > after and needle in (message.text or ""):
                return message
        return None

    await world.fake.wait_until(lambda: found() is not None, timeout=timeout)
    result = found()
    assert result is not None
    return result


async def to_text_prompt(world: World, user: FakeUser, *, books: int = 1) -> BotMessage:
    """Drive /send through the sender and the first ``books`` phonebooks to the text prompt."""
    await user.send("/send")
    menu = await until_text(world, user, "خط ارسال")
    if menu.buttons:
        await user.press(menu, menu.buttons[0][0][0], exact=True)
    menu = await until_text(world, user, "دفترچه‌های تلفن")
    for i in range(books):
        menu = user.last()
        await user.press(menu, menu.buttons[i][0][0], exact=True)
        await world.until(lambda i=i: "✓" in user.last().buttons[i][0][0])
    await user.press(user.last(), "ادامه: متن پیام ◀️", exact=True)
    return await until_text(world, user, "متن پیام")


async def compose_to_review(
    world: World, user: FakeUser, *, text: str = "سلام، تخفیف ویژهٔ امروز", books: int = 1
) -> BotMessage:
    """Drive /send through sender, phonebooks, text and time ("now") to the review card."""
    await to_text_prompt(world, user, books=books)
    await user.send(text)
    preview = await until_text(world, user, "پیش‌نمایش پیامک")
    await user.press(preview, "زمان: همین حالا ◀️", exact=True)
    return await until_text(world, user, "بازبینی")


# ------------------------------------------------------------------ reliability helpers


def fa_prefix(key: str) -> str:
    """The visible Persian text of ``bot.texts.FA[key]`` up to its first placeholder/tag."""
    from bot.texts import FA

    template = FA[key]
    for mark in ("{", "<"):
        if mark in template:
            template = template[: template.index(mark)]
    return template.strip()


def count_rows(world: World, table: str, where: str = "1=1", params: tuple = ()) -> int:
    """Count rows straight from the SQLite file (a separate read-only connection)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{world.settings.database_path}?mode=ro", uri=True)
    try:
        row = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params).fetchone()
        return int(row[0])
    finally:
        conn.close()


async def start_all(world: World, *users: FakeUser) -> None:
    """Each user sends /start (Telegram only lets the bot write to people who started it)."""
    for user in users:
        await user.send("/start")
        await until_text(world, user, "نقش شما")


async def submit_request(
    world: World, requester: FakeUser, approvers: tuple[FakeUser, ...], **compose: Any
) -> tuple[Any, dict[int, BotMessage]]:
    """The requester sets a key, composes and submits; returns (request, {approver id: card})."""
    await start_all(world, *approvers)
    await set_key(world, requester)
    review = await compose_to_review(world, requester, **compose)
    await requester.press(review, "ارسال برای تأیید")
    await until_text(world, requester, "برای تأیید فرستاده شد")
    cards = {a.user_id: await until_text(world, a, "درخواست ارسال") for a in approvers}
    request = (await world.store.list_pending_requests())[-1]
    return request, cards


def process_env(fake: FakeTelegram, data_dir: Path, **settings: str) -> dict[str, str]:
    """Environment for `python -m bot` as a separate process against the fake Bot API:
    the machine's variables without any bot settings, plus ``settings`` (NAME=value)."""
    repo = Path(__file__).resolve().parents[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "ADMIN"))}
    return {
        **clean,
        "PYTHONPATH": str(repo),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATA_DIR": str(data_dir),
        "QUIET_HOURS": "",
        "FOLLOW_UP_MINUTES": "0",
        **settings,
    }
