"""`python -m bot` when the world is not ready: a token Telegram rejects, Telegram out of
reach (then back), setWebhook failing, and a second process on the same DATA_DIR.

Each test runs the bot as a real subprocess against the loopback fake Bot API and reads
what an operator reads: the process's output and its exit status.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet, MultiFernet
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter

from bot.config import load_settings
from bot.startup import Attempts, StartupFailed, origin
from storage import KeyIntegrityError, Store
from tests.fakes import FakeTelegram
from tests.harness import process_env
from tests.process.processes import FAST_RETRY, bot_process, free_port

WRONG_TOKEN = "987654321:AAwrong-token-abcdefghijklmnopqrstuvwxyz"


async def test_a_token_telegram_rejects_is_one_line_and_exit_2(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    try:
        env = process_env(fake, tmp_path, ADMIN_IDS="1001", TELEGRAM_BOT_TOKEN=WRONG_TOKEN)
        async with bot_process(env, tmp_path) as bot:
            assert await bot.exit_code() == 2
    finally:
        await fake.stop()
    lines = bot.output.strip().splitlines()
    assert len(lines) == 1, bot.output
    assert "TELEGRAM_BOT_TOKEN was rejected by Telegram" in lines[0]
    assert "Unauthorized" in lines[0] and "TELEGRAM_API_BASE_URL" in lines[0]  # what to check
    assert WRONG_TOKEN not in bot.output and "987654321" not in bot.output
    assert fake.calls_to("getMe")  # it did ask Telegram


async def test_unreachable_telegram_is_retried_then_the_bot_recovers(tmp_path: Path) -> None:
    """Nothing listens at TELEGRAM_API_BASE_URL at first (like a filtered network): one line
    per attempt, no traceback; when the server appears the bot starts and answers."""
    port = free_port()
    fake = FakeTelegram()
    not_yet = SimpleNamespace(token=fake.token, base_url=f"http://127.0.0.1:{port}/bot")
    env = process_env(not_yet, tmp_path, ADMIN_IDS="1001", **FAST_RETRY)  # type: ignore[arg-type]
    async with bot_process(env, tmp_path) as bot:
        lines = await bot.wait_for("cannot reach Telegram", count=3)
        for line in lines:
            assert f"at http://127.0.0.1:{port} (getMe: " in line
            assert "retrying in" in line and "set TELEGRAM_PROXY_URL" in line
        await fake.start(port=port)
        try:
            alice = fake.user(1001)
            await fake.wait_until(lambda: fake.polling, timeout=30)
            await alice.send("/start")
            assert "نقش شما" in (await alice.reply(timeout=15)).text
            bot.proc.send_signal(signal.SIGTERM)
            assert await bot.exit_code() == 0
        finally:
            await fake.stop()
    assert "Traceback" not in bot.output
    assert fake.token not in bot.output and "/bot" not in "".join(bot.lines("cannot reach"))


async def test_webhook_mode_retries_set_webhook_until_telegram_answers(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.fail_next("setWebhook", "network", times=2)
    env = process_env(
        fake,
        tmp_path,
        ADMIN_IDS="1001",
        WEBHOOK_URL="https://bot.example.com",
        WEBHOOK_SECRET="s3cret-token",
        PORT=str(free_port()),
        **FAST_RETRY,
    )
    try:
        async with bot_process(env, tmp_path) as bot:
            await bot.wait_for("starting in webhook mode")
            bot.proc.send_signal(signal.SIGTERM)
            assert await bot.exit_code() == 0
    finally:
        await fake.stop()
    lines = bot.lines("cannot reach Telegram")
    assert len(lines) == 2, bot.output
    assert all(f"at http://127.0.0.1:{fake.port} (setWebhook: " in line for line in lines)
    registered = [c for c in fake.calls_to("setWebhook") if c.status == 200]
    assert registered[-1].params["url"] == "https://bot.example.com/telegram"
    assert "Traceback" not in bot.output and fake.token not in bot.output


async def test_webhook_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = process_env(
            fake,
            tmp_path,
            ADMIN_IDS="1001",
            WEBHOOK_URL="https://bot.example.com",
            WEBHOOK_SECRET="s3cret-token",
            PORT=str(port),
        )
        try:
            async with bot_process(env, tmp_path) as bot:
                assert await bot.exit_code() == 2
        finally:
            await fake.stop()
    (line,) = bot.lines("ERROR")
    assert f"PORT {port} cannot be used for the webhook" in line
    assert "Traceback" not in bot.output


async def test_a_second_process_on_the_same_data_dir_exits_2(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    env = process_env(fake, tmp_path, ADMIN_IDS="1001")
    alice = fake.user(1001)
    try:
        async with bot_process(env, tmp_path, "first") as first:
            await fake.wait_until(lambda: fake.polling, timeout=30)
            async with bot_process(env, tmp_path, "second") as second:
                assert await second.exit_code() == 2
            lines = second.output.strip().splitlines()
            assert len(lines) == 1, second.output
            assert f"DATA_DIR {tmp_path} is in use by another bot process" in lines[0]
            assert f"(pid {first.proc.pid})" in lines[0]
            assert not fake.calls_to("getMe")[1:]  # the second never got as far as Telegram
            await alice.send("/start")  # the first still answers
            assert "نقش شما" in (await alice.reply(timeout=15)).text
            first.proc.send_signal(signal.SIGKILL)
            await first.exit_code()
        async with bot_process(env, tmp_path, "third") as third:  # a killed holder frees it
            await third.wait_for("bot ready")
            await alice.send("/help")
            await fake.wait_until(lambda: len(alice.messages()) >= 2, timeout=15)
            third.proc.send_signal(signal.SIGTERM)
            assert await third.exit_code() == 0
    finally:
        await fake.stop()


async def test_key_rotation_at_start_up_lets_the_old_key_go(tmp_path: Path) -> None:
    """The README's steps: put the new key first, restart, drop the old key, restart."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys = {1001: "ippanel-key-of-alice-1234", 1002: "ippanel-key-of-bob-5678"}
    database = tmp_path / "bot.sqlite3"
    async with Store(database, MultiFernet([Fernet(old)])) as store:
        for user, key in keys.items():
            await store.save_api_key(user, key, None)
    fake = FakeTelegram()
    await fake.start()
    try:
        for step, secret in (("rotate", f"{new}, {old}"), ("dropped", new)):
            env = process_env(fake, tmp_path, ADMIN_IDS="1001,1002", SECRET_KEY=secret)
            async with bot_process(env, tmp_path, step) as bot:
                await bot.wait_for("bot ready")
                bot.proc.send_signal(signal.SIGTERM)
                assert await bot.exit_code() == 0
            rotation = bot.lines("SECRET_KEY rotation")
            if step == "rotate":
                assert len(rotation) == 1 and "2 stored API key(s) re-encrypted" in rotation[0]
            else:
                assert rotation == []  # one key: nothing to do
            assert old not in bot.output and new not in bot.output
    finally:
        await fake.stop()
    async with Store(database, MultiFernet([Fernet(new)])) as store:
        for user, key in keys.items():
            assert await store.get_api_key(user) == key  # owner binding checked on read
    async with Store(database, MultiFernet([Fernet(old)])) as store:
        with pytest.raises(KeyIntegrityError):
            await store.get_api_key(1001)  # nothing is left under the old key


