"""Right-to-left screens: buttons in reading order, the approver card without the
requester's step header, people by name and isolated, the delivery report on a phone,
and a card for many phonebooks kept short. In Persian and in English where it differs."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

from bot.domain import PhonebookSelection, Snapshot
from bot.ippanel.models import OperatorStats
from bot.render import FSI, LRI, PDI, build_card, operator_lines, person
from bot.texts import EN, FA, t
from handlers import keyboards as kb
from tests.harness import World, bot_world, compose_to_review, set_key, until_text


def shown(lang: str, key: str) -> str:
    """The visible start of a catalogue text: tags dropped, up to a placeholder or line end."""
    plain = re.sub(r"<[^>]+>", "", t(lang, key).split("{")[0])
    return plain.split("\n")[0].strip()


def texts(row) -> list[str]:
    return [b.text for b in row]


def row_with(message, label: str) -> list[str]:
    """The button texts of the row holding ``label``, left to right as Telegram draws it."""
    for row in message.buttons:
        names = [text for text, _ in row]
        if label in names:
            return names
    raise AssertionError(f"no row with {label!r}: {message.buttons}")


# ---------------------------------------------------------------- reading order


def test_pager_and_nav_row_follow_the_reading_order() -> None:
    # Persian reads right to left: next (forward) is drawn first, i.e. on the left
    assert texts(kb.pager("fa", "hs", 2, 3)) == [FA["btn_next"], "2/3", FA["btn_prev"]]
    assert texts(kb.pager("en", "hs", 2, 3)) == [EN["btn_prev"], "2/3", EN["btn_next"]]
    assert texts(kb.pager("fa", "hs", 1, 3)) == [FA["btn_next"], "1/3"]
    assert texts(kb.pager("en", "hs", 3, 3)) == [EN["btn_prev"], "3/3"]
    assert kb.pager("fa", "hs", 1, 1) == []
    go = kb.btn("go", "x:ok")
    assert texts(kb.nav_row("fa", kb.back("fa"), [go])) == ["go", FA["btn_back"]]
    assert texts(kb.nav_row("en", kb.back("en"), [go])) == [EN["btn_back"], "go"]
    # the approver's pair: approve is read first (right in Persian, left in English)
    fa_pair = kb.approval("fa", 7).inline_keyboard[0]
    en_pair = kb.approval("en", 7).inline_keyboard[0]
    assert texts(fa_pair) == [FA["btn_reject"], FA["btn_approve"]]
    assert texts(en_pair) == [EN["btn_approve"], EN["btn_reject"]]


async def _books_text_time(w: World, user, lang: str, *, send: bool = True) -> None:
    """Walk books → options → text → time, checking each step's back/continue row."""
    cat = FA if lang == "fa" else EN
    back = cat["btn_back"]

    def order(forward: str) -> list[str]:
        return [forward, back] if lang == "fa" else [back, forward]

    if send:
        await user.send("/send")
    menu = await until_text(w, user, "خط ارسال" if lang == "fa" else "Sender line")
    if menu.buttons:
        await user.press(menu, menu.buttons[0][0][0], exact=True)
    books = await until_text(w, user, shown(lang, "books_title"))
    # 12 phonebooks at 8 a page: the pager shows the counter and "next"
    assert row_with(books, "1/2") == (
        [cat["btn_next"], "1/2"] if lang == "fa" else ["1/2", cat["btn_next"]]
    )
    assert row_with(books, cat["btn_books_done"]) == order(cat["btn_books_done"])
    await user.press(books, books.buttons[0][0][0], exact=True)
    await w.until(lambda: "✓" in user.last().buttons[0][0][0])
    await user.press(user.last(), cat["btn_books_options"], exact=True)
    options = await until_text(w, user, shown(lang, "options_title"))
    assert row_with(options, cat["btn_to_text"]) == order(cat["btn_to_text"])
    await user.press(options, cat["btn_to_text"], exact=True)
    await until_text(w, user, shown(lang, "text_ask"))
    await user.send("Hello team" if lang == "en" else "سلام")
    preview = await until_text(w, user, shown(lang, "text_preview"))
    assert row_with(preview, cat["btn_text_ok"]) == order(cat["btn_text_ok"])
    await user.press(preview, cat["btn_text_ok"], exact=True)
    time_menu = await until_text(w, user, shown(lang, "time_ask"))
    assert row_with(time_menu, cat["btn_now"]) == order(cat["btn_now"])


