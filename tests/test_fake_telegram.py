"""The fake Telegram Bot API server, proven against a real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
import telegram
from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes import FakeTelegram
from tests.fakes.html_check import EntityParseError, parse_html
from tests.fakes.ptb import application_builder, running

ADMIN_ID = 1001
OTHER_ID = 2002

MENU = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("✅ Approve", callback_data="approve"),
            InlineKeyboardButton("❌ Cancel", callback_data="cancel"),
        ],
        [InlineKeyboardButton("Docs", url="https://example.com")],
    ]
)


# ----------------------------------------------------------------------------------------------
# a tiny bot under test
# ----------------------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html("<b>Menu</b>\nChoose:", reply_markup=MENU)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query.data == "approve":
        await query.answer("Approved!")
        await query.edit_message_text("Approved ✅")
    elif query.data == "cancel":
        await query.answer("Cancelled", show_alert=True)
        # Same text, entities and keyboard: real Telegram answers "message is not modified".
        await query.edit_message_text(
            query.message.text_html, parse_mode=ParseMode.HTML, reply_markup=MENU
        )
    else:
        await query.answer(f"unknown:{query.data}")


async def secret(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.delete()
    await update.effective_chat.send_message("Saved; I deleted your message.")


async def shout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Deliberately NOT escaping user text: the fake must reject it like Telegram does.
    said = " ".join(context.args)
    await update.effective_message.reply_html(f"You said: <b>{said}</b>")


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await update.effective_message.document.get_file()
    data = await file.download_as_bytearray()
    await update.effective_message.reply_text(f"got {len(data)} bytes: {data.decode()}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if update.edited_message:
        await message.reply_text(f"edited: {message.text}")
    elif message.forward_origin is not None:
        await message.reply_text(f"forwarded from {message.forward_origin.sender_user.id}")
    else:
        await message.reply_text(message.text)


@dataclass
class Bot:
    fake: FakeTelegram
    app: Application
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    app = application_builder(fake).build()
    result = Bot(fake, app)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        result.errors.append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("secret", secret))
    app.add_handler(CommandHandler("shout", shout))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(on_error)
    async with running(app):
        yield result


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


async def test_unescaped_html_is_rejected(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)

    await admin.send("/shout <x>")
    await bot.fake.wait_until(lambda: bot.errors)

    assert isinstance(bot.errors[0], BadRequest)
    assert "Can't parse entities" in str(bot.errors[0])
    assert 'Unsupported start tag "x"' in bot.fake.calls_to("sendMessage")[-1].error
    assert admin.messages() == []

    await admin.send("/shout fine")
    assert (await admin.reply()).text == "You said: fine"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<x>hi</x>", 'Unsupported start tag "x"'),
        ("<b>open", "Can't find end tag"),
        ("<b>a<i>b</b></i>", "Can't find end tag"),
        ("close</b>", "Unexpected end tag"),
        ("1 < 2", 'unexpected character "<"'),
        ("R&D", 'Character "&"'),
        ("a &nbsp; b", "Unsupported HTML entity"),
        ("<span>x</span>", 'Unsupported start tag "span"'),
    ],
)
def test_html_parser_rejects(text: str, problem: str) -> None:
    with pytest.raises(EntityParseError, match=problem):
        parse_html(text)


def test_html_parser_plain_text_and_entities() -> None:
    text, entities = parse_html(
        '<b>bold</b> &lt;tag&gt; &amp; <a href="https://x.y/?a=1&amp;b=2">link</a> '
        '<span class="tg-spoiler">s</span> <pre><code class="language-py">x</code></pre> 😀<i>i</i>'
    )
    assert text == "bold <tag> & link s x 😀i"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 4),
        ("text_link", 13, 4),
        ("spoiler", 18, 1),
        ("pre", 20, 1),
        ("italic", 24, 1),  # the emoji counts 2 UTF-16 units
    ]


async def test_message_length_limit_is_4096(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)

    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.app.bot.send_message(ADMIN_ID, "ا" * 4097)
    await bot.app.bot.send_message(ADMIN_ID, "ا" * 4096)
    # Tags don't count, only the visible text does.
    await bot.app.bot.send_message(ADMIN_ID, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")

    assert [len(m.text) for m in admin.messages()] == [4096, 4096]


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot) -> None:
    bot.fake.user(ADMIN_ID)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])

    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.app.bot.send_message(ADMIN_ID, "pick", reply_markup=too_long)


async def test_forged_callback_data_and_inaccessible_messages(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)
    await admin.send("/start")
    menu = await admin.reply()

    forged = bytes(range(200, 240)).decode("latin-1")
    query = await admin.press_data(menu.message_id, forged)
    assert (await admin.answer_of(query)).text == f"unknown:{forged}"

    query = await admin.press_data(424242, "approve")  # no such message
    await admin.answer_of(query)
    await bot.fake.idle()
    assert bot.fake.unanswered_callbacks() == []


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


# ----------------------------------------------------------------------------------------------
# rejecting what the real Bot API rejects (exact HTTP answers)
# ----------------------------------------------------------------------------------------------


async def call(fake: FakeTelegram, method: str, **params: object) -> tuple[int, dict]:
    """POST a raw JSON Bot API call; returns (HTTP status, body)."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake.base_url}{fake.token}/{method}", json=params) as r:
            return r.status, await r.json()


