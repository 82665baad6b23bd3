"""The fake Telegram Bot API through PTB: HTML entities, the 4096-character limit and
callback data (64 bytes, forged data, inaccessible messages)."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from tests import fake_telegram_bot as ftb
from tests.fake_telegram_bot import ADMIN_ID, Bot
from tests.fakes.html_check import EntityParseError, parse_html

bot = ftb.bot
fake = ftb.fake


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
