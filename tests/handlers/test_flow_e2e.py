"""The whole product, end to end: compose, approve, send — through the real
python-telegram-bot stack, the fake Bot API, the sandbox panel and SQLite."""

from __future__ import annotations

from pathlib import Path

from tests.harness import bot_world, compose_to_review, set_key, until_text


async def test_compose_approve_and_send_once(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        for approver in (bob, carol):  # Telegram only lets a bot write to people who started it
            await approver.send("/start")
            await until_text(w, approver, "نقش شما")
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        assert "سلام، تخفیف ویژهٔ امروز" in review.text
        await alice.press(review, "ارسال برای تأیید")
        await until_text(w, alice, "برای تأیید فرستاده شد")
        card = await until_text(w, bob, "درخواست ارسال")
        assert "سلام، تخفیف ویژهٔ امروز" in card.text
        assert w.sends == 0  # nothing leaves before the second admin says yes
        await bob.press(card, "تأیید و ارسال")
        done = await until_text(w, alice, "انجام شد")
        assert "شناسه‌های ارسال" in done.text
        await until_text(w, bob, "انجام شد")
        assert w.sends == 1
        # the card of the third approver says who decided, and has no buttons any more
        decided = await until_text(w, carol, "تأیید شد توسط")
        assert decided.buttons == []
