"""After the send: delivery report, send again, /history, /credit, and /lang."""

from __future__ import annotations

from pathlib import Path

from tests.harness import bot_world, compose_to_review, set_key, until_text


async def sent_broadcast(w):
    alice, bob = w.admin(0), w.admin(1)
    await bob.send("/start")
    await until_text(w, bob, "نقش شما")
    await set_key(w, alice)
    review = await compose_to_review(w, alice, text="یادآوری جلسه")
    await alice.press(review, "ارسال برای تأیید")
    card = await until_text(w, bob, "درخواست ارسال")
    await bob.press(card, "تأیید و ارسال")
    done = await until_text(w, alice, "انجام شد")
    return alice, bob, done


async def test_report_history_and_send_again(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, done = await sent_broadcast(w)
        await alice.press(done, "گزارش تحویل")
        report = await until_text(w, alice, "گزارش ارسال")
        assert "همراه اول: " in report.text or "ایرانسل: " in report.text
        await alice.send("/history")
        history = await until_text(w, alice, "(صفحهٔ")
        assert "ارسال‌شده" in history.text and "1001" in history.text and "1002" in history.text
        await bob.send("/history")
        decided = await until_text(w, bob, "تعیین تکلیف کردید")
        assert "#1 · تأییدشده" in decided.text
        await alice.press(done, "ارسال دوباره")
        again = await until_text(w, alice, "پیش‌نویس تازه‌ای از روی ارسال #1")
        assert "#2" not in again.text  # a draft has no number of its own
        await until_text(w, alice, "زمان ارسال", after=again.message_id)
        await alice.press(alice.last(), "همین حالا")
        review = await until_text(w, alice, "بازبینی", after=done.message_id)
        assert "یادآوری جلسه" in review.text
        assert w.sends == 1  # a new draft needs its own approval


async def test_credit_and_english(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await alice.send("/credit")
        assert "اعتبار حساب" in (await alice.reply()).text
        await alice.send("/lang")
        menu = await alice.reply()
        await alice.press(menu, "English")
        assert "English" in (await until_text(w, alice, "Language")).text
        await alice.send("/help")
        assert "Your role" in (await until_text(w, alice, "Your role")).text
        profile = await w.store.get_profile(alice.user_id)
        assert profile.lang == "en"