def bad_request(description: str) -> dict:
    return {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}


CANT_PARSE = "can't parse reply keyboard markup JSON object"
BUTTON = "can't parse inline keyboard button: "


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        ({}, CANT_PARSE),  # PTB's InlineKeyboardMarkup([])
        ({"inline_keyboard": []}, CANT_PARSE),
        ({"inline_keyboard": [[]]}, CANT_PARSE),  # PTB's InlineKeyboardMarkup([[]])
        ({"inline_keyboard": [[], []]}, CANT_PARSE),
        ({"keyboard": []}, CANT_PARSE),
        ({"keyboard": [[]]}, CANT_PARSE),
        ({"remove_keyboard": False}, CANT_PARSE),
        ({"force_reply": False}, CANT_PARSE),
        ({"selective": True}, CANT_PARSE),
        ([{"text": "a", "callback_data": "a"}], "object expected as reply markup"),
        (
            {"inline_keyboard": [{"text": "a", "callback_data": "a"}]},
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
        ),
        ({"inline_keyboard": "x"}, 'field "inline_keyboard" must be of type Array'),
        ({"inline_keyboard": [["a"]]}, BUTTON + "InlineKeyboardButton must be an Object"),
        (
            {"inline_keyboard": [[{"text": ["a"], "url": "https://x.org"}]]},
            BUTTON + 'Field "text" must be of type String',
        ),
        (
            {"inline_keyboard": [[{"text": "a"}]]},
            BUTTON + "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]},
            BUTTON + "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": [[{"text": "", "callback_data": "a"}]]},
            BUTTON + "Text must be non-empty",
        ),
        (
            {"inline_keyboard": [[{"text": "a", "callback_data": "é" * 33}]]},  # 66 bytes
            "BUTTON_DATA_INVALID",
        ),
        (
            {"inline_keyboard": [[{"text": "a", "callback_data": "a", "url": "https://x.org"}]]},
            BUTTON + "exactly one of the fields ['url', 'callback_data'] must be used",
        ),
        ({"keyboard": [["a"], "b"]}, 'field "keyboard" must be an Array of Arrays'),
        (
            {"keyboard": [[5]]},
            "can't parse keyboard button: KeyboardButton must be a String or an Object",
        ),
        (
            {"keyboard": [[{"request_contact": True}]]},
            "can't parse keyboard button: Can't find field \"text\"",
        ),
    ],
)
async def test_send_message_rejects_bad_reply_markup(
    fake: FakeTelegram, markup: object, description: str
) -> None:
    fake.user(ADMIN_ID)

    status, body = await call(fake, "sendMessage", chat_id=ADMIN_ID, text="hi", reply_markup=markup)

    assert (status, body) == (400, bad_request(description))
    assert fake.chat_messages(ADMIN_ID) == []


