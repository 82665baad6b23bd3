"""The approver sees the complete SMS (issue: hostile input), through the real stack:
untrusted phonebook titles and HTML-special texts never cut or break a card."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.seed import PhonebookInfo
from tests.fakes.html_check import utf16_len
from tests.harness import (
    World,
    bot_world,
    compose_to_review,
    set_key,
    start_all,
    submit_request,
    until_text,
)

SUFFIX = "evil.example/pay"


def _long_titles(w: World, n: int = 5) -> list[str]:
    """Give the first ``n`` phonebooks 600-character provider titles full of HTML marks."""
    titles = []
    for i, (book_id, book) in enumerate(list(w.sandbox.state.phonebooks.items())[:n]):
        title = f"{i}:" + ("دفترچه <&> " * 60)[:598]
        w.sandbox.state.phonebooks[book_id] = PhonebookInfo(book.id, title, book.count)
        titles.append(title)
    return titles


async def test_five_600_character_titles_leave_the_whole_text_on_card_and_review(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path, message_suffix=SUFFIX) as w:
        alice, bob = w.admin(0), w.admin(1)
        titles = _long_titles(w)
        text = "پرداخت قسط <فوری> & بدون تأخیر " * 25
        message = f"{text.strip()}\n{SUFFIX}"
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice, text=text, books=5)
        assert message in review.text  # the requester's review: whole, suffix included
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        assert message in card.text and utf16_len(card.text) <= 4096
        # nothing cut: the money line before the text (as on the review), the deadline after
        assert card.text.index("هزینهٔ تخمینی") < card.text.index(message)
        assert "مهلت تأیید تا" in card.text.split(message, 1)[1]
        assert all(title not in card.text and title[:40] in card.text for title in titles)
        # the book list (the button under a summarised list) shows every book, to approvers
        request = (await w.store.list_pending_requests())[-1]
        last = bob.last().message_id
        await bob.press_data(card.message_id, f"bl:r:{request.id}")
        listing = await until_text(w, bob, "دفترچه‌های #", after=last)
        assert all(title[:250] in listing.text for title in titles)
        # a draft's list is its owner's only
        query = await bob.press_data(card.message_id, f"bl:d:{request.snapshot.draft_id}")
        assert (await bob.answer_of(query)).show_alert


async def test_html_special_texts_reach_the_approver_whole(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        text = "<" * 1000
        request, cards = await submit_request(w, alice, (bob,), text=text)
        assert text in cards[bob.user_id].text
        assert request.snapshot.message == text


@pytest.mark.parametrize("text", ["R" + "&" * 830, "&" * 1400])
async def test_preview_shows_every_character_of_legal_texts(tmp_path: Path, text: str) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice, text=text)
        assert text in review.text
        shown = [v for m in alice.messages() for v in (*m.history, m.text or "")]
        previews = [v for v in shown if "پیش‌نمایش پیامک" in v]
        assert previews and all(text in v for v in previews)
