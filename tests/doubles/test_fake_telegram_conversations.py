"""The fake Telegram Bot API, proven against a real python-telegram-bot Application:
conversations, button presses, edits, deletes, flood waits and failure kinds."""

from __future__ import annotations

import time

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import MessageHandler, filters

from tests import fake_telegram_bot as ftb
from tests.fake_telegram_bot import ADMIN_ID, MENU, OTHER_ID, Bot, echo
from tests.fakes import FakeTelegram
from tests.fakes.ptb import application_builder, running

bot = ftb.bot
fake = ftb.fake


# ----------------------------------------------------------------------------------------------
# conversations through the real PTB stack
# ----------------------------------------------------------------------------------------------


async def test_echo_conversation(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)

    sent = await admin.send("سلام")
    answer = await admin.reply()

    assert answer.text == "سلام"
    assert (answer.chat_id, sent, answer.message_id) == (ADMIN_ID, 1, 2)  # ids shared per chat
    assert [m.text for m in admin.messages()] == ["سلام"]
    assert bot.fake.calls_to("getMe") and bot.fake.calls_to("deleteWebhook")
    assert bot.fake.calls_to("sendMessage")[-1].params == {"chat_id": ADMIN_ID, "text": "سلام"}


async def test_long_polling_answers_as_soon_as_an_update_arrives(fake: FakeTelegram) -> None:
    app = application_builder(fake).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with running(app, poll_timeout=10):
        # wait until PTB is parked in a long poll (request in flight, not answered)
        await fake.wait_until(lambda: fake.polling)
        admin = fake.user(ADMIN_ID)
        began = time.monotonic()
        await admin.send("ping")
        assert (await admin.reply()).text == "ping"
        assert time.monotonic() - began < 1.0
        await fake.idle()
        assert fake.pending_updates == 0


async def test_command_and_button_press_edits_the_message(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)

    await admin.send("/start")
    menu = await admin.reply()
    assert menu.text == "Menu\nChoose:"
    assert menu.raw_text == "<b>Menu</b>\nChoose:"
    assert menu.entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert menu.buttons[0] == [("✅ Approve", "approve"), ("❌ Cancel", "cancel")]
    assert menu.button_texts == ["✅ Approve", "❌ Cancel", "Docs"]
    assert bot.fake.calls_to("sendMessage")[-1].params["reply_markup"]["inline_keyboard"][1] == [
        {"text": "Docs", "url": "https://example.com"}
    ]

    query = await admin.press(menu, "Approve")
    answer = await admin.answer_of(query)
    await bot.fake.wait_until(lambda: menu.edits == 1)

    assert (answer.text, answer.show_alert) == ("Approved!", False)
    assert menu.text == "Approved ✅"
    assert menu.history == ["Menu\nChoose:"]
    assert menu.buttons == []  # editMessageText without reply_markup drops the keyboard
    assert bot.errors == []


async def test_pressing_a_missing_button_lists_the_buttons(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)
    await admin.send("/start")
    menu = await admin.reply()

    with pytest.raises(AssertionError, match=r"Approve.*Cancel"):
        await admin.press(menu, "Delete everything")
    with pytest.raises(AssertionError, match="no callback_data"):
        await admin.press(menu, "Docs")


async def test_message_not_modified(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)
    await admin.send("/start")
    menu = await admin.reply()

    query = await admin.press(menu, "Cancel")

    assert (await admin.answer_of(query)).show_alert is True
    await bot.fake.wait_until(lambda: bot.errors)
    assert isinstance(bot.errors[0], BadRequest)
    assert "Message is not modified" in str(bot.errors[0])
    assert bot.fake.calls_to("editMessageText")[-1].status == 400
    assert menu.edits == 0


async def test_edit_errors_from_the_bot_side(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)
    sent = await bot.app.bot.send_message(ADMIN_ID, "hello")

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.app.bot.edit_message_text("hello", ADMIN_ID, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.app.bot.edit_message_text("x", ADMIN_ID, 999)

    await bot.app.bot.edit_message_reply_markup(ADMIN_ID, sent.message_id, reply_markup=MENU)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.app.bot.edit_message_reply_markup(ADMIN_ID, sent.message_id, reply_markup=MENU)
    assert admin.last().button_texts == ["✅ Approve", "❌ Cancel", "Docs"]
    assert admin.last().edits == 1


async def test_bot_deletes_the_users_secret_message(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)

    secret_id = await admin.send("/secret api-key-123")
    confirmation = await admin.reply()

    assert confirmation.text == "Saved; I deleted your message."
    assert admin.deleted(secret_id)
    assert bot.fake.user_messages[(ADMIN_ID, secret_id)].text == "/secret api-key-123"
    assert not admin.deleted(confirmation.message_id)


# PTB itself warns about RetryAfter.retry_after turning into a timedelta in v23.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_is_returned_once_then_calls_work_again(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)
    bot.fake.fail_next("sendMessage", "429", retry_after=7)

    await admin.send("first")
    await bot.fake.wait_until(lambda: bot.errors)

    assert isinstance(bot.errors[0], RetryAfter)
    assert "Retry in 7 seconds" in str(bot.errors[0])
    failed = bot.fake.calls_to("sendMessage")[-1]
    assert failed.status == 429
    assert failed.response["parameters"] == {"retry_after": 7}

    await admin.send("second")
    assert (await admin.reply()).text == "second"


async def test_failure_kinds_reach_ptb_as_the_right_errors(bot: Bot) -> None:
    fake, tg = bot.fake, bot.app.bot
    fake.user(ADMIN_ID)
    fake.user(OTHER_ID)

    fake.fail_next("sendMessage", "blocked", chat_id=OTHER_ID)
    await tg.send_message(ADMIN_ID, "not affected")  # the chat filter leaves this one alone
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await tg.send_message(OTHER_ID, "hi")

    fake.fail_next("sendMessage", "network")
    with pytest.raises(NetworkError):
        await tg.send_message(ADMIN_ID, "lost")

    fake.fail_next("sendMessage", "500", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await tg.send_message(ADMIN_ID, "oops")

    fake.fail_next("editMessageText", "not_modified")
    msg = await tg.send_message(ADMIN_ID, "works again")
    with pytest.raises(BadRequest, match="not modified"):
        await tg.edit_message_text("changed", ADMIN_ID, msg.message_id)

    with pytest.raises(BadRequest, match="Chat not found"):
        await tg.send_message(55555, "nobody")
    assert [m.text for m in fake.user(ADMIN_ID).messages()] == ["not affected", "works again"]