@pytest.mark.parametrize(
    "markup",
    [
        {"inline_keyboard": [[{"text": "a", "callback_data": "é" * 32}]]},  # exactly 64 bytes
        {"inline_keyboard": [[{"text": "a", "callback_data": "a"}], []]},  # one empty row
        {"inline_keyboard": [[{"text": "a", "url": "https://x.org", "callback_data": ""}]]},
        {"keyboard": [["a", {"text": "b", "request_contact": True}]], "resize_keyboard": True},
        {"remove_keyboard": True},
        {"force_reply": True, "input_field_placeholder": "your key"},
    ],
)
async def test_send_message_accepts_the_four_keyboard_types(
    fake: FakeTelegram, markup: dict
) -> None:
    fake.user(ADMIN_ID)

    status, body = await call(fake, "sendMessage", chat_id=ADMIN_ID, text="hi", reply_markup=markup)

    assert (status, body["ok"]) == (200, True)
    assert fake.user(ADMIN_ID).last().reply_markup == markup


async def test_a_form_reply_markup_that_is_not_json_is_rejected(fake: FakeTelegram) -> None:
    fake.user(ADMIN_ID)
    form = {"chat_id": str(ADMIN_ID), "text": "hi", "reply_markup": "{inline_keyboard"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake.base_url}{fake.token}/sendMessage", data=form) as r:
            assert (r.status, await r.json()) == (400, bad_request(CANT_PARSE))


async def test_ptb_empty_keyboards_are_rejected_and_no_markup_is_fine(bot: Bot) -> None:
    admin = bot.fake.user(ADMIN_ID)

    for empty in (InlineKeyboardMarkup([]), InlineKeyboardMarkup([[]])):
        with pytest.raises(BadRequest, match=r"(?i)can't parse reply keyboard markup json object"):
            await bot.app.bot.send_message(ADMIN_ID, "history", reply_markup=empty)
    await bot.app.bot.send_message(ADMIN_ID, "history", reply_markup=None)
    await bot.app.bot.send_message(ADMIN_ID, "bye", reply_markup=ReplyKeyboardRemove())
    await bot.app.bot.send_message(ADMIN_ID, "key?", reply_markup=ForceReply())

    assert [m.text for m in admin.messages()] == ["history", "bye", "key?"]
    assert "reply_markup" not in bot.fake.calls_to("sendMessage")[2].params


async def test_edits_take_inline_keyboards_only(fake: FakeTelegram) -> None:
    fake.user(ADMIN_ID)
    _, sent = await call(fake, "sendMessage", chat_id=ADMIN_ID, text="hi")
    message_id = sent["result"]["message_id"]

    for method, extra in (("editMessageText", {"text": "new"}), ("editMessageReplyMarkup", {})):
        status, body = await call(
            fake,
            method,
            chat_id=ADMIN_ID,
            message_id=message_id,
            reply_markup={"keyboard": [["a"]]},
            **extra,
        )
        assert (status, body) == (400, bad_request("inline keyboard expected"))
        status, body = await call(
            fake, method, chat_id=ADMIN_ID, message_id=message_id, reply_markup={}, **extra
        )
        assert (status, body) == (400, bad_request(CANT_PARSE))
    assert fake.user(ADMIN_ID).last().text == "hi"