async def test_rotation_that_cannot_finish_says_so_and_the_bot_still_starts(
    tmp_path: Path,
) -> None:
    lost, old, new = (Fernet.generate_key().decode() for _ in range(3))
    async with Store(tmp_path / "bot.sqlite3", MultiFernet([Fernet(lost)])) as store:
        await store.save_api_key(1002, "sealed-with-a-lost-key", None)
    fake = FakeTelegram()
    await fake.start()
    try:
        env = process_env(fake, tmp_path, ADMIN_IDS="1001,1002", SECRET_KEY=f"{new},{old}")
        async with bot_process(env, tmp_path) as bot:
            await bot.wait_for("bot ready")
            bot.proc.send_signal(signal.SIGTERM)
            assert await bot.exit_code() == 0
    finally:
        await fake.stop()
    (line,) = bot.lines("SECRET_KEY rotation not done")
    assert "[1002]" in line and "keep every key in SECRET_KEY" in line
    assert "Traceback" not in bot.output


# ------------------------------------------------------------------ the retry rules, in-process


def attempts(tmp_path: Path, **settings: str) -> Attempts:
    values = {
        "telegram_bot_token": "123456789:AAHk-test-token-abcdefghijklmnopqrstuv",
        "admin_ids": "1",
        "data_dir": tmp_path,
        "_env_file": None,
        **settings,
    }
    return Attempts(load_settings(**values), asyncio.Event())