async def test_persian_puts_continue_left_of_back_english_the_opposite(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await _books_text_time(w, alice, "fa")
        await alice.send("/cancel")
        await until_text(w, alice, shown("fa", "cancelled"))
        await alice.send("/lang")
        await alice.press(await alice.reply(), "English")
        await until_text(w, alice, "Language")
        await alice.send("/send")
        offer = await until_text(w, alice, "unfinished draft")
        await alice.press(offer, EN["btn_new_draft"])
        await _books_text_time(w, alice, "en", send=False)


# ---------------------------------------------------------------- the approver's card


async def test_the_approver_card_does_not_start_with_the_step_header(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        for person_ in (bob, carol):
            await person_.send("/start")
            await until_text(w, person_, "نقش شما")
        await carol.send("/lang")
        await carol.press(await carol.reply(), "English")
        await until_text(w, carol, "Language")
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        assert review.text.startswith("۵. بازبینی")  # the requester's step keeps its title
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        en_card = await until_text(w, carol, "Broadcast request")
        assert card.text.startswith("درخواست ارسال #")
        assert "بازبینی" not in card.text and "خط ارسال" in card.text
        assert "سلام، تخفیف ویژهٔ امروز" in card.text  # the exact text is still there
        assert en_card.text.startswith("Broadcast request #")
        assert "5. Review" not in en_card.text and "Sender:" in en_card.text


# ---------------------------------------------------------------- people by name


def test_a_person_is_isolated_with_name_username_and_id() -> None:
    assert person(1002, "Bita", "bita") == f"{FSI}Bita ({LRI}@bita · 1002{PDI}){PDI}"
    assert person(1002, "بیتا", None) == f"{FSI}بیتا ({LRI}1002{PDI}){PDI}"
    assert person(1002) == f"{LRI}1002{PDI}"
    assert person(1002, "<b>", None).startswith(f"{FSI}&lt;b&gt;")


async def test_history_and_decisions_name_people(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        bita = w.users[1002] = w.fake.user(1002, first_name="Bita", username="bita")
        await bita.send("/start")
        await until_text(w, bita, "نقش شما")
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bita, "درخواست ارسال")
        bita_label = f"{FSI}Bita ({LRI}@bita · 1002{PDI}){PDI}"
        alice_label = f"{FSI}Admin1001 ({LRI}1001{PDI}){PDI}"
        assert f"از {alice_label}" in card.text
        await bita.press(card, "تأیید و ارسال")
        closed = await until_text(w, bita, "تأیید شد توسط")
        assert f"تأیید شد توسط {bita_label} در " in closed.text
        await until_text(w, alice, "انجام شد")

        await alice.send("/history")
        history = await until_text(w, alice, "(صفحهٔ")
        assert f"درخواست: {alice_label} · تأیید: {bita_label}" in history.text

        # the profile keeps the name: a person the bot no longer has in memory is still named
        profile = await w.store.get_profile(1002)
        assert (profile.first_name, profile.username) == ("Bita", "bita")
        w.app.user_data[1002].name = None
        await alice.send("/history")
        again = await until_text(w, alice, "(صفحهٔ", after=history.message_id)
        assert bita_label in again.text

        await alice.send("/lang")
        await alice.press(await alice.reply(), "English")
        await until_text(w, alice, "Language")
        await alice.send("/history")
        english = await until_text(w, alice, "Requester:")
        assert f"Requester: {alice_label} · approved by: {bita_label}" in english.text


# ---------------------------------------------------------------- the delivery report


def test_the_delivery_report_is_one_line_per_operator() -> None:
    ops = {
        "irancell": OperatorStats(sent=40, delivered=38, failed=2),
        "mci": OperatorStats(sent=123, delivered=120, failed=3),
        "rightel": OperatorStats(),  # nothing there: no line
        "xtel": OperatorStats(sent=5, delivered=1, pending=4),
    }
    fa = operator_lines("fa", ops).split("\n")
    fa_num = {n: f"{FSI}{d}{PDI}" for n, d in [(120, "۱۲۰"), (3, "۳"), (38, "۳۸"), (2, "۲")]}
    assert fa[0] == f"همراه اول: {fa_num[120]} رسیده · {fa_num[3]} نرسیده"
    assert fa[1] == f"ایرانسل: {fa_num[38]} رسیده · {fa_num[2]} نرسیده"
    assert fa[2].startswith(f"اپراتور {LRI}xtel{PDI}: ") and "در صف" in fa[2]
    assert len(fa) == 3
    en = operator_lines("en", ops).split("\n")
    assert en[0] == "MCI: 120 delivered · 3 not delivered"
    assert en[1] == "Irancell: 38 delivered · 2 not delivered"
    assert en[2] == f"Operator {LRI}xtel{PDI}: 1 delivered · 0 not delivered · 4 pending"
    assert operator_lines("fa", {}) == FA["report_no_stats"]


async def test_the_report_message_has_no_table(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await bob.send("/start")
        await until_text(w, bob, "نقش شما")
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        await bob.press(await until_text(w, bob, "درخواست ارسال"), "تأیید و ارسال")
        done = await until_text(w, alice, "انجام شد")
        await alice.press(done, "گزارش تحویل")
        report = await until_text(w, alice, "گزارش ارسال")
        assert "همراه اول: " in report.text
        assert "mci" not in report.text and "اپراتور    ارسال" not in report.text
        sent = [c.params["text"] for c in w.fake.calls_to("sendMessage")]
        assert not any("<pre>" in text and "گزارش ارسال" in text for text in sent)


# ---------------------------------------------------------------- many phonebooks


def _snapshot(books: int) -> Snapshot:
    selections = [
        PhonebookSelection(str(100 + i), f"Book number {i}", 10).to_dict() for i in range(books)
    ]
    return Snapshot.from_dict(
        {"sender": "+983000", "selections": selections, "message": "Exact SMS text"}
    )


def test_a_card_for_18_books_is_a_count_and_a_button() -> None:
    for lang, count in (
        ("fa", f"{FSI}۱۸{PDI} دفترچه، {FSI}۱۸۰{PDI} گیرنده"),
        ("en", "18 phonebooks"),
    ):
        card = build_card(_snapshot(18), lang, UTC)
        assert card.books_summarized and not card.message_apart
        assert count in card.text
        assert "Book number 0" not in card.text and "Exact SMS text" in card.text
        approver = build_card(_snapshot(18), lang, UTC, header=False)
        assert approver.books_summarized and "Exact SMS text" in approver.text
    five = build_card(_snapshot(5), "fa", UTC)
    assert not five.books_summarized and "Book number 4" in five.text


async def test_six_books_on_the_review_and_the_approver_card(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await bob.send("/start")
        await until_text(w, bob, "نقش شما")
        await set_key(w, alice)
        review = await compose_to_review(w, alice, books=6)
        assert f"{FSI}۶{PDI} دفترچه" in review.text
        assert FA["btn_books_list"] in review.button_texts
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        assert f"{FSI}۶{PDI} دفترچه" in card.text and "سلام، تخفیف ویژهٔ امروز" in card.text
        await bob.press(card, FA["btn_books_list"])
        listing = await until_text(w, bob, "دفترچه‌های #")
        assert listing.text.count("• ") == 6
