"""Repeats (#22): the same text to the same people within REPEAT_WINDOW_HOURS is named on
both cards; a different text to the same phonebook gets one quieter line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import PhonebookSelection, Snapshot
from bot.guardrails.repeats import Earlier, find_repeats, overlap, text_key
from tests.flows import TEXT, compose, plain
from tests.harness import bot_world, set_key, start_all, until_text

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def book(pid: str = "pb1", count: int = 100, **kw) -> PhonebookSelection:
    return PhonebookSelection(pid, "Book", count, **kw)


def snap(message: str, *sels: PhonebookSelection) -> Snapshot:
    return Snapshot.from_dict(
        {"message": message, "selections": [s.to_dict() for s in sels], "draft_id": 1}
    )


def test_the_bots_own_normalisation_makes_texts_equal() -> None:
    typed = "  سلام\u200cكريم، كد ۱۲۳   امروز\r\nلغو۱۱"
    other = "سلام کریم، کد 123 امروز"
    assert text_key(typed, "لغو۱۱") == text_key(other)
    assert text_key("سلام دنیا") != text_key("سلام دنیای")


def test_overlap_of_rows_and_contacts() -> None:
    whole, first50 = book(), book(mode="slice", start=1, size=50)
    rows_41_90 = book(mode="slice", start=41, size=50)
    assert overlap([whole], [first50]) == 50
    assert overlap([first50], [rows_41_90]) == 10
    assert overlap([book(mode="slice", start=51, size=50)], [first50]) == 0
    picked = book(mode="contacts", contact_ids=["a", "b", "c"])
    assert overlap([picked], [book(mode="contacts", contact_ids=["b", "c", "d"])]) == 2
    assert overlap([whole], [book("pb2")]) == 0  # another phonebook


def test_same_text_first_then_a_different_text_to_the_same_book() -> None:
    earlier = [
        Earlier(12, 7, NOW - timedelta(hours=2), "sent", snap("دیگر", book())),
        Earlier(13, 8, NOW - timedelta(hours=1), "unknown", snap(TEXT, book())),
        Earlier(14, 8, NOW - timedelta(hours=1), "sent", snap(TEXT, book("pb9"))),
    ]
    found = find_repeats(snap(TEXT, book()), earlier)
    assert [(r.earlier.number, r.same_text, r.overlap) for r in found] == [
        (13, True, 100),
        (12, False, 100),
    ]


# ------------------------------------------------------------------ end to end


async def test_the_same_text_to_the_same_book_twice_names_the_first_on_both_cards(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose(w, alice)
        assert "تکرار" not in review.text and "همین دفترچه" not in review.text
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        await bob.press(card, "تأیید و ارسال")
        await until_text(w, alice, "شناسه‌های ارسال")
        assert w.sends == 1
        first = (await w.store.list_broadcasts(alice.user_id))[0]

        review = await compose(w, alice)  # the same campaign again, an hour later
        line = f"تکرار: همین متن در #{first.number} به ۲۵ نفر از همین گیرندگان"
        assert line in plain(review.text)
        assert "ارسال‌شده" in review.text and "Admin1001" in review.text
        await alice.press(review, "ارسال برای تأیید")
        second = await until_text(w, bob, "درخواست ارسال", after=card.message_id)
        assert line in plain(second.text)
        assert w.sends == 1  # a warning, never a block

        # a different book with the same text: no warning
        review = await compose(w, alice, book_index=1)
        assert "تکرار" not in review.text and "همین دفترچه" not in review.text
        await alice.press(review, "دور ریختن")
        await w.until(lambda: "دور ریختن" not in str(alice.last().button_texts))
        # a different text to the first book: one quieter line
        review = await compose(w, alice, text="متن دیگری برای همان دفترچه")
        assert "تکرار" not in review.text
        pending = (await w.store.list_pending_requests())[-1]  # the newest to that book
        quiet = f"همین دفترچه ارسال #{pending.number} را هم دارد"
        assert quiet in plain(review.text) and "در انتظار تأیید" in review.text


async def test_a_window_of_zero_turns_repeats_off(tmp_path: Path) -> None:
    async with bot_world(tmp_path, repeat_window_hours=0) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        await until_text(w, bob, "درخواست ارسال")
        review = await compose(w, alice)
        assert "تکرار" not in review.text