def test_printed_addresses_carry_no_path_and_no_credentials() -> None:
    assert origin("http://127.0.0.1:8081/bot123:secret") == "http://127.0.0.1:8081"
    assert origin("socks5://user:pw@proxy.local:1080") == "socks5://proxy.local:1080"
    assert origin("https://api.telegram.org") == "https://api.telegram.org"


async def test_a_refused_webhook_url_is_fatal_and_names_the_variable(tmp_path: Path) -> None:
    async def refuse() -> None:
        raise BadRequest("Bad webhook: an HTTPS URL must be provided for webhook")

    with pytest.raises(StartupFailed, match=r"^WEBHOOK_URL was refused by Telegram \(setWebhook"):
        await attempts(tmp_path).run("setWebhook", refuse)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter()
async def test_network_errors_back_off_and_a_proxy_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import bot.startup

    monkeypatch.setattr(bot.startup, "RETRY_FIRST_SECONDS", 0.01)
    monkeypatch.setattr(bot.startup, "RETRY_MAX_SECONDS", 0.04)
    failures = [NetworkError("httpx.ConnectError: [Errno -3] Temporary failure")] * 4
    failures.insert(2, RetryAfter(timedelta(0)))

    async def flaky() -> None:
        if failures:
            raise failures.pop(0)

    steps = attempts(tmp_path, telegram_proxy_url="socks5://u:p@127.0.0.1:1080")
    assert await steps.run("getMe", flaky) is True
    waits = [r.getMessage() for r in caplog.records if "cannot reach" in r.getMessage()]
    assert [w.split("retrying in ")[1].split(" s")[0] for w in waits] == [
        "0.01",
        "0.02",
        "0.04",
        "0.04",
    ]
    assert "through the proxy socks5://127.0.0.1:1080" in waits[0]
    assert "TELEGRAM_PROXY_URL" in waits[0] and "u:p" not in waits[0]
    assert any("Telegram asks to wait" in r.getMessage() for r in caplog.records)

    async def rejected() -> None:
        raise InvalidToken("Unauthorized")

    with pytest.raises(StartupFailed, match=r"^TELEGRAM_BOT_TOKEN was rejected"):
        await steps.run("getMe", rejected)


async def test_a_start_up_waiting_for_telegram_collects_its_garbage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m bot`` imports with garbage collection off and turns it on once polling
    runs; a start-up that keeps retrying (Telegram out of reach for hours) must not keep
    every failed attempt's garbage until then."""
    import gc

    import bot.startup

    monkeypatch.setattr(bot.startup, "RETRY_FIRST_SECONDS", 0.01)
    failures = [NetworkError("httpx.ConnectError: [Errno 111] Connection refused")]

    async def flaky() -> None:
        if failures:
            raise failures.pop(0)

    gc.disable()
    try:
        assert await attempts(tmp_path).run("getMe", flaky) is True
        assert gc.isenabled()
    finally:
        gc.enable()
