"""`python -m bot` as a separate process: it answers through the fake Bot API,
registers the Persian command menu, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import time
from pathlib import Path

from sandbox import SandboxState, start_sandbox
from tests.fakes import FakeTelegram
from tests.harness import process_env


async def test_process_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    sandbox = await start_sandbox(SandboxState())
    env = process_env(
        fake,
        tmp_path,
        ADMIN_IDS="1001,1002",
        IPPANEL_BASE_URL=sandbox.base_url,
        LOG_LEVEL="DEBUG",
    )
    log_path = tmp_path / "bot.log"
    with log_path.open("w") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=tmp_path, stdout=log, stderr=log
        )
        try:
            alice = fake.user(1001)
            await fake.wait_until(lambda: fake.polling, timeout=30)
            # the menus are set a second after polling starts, Persian first (bot/app.py)
            await fake.wait_until(lambda: fake.commands_for("all_private_chats", "en"), timeout=15)
            menu = dict(fake.commands_for("all_private_chats"))  # Persian is the default menu
            assert menu["send"] == "ارسال پیامک تازه" and "cancel" in menu
            assert dict(fake.commands_for("all_private_chats", "en"))["send"] == "New SMS broadcast"
            await alice.send("/start")
            assert "نقش شما" in (await alice.reply(timeout=15)).text
            await alice.send("/token")
            await alice.reply(timeout=10)
            await alice.send("sandbox-key")
            await fake.wait_until(lambda: "✅" in alice.last().text, timeout=10)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), timeout=10)
            assert code == 0
            assert time.monotonic() - started < 5
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await sandbox.stop()
            await fake.stop()
    text = log_path.read_text()
    assert "Traceback" not in text
    assert fake.token not in text and "sandbox-key" not in text  # secrets never logged
    key_file = tmp_path / "secret.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert b"sandbox-key" not in (tmp_path / "bot.sqlite3").read_bytes()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_mode_checks_the_secret_token(tmp_path: Path) -> None:
    """With WEBHOOK_URL the bot registers its webhook with the secret token, answers updates
    posted with that token, and refuses posts without it."""
    import httpx

    fake = FakeTelegram()
    await fake.start()
    port = free_port()
    env = process_env(
        fake,
        tmp_path,
        ADMIN_IDS="1001",
        WEBHOOK_URL="https://bot.example.com",
        WEBHOOK_SECRET="s3cret-token",
        PORT=str(port),
    )
    log = (tmp_path / "bot.log").open("w")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=tmp_path, stdout=log, stderr=log
    )
    try:
        await fake.wait_until(lambda: fake.calls_to("setWebhook"), timeout=30)
        registered = fake.calls_to("setWebhook")[-1].params
        assert registered["url"] == "https://bot.example.com/telegram"
        assert registered["secret_token"] == "s3cret-token"
        alice = fake.user(1001)
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 1001, "type": "private"},
                "from": {"id": 1001, "is_bot": False, "first_name": "Alice"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as http:
            for _ in range(100):  # the web server starts just after setWebhook
                try:
                    refused = await http.post(url, json=update)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            assert refused.status_code == 403  # no secret token header
            ok = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            )
            assert ok.status_code == 200
        await fake.wait_until(lambda: alice.messages(), timeout=10)
        assert "نقش شما" in alice.last().text
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.close()
        await fake.stop()
