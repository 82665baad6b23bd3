"""The review card stays under Telegram's limit without cutting the exact SMS text, and
every shortening keeps the HTML valid (checked with the fake Bot API's own parser)."""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

import pytest

from bot.domain import Snapshot
from bot.render import (
    TELEGRAM_LIMIT,
    books_list,
    build_card,
    clip,
    esc,
    fit,
    message_text,
    visible_len,
)
from bot.sms import measure
from bot.texts import t
from tests.fakes.html_check import parse_html, utf16_len

TZ = ZoneInfo("Asia/Tehran")
SUFFIX = "لغو۱۱ evil.example/pay"
ALPHABET = ["<", "&", ">", "<b>", "&amp;", "سلام ", "ی", "😀", "👨‍👩‍👧", "a", " ", "\n", '"']


def _plain(html_text: str) -> str:
    plain, _ = parse_html(html_text)
    assert utf16_len(plain) <= TELEGRAM_LIMIT
    return plain


def _random_text(rng: random.Random, limit: int) -> str:
    out = ""
    while True:
        piece = rng.choice(ALPHABET) * rng.choice((1, 1, 3, 50, 400))
        if len(out) + len(piece) > limit:
            return out
        out += piece


def _sms(rng: random.Random) -> str:
    """A legal SMS (at most 1,400 characters, 20 parts) ending with the suffix."""
    while True:
        text = _random_text(rng, rng.choice((5, 200, 1400))).strip() or "x"
        message = f"{text}\n{SUFFIX}"
        if not measure(message).too_long:
            return message


def _snapshot(rng: random.Random) -> Snapshot:
    books = [
        {
            "phonebook_id": str(i),
            "title": _random_text(rng, rng.choice((10, 600, 5000))),
            "count": rng.randrange(0, 10**6),
        }
        for i in range(rng.choice((0, 1, 5, 30)))
    ]
    return Snapshot.from_dict(
        {
            "sender": "+98" + "9" * rng.choice((8, 100)),
            "sender_label": _random_text(rng, rng.choice((0, 20, 900))) or None,
            "selections": books,
            "message": _sms(rng),
            "send_at": None,
        }
    )


def test_five_books_with_600_character_titles_keep_the_whole_text() -> None:
    books = [{"phonebook_id": str(i), "title": "ب" * 600, "count": 10} for i in range(5)]
    message = "پرداخت فوری " * 100 + "\n" + "evil.example/pay"
    snapshot = Snapshot.from_dict({"sender": "+983000", "selections": books, "message": message})
    card = build_card(snapshot, "fa", TZ)
    plain = _plain(card.text)
    assert message in plain and plain.rstrip().endswith("evil.example/pay")
    assert not card.message_apart
    assert "ب" * 600 not in plain  # titles are cut for display only


def test_long_phonebook_list_becomes_a_summary_with_a_list_button() -> None:
    books = [
        {"phonebook_id": str(i), "title": f"دفترچهٔ مشتریان {i} <شعبه>", "count": 100}
        for i in range(200)
    ]
    message = "سلام & خوش آمدید " * 70  # about 1,200 characters
    snapshot = Snapshot.from_dict({"sender": "+983000505", "selections": books, "message": message})
    card = build_card(snapshot, "fa", TZ)
    assert card.books_summarized and not card.message_apart
    plain = _plain(card.text)
    assert message in plain
    listed = "\n".join(_plain(chunk) for chunk in books_list(snapshot, "fa", "#1"))
    assert all(f"دفترچهٔ مشتریان {i} <شعبه>" in listed for i in range(200))


def test_text_that_cannot_fit_goes_apart_whole() -> None:
    message = "&" * 1400
    snapshot = Snapshot.from_dict({"sender": "+98", "selections": [], "message": message})
    card = build_card(snapshot, "en", TZ, budget=600)
    assert card.message_apart and message not in _plain(card.text)
    assert message in _plain(message_text(snapshot, "en", "#7"))


@pytest.mark.parametrize(
    "text",
    ["R" + esc("&" * 830), esc("<" * 1000), "<b>" + esc("&" * 5000) + "</b>", "😀" * 3000],
)
def test_fit_never_cuts_a_tag_or_an_entity(text: str) -> None:
    for limit in (50, 769, 1000, TELEGRAM_LIMIT):
        cut = fit(text, limit)
        plain, _ = parse_html(cut)
        assert utf16_len(plain) <= limit and visible_len(cut) == utf16_len(plain)


def test_fit_measures_visible_characters_not_escaped_length() -> None:
    text = f"<pre>{esc('&' * 1400)}</pre>"
    assert fit(text) == text  # 7,000 characters of HTML, 1,400 visible


def test_clip_cuts_plain_text_only() -> None:
    assert clip("abc", 5) == "abc" and clip("abcdef", 4) == "abc…"


@pytest.mark.parametrize("seed", range(4))
def test_property_every_card_is_valid_fits_and_holds_the_whole_text(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        snapshot = _snapshot(rng)
        lang = rng.choice(("fa", "en"))
        budget = rng.choice((TELEGRAM_LIMIT, TELEGRAM_LIMIT - 800, 2500))
        card = build_card(snapshot, lang, TZ, per_recipient=12.5, credit=1e6, budget=budget)
        plain = _plain(card.text)
        assert utf16_len(plain) <= budget
        if card.message_apart:
            assert t(lang, "card_text_apart") in plain
            assert snapshot.message in _plain(message_text(snapshot, lang, "#1"))
        else:
            assert snapshot.message in plain
        assert budget < TELEGRAM_LIMIT or not card.message_apart  # a legal SMS fits a card
        for chunk in books_list(snapshot, lang, "#1"):
            _plain(chunk)
        # any shortening of any rendered card is valid HTML too
        limit = rng.randrange(20, TELEGRAM_LIMIT)
        assert utf16_len(parse_html(fit(card.text, limit))[0]) <= limit
