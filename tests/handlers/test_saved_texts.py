"""Saved texts: save from the review card or a result card, pick at the text step, /texts.

Driven through the real stack; the assertions are on what admins see.
"""

from __future__ import annotations

from pathlib import Path

from bot.saved_texts import check_name, check_text, strip_suffix
from tests.harness import (
    bot_world,
    compose_to_review,
    count_rows,
    set_key,
    start_all,
    until_text,
)

KEY = "OWM2ZjE1NDEtYzE3Ny00YzQ1LWI0ZTItsecretKEY9f3a"
SAVE = "ذخیرهٔ این متن"
USE = "استفاده از متن ذخیره‌شده"
NAME_PROMPT = "یک نام کوتاه"


def newest(user) -> int:
    return user.last().message_id if user.messages() else 0


async def to_text_step(w, user):
    """/send through sender and one phonebook to the text prompt (a fresh draft)."""
    await drop_drafts(w, user)
    mark = newest(user)
    await user.send("/send")
    menu = await until_text(w, user, "۱. خط ارسال", after=mark)
    await user.press(menu, menu.buttons[0][0][0], exact=True)
    menu = await until_text(w, user, "دفترچه‌های تلفن", after=mark)
    await user.press(menu, menu.buttons[0][0][0], exact=True)
    await w.until(lambda: "✓" in user.last().buttons[0][0][0])
    await user.press(user.last(), "ادامه: متن پیام ◀️", exact=True)
    return await until_text(w, user, "۳. متن پیام", after=mark)


async def to_review(w, user, text: str):
    """On from the text prompt: type the text, "now", the review card."""
    mark = newest(user)
    await to_text_step(w, user)
    await user.send(text)
    preview = await until_text(w, user, "پیش‌نمایش پیامک", after=mark)
    await user.press(preview, "زمان ارسال")
    await until_text(w, user, "۴. زمان ارسال", after=mark)
    await user.press(user.last(), "همین حالا")
    return await until_text(w, user, "۵. بازبینی", after=mark)


async def drop_drafts(w, user) -> None:
    """Forget the user's drafts, so the next /send starts afresh instead of offering one."""
    for draft in await w.store.list_drafts(user.user_id):
        await w.store.delete_draft(draft.id, user.user_id)


async def save_from_review(w, user, text: str, name: str):
    review = await to_review(w, user, text)
    await user.press(review, SAVE)
    prompt = await until_text(w, user, NAME_PROMPT, after=review.message_id - 1)
    assert text in prompt.text  # the exact text is shown before it is named
    await user.send(name)
    saved = await until_text(w, user, f"با نام «{name}» ذخیره شد")
    # then the review card comes back as the live menu
    return await until_text(w, user, "۵. بازبینی", after=saved.message_id)


def test_names_and_texts_are_checked_like_draft_texts() -> None:
    assert check_name("  يلدا  ").value == "یلدا"  # Arabic yeh becomes Persian yeh
    assert check_name("\u200f ").problem == "empty"
    assert check_name("ب" * 33).problem == "bad"
    assert check_name("one\ntwo").problem == "bad"
    assert check_name(KEY).problem == "key"
    assert check_text("x" * 1500, "").problem == "too_long"
    assert check_text("سلام", "لغو۱۱").value == "سلام"
    assert check_text(KEY, "").problem == "key"
    assert strip_suffix("سلام\nلغو۱۱", "لغو۱۱") == "سلام"