async def test_text_html_and_not_modified_answers(fake: FakeTelegram) -> None:
    fake.user(ADMIN_ID)
    keyboard = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}

    # 4096 visible characters are fine however long the markup is; 4097 are not.
    status, sent = await call(
        fake,
        "sendMessage",
        chat_id=ADMIN_ID,
        text="<b>" + "x" * 4096 + "</b>",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    assert status == 200
    assert await call(
        fake, "sendMessage", chat_id=ADMIN_ID, text="&amp;" * 4097, parse_mode="HTML"
    ) == (
        400,
        bad_request("message is too long"),
    )
    assert await call(fake, "sendMessage", chat_id=ADMIN_ID, text="<b>x", parse_mode="HTML") == (
        400,
        bad_request("can't parse entities: Can't find end tag corresponding to start tag \"b\""),
    )
    # "a &amp" is a half-cut entity (what a careless shortening leaves behind).
    status, body = await call(
        fake, "sendMessage", chat_id=ADMIN_ID, text="a &amp", parse_mode="HTML"
    )
    assert status == 400 and body["description"].startswith("Bad Request: can't parse entities: ")

    message_id = sent["result"]["message_id"]
    same = {
        "chat_id": ADMIN_ID,
        "message_id": message_id,
        "text": "<b>" + "x" * 4096 + "</b>",
        "parse_mode": "HTML",
        "reply_markup": keyboard,
    }
    not_modified = bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    assert await call(fake, "editMessageText", **same) == (400, not_modified)
    # Dropping the keyboard is a change.
    assert (await call(fake, "editMessageText", **{**same, "reply_markup": None}))[0] == 200
    assert await call(fake, "editMessageReplyMarkup", chat_id=ADMIN_ID, message_id=message_id) == (
        400,
        not_modified,
    )


async def test_answer_callback_query_time_limit_is_a_setting() -> None:
    async with FakeTelegram(callback_answer_timeout=10) as fake:
        admin = fake.user(ADMIN_ID)
        too_old = bad_request(
            "query is too old and response timeout expired or query ID is invalid"
        )

        in_time = await admin.press_data(1, "a")
        fake.advance(9)
        assert (await call(fake, "answerCallbackQuery", callback_query_id=in_time))[0] == 200
        # A second answer to the same press is refused too.
        assert await call(fake, "answerCallbackQuery", callback_query_id=in_time) == (400, too_old)

        late = await admin.press_data(1, "a")
        fake.advance(11)
        assert await call(fake, "answerCallbackQuery", callback_query_id=late) == (400, too_old)
        assert await call(fake, "answerCallbackQuery", callback_query_id="42") == (400, too_old)

        fake.callback_answer_timeout = 60
        later = await admin.press_data(1, "a")
        fake.advance(59)
        assert (await call(fake, "answerCallbackQuery", callback_query_id=later))[0] == 200
        assert fake.unanswered_callbacks() == [late]


async def test_default_callback_answer_timeout_is_15_seconds(fake: FakeTelegram) -> None:
    admin = fake.user(ADMIN_ID)
    query = await admin.press_data(1, "a")

    fake.advance(15.5)

    assert (await call(fake, "answerCallbackQuery", callback_query_id=query))[0] == 400


async def test_delete_message_only_within_48_hours(fake: FakeTelegram) -> None:
    admin = fake.user(ADMIN_ID)
    ids = []
    for text in ("one", "two", "three"):
        _, sent = await call(fake, "sendMessage", chat_id=ADMIN_ID, text=text)
        ids.append(sent["result"]["message_id"])
    users_own = await admin.send("my key")
    cant = bad_request("message can't be deleted for everyone")

    fake.advance(48 * 3600 - 60)
    assert await call(fake, "deleteMessage", chat_id=ADMIN_ID, message_id=ids[0]) == (
        200,
        {"ok": True, "result": True},
    )
    _, fresh = await call(fake, "sendMessage", chat_id=ADMIN_ID, text="fresh")
    assert fresh["result"]["date"] >= int(time.time()) + 48 * 3600 - 61  # the fake's clock
    fake.advance(120)

    assert await call(fake, "deleteMessage", chat_id=ADMIN_ID, message_id=ids[1]) == (400, cant)
    assert await call(fake, "deleteMessage", chat_id=ADMIN_ID, message_id=users_own) == (
        400,
        cant,
    )
    assert await call(fake, "deleteMessage", chat_id=ADMIN_ID, message_id=ids[0]) == (
        400,
        bad_request("message to delete not found"),
    )
    # deleteMessages skips what it cannot delete and deletes the rest.
    status, _ = await call(
        fake,
        "deleteMessages",
        chat_id=ADMIN_ID,
        message_ids=[ids[2], fresh["result"]["message_id"]],
    )
    assert status == 200
    assert [m.text for m in admin.messages()] == ["two", "three"]
    assert not admin.deleted(users_own)
    with pytest.raises(ValueError, match="forward"):
        fake.advance(-1)
