"""The fake Telegram Bot API as a server: group chats, files, getUpdates offsets and
conflicts, a bot in a separate process, raw JSON and form bodies."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp
import pytest
import telegram
from telegram.error import Conflict

from tests import fake_telegram_bot as ftb
from tests.fake_telegram_bot import ADMIN_ID, OTHER_ID, Bot
from tests.fakes import FakeTelegram

bot = ftb.bot
fake = ftb.fake


async def test_group_chat_edit_forward_and_file_download(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)
    other = bot.fake.user(OTHER_ID, first_name="Other")

    await admin.send("hello group", chat_type="group")
    in_group = await admin.reply()
    assert in_group.chat_id < 0
    assert bot.fake.chats[in_group.chat_id]["type"] == "group"
    assert (await other.replies(1, chat_id=in_group.chat_id))[0] is in_group

    typo = await admin.send("helo")
    await admin.reply()
    await admin.edit(typo, "hello")
    assert (await admin.reply()).text == "edited: hello"

    await admin.send("look", forward_from=OTHER_ID)
    assert (await admin.reply()).text == f"forwarded from {OTHER_ID}"

    await admin.send_document(b"09120000000\n", file_name="numbers.txt")
    assert (await admin.reply()).text == "got 12 bytes: 09120000000\n"


async def test_commands_idle_and_unknown_methods(bot: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeChat

    fake, tg = bot.fake, bot.app.bot
    fake.user(ADMIN_ID)
    await tg.set_my_commands([BotCommand("start", "Start")])
    await tg.set_my_commands(
        [BotCommand("broadcast", "ارسال")],
        scope=BotCommandScopeChat(ADMIN_ID),
        language_code="fa",
    )

    assert fake.commands_for() == [("start", "Start")]
    assert fake.commands_for(f"chat:{ADMIN_ID}", "fa") == [("broadcast", "ارسال")]
    got = await tg.get_my_commands(scope=BotCommandScopeChat(ADMIN_ID), language_code="fa")
    assert [c.command for c in got] == ["broadcast"]

    assert await tg.do_api_request("someFutureMethod", api_kwargs={"x": 1}) is True
    assert fake.calls_to("someFutureMethod")[0].params == {"x": 1}

    chat = await tg.get_chat(ADMIN_ID)
    assert chat.first_name == "Admin"
    await tg.send_chat_action(ADMIN_ID, "typing")
    await fake.idle(quiet=0.1)


async def test_wait_until_timeout_explains_what_happened(fake: FakeTelegram) -> None:
    admin = fake.user(ADMIN_ID)
    await admin.send("nobody is polling")
    with pytest.raises(AssertionError, match="pending updates: 1"):
        await admin.reply(timeout=0.2)


async def test_get_updates_offset_and_conflict_with_a_plain_bot(fake: FakeTelegram) -> None:
    admin = fake.user(ADMIN_ID)
    first = await admin.send("one")
    await admin.send("two")

    async with telegram.Bot(fake.token, base_url=fake.base_url) as tg:
        updates = await tg.get_updates()
        assert [u.message.text for u in updates] == ["one", "two"]
        assert updates[0].message.from_user.id == ADMIN_ID
        assert updates[0].message.chat.type == "private"
        assert updates[0].message.message_id == first
        assert fake.pending_updates == 2  # fetched, not yet confirmed
        assert await tg.get_updates(offset=updates[-1].update_id + 1) == ()
        assert fake.pending_updates == 0

        # A second instance polling the same token kicks the first one out, like Telegram.
        waiting = asyncio.create_task(tg.get_updates(timeout=5))
        await fake.wait_until(lambda: fake.polling)
        async with telegram.Bot(fake.token, base_url=fake.base_url) as second_instance:
            assert await second_instance.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await waiting


BOT_PROCESS = """
import os
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await update.message.reply_text("echo: " + update.message.text)

app = (
    ApplicationBuilder()
    .token(os.environ["TELEGRAM_BOT_TOKEN"])
    .base_url(os.environ["TELEGRAM_API_BASE_URL"])
    .build()
)
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(poll_interval=0, timeout=1)
"""


async def test_bot_in_a_separate_process(fake: FakeTelegram) -> None:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BOT_PROCESS, env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        admin = fake.user(ADMIN_ID)
        await fake.wait_until(lambda: fake.polling, timeout=20)
        await admin.send("from far away")
        assert (await admin.reply()).text == "echo: from far away"
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def test_raw_http_json_and_form_bodies(fake: FakeTelegram) -> None:
    fake.user(ADMIN_ID)
    url = f"{fake.base_url}{fake.token}/sendMessage"
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url, json={"chat_id": ADMIN_ID, "text": "json", "reply_markup": keyboard}
        ) as r:
            assert (await r.json())["result"]["reply_markup"] == keyboard
        # form values are strings; "123" stays a text, JSON-ish parameters are decoded
        form = {"chat_id": str(ADMIN_ID), "text": "123", "reply_markup": json.dumps(keyboard)}
        async with http.post(url, data=form) as r:
            assert (await r.json())["result"]["text"] == "123"
        async with http.get(f"{fake.base_url}wrong:token/getMe") as r:
            assert r.status == 401

    assert [c.params["reply_markup"] for c in fake.calls_to("sendMessage")] == [keyboard] * 2
    assert fake.calls_to("sendMessage")[1].params["chat_id"] == ADMIN_ID
    assert [m.buttons for m in fake.user(ADMIN_ID).messages()] == [[[("A", "a")]]] * 2
