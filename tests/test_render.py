"""The review card stays under Telegram's limit without cutting the exact SMS text."""

from zoneinfo import ZoneInfo

from bot.render import TELEGRAM_LIMIT, snapshot_card
from tests.fakes.html_check import parse_html


def test_long_phonebook_list_is_shortened_but_the_text_is_whole() -> None:
    books = [
        {"phonebook_id": str(i), "title": f"دفترچهٔ مشتریان {i} <شعبه>", "count": 100}
        for i in range(200)
    ]
    message = "سلام & خوش آمدید " * 70  # about 1,200 characters
    snapshot = {"sender": "+983000505", "selections": books, "message": message}
    card = snapshot_card(snapshot, "fa", ZoneInfo("Asia/Tehran"))
    assert len(card) <= TELEGRAM_LIMIT
    assert "(+190)" in card
    plain, _ = parse_html(card)  # valid HTML: titles and text are escaped
    assert message in plain and "<شعبه>" in plain
