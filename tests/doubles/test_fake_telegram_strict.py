"""The fake Telegram Bot API rejects what the real one rejects, with the exact HTTP answers:
reply markup, edits, texts, callback answers and deletes."""

from __future__ import annotations

import time

import aiohttp
import pytest
from telegram import ForceReply, InlineKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest

from tests import fake_telegram_bot as ftb
from tests.fake_telegram_bot import ADMIN_ID, Bot
from tests.fakes import FakeTelegram

bot = ftb.bot
fake = ftb.fake


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


async def test_callback_answer_text_is_at_most_200_characters(fake: FakeTelegram) -> None:
    admin = fake.user(ADMIN_ID)
    longer = await admin.press_data(1, "a")
    assert await call(fake, "answerCallbackQuery", callback_query_id=longer, text="ب" * 201) == (
        400,
        bad_request("MESSAGE_TOO_LONG"),
    )
    exact = await admin.press_data(1, "a")
    answered = await call(fake, "answerCallbackQuery", callback_query_id=exact, text="ب" * 200)
    assert answered[0] == 200


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