async def test_saved_on_review_used_by_a_colleague_and_still_editable(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await set_key(w, alice)
        # before anything is saved, the text step offers no list
        prompt = await to_text_step(w, alice)
        assert not any(USE in b for b in prompt.button_texts)
        await alice.send("/cancel")
        await alice.reply()
        back = await save_from_review(w, alice, "حراج یلدا: ۳۰٪ تخفیف", "یلدا")
        assert SAVE in " ".join(back.button_texts)  # the review card is back, live
        [draft] = await w.store.list_drafts(alice.user_id)
        assert draft.text == "حراج یلدا: ۳۰٪ تخفیف"  # saving changed nothing in the draft

        await set_key(w, bob)
        prompt = await to_text_step(w, bob)
        await bob.press(prompt, USE)
        listing = await until_text(w, bob, "انتخاب متن ذخیره‌شده")
        assert "یلدا" in listing.text and "Admin1001" in listing.text and "1001" in listing.text
        await bob.press(listing, "1. یلدا")
        preview = await until_text(w, bob, "پیش‌نمایش پیامک")
        assert "حراج یلدا: ۳۰٪ تخفیف" in preview.text
        [bob_draft] = await w.store.list_drafts(bob.user_id)
        assert bob_draft.text == "حراج یلدا: ۳۰٪ تخفیف"
        # still editable: a typed text replaces it before continuing
        await bob.send("حراج یلدا: ۴۰٪ تخفیف")
        await until_text(w, bob, "۴۰٪", after=preview.message_id)
        await w.settle()  # the text is stored right after the preview goes out
        [bob_draft] = await w.store.list_drafts(bob.user_id)
        assert bob_draft.text == "حراج یلدا: ۴۰٪ تخفیف"
        # the saved text itself is unchanged
        [saved] = await w.store.list_saved_texts(10)
        assert saved.text == "حراج یلدا: ۳۰٪ تخفیف" and saved.saved_by == alice.user_id


async def test_name_prompt_never_keeps_a_key_or_swallows_other_steps(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await save_from_review(w, alice, "متن اول", "اول")
        review = await to_review(w, alice, "متن دوم")
        await alice.press(review, SAVE)
        await until_text(w, alice, NAME_PROMPT, after=review.message_id - 1)
        # a pasted key: deleted, refused, stored nowhere
        key_message = await alice.send(KEY)
        await until_text(w, alice, "شبیه کلید API")
        assert alice.deleted(key_message)
        await alice.send("نام " * 10)
        assert "حداکثر" in (await alice.reply()).text
        await alice.send("اول")  # taken
        assert "پیش‌تر" in (await alice.reply()).text
        await alice.send_photo()
        assert "فقط یک نام" in (await alice.reply()).text
        assert await w.store.count_saved_texts() == 1
        # /token leaves the name prompt: the key goes to the key step, not to a name
        await alice.send("/token")
        await alice.reply()
        await alice.send("sandbox-key")
        await until_text(w, alice, "✅ کلید ثبت شد")
        assert await w.store.count_saved_texts() == 1
        # and after /send the next typed text is the SMS text again
        await to_text_step(w, alice)
        await alice.send("دوم")
        await until_text(w, alice, "پیش‌نمایش پیامک")
        assert await w.store.count_saved_texts() == 1
        await w.settle()
        raw = w.settings.database_path.read_bytes()
        wal = w.settings.database_path.with_name("bot.sqlite3-wal")
        raw += wal.read_bytes() if wal.exists() else b""
        assert KEY.encode() not in raw
        assert count_rows(w, "saved_texts", "text LIKE ? OR name LIKE ?", (f"%{KEY}%",) * 2) == 0


async def test_cancel_on_the_name_prompt_goes_back_to_the_review(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await to_review(w, alice, "بی‌نام")
        await alice.press(review, SAVE)
        prompt = await until_text(w, alice, NAME_PROMPT, after=review.message_id - 1)
        await alice.press(prompt, "انصراف")
        await w.until(lambda: "بازبینی" in alice.last().text)
        assert await w.store.count_saved_texts() == 0
        # the old prompt's button is out of date now
        query = await alice.press_data(prompt.message_id, "nm:x")
        assert (await alice.answer_of(query)).show_alert


async def test_result_card_save_then_rename_and_delete_in_texts(tmp_path: Path) -> None:
    async with bot_world(tmp_path, message_suffix="لغو۱۱") as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        await start_all(w, bob, carol)
        await set_key(w, alice)
        review = await compose_to_review(w, alice, text="یادآوری جلسه")
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        await bob.press(card, "تأیید و ارسال")
        done = await until_text(w, alice, "انجام شد")
        # someone who neither asked nor approved cannot save from that broadcast's card
        query = await carol.press_data(done.message_id, done.buttons[-1][0][1])
        assert (await carol.answer_of(query)).show_alert
        await alice.press(done, SAVE)
        await until_text(w, alice, NAME_PROMPT, after=done.message_id)
        await alice.send("جلسه")
        await until_text(w, alice, "«جلسه» ذخیره شد")
        [saved] = await w.store.list_saved_texts(5)
        assert saved.text == "یادآوری جلسه"  # the words, without the suffix line

        # a colleague sees it, with who saved it, and renames it
        await bob.send("/texts")
        listing = await until_text(w, bob, "متن‌های ذخیره‌شدهٔ تیم")
        assert "جلسه" in listing.text and "Admin1001" in listing.text
        await bob.press(listing, "✏️ 1", exact=True)
        await until_text(w, bob, "نام تازهٔ «جلسه»")
        await bob.send("جلسهٔ ماهانه")
        renamed = await until_text(w, bob, "نام تغییر کرد")
        assert (await w.store.get_saved_text(saved.id)).name == "جلسهٔ ماهانه"
        # forged and old ids: answered, nothing changes
        for forged in ("tx:d:abc", "tx:y:99999", "tx:p:-1", "st:x1", "tx:d:1" + "0" * 12):
            query = await bob.press_data(listing.message_id, forged)
            assert (await bob.answer_of(query)).show_alert, forged
        assert await w.store.count_saved_texts() == 1
        # delete asks first
        await bob.send("/texts")
        listing = await until_text(w, bob, "متن‌های ذخیره‌شدهٔ تیم", after=renamed.message_id)
        assert "جلسهٔ ماهانه" in listing.text
        await bob.press(listing, "🗑 1", exact=True)
        confirm = await until_text(w, bob, "برای همهٔ مدیران حذف شود")
        await bob.press(confirm, "بله، حذف شود")
        await until_text(w, bob, "«جلسهٔ ماهانه» حذف شد")
        assert await w.store.count_saved_texts() == 0
        # the old confirmation is out of date: the text is gone
        query = await bob.press_data(confirm.message_id, f"tx:y:{saved.id}")
        assert "وجود ندارد" in (await bob.answer_of(query)).text
        assert w.sends == 1
