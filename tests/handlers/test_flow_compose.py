"""The /send conversation end to end, step by step, with the bad inputs of each step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import Step
from bot.jalali import format_jalali
from tests.harness import (
    STRANGER,
    bot_world,
    compose_to_review,
    restart,
    set_key,
    until_text,
)


async def open_books(w, user) -> None:
    await user.send("/send")
    menu = await until_text(w, user, "خط ارسال")
    await user.press(menu, menu.buttons[0][0][0], exact=True)
    await until_text(w, user, "دفترچه‌های تلفن")


async def current_draft(w, user):
    drafts = await w.store.list_drafts(user.user_id)
    assert drafts, "the draft must still be stored"
    return drafts[0]


async def test_help_token_logout_and_key_message_deleted(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await alice.send("/start")
        help_text = (await alice.reply()).text
        assert "نقش شما" in help_text and "ثبت نشده" in help_text
        await alice.send("/send")
        assert "/token" in (await alice.reply()).text  # no key yet: says how to set one
        await alice.send("/token")
        await alice.reply()
        key_message = await alice.send("wrong-key-value-123456")
        refused = await until_text(w, alice, "پذیرفته نشد")
        assert "ذخیره نشد" in refused.text
        assert alice.deleted(key_message)
        assert await w.store.get_key_info(alice.user_id) is None
        saved = await set_key(w, alice)
        assert "شرکت" in saved.text or "حساب" in saved.text
        assert await w.store.get_api_key(alice.user_id) == "sandbox-key"
        await alice.send("/logout")
        assert "حذف شد" in (await alice.reply()).text
        assert await w.store.get_key_info(alice.user_id) is None


async def test_strangers_get_their_id_and_groups_get_silence(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        stranger = w.user(STRANGER)
        await stranger.send("/send")
        refusal = await stranger.reply()
        assert str(STRANGER) in refusal.text and refusal.buttons == []
        alice = w.admin(0)
        await alice.send("/start", chat_type="group")
        await w.settle()
        assert alice.messages() == []


async def test_paging_and_filtering_300_phonebooks(tmp_path: Path) -> None:
    async with bot_world(tmp_path, sandbox_seed={"phonebooks": 300}) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await open_books(w, alice)
        menu = alice.last()
        assert "1/38" in menu.button_texts  # 300 books, 8 per page
        before = len(w.sandbox.state.requests_to("list-new"))
        await alice.press(menu, "بعدی")
        await w.until(lambda: "2/38" in alice.last().button_texts)
        assert len(w.sandbox.state.requests_to("list-new")) == before + 1  # one call per page
        # tick one book on page 2, then a book on page 1: both stay chosen
        page2 = alice.last()
        await alice.press(page2, page2.buttons[0][0][0], exact=True)
        await w.until(lambda: "✓" in alice.last().buttons[0][0][0])
        await alice.press(alice.last(), "قبلی")
        await w.until(lambda: "1/38" in alice.last().button_texts)
        page1 = alice.last()
        await alice.press(page1, page1.buttons[0][0][0], exact=True)
        await until_text(w, alice, "انتخاب‌شده: ⁨۲⁩ دفترچه")
        # typing filters by title through the API
        title = page1.buttons[1][0][0].split(" · ")[0]
        await alice.send(title)
        found = await until_text(w, alice, "جستجو: «")
        assert any(title in b for b in found.button_texts)
        assert "title" in w.sandbox.state.requests_to("list-new")[-1].query
        draft = await current_draft(w, alice)
        assert len(draft.selections) == 2 and draft.step == Step.PHONEBOOKS


async def test_slice_and_picked_contacts_make_both_params_kinds(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await open_books(w, alice)
        for i in (0, 1):
            await alice.press(alice.last(), alice.last().buttons[i][0][0], exact=True)
            await w.until(lambda i=i: "✓" in alice.last().buttons[i][0][0])
        await alice.press(alice.last(), "⚙️ بازه یا مخاطبان دلخواه", exact=True)
        options = await until_text(w, alice, "دفترچه‌های انتخاب‌شده")
        await alice.press(options, options.buttons[0][0][0], exact=True)
        await until_text(w, alice, "چه کسانی")
        await alice.press(alice.last(), "یک بازه")
        await until_text(w, alice, "ردیف اول و آخر")
        await alice.send("۲ تا ۱۱")  # Persian digits, rows 2 through 11
        options = await until_text(w, alice, "ردیف ⁨۲⁩ تا ⁨۱۱⁩")
        await alice.press(options, options.buttons[1][0][0], exact=True)
        await until_text(w, alice, "چه کسانی")
        await alice.press(alice.last(), "انتخاب مخاطبان")
        contacts = await until_text(w, alice, "مخاطبان")
        for i in (0, 1, 2):
            await alice.press(alice.last(), alice.last().buttons[i][0][0], exact=True)
            await w.until(lambda i=i: "✓" in alice.last().buttons[i][0][0])
        await alice.press(alice.last(), "تأیید انتخاب")
        await until_text(w, alice, "⁨۳⁩ مخاطب انتخابی")
        draft = await current_draft(w, alice)
        modes = sorted(s.mode for s in draft.selections)
        assert modes == ["contacts", "slice"]
        assert draft.recipients() == 13
        del contacts


async def test_text_step_normalises_counts_and_refuses_bad_input(tmp_path: Path) -> None:
    async with bot_world(tmp_path, message_suffix="لغو۱۱") as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await open_books(w, alice)
        await alice.press(alice.last(), alice.last().buttons[0][0][0], exact=True)
        await w.until(lambda: "✓" in alice.last().buttons[0][0][0])
        await alice.press(alice.last(), "ادامه: متن پیام ◀️", exact=True)
        prompt = await until_text(w, alice, "لغو۱۱")  # the suffix is announced
        await alice.send_photo()
        assert "فقط متن" in (await alice.reply()).text
        await alice.send("x" * 1500)
        too_long = (await alice.reply()).text
        # "x…" plus a Persian suffix is a Persian (UCS-2) text: 20 parts of 67 apply
        assert "⁨۱٬۵۰۰⁩ نویسه به‌اضافهٔ ⁨۶⁩ نویسه برای پسوند" in too_long
        assert "حداکثر ⁨۱٬۳۴۰⁩ نویسه" in too_long and "⁨۱۶۶⁩ نویسه کوتاه" in too_long
        await alice.send("\u200f\u200e  ")
        assert "خالی" in (await alice.reply()).text
        await alice.send("\u200fتخفيف ويژه\u200cی بانك <b>&")
        preview = await until_text(w, alice, "هزینهٔ هر گیرنده")  # filled in after the preview
        assert "تخفیف ویژه\u200cی بانک <b>&\nلغو۱۱" in preview.text  # escaped, shown as typed
        assert "اعتبار حساب" in preview.text
        draft = await current_draft(w, alice)
        assert draft.text == "تخفیف ویژه\u200cی بانک <b>&"
        del prompt
        await alice.send("ب" * 1334)  # 1,334 + "\nلغو۱۱" (6) = 1,340: exactly the limit
        await until_text(w, alice, "پیش‌نمایش پیامک", after=preview.message_id)
        await alice.send("ب" * 1335)
        assert "⁨۱⁩ نویسه کوتاه" in (await alice.reply()).text


async def test_time_step_typed_jalali_and_refusals(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "✏️ زمان")
        await until_text(w, alice, "زمان ارسال")
        await alice.send("1405/13/01 10:00")
        assert "تقویم شمسی" in (await alice.reply()).text
        await alice.send("1400/01/01 10:00")
        assert "۱۰ دقیقه" in (await alice.reply()).text
        await alice.send_sticker()
        assert "متن" in (await alice.reply()).text
        day = format_jalali(datetime.now(UTC) + timedelta(days=60), w.settings.tz).split()[0]
        await alice.send(f"{day} ۱۸:۳۰")
        review = await until_text(w, alice, "بازبینی")
        assert f"{day} ۱۸:۳۰" in review.text
        draft = await current_draft(w, alice)
        assert draft.send_at is not None and draft.send_at.utcoffset() is not None


async def test_stale_menu_and_forged_callbacks_change_nothing(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        before = await current_draft(w, alice)
        await alice.press(review, "✏️ متن")
        await until_text(w, alice, "پیش‌نمایش")
        # only the newest menu is live: every earlier menu message is stale
        live = alice.last()
        old = next(m for m in alice.messages() if m.buttons and m.message_id != live.message_id)
        query = await alice.press_data(old.message_id, "v:discard")
        assert "قدیمی" in (await alice.answer_of(query)).text
        query = await alice.press_data(alice.last().message_id, "b:t:999999")
        assert "قدیمی" in (await alice.answer_of(query)).text
        after = await current_draft(w, alice)
        assert (after.text, after.selections) == (before.text, before.selections)
        assert w.sends == 0


async def test_review_edit_returns_to_review_then_save_and_discard(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "✏️ متن")
        editing = await until_text(w, alice, "پیش‌نمایش")
        assert "جای این متن را می‌گیرد" in editing.text  # typing replaces the text
        assert "بازگشت به بازبینی ◀️" in editing.button_texts
        assert not [b for b in editing.button_texts if "زمان ارسال" in b]
        await alice.send("متن تازه")
        preview = await until_text(w, alice, "متن تازه\nنویسه")
        await alice.press(preview, "بازگشت به بازبینی")
        review = await until_text(w, alice, "بازبینی")  # straight back to the review
        assert "متن تازه" in review.text
        await alice.press(review, "ذخیره و خروج")
        await until_text(w, alice, "ذخیره شد")
        await alice.send("/drafts")
        listing = await until_text(w, alice, "پیش‌نویس‌های شما")
        await alice.press(listing, "▶️")
        review = await until_text(w, alice, "بازبینی")
        await alice.press(alice.last(), "دور ریختن")
        await until_text(w, alice, "دور ریخته شد")
        assert await w.store.list_drafts(alice.user_id) == []


async def test_one_line_account_skips_sender_and_same_as_last_time(tmp_path: Path) -> None:
    async with bot_world(tmp_path, approvals_required="0") as w:
        carol = w.admin(2)  # sandbox-key-3: an account with a single sender line
        await set_key(w, carol)
        await carol.send("/send")
        chosen = await until_text(w, carol, "تنها خط")
        assert chosen.buttons == []
        await until_text(w, carol, "دفترچه‌های تلفن")
        await carol.press(carol.last(), carol.last().buttons[0][0][0], exact=True)
        await w.until(lambda: "✓" in carol.last().buttons[0][0][0])
        await carol.press(carol.last(), "ادامه: متن پیام ◀️", exact=True)
        await until_text(w, carol, "متن پیام")
        await carol.send("پیام اول")
        await carol.press(await until_text(w, carol, "پیش‌نمایش"), "زمان ارسال")
        await until_text(w, carol, "زمان ارسال")
        await carol.press(carol.last(), "همین حالا")
        review = await until_text(w, carol, "بازبینی")
        await carol.press(review, "✅ ارسال")  # approvals off: sends after review
        await until_text(w, carol, "انجام شد")
        assert w.sends == 1
        profile = await w.store.get_profile(carol.user_id)
        assert profile.last_sender and profile.last_selections
        # the next one: the sender step is skipped again, and the phonebook step offers the
        # same books as last time; the preview's "now" goes straight to the review
        mark = carol.last().message_id
        await carol.send("/send")
        books = await until_text(w, carol, "دفترچه‌های تلفن", after=mark)
        await carol.press(books, "🔁 مثل دفعهٔ قبل")
        await until_text(w, carol, "متن پیامک را بنویسید", after=mark)
        await carol.send("پیام دوم")
        preview = await until_text(w, carol, "پیام دوم\nنویسه", after=mark)
        assert "⏱ زمان ارسال دیگر" in preview.button_texts
        await carol.press(preview, "زمان: همین حالا ◀️", exact=True)
        review = await until_text(w, carol, "بازبینی", after=preview.message_id - 1)
        assert "پیام دوم" in review.text and "همین حالا" in review.text
        draft = (await w.store.list_drafts(carol.user_id))[0]
        assert draft.selections == profile.last_selections and draft.send_at is None
        assert w.sends == 1


async def test_english_buttons_for_the_short_path(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await alice.send("/lang")
        await alice.press(await until_text(w, alice, "Choose a language"), "English")
        await until_text(w, alice, "Language: English")
        await alice.send("/send")
        menu = await until_text(w, alice, "Sender line")
        await alice.press(menu, menu.buttons[0][0][0], exact=True)
        books = await until_text(w, alice, "Phonebooks")
        assert "Continue: message text ▶️" in books.button_texts
        await alice.press(books, books.buttons[0][0][0], exact=True)
        await w.until(lambda: "⚙️ A slice or picked contacts" in books.button_texts)


async def test_resume_after_restart_at_the_same_step(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await open_books(w, alice)
        await alice.press(alice.last(), alice.last().buttons[0][0][0], exact=True)
        await w.until(lambda: "✓" in alice.last().buttons[0][0][0])
        await alice.press(alice.last(), "ادامه: متن پیام ◀️", exact=True)
        await until_text(w, alice, "متن پیامک را بنویسید")
        await restart(w)
        await alice.send("پس از راه‌اندازی دوباره")  # typed straight into the text step
        preview = await until_text(w, alice, "پیش‌نمایش پیامک")
        assert "پس از راه‌اندازی دوباره" in preview.text
        await w.settle()  # the text is stored right after the preview goes out
        draft = await current_draft(w, alice)
        assert draft.text == "پس از راه‌اندازی دوباره" and len(draft.selections) == 1


async def test_a_provider_error_opening_books_or_contacts_leaves_the_menu_live(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await alice.send("/send")
        senders = await until_text(w, alice, "خط ارسال")
        w.sandbox.state.fail_next("/api/phonebooks/list-new", "500")
        await alice.press(senders, senders.buttons[0][0][0], exact=True)
        assert "IPPanel" in (await alice.reply()).text
        # the same menu, pressed again, retries: no "out of date"
        await alice.press(senders, senders.buttons[0][0][0], exact=True)
        books = await until_text(w, alice, "دفترچه‌های تلفن")
        # a typed search that fails leaves the phonebook menu pressable too
        w.sandbox.state.fail_next("/api/phonebooks/list-new", "500")
        await alice.send("مشتریان")
        assert "IPPanel" in (await alice.reply()).text
        await alice.press(books, books.buttons[0][0][0], exact=True)
        await w.until(lambda: "✓" in books.buttons[0][0][0])
        await alice.press(books, "⚙️ بازه یا مخاطبان دلخواه", exact=True)
        options = await until_text(w, alice, "دفترچه‌های انتخاب‌شده")
        await alice.press(options, options.buttons[0][0][0], exact=True)
        book = await until_text(w, alice, "چه کسانی")
        w.sandbox.state.fail_next("/api/phonebooks/numbers/contact-list", "500")
        await alice.press(book, "انتخاب مخاطبان")
        assert "IPPanel" in (await alice.reply()).text
        await alice.press(book, "انتخاب مخاطبان")
        await until_text(w, alice, "مخاطبان")
        stale = [
            c
            for c in w.fake.calls_to("answerCallbackQuery")
            if "قدیمی" in str(c.params.get("text", ""))
        ]
        assert stale == []


async def test_an_empty_phonebook_is_refused_at_the_phonebook_step(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        w.sandbox.state.add_phonebook("دفترچهٔ خالی", count=0)
        alice = w.admin(0)
        await set_key(w, alice)
        await open_books(w, alice)
        await alice.send("خالی")
        found = await until_text(w, alice, "جستجو: «خالی»")
        assert found.buttons[0][0][0] == "دفترچهٔ خالی · 0"
        await alice.press(found, found.buttons[0][0][0], exact=True)
        await w.until(lambda: any("خالی است" in str(c.params.get("text", ""))
                                  for c in w.fake.calls_to("answerCallbackQuery")))  # fmt: skip
        assert "✓" not in found.buttons[0][0][0]
        draft = await current_draft(w, alice)
        assert draft.selections == []
        await alice.press(found, "ادامه: متن پیام ◀️", exact=True)
        await w.until(lambda: any("با مخاطب" in str(c.params.get("text", ""))
                                  for c in w.fake.calls_to("answerCallbackQuery")))  # fmt: skip
        assert (await current_draft(w, alice)).step == Step.PHONEBOOKS
